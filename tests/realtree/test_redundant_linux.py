"""KRED001 on linux-source-7.3 (gcc >= 8.1, LLVM >= 17.0.1, binutils >= 2.30):
real tautologies, each re-proven on the tree with it deleted (the fixer's
verification: reload, re-check, miter with the floors), and the conditions
that are not always true left alone."""

from __future__ import annotations

import json

import pytest

from kltolint.cli import main
from tests.conftest import real_tree

pytestmark = [pytest.mark.realtree]


def check(capsys, root, *args):
    code = main(["check", "--tree", str(root), "--rule", "KRED001", "--no-cache", "-q", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)["findings"]


def test_arm_rpc_gcc_floor_below_the_minimum(capsys):
    root = real_tree("7.3")
    code, found = check(capsys, root, "--arch", "arm", "--fixes")
    rpc = [f for f in found if f["file"] == "arch/arm/mach-rpc/Kconfig"]
    assert code == 1 and len(rpc) == 1
    (f,) = rpc
    line = (root / f["file"]).read_text().splitlines()[f["line"] - 1].strip()
    assert line == "depends on !CC_IS_CLANG && GCC_VERSION < 90100 && GCC_VERSION >= 60000"
    assert "`GCC_VERSION >= 60000` is always true" in f["message"]
    # re-proven on the tree with the term deleted, and the term only
    assert f["fix"]["applicability"] == "safe"
    assert "+\tdepends on !CC_IS_CLANG && GCC_VERSION < 90100\n" in f["fix"]["diff"]
    assert all(g["fix"]["applicability"] == "safe" for g in found), [g["message"] for g in found]


def test_conditions_that_are_not_always_true_are_left_alone(capsys):
    root = real_tree("7.3")
    _, found = check(capsys, root, "--arch", "arm64", "--fixes")
    texts = {(root / f["file"]).read_text().splitlines()[f["line"] - 1].strip() for f in found}
    # made redundant by a later `depends on !CC_IS_GCC` of the same entry: the
    # line goes with the comment that explained it, re-proven on the edited tree
    (bti,) = [f for f in found if f["message"].startswith("ARM64_BTI_KERNEL:")]
    assert bti["fix"]["applicability"] == "safe"
    assert "-\t# https://gcc.gnu.org/bugzilla/show_bug.cgi?id=94697\n" in bti["fix"]["diff"]
    assert "-\tdepends on !CC_IS_GCC || GCC_VERSION >= 100100\n" in bti["fix"]["diff"]
    # above the gcc floor (8.5 > 8.1), and GNU ld 2.36 above binutils 2.30
    assert "default y if CC_IS_GCC && (GCC_VERSION >=  80500) && (GCC_VERSION <  90000)" not in texts
    assert "depends on AS_IS_GNU || (AS_IS_LLVM && (LD_IS_LLD || LD_VERSION >= 23600))" not in texts


def test_the_6_12_floor_is_per_tree(capsys):
    # the same kind of line is not redundant under 6.12's gcc 5.1 floor
    root = real_tree("6.12")
    _, found = check(capsys, root, "--arch", "arm")
    assert not [f for f in found if f["file"] == "arch/arm/mach-rpc/Kconfig"]
