"""The tree: which arches may read a file, and which paths stay inside it."""

from __future__ import annotations

import os

import pytest

from kltolint.errors import UserError
from kltolint.tree import Tree
from tests.conftest import make_tree


def test_um_reads_the_x86_files_and_no_other_arch_reads_another_s(tmp_path):
    tree = Tree(make_tree(tmp_path, {"Kconfig": ""}, ("x86", "um", "arm64")))
    assert tree.arches_reading("arch/x86/um/Kconfig") == ["um", "x86"]
    assert tree.arches_reading("arch/arm64/Kconfig") == ["arm64"]
    assert tree.arches_reading("drivers/Kconfig") == ["arm64", "um", "x86"]


def _linked_tree(tmp_path):
    """A tree with links: a directory inside it, a directory and a file out of it, a loop."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Kconfig").write_text("")
    root = make_tree(tmp_path / "tree", {"Kconfig": "", "drivers/a/Kconfig": "", "drivers/a/b/Kconfig": ""})
    (root / "drivers/inside").symlink_to(root / "drivers/a")
    (root / "drivers/relative").symlink_to("a/b")
    (root / "drivers/out").symlink_to(outside)
    (root / "drivers/a/file-out").symlink_to(outside / "Kconfig")
    (root / "drivers/loop").symlink_to(root / "drivers/loop")
    return root


NAMES = ["Kconfig", "drivers/a/Kconfig", "drivers/a/b/Kconfig", "drivers/inside/Kconfig", "drivers/inside/b/Kconfig",
         "drivers/relative/Kconfig", "drivers/out/Kconfig", "drivers/a/file-out", "drivers/loop/Kconfig",
         "drivers/missing/Kconfig", "drivers/a/../a/Kconfig", "drivers/./a/Kconfig", "drivers//a/Kconfig",
         "drivers/inside/../../Kconfig", "drivers/out/../tree/Kconfig"]


def test_confined_resolves_as_realpath_does_and_refuses_what_leaves_the_tree(tmp_path):
    root = _linked_tree(tmp_path)
    tree = Tree(root)
    for rel in NAMES:
        real = os.path.realpath(os.path.join(root, rel))
        inside = real == str(tree.root) or real.startswith(str(tree.root) + os.sep)
        if inside:
            assert str(tree.confined(rel)) == real, rel
        else:
            with pytest.raises(UserError, match="outside the tree"):
                tree.confined(rel)
    assert str(tree.confined("drivers/inside/b/Kconfig")) == str(root / "drivers/a/b/Kconfig")


def test_confined_resolves_each_directory_once(tmp_path, monkeypatch):
    """A warm run confirms every file a load read (~1,600): a directory's links
    are resolved once per tree, not once for every file below it."""
    root = make_tree(tmp_path, {f"drivers/x/Kconfig.{i}": "" for i in range(50)})
    tree = Tree(root)
    calls = []
    realpath = os.path.realpath
    monkeypatch.setattr(os.path, "realpath", lambda path, *a, **k: calls.append(path) or realpath(path, *a, **k))
    for i in range(50):
        assert tree.confined(f"drivers/x/Kconfig.{i}") == root / f"drivers/x/Kconfig.{i}"
    assert len(calls) <= 3  # the root, drivers, drivers/x at most


def test_stat_is_the_confined_path_s_stat_and_refuses_what_leaves_the_tree(tmp_path):
    root = _linked_tree(tmp_path)
    tree = Tree(root)
    (root / "drivers/a/b/link-in").symlink_to(root / "Kconfig")  # a file link that stays inside
    for rel in [*NAMES, "drivers/a/b/link-in", "drivers/a/b/missing", "/etc/passwd"]:
        try:
            expected: object = tree.confined(rel).stat()
        except (UserError, OSError) as err:
            expected = type(err)
        try:
            got: object = Tree(root).stat(rel)
        except (UserError, OSError) as err:
            got = type(err)
        if isinstance(expected, os.stat_result):
            assert isinstance(got, os.stat_result) and (got.st_ino, got.st_dev) == (expected.st_ino, expected.st_dev), rel
        else:
            assert got is expected, rel
    with pytest.raises(UserError, match="outside the tree"):
        tree.stat("drivers/out/Kconfig")


def test_stat_of_a_plain_file_is_one_lstat(tmp_path, monkeypatch):
    """A saved model confirms ~1,600 files: a file that is no link costs one
    lstat (its directory resolved once), not a Path, an islink and a stat."""
    root = make_tree(tmp_path, {f"drivers/x/Kconfig.{i}": "" for i in range(20)})
    tree = Tree(root)
    tree.stat("drivers/x/Kconfig.0")
    inodes = [(root / f"drivers/x/Kconfig.{i}").stat().st_ino for i in range(20)]
    calls = []
    lstat, stat_ = os.lstat, os.stat
    monkeypatch.setattr(os, "lstat", lambda path, *a, **k: calls.append(path) or lstat(path, *a, **k))
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: calls.append(path) or stat_(path, *a, **k))
    for i in range(1, 20):
        assert tree.stat(f"drivers/x/Kconfig.{i}").st_ino == inodes[i]
    assert len(calls) == 19
