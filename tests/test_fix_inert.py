"""A fix's verification on an arch where the edit changes no value and
nothing is found: the arch is not re-checked, and the verdict is the same."""

from __future__ import annotations

import json
import os

import pytest

from kltolint import analysis, fix, inert, load, review
from kltolint.cli import main
from kltolint.tree import Tree
from tests.conftest import TREES, format_patch, tree_with
from tests.helpers import same_reads

BROKEN = (TREES / "ld-bfd" / "arch/Kconfig").read_text()
FIXED = BROKEN.replace("\tdepends on CC_IS_CLANG && AS_IS_LLVM\n", "\tdepends on CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM\n")
ALPHA = "config ALPHA\n\tdef_bool y\n"  # reads arch/Kconfig, supports no LTO: the fix is inert there


def tree(tmp_path, changes=None):
    """The ld.bfd fixture (arm64, x86) plus alpha."""
    root = tree_with(TREES / "ld-bfd", tmp_path, changes or {})
    (root / "arch/alpha").mkdir()
    (root / "arch/alpha/Kconfig").write_text(ALPHA)
    return root


@pytest.fixture
def rechecks(monkeypatch):
    """The arches the verification re-checks (one process: no workers),
    each loaded: the proof from the text (`proven_unchanged`, tested below)
    is off."""
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    monkeypatch.setattr(fix.Verification, "proven_unchanged", lambda *_: None)
    monkeypatch.setattr(review, "proven_unchanged", lambda *_: set())
    seen: list[str] = []
    check = analysis.check

    def recording(model, rules, sources, stats=None, scope=None):
        if scope is not None:
            seen.append(model.arch)
        return check(model, rules, sources, stats, scope)

    monkeypatch.setattr(analysis, "check", recording)
    return seen


def run(capsys, *argv: str) -> dict:
    assert main([*argv, "--format", "json"]) == 1
    return json.loads(capsys.readouterr().out)


def test_review_does_not_recheck_an_arch_the_fix_leaves_alone(capsys, tmp_path, monkeypatch, rechecks):
    assert FIXED != BROKEN
    root = tree(tmp_path, {"arch/Kconfig": FIXED})
    patch = tmp_path / "p.patch"
    patch.write_text(format_patch(tmp_path / "git", "arch/Kconfig", FIXED, BROKEN, "drop LD_IS_LLD"))
    found = run(capsys, "review", "--tree", str(root), "-q", str(patch))
    assert {f["arch"] for f in found["findings"]} == {"arm64", "x86"}
    assert {f["fix"]["applicability"] for f in found["findings"]} == {"safe"}
    assert "alpha" not in rechecks and {"arm64", "x86"} <= set(rechecks)
    # The same verdicts with the re-check done.
    monkeypatch.setattr(fix.Verification, "_inert", lambda *_: None)
    rechecks.clear()
    assert run(capsys, "review", "--tree", str(root), "-q", str(patch)) == found
    assert "alpha" in rechecks


def test_check_of_every_arch_does_not_recheck_it_either(capsys, tmp_path, monkeypatch, rechecks):
    root = tree(tmp_path)
    found = run(capsys, "check", "--tree", str(root), "-q", "--no-cache")
    assert found["findings"][0]["fix"]["applicability"] == "safe"
    assert "alpha" not in rechecks
    monkeypatch.setattr(fix.Verification, "_inert", lambda *_: None)
    rechecks.clear()
    assert run(capsys, "check", "--tree", str(root), "-q", "--no-cache") == found
    assert "alpha" in rechecks


def test_check_of_one_arch_rechecks_the_others(capsys, tmp_path, rechecks):
    """Their findings are not at hand: whether the edit reaches a forbidden
    combination there is asked of the solver, as before."""
    root = tree(tmp_path)
    run(capsys, "check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64")
    assert "alpha" in rechecks



# -- proven from the text, without a load (inert.py) --------------------------------------


@pytest.fixture
def loads(monkeypatch):
    """The arches loaded (one process: no workers)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    seen: list[str] = []
    real = load.Loader.load

    def recording(self, tree, arch):
        seen.append(arch)
        return real(self, tree, arch)

    monkeypatch.setattr(load.Loader, "load", recording)
    return seen


def test_an_arch_that_can_never_turn_the_entry_on_is_not_loaded(capsys, tmp_path, monkeypatch, loads):
    root = tree(tmp_path)
    found = run(capsys, "check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64")
    assert found["findings"][0]["fix"]["applicability"] == "safe"
    assert "alpha" not in loads and "x86" in loads  # x86 supports LTO: verified on its load
    # The same verdict with alpha loaded and verified.
    monkeypatch.setattr(fix.Verification, "proven_unchanged", lambda *_: None)
    loads.clear()
    assert run(capsys, "check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64") == found
    assert "alpha" in loads


def test_a_guard_that_reads_the_entry_back_is_verified_on_a_load(capsys, tmp_path, loads):
    """On alpha the fix's guard LD_IS_LLD reads HAS_LTO_CLANG: the added
    `depends on` could close a loop there, so the text proves nothing and
    alpha is loaded (kconfiglib's loop check is the judge)."""
    root = tree(tmp_path)
    (root / "arch/alpha/Kconfig").write_text(ALPHA + "config LD_IS_LLD\n\tdef_bool HAS_LTO_CLANG\n")
    main(["check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64", "--format", "json"])
    capsys.readouterr()
    assert "alpha" in loads


def test_walk_finds_what_a_load_reads_and_the_entry_off_where_no_select_turns_it_on(tmp_path):
    root = tree(tmp_path)
    tree_ = Tree(root)
    for arch, lto in (("alpha", False), ("arm64", True), ("x86", True)):
        walked = inert.walk(tree_, arch)
        assert walked is not None
        assert same_reads(walked.record) == same_reads(load.LASTING.load(tree_, arch).record)
        assert inert.Facts(walked).may_be_on("HAS_LTO_CLANG") is lto


def test_no_text_proofs_verifies_the_fix_on_every_arch_by_loading_it(capsys, tmp_path, loads):
    root = tree(tmp_path)
    found = run(capsys, "check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64")
    assert "alpha" not in loads
    loads.clear()
    argv = ("check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64", "--no-text-proofs")
    assert run(capsys, *argv) == found
    assert "alpha" in loads
