"""`--fix` against races, odd files and failures (report F10-F13, F21, F24, F25)."""

from __future__ import annotations

import errno
import os
import tempfile

import pytest

from kltolint.tree import Tree
from tests.adversarial.conftest import DEMO, UNGUARDED, demo, run

FIXED = (DEMO / "after/arch/arm64/Kconfig").read_text()
EDITED = "\tselect ARCH_SUPPORTS_LTO_CLANG if !CPU_BIG_ENDIAN\n"


def fix(capsys, path, *extra):
    return run(capsys, "check", "--fix", "--no-cache", *extra, str(path))


def leftovers(tree):
    return [p for p in tree.rglob("*") if p.name.endswith(".kltolint")]


def test_edit_between_load_and_second_read_is_refused(capsys, tmp_path, monkeypatch):
    path = demo(tmp_path, "before") / "arch/arm64/Kconfig"
    reads = []
    real = Tree.read_identified  # every read of a tree file goes through it

    def read(self, rel):
        if rel == "arch/arm64/Kconfig":
            reads.append(rel)
            if len(reads) == 2:  # the lossless layer's read: someone edits first
                path.write_text(path.read_text().replace(UNGUARDED, EDITED))
        return real(self, rel)
    monkeypatch.setattr(Tree, "read_identified", read)
    result = fix(capsys, path)
    assert result.code == 2 and "changed on disk" in result.error
    assert EDITED in path.read_text() and "&&" not in path.read_text()


def test_edit_during_fsync_is_not_lost(capsys, tmp_path, monkeypatch):
    path = demo(tmp_path, "before") / "arch/arm64/Kconfig"
    real = os.fsync

    def fsync(fd):
        real(fd)
        with open(path, "a") as handle:
            handle.write("# concurrent edit\n")
    monkeypatch.setattr(os, "fsync", fsync)
    result = fix(capsys, path)
    assert result.code == 2 and "changed on disk" in result.error
    assert path.read_text().endswith("# concurrent edit\n") and not leftovers(path.parent)


def test_unwritable_directory_is_one_line(capsys, tmp_path, monkeypatch):
    path = demo(tmp_path, "before") / "arch/arm64/Kconfig"
    before = path.read_text()

    def mkstemp(*_a, **_k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    result = fix(capsys, path)
    assert result.code == 2 and "Read-only file system" in result.error and path.read_text() == before


def test_interrupt_while_writing_leaves_no_temporary_file(capsys, tmp_path, monkeypatch):
    path = demo(tmp_path, "before") / "arch/arm64/Kconfig"
    before = path.read_text()

    def fsync(_fd):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "fsync", fsync)
    assert fix(capsys, path).code == 130
    assert path.read_text() == before and not leftovers(path.parent)


def test_owner_mode_and_xattrs_are_kept(capsys, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file away")
    path = demo(tmp_path, "before") / "arch/arm64/Kconfig"
    os.chown(path, 1234, 5678)
    os.chmod(path, 0o2640)
    try:
        os.setxattr(path, "user.note", b"keep me")
        xattr = True
    except OSError:
        xattr = False
    assert fix(capsys, path).code == 0
    st = path.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 5678, 0o2640)
    assert path.read_text() == FIXED
    if xattr:
        assert os.getxattr(path, "user.note") == b"keep me"


def test_fix_through_an_in_tree_symlink(capsys, tmp_path):
    tree = demo(tmp_path, "before")
    link = tree / "arch/arm64/Kconfig"
    link.rename(tree / "arch/arm64/Kconfig.real")
    link.symlink_to("Kconfig.real")
    assert fix(capsys, link).code == 0
    assert link.is_symlink() and (tree / "arch/arm64/Kconfig.real").read_text() == FIXED


def test_arch_kconfig_linking_outside_says_so(capsys, tmp_path):
    tree = demo(tmp_path, "before")
    outside = tmp_path / "outside-Kconfig"
    (tree / "arch/arm64/Kconfig").rename(outside)
    (tree / "arch/arm64/Kconfig").symlink_to(outside)
    result = run(capsys, "check", "--fix", "--no-cache", "--tree", str(tree), "--arch", "arm64")
    assert result.code == 2 and "outside the tree" in result.error and "unknown arch" not in result.error
    assert outside.read_text() == (DEMO / "before/arch/arm64/Kconfig").read_text()


def test_concurrent_fixes_never_merge(tmp_path):
    """Two `--fix` processes on one file: one fixes, the other refuses or finds nothing to do."""
    import subprocess
    import sys

    from tests.adversarial.conftest import ROOT

    for round_ in range(3):
        path = demo(tmp_path, "before", f"tree{round_}") / "arch/arm64/Kconfig"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [subprocess.Popen([sys.executable, "-m", "kltolint", "--fix", "--no-cache", str(path)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        codes = [p.wait(timeout=120) for p in procs]
        errs = [p.stderr.read().decode() for p in procs]
        assert all(c in (0, 2) for c in codes) and not any("Traceback" in e for e in errs), (codes, errs)
        assert path.read_text() == FIXED
