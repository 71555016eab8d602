import pytest

from kltolint.errors import UserError
from kltolint.patch import PatchError, apply, parse, parse_diff
from kltolint.tree import Tree
from tests.conftest import format_patch, make_tree

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
    patch = parse_diff("--- a/Kconfig\n+++ b/Kconfig\n@@ -1,2 +1,2 @@\n config A\n-\tbool\n+\ttristate\n")
    from kltolint.patch import Patch
    tree = Tree(make_tree(tmp_path, {"Kconfig": "# moved down\n\nconfig A\n\tbool\n"}))
    assert apply(tree, Patch("", "", tuple(patch)))["Kconfig"] == "# moved down\n\nconfig A\n\ttristate\n"
