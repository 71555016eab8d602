import subprocess

import pytest

from kltolint.errors import UserError
from kltolint.patch import PatchError, apply, parse, parse_diff
from kltolint.tree import Tree
from tests.conftest import format_patch, make_tree
from tests.helpers import applied_by_kltolint, applied_by_the_tools

OLD = "config A\n\tbool \"a\"\n\tselect B\n\nconfig B\n\tbool\n"
NEW = "config A\n\tbool \"a\"\n\tselect B if C\n\nconfig B\n\tbool\n"


def test_format_patch_mail(tmp_path):
    text = format_patch(tmp_path, "Kconfig", OLD, NEW, "kconfig: guard B")
    (patch,) = parse(text)
    assert patch.subject == "[PATCH] kconfig: guard B"
    assert patch.message_id.startswith("<") and "Dev" in patch.sender
    (fp,) = patch.files
    assert fp.path == "Kconfig" and len(fp.hunks) == 1
    tree = Tree(make_tree(tmp_path / "t", {"Kconfig": OLD}))
    assert apply(tree, patch)["Kconfig"] == NEW


def test_mbox_series_skips_cover_letter(tmp_path):
    one = format_patch(tmp_path / "1", "Kconfig", OLD, NEW, "one")
    two = format_patch(tmp_path / "2", "Kconfig", NEW, NEW.replace("if C", "if C && D"), "two")
    cover = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Dev <d@e>\nSubject: [PATCH 0/2] series\n\nA cover letter.\n"
    patches = parse(cover + one + two)
    assert [p.subject for p in patches] == ["[PATCH] one", "[PATCH] two"]
    assert [p.index for p in patches] == [1, 2]


def test_plain_diff_and_no_newline_marker(tmp_path):
    diff = ("--- a/Kconfig\n+++ b/Kconfig\n@@ -1,2 +1,2 @@\n config A\n-\tbool\n\\ No newline at end of file\n"
            "+\tbool \"a\"\n\\ No newline at end of file\n")
    (patch,) = parse(diff)
    tree = Tree(make_tree(tmp_path, {"Kconfig": "config A\n\tbool"}))
    assert apply(tree, patch)["Kconfig"] == "config A\n\tbool \"a\""


def test_new_and_deleted_files(tmp_path):
    diff = ("diff --git a/README b/README\n--- a/README\n+++ b/README\n@@ -1 +1 @@\n-x\n+y\n"
            "diff --git a/new/Kconfig b/new/Kconfig\nnew file mode 100644\n--- /dev/null\n+++ b/new/Kconfig\n"
            "@@ -0,0 +1,2 @@\n+config N\n+\tbool\n"
            "diff --git a/Kconfig b/Kconfig\ndeleted file mode 100644\n--- a/Kconfig\n+++ /dev/null\n"
            "@@ -1,2 +0,0 @@\n-config A\n-\tbool\n")
    (patch,) = parse(diff)
    tree = Tree(make_tree(tmp_path, {"Kconfig": "config A\n\tbool\n"}))
    overlay = apply(tree, patch)
    assert overlay == {"new/Kconfig": "config N\n\tbool\n", "Kconfig": None}


@pytest.mark.parametrize("text, message", [
    ("diff --git a/x b/x\nindex 1..2 100644\nGIT binary patch\nliteral 1\n", "binary patch"),
    ("diff --git a/x b/x\nBinary files a/x and b/x differ\n", "binary patch"),
    ("diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc\n", "symlink"),
    ("hello, this is not a patch\n", "no unified diff"),
    ("--- a/K\n+++ b/K\n@@ -1,3 +1,3 @@\n a\n-b\n", "truncated hunk"),
    ("From 1234 Mon Sep 17 00:00:00 2001\nno headers here\n\n--- a/K\n", "malformed mbox"),
])
def test_bad_patches(text, message):
    with pytest.raises(PatchError, match=message):
        parse(text)


def test_patch_that_does_not_apply(tmp_path):
    (patch,) = parse("--- a/Kconfig\n+++ b/Kconfig\n@@ -1,2 +1,2 @@\n config Z\n-\tbool\n+\ttristate\n")
    tree = Tree(make_tree(tmp_path, {"Kconfig": "config A\n\tbool\n"}))
    with pytest.raises(PatchError, match="hunk #1 .* does not match"):
        apply(tree, patch)


def test_patch_leaving_the_tree(tmp_path):
    (patch,) = parse("--- /dev/null\n+++ b/../evil/Kconfig\n@@ -0,0 +1 @@\n+config E\n")
    tree = Tree(make_tree(tmp_path / "t", {"Kconfig": ""}))
    with pytest.raises(UserError, match="outside the tree"):
        apply(tree, patch)
    assert not (tmp_path / "evil").exists()


def test_hunk_found_at_an_offset(tmp_path):
    diff = "--- a/Kconfig\n+++ b/Kconfig\n@@ -2,3 +2,3 @@\n config A\n-\tbool\n+\ttristate\n \thelp\n"
    moved = "# a\n# moved down\n# b\nconfig A\n\tbool\n\thelp\n"
    assert applied_by_kltolint(tmp_path, moved, diff) == moved.replace("bool", "tristate")


# -- where a hunk goes: where git apply and patch(1) both put it, or nowhere --------------

def _diff(*hunks: str) -> str:
    return "--- a/Kconfig\n+++ b/Kconfig\n" + "".join(hunks)


TWICE = 'x1\nx2\nconfig A\n\tbool "a"\nx3\nx4\nconfig A\n\tbool "a"\nx5\nx6\n'
LINES = "".join(f"q{i}\n" for i in range(1, 10))
PLACED = {
    # name: (the file, the patch); each applies: kltolint, git apply and patch(1) agree
    "at its line": (TWICE, _diff('@@ -3,2 +3,3 @@\n config A\n+\tselect B\n \tbool "a"\n')),
    "moved, one match": ("y\n" + TWICE, _diff('@@ -5,4 +5,5 @@\n x3\n x4\n+config C\n config A\n \tbool "a"\n')),
    "start, less context before": (TWICE, _diff("@@ -1,3 +1,4 @@\n x1\n+x0\n x2\n config A\n")),
    "end, less context after": (TWICE, _diff('@@ -7,4 +7,5 @@\n config A\n \tbool "a"\n x5\n+x55\n x6\n')),
    "end, no context after": (TWICE, _diff("@@ -9,2 +9,3 @@\n x5\n x6\n+x7\n")),
}
REFUSED = {
    # name: (the file, the patch, what git apply and patch(1) make of it)
    # Two matches as near: git and patch(1) take the later one, kltolint took the earlier.
    "two matches, neither at its line": (TWICE, _diff('@@ -5,2 +5,3 @@\n config A\n+\tselect B\n \tbool "a"\n'),
                                         "the same"),
    # No context after: git apply wants it at the end (refused); patch(1) puts it there.
    "no context after, not at the end": (TWICE, _diff('@@ -3,2 +3,3 @@\n config A\n \tbool "a"\n+\tselect B\n'),
                                         "git refuses"),
    # Hunk 1 is found 2 lines down: patch(1) looks for hunk 2 2 lines down too, git apply at its line.
    "a hunk after a moved one": ("n1\nn2\na1\na2\nA\na3\na4\nq1\nq2\nq3\nq4\nc1\nB\nc2\nq5\nc1\nB\nc2\nz\n",
                                 _diff("@@ -2,3 +2,3 @@\n a2\n-A\n+AA\n a3\n", "@@ -12,3 +12,3 @@\n c1\n-B\n+BB\n c2\n"),
                                 "they differ"),
    # The + line number is not the - one: git apply starts there, patch(1) at the - one.
    "a + line number of its own": (LINES + "c1\nB\nc2\nq\nc1\nB\nc2\nz\n",
                                   _diff("@@ -10,3 +14,3 @@\n c1\n-B\n+BB\n c2\n"), "they differ"),
}


@pytest.mark.parametrize("case", PLACED)
def test_a_hunk_goes_where_git_apply_and_patch_put_it(tmp_path, case):
    text, diff = PLACED[case]
    git, patch = applied_by_the_tools(tmp_path, text, diff)
    assert git is not None and git == patch
    assert applied_by_kltolint(tmp_path, text, diff) == git


@pytest.mark.parametrize("case", REFUSED)
def test_a_hunk_the_tools_may_place_elsewhere_is_refused(tmp_path, case):
    """A review must judge the file the patch makes. Where git apply and
    patch(1) refuse or disagree, or where the place depends on the order
    they search in, kltolint refuses: a patch author could otherwise show the
    review one place and the tree another."""
    text, diff, tools = REFUSED[case]
    git, patch = applied_by_the_tools(tmp_path, text, diff)
    assert {"the same": git is not None and git == patch, "git refuses": git is None and patch is not None,
            "they differ": None not in (git, patch) and git != patch}[tools]
    with pytest.raises(PatchError, match="patch does not apply"):
        applied_by_kltolint(tmp_path, text, diff)


# -- where an mbox splits: where git mailsplit splits, so that each message is decoded as git am decodes it

SEPARATORS = ["From x Mon Sep 17 00:00:00 2001", "From x Mon Sep 17 00:00:00 2001 +0000", "From x Mon Sep 17 00:00 2001",
              "From x 12:34:56 1999 garbage", "From x Mon Sep 17 00:00:00 2001x", "From a@b Tue, 1 Jan 2002 10:00:00 +0100",
              "From x 1:34:56 1999", "From x 12:34:56 1999:", "From x 2001", "From x 1:2:3 2001", "From x 12:34:56 0090",
              "From x 12:34:56 -100", "From 12:34:56 99", "From x 12:34:5 1999", "From x 12:34:56 1999:0"]


@pytest.mark.parametrize("line", SEPARATORS)
def test_an_mbox_splits_where_git_mailsplit_splits(tmp_path, line):
    diff = "--- a/Kconfig\n+++ b/Kconfig\n@@ -1 +1 @@\n-a\n+b\n"
    mbox = f"From a Mon Sep 17 00:00:00 2001\nFrom: a\nSubject: one\n\n{diff}{line}\nFrom: b\nSubject: two\n\n{diff}"
    (tmp_path / "mbox").write_text(mbox)
    (tmp_path / "out").mkdir()
    split = subprocess.run(["git", "mailsplit", f"-o{tmp_path / 'out'}", str(tmp_path / "mbox")],
                           capture_output=True, text=True, check=True)
    assert len(parse(mbox)) == int(split.stdout)  # each message has a patch


# -- a mail's text: what git mailinfo hands git apply, decoded as it decodes it

DIFF = "--- a/Kconfig\n+++ b/Kconfig\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
EVIL = "--- a/Kconfig.x\n+++ b/Kconfig.x\n@@ -1 +1 @@\n-x\n+\tdepends on FOO =y\n"


def _b64_lines(text: str, width: int) -> str:
    import base64
    raw = text.encode()
    return "".join(base64.b64encode(raw[i: i + width]).decode() + "\n" for i in range(0, len(raw), width))


MAILS = {
    # git decodes base64 line by line and skips `=`: a padded line does not end the text
    "base64, padded lines": ("base64", _b64_lines(DIFF, 5) + _b64_lines(EVIL, 4)),
    # git keeps `=` before a non-hex pair and decodes the next `=XY`: `==79` is `=y`
    "quoted-printable, garbage": ("quoted-printable", DIFF + EVIL.replace("=y", "==79")),
    # git applies the bytes as they are, whatever the charset says
    "8bit, latin-1": ("8bit", DIFF + EVIL.replace("FOO", "F\xe9O")),
    # git mailsplit takes one CR off each line end
    "8bit, CRLF": ("8bit", (DIFF + EVIL).replace("\n", "\r\n")),
}


@pytest.mark.parametrize("case", MAILS)
def test_a_mail_reads_as_git_mailinfo_reads_it(tmp_path, case):
    encoding, body = MAILS[case]
    mail = ("From 1 Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: s\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: {encoding}\n\n---\n{body}")
    (tmp_path / "mail").write_bytes(mail.encode("latin-1"))
    (tmp_path / "out").mkdir()
    subprocess.run(["git", "mailsplit", f"-o{tmp_path / 'out'}", str(tmp_path / "mail")], capture_output=True, check=True)
    with open(tmp_path / "out" / "0001", "rb") as stdin:
        subprocess.run(["git", "mailinfo", str(tmp_path / "msg"), str(tmp_path / "patch")], stdin=stdin,
                       capture_output=True, check=True)
    expected = parse_diff((tmp_path / "patch").read_bytes().decode("utf-8", "surrogateescape"))
    assert len(expected) == 2  # both diffs reach git apply
    (patch,) = parse(mail.encode("latin-1").decode("utf-8", "surrogateescape"))
    assert list(patch.files) == expected


def test_a_line_git_takes_for_a_mime_boundary_is_refused():
    """git mailinfo starts a part at any line that begins with `--` and the
    boundary (`--BBx`), and decodes the base64 after it; the email package
    reads that line as text. kltolint refuses the mail."""
    mail = ("From 1 Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: s\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="BB"\n\n--BB\nContent-Type: text/plain\n\n---\n' + DIFF
            + "--BBx\nContent-Transfer-Encoding: base64\n\n" + _b64_lines(EVIL, 57) + "--BB--\n")
    with pytest.raises(PatchError, match="starts like the MIME boundary '--BB'"):
        parse(mail)


@pytest.mark.parametrize("first", ["From: a <a@b>", "Subject: s"])
def test_a_mail_without_an_mbox_line_is_split_as_an_mbox(tmp_path, first):
    """git am reads a single mail as an mbox too (git mailsplit -b): a
    `From ` separator in it starts a second message, decoded on its own."""
    import base64
    second = base64.encodebytes(EVIL.encode()).decode()
    mail = (f"{first}\nSubject: one\n\n---\n{DIFF}From x Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: two\n"
            f"Content-Transfer-Encoding: base64\n\n{second}")
    assert [[fp.path for fp in p.files] for p in parse(mail)] == [["Kconfig"], ["Kconfig.x"]]
