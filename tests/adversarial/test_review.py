"""`kltolint review` on hostile patches and mails (report F1, F2, F4-F7, F16, F17, F20)."""

from __future__ import annotations

import email.utils
import json
import time

import pytest

from tests.adversarial.conftest import (DEMO, GUARDED, UNGUARDED, change_diff, demo, new_file_diff, run,
                                        write_patch)

ARM64 = (DEMO / "after/arch/arm64/Kconfig").read_text()
INIT = (DEMO / "after/init/Kconfig").read_text()


def review(capsys, tree, patch_path, *args):
    return run(capsys, "review", "--tree", str(tree), patch_path, *args)


# -- F1: a patch that adds a Kconfig file and sources it ---------------------------------

def _new_driver(selects_unguarded: bool) -> str:
    body = "config FOO_MISC\n\ttristate \"Foo\"\n\tdepends on ARM64\n"
    if selects_unguarded:
        body += "\tselect ARCH_SUPPORTS_LTO_CLANG\n"
    sourcing = change_diff("init/Kconfig", INIT, INIT + 'source "drivers/misc/foo/Kconfig"\n')
    return new_file_diff("drivers/misc/foo/Kconfig", body) + sourcing


def test_new_sourced_kconfig_file_is_reviewed(capsys, tmp_path):
    tree = demo(tmp_path)
    result = review(capsys, tree, write_patch(tmp_path, _new_driver(False)))
    assert result.code == 0 and "0 introduced, 0 removed" in result.out
    assert not (tree / "drivers").exists()  # never written


def test_new_sourced_kconfig_file_with_a_finding(capsys, tmp_path):
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, _new_driver(True)), "--format", "json")
    assert result.code == 1
    (finding,) = json.loads(result.out)["findings"]
    assert finding["file"] == "drivers/misc/foo/Kconfig" and finding["line"] == 4


# -- F2: `---` and `+++` name different files ----------------------------------------------

@pytest.mark.parametrize("new_name", ["arch/arm64/Kconfig.orig", "arch/arm64/xKconfig", "arch/arm64/Kconfig2"])
def test_plain_diff_with_differing_names_is_refused(capsys, tmp_path, new_name):
    diff = change_diff("arch/arm64/Kconfig", ARM64, ARM64.replace(GUARDED, UNGUARDED), new_name=new_name)
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, diff))
    assert result.code == 2
    assert "arch/arm64/Kconfig" in result.error and new_name in result.error


def test_git_header_with_differing_names_is_refused(capsys, tmp_path):
    diff = change_diff("arch/arm64/Kconfig", ARM64, ARM64.replace(GUARDED, UNGUARDED), new_name="arch/arm64/xKconfig")
    git = "diff --git a/arch/arm64/Kconfig b/arch/arm64/xKconfig\nindex 1111111..2222222 100644\n" + diff
    assert review(capsys, demo(tmp_path), write_patch(tmp_path, git)).code == 2


def test_git_header_disagreeing_with_its_own_diff_lines_is_refused(capsys, tmp_path):
    diff = change_diff("arch/arm64/Kconfig", ARM64, ARM64.replace(GUARDED, UNGUARDED))
    git = "diff --git a/README b/README\nindex 1111111..2222222 100644\n" + diff
    assert review(capsys, demo(tmp_path), write_patch(tmp_path, git)).code == 2


# -- F4, F17: header injection in --format mail ---------------------------------------------

def _mail(headers: str, tree_text: str = ARM64) -> str:
    diff = change_diff("arch/arm64/Kconfig", tree_text, tree_text.replace(GUARDED, UNGUARDED))
    return f"From abc Mon Sep 17 00:00:00 2001\n{headers}\n\n---\n{diff}-- \n2.39\n"


def _headers(out: str) -> list[str]:
    return out.split("\n\n", 1)[0].splitlines()


def test_encoded_newline_in_message_id_adds_no_header(capsys, tmp_path):
    mail = _mail("From: Evil <e@x.org>\nSubject: [PATCH] arm64: drop the guard\n"
                 "Message-ID: =?utf-8?q?=3Cid1=40x=3E=0ABcc=3A_victim2=40example=2Ecom?=")
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, mail), "--format", "mail")
    assert result.code == 1
    heads = _headers(result.out)
    assert not any(h.lower().startswith("bcc") for h in heads), heads
    assert all(h.split(":", 1)[0] in ("Subject", "In-Reply-To", "References", "To") for h in heads)


def test_encoded_newline_in_from_adds_no_header(capsys, tmp_path):
    mail = _mail("From: =?utf-8?q?Evil=0D=0ABcc=3A_v=40example=2Ecom?= <e@x.org>\n"
                 "Subject: [PATCH] x\nMessage-ID: <id2@x>")
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, mail), "--format", "mail")
    assert result.code == 1
    heads = _headers(result.out)
    assert [h.split(":", 1)[0] for h in heads] == ["Subject", "In-Reply-To", "References", "To"], heads
    assert "In-Reply-To: <id2@x>" in heads


# -- F5: the environment does not reach kconfiglib ------------------------------------------

@pytest.mark.parametrize("line", ['source "x-$(GITHUB_TOKEN)-$(HOME)"', "$(error-if,y,$(GITHUB_TOKEN))"])
def test_environment_does_not_leak_into_errors(capsys, tmp_path, monkeypatch, line):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_SECRET123")
    diff = change_diff("arch/arm64/Kconfig", ARM64, ARM64 + line + "\n")
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, diff))
    assert result.code == 2
    assert "ghp_SECRET123" not in result.out + result.err
    assert "arch/arm64/Kconfig:" in result.error


def test_display_name_cannot_add_a_recipient(capsys, tmp_path):
    mail = _mail("From: =?utf-8?q?victim=40example=2Eorg=2C?= <e@x.org>\nSubject: [PATCH] x\nMessage-ID: <id3@x>")
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, mail), "--format", "mail")
    (to,) = [h for h in _headers(result.out) if h.startswith("To:")]
    assert email.utils.getaddresses([to[3:]]) == [("victim@example.org,", "e@x.org")]


# -- F6, F7, F20: bounded work -----------------------------------------------------------

def test_endless_input_is_refused_after_the_limit(capsys, tmp_path, monkeypatch):
    from kltolint import patch

    monkeypatch.setattr(patch, "MAX_PATCH_BYTES", 1000)
    result = review(capsys, demo(tmp_path), "/dev/zero")
    assert result.code == 2 and "larger than 1000 bytes" in result.error


def test_endless_stdin_is_refused_after_the_limit(tmp_path):
    from tests.adversarial.conftest import kltolint, proc_contract

    proc = proc_contract(kltolint("review", "--tree", str(demo(tmp_path)), "-", stdin=b"x" * (64 * 1024 * 1024 + 10)))
    assert proc.returncode == 2 and b"larger than" in proc.stderr


def test_hunks_far_from_their_line_are_bounded(capsys, tmp_path):
    big = "".join(f"# line {i}\n" for i in range(20_000))
    # Each hunk says line 2 and is found far below, where its context is.
    hunks = "".join(f"@@ -2,3 +2,3 @@\n # line {k - 1}\n-# line {k}\n+# LINE {k}\n # line {k + 1}\n"
                    for k in range(19_998, 19_998 - 600, -2))
    diff = new_file_diff("init/Kconfig.big", big) + "--- a/init/Kconfig.big\n+++ b/init/Kconfig.big\n" + hunks
    started = time.monotonic()
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, diff))
    assert time.monotonic() - started < 20
    assert result.code == 2 and "comparisons" in result.error


def test_long_series_is_refused(capsys, tmp_path):
    one = change_diff("arch/arm64/Kconfig", ARM64, ARM64 + "# x\n")
    back = change_diff("arch/arm64/Kconfig", ARM64 + "# x\n", ARM64)
    mbox = "".join(f"From abc Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: [PATCH {i}]\n\n---\n{d}"
                   for i, d in enumerate([one, back] * 3))
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, mbox), "--max-patches", "5")
    assert result.code == 2 and "more than 5 patches" in result.error


@pytest.mark.parametrize("charset", ["unknown-8bit", "x-bogus"])
def test_unknown_charset_is_read_as_utf8(capsys, tmp_path, charset):
    diff = change_diff("arch/arm64/Kconfig", ARM64, ARM64.replace(GUARDED, UNGUARDED))
    mail = (f"From abc Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: [PATCH] x\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n\n---\n{diff}")
    assert review(capsys, demo(tmp_path), write_patch(tmp_path, mail)).code == 1


def test_mail_without_charset_holding_odd_bytes(capsys, tmp_path):
    """Found by test_fuzz: a mail body that is neither ASCII nor declared."""
    mail = ("From: a <a@b>\nSubject: [PATCH] x\n\n--- a/arch/arm64/Kconfig\n+++ b/arch/arm64/Kconfig\n"
            "@@ -1,3 +1,4 @@\n+\x80\udce9\n # SPDX-License-Identifier: GPL-2.0-only\n config ARM64\n \tdef_bool y\n")
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, mail))
    assert result.code in (0, 2)


@pytest.mark.parametrize("charset, cte", [("iso-8859-1", "8bit"), ("utf-8", "base64"), ("utf-8", "8bit"),
                                          ("utf-16", "base64")])
def test_declared_charsets_decode_the_patch(capsys, tmp_path, charset, cte):
    import base64

    tree = demo(tmp_path)
    text = ARM64.replace(GUARDED, GUARDED + "\t# café\n")  # in the hunk's context
    (tree / "arch/arm64/Kconfig").write_text(text)
    diff = change_diff("arch/arm64/Kconfig", text, text.replace(GUARDED, UNGUARDED))
    body = diff.encode(charset)
    if cte == "base64":
        body = base64.encodebytes(body)
    head = (f"From abc Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: [PATCH] x\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}\n\n").encode()
    path = tmp_path / "p.mbox"
    path.write_bytes(head + body)
    # git am applies a patch's bytes as they are (git mailinfo converts the
    # commit message only): a latin-1 `café` does not match the tree's UTF-8
    # one, a UTF-16 body holds no diff. The review judges what git am does.
    import subprocess
    git = ["git", "-c", "user.name=a", "-c", "user.email=a@b"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(git + command, cwd=tree, check=True)
    applies = subprocess.run(git + ["am", "-q", str(path)], cwd=tree, capture_output=True).returncode == 0
    subprocess.run(["rm", "-rf", ".git"], cwd=tree, check=True)
    assert applies == (charset == "utf-8")
    (tree / "arch/arm64/Kconfig").write_text(text)
    assert review(capsys, tree, str(path)).code == (1 if applies else 2)


# -- the cases that held in the report, kept held ---------------------------------------

def _git(rel_old: str, rel_new: str, extra: str, body: str = "") -> str:
    return f"diff --git a/{rel_old} b/{rel_new}\n{extra}{body}"


REFUSED = {
    "outside, new file": new_file_diff("../../Kconfig.evil", "config X\n\tbool\n"),
    "absolute": "--- /etc/Kconfig\n+++ /etc/Kconfig\n@@ -1 +1 @@\n-a\n+b\n",
    "dotdot inside": "--- a/arch/../../../../etc/Kconfig\n+++ b/arch/../../../../etc/Kconfig\n@@ -1 +1 @@\n-a\n+b\n",
    "symlink": _git("arch/arm64/Kconfig", "arch/arm64/Kconfig", "new mode 120000\n"),
    "new symlink": _git("init/Kconfig.l", "init/Kconfig.l", "new file mode 120000\n"),
    "binary": _git("arch/arm64/Kconfig", "arch/arm64/Kconfig", "index 1..2 100644\nGIT binary patch\nliteral 0\n"),
    "binary files differ": _git("arch/arm64/Kconfig", "arch/arm64/Kconfig", "Binary files a/x and b/x differ\n"),
    "rename": _git("arch/arm64/Kconfig", "arch/arm64/Kconfig2", "rename from arch/arm64/Kconfig\n"
                   "rename to arch/arm64/Kconfig2\n"),
    "creates existing": new_file_diff("init/Kconfig", "config X\n\tbool\n"),
    "changes missing": "--- a/init/Kconfig.none\n+++ b/init/Kconfig.none\n@@ -1 +1 @@\n-a\n+b\n",
    "line 10^20": "--- a/init/Kconfig\n+++ b/init/Kconfig\n@@ -100000000000000000000,1 +1,1 @@\n-a\n+b\n",
    "hunk length 999999999": "--- a/init/Kconfig\n+++ b/init/Kconfig\n@@ -1,999999999 +1,1 @@\n-a\n+b\n",
    "no diff": "just text\n",
    "mbox without headers": "From abc Mon Sep 17 00:00:00 2001\n\n--- a/x\n+++ b/x\n",
    "quoted name": '--- "a/init/Kconfig"\n+++ "b/init/Kconfig"\n@@ -1 +1 @@\n-a\n+b\n',
    "9 MB new sourced Kconfig": new_file_diff("init/Kconfig.huge", "# x\n" * (9 * 1024 * 1024 // 4))
    + change_diff("init/Kconfig", INIT, INIT + 'source "init/Kconfig.huge"\n'),
    "deletes a sourced file": _git("init/Kconfig", "init/Kconfig", "deleted file mode 100644\n",
                                   "--- a/init/Kconfig\n+++ /dev/null\n"
                                   + "".join(f"@@ -1,{len(INIT.splitlines())} +0,0 @@\n")
                                   + "".join("-" + l for l in INIT.splitlines(keepends=True))),
}


@pytest.mark.parametrize("name", REFUSED)
def test_refused_patches(capsys, tmp_path, name):
    tree = demo(tmp_path)
    result = review(capsys, tree, write_patch(tmp_path, REFUSED[name]))
    assert result.code == 2
    assert not (tmp_path / "Kconfig.evil").exists()


@pytest.mark.parametrize("rel", ["init/link/new/Kconfig", "init/link/Kconfig.x"])
def test_a_path_beyond_a_symbolic_link_is_refused_as_git_apply_refuses_it(capsys, tmp_path, rel):
    """init/link -> ../drivers: git apply refuses a path through it ("beyond
    a symbolic link"); applied to the overlay under that name, the change
    would be held where no load opens it (loads read drivers/...)."""
    tree = demo(tmp_path)
    (tree / "drivers").mkdir(exist_ok=True)
    (tree / "drivers/Kconfig.x").write_text("config X\n\tbool\n")
    (tree / "init/link").symlink_to("../drivers")
    diff = new_file_diff(rel, "config Y\n\tbool\n") if rel.endswith("new/Kconfig") else \
        change_diff(rel, "config X\n\tbool\n", "config X\n\tbool\n\tselect Z\n")
    result = review(capsys, tree, write_patch(tmp_path, diff))
    assert result.code == 2 and result.err.count("\n") == 1
    assert "beyond a symbolic link (init/link)" in result.err


def test_patched_probes_never_run(capsys, tmp_path):
    marker = tmp_path / "ran"
    added = "".join(f"config P{i}\n\tdef_bool $({fn},touch {marker})\n" for i, fn in enumerate(["shell", "success"]))
    diff = change_diff("arch/arm64/Kconfig", ARM64, ARM64 + added + f"V := $(shell,touch {marker})\n")
    assert review(capsys, demo(tmp_path), write_patch(tmp_path, diff)).code in (0, 1)
    assert not marker.exists()


# -- diffs patch(1) applies that are not unified, and diffs past a signature -------------

def _context_diff(rel: str, old: str, new: str) -> str:
    import difflib
    return "".join(difflib.context_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{rel}", f"b/{rel}"))


def _normal_diff(rel: str, old: str, new: str) -> str:
    (at,) = [n for n, l in enumerate(old.splitlines(keepends=True), 1) if l == GUARDED]
    return f"Index: a/{rel}\n{at}c{at}\n< {GUARDED}---\n> {UNGUARDED}"


def _indented(indent: str, diff: str) -> str:
    return "".join(indent + line for line in diff.splitlines(keepends=True))


HARMLESS = change_diff("init/Kconfig", INIT, INIT + "# a comment\n")
BROKEN = ARM64.replace(GUARDED, UNGUARDED)
BREAKING = change_diff("arch/arm64/Kconfig", ARM64, BROKEN)
HIDDEN = {
    "context diff": _context_diff("arch/arm64/Kconfig", ARM64, BROKEN),
    "context diff after a unified one": HARMLESS + _context_diff("arch/arm64/Kconfig", ARM64, BROKEN),
    "normal diff after a unified one": HARMLESS + _normal_diff("arch/arm64/Kconfig", ARM64, BROKEN),
    "ed script after a unified one": HARMLESS + "4c\n" + UNGUARDED + ".\n",
    "hunk without file names after a unified one": HARMLESS + "junk\n@@ -4 +4 @@\n-" + GUARDED + "+" + UNGUARDED,
    # patch(1) reads a diff past an indent of blanks, tabs and `X`s ("Patch is indented 4 spaces").
    "indented unified diff after a unified one": HARMLESS + "\n" + _indented("    ", BREAKING),
    "indented unified diff in the commit message": "Subject: x\n\n" + _indented("\t", BREAKING) + "\n" + HARMLESS,
    "X-indented unified diff after a unified one": HARMLESS + _indented("X", BREAKING),
}


@pytest.mark.parametrize("name", HIDDEN)
def test_diffs_patch_applies_but_review_cannot_read_are_refused(capsys, tmp_path, name):
    tree = demo(tmp_path)
    path = write_patch(tmp_path, HIDDEN[name])
    if name.startswith(("context", "normal", "indented", "X-")):  # what patch(1) makes of it: the guard is gone
        import subprocess
        applied = subprocess.run(["patch", "-p1", "-s", "-i", path], cwd=tree, capture_output=True, text=True)
        assert applied.returncode == 0 and UNGUARDED in (tree / "arch/arm64/Kconfig").read_text(), applied
        tree = demo(tmp_path, name="fresh")
    result = review(capsys, tree, path)
    assert result.code == 2 and "only unified diffs are reviewed" in result.error


def test_a_file_header_with_no_hunk_is_refused(capsys, tmp_path):
    """patch(1) reads what follows `---`/`+++` when no `@@` does as a diff
    of another kind: here an ed script, indented, that (with ed installed)
    appends `config EVIL` to the file; git apply refuses the patch. The
    review had judged HARMLESS alone: 0 introduced."""
    ed_script = "diff --git a/Kconfig b/Kconfig\n--- a/Kconfig\n+++ b/Kconfig\n a\n config EVIL\n \tdef_bool y\n .\n"
    for diff in (HARMLESS + ed_script, HARMLESS + ed_script.split("\n", 1)[1]):
        result = review(capsys, demo(tmp_path, name=str(len(diff))), write_patch(tmp_path, diff))
        line = diff.splitlines().index("--- a/Kconfig") + 1
        assert result.code == 2 and f"file header at line {line} of the diff text has no hunk after it" in result.error


def test_a_diff_past_the_signature_is_reviewed(capsys, tmp_path):
    # patch(1) and git apply both apply what follows `-- `: so does review.
    diff = HARMLESS + "-- \n2.39.0\n\n" + change_diff("arch/arm64/Kconfig", ARM64, BROKEN)
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, diff), "--format", "json")
    assert result.code == 1
    assert [f["file"] for f in json.loads(result.out)["findings"]] == ["arch/arm64/Kconfig"]


def _attached(kind: str) -> str:
    """A mail with HARMLESS in its text and BREAKING attached."""
    import base64
    if kind == "text/x-patch":
        attachment = f'Content-Type: text/x-patch; name="p.patch"\nContent-Disposition: attachment\n\n{BREAKING}'
    else:
        attachment = ("Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
                      + base64.encodebytes(BREAKING.encode()).decode())
    return ("From 1 Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: [PATCH] x\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="BB"\n\n--BB\nContent-Type: text/plain\n\nmessage\n---\n'
            f"{HARMLESS}\n--BB\n{attachment}\n--BB--\n")


@pytest.mark.parametrize("kind", ["text/x-patch", "application/octet-stream"])
def test_a_patch_attached_to_a_mail_is_reviewed(capsys, tmp_path, kind):
    """git am applies every part of a mail (git mailinfo reads them all,
    whatever their type); the review read the text part alone: 0 introduced."""
    import subprocess
    mail = _attached(kind)
    (tmp_path / "mail").write_text(mail)
    with open(tmp_path / "mail") as stdin:
        subprocess.run(["git", "mailinfo", str(tmp_path / "msg"), str(tmp_path / "patch")], stdin=stdin,
                       stdout=subprocess.DEVNULL, check=True)
    assert UNGUARDED in (tmp_path / "patch").read_text()  # what git am applies holds the attachment
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, mail), "--format", "json")
    assert result.code == 1
    assert [f["file"] for f in json.loads(result.out)["findings"]] == ["arch/arm64/Kconfig"]


def test_a_message_git_mailsplit_splits_off_is_decoded(capsys, tmp_path):
    """git mailsplit starts a message at `From x 12:34:56 1999 garbage`
    (mbox.c is_from_line: a time, then a year); review's split did not, read
    the second message's base64 body as text of the first, and found no
    diff in it. git am decodes it and applies BREAKING."""
    import base64
    mbox = ("From 1 Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: [PATCH 1/2] x\n\n---\n" + HARMLESS
            + "From x 12:34:56 1999 garbage\nFrom: a <a@b>\nSubject: [PATCH 2/2] y\nMIME-Version: 1.0\n"
            "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(BREAKING.encode()).decode())
    result = review(capsys, demo(tmp_path), write_patch(tmp_path, mbox), "--format", "json")
    assert result.code == 1
    assert [f["file"] for f in json.loads(result.out)["findings"]] == ["arch/arm64/Kconfig"]


def test_a_commit_message_quoting_a_hunk_header_is_read(capsys, tmp_path):
    mail = ("From: Dev <dev@example.org>\nSubject: [PATCH] init: note\nMessage-ID: <1@example.org>\n\n"
            "The old code was:\n@@ -1,3 +1,3 @@ config FOO\n---\n" + HARMLESS)
    assert review(capsys, demo(tmp_path), write_patch(tmp_path, mail)).code == 0
