"""A review verifies the fixes of what a patch introduces where it loaded
each arch after the patch: no arch is loaded a third time, and the verdicts
are the ones verifying after the pass gives."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kltolint import load, review
from tests.conftest import TREES, format_patch
from tests.test_review import review as run_review

GUARDED = "\tdepends on CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM\n"
DROPPED = "\tdepends on CC_IS_CLANG && AS_IS_LLVM\n"
# Three arches without LTO around ld-bfd's two with it, and one (cc) with it
# where the fix of HAS_LTO_CLANG changes what a user can set.
ARCHES = {
    "aa": "config AA\n\tdef_bool y\n",
    "cc": "config CC\n\tdef_bool y\n\tselect ARCH_SUPPORTS_LTO_CLANG\n\n"
          "config CC_FEATURE\n\tbool \"a feature that needs LTO support\"\n\tdepends on HAS_LTO_CLANG\n",
    "mm": "config MM\n\tdef_bool y\n",
    "zz": "config ZZ\n\tdef_bool y\n",
}


def _tree(tmp_path: Path, arches: dict[str, str]) -> tuple[Path, str]:
    """ld-bfd before its guard was dropped, with more arches; the patch dropping it."""
    root = tmp_path / "tree"
    shutil.copytree(TREES / "ld-bfd", root)
    after = (root / "arch/Kconfig").read_text()
    assert after.count(DROPPED) == 1
    before = after.replace(DROPPED, GUARDED)
    (root / "arch/Kconfig").write_text(before)
    for arch, text in arches.items():
        (root / "arch" / arch).mkdir()
        (root / "arch" / arch / "Kconfig").write_text(text)
    return root, format_patch(tmp_path / "p", "arch/Kconfig", before, after, "arch: LTO links with ld.bfd too")


def _reviewed(capsys, tmp_path: Path, monkeypatch, root: Path, mail: str, cpus: int,
              *extra: str) -> tuple[int, dict, list[str]]:
    """The review's JSON with `cpus` cores, and every load (`arch patched?`), workers' included."""
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    log = tmp_path / f"loads-{cpus}.log"
    log.write_text("")
    loader = load.Loader.load

    def counted(self, tree, arch):
        with log.open("a") as out:  # appended by whichever process loads (workers are forked)
            out.write(f"{arch} {bool(tree.overlay)}\n")
        return loader(self, tree, arch)

    monkeypatch.setattr(load.Loader, "load", counted)
    work = tmp_path / f"work-{cpus}"
    work.mkdir()
    code, out, _ = run_review(capsys, mail, work, "--format", "json", *extra, tree=root)
    return code, json.loads(out), sorted(log.read_text().splitlines())


def test_no_arch_is_loaded_a_third_time_to_verify_a_fix(capsys, tmp_path, monkeypatch):
    """Every arch that reads arch/Kconfig is loaded once before the patch
    and once after it, fixes verified included (it was three times: the
    verification loaded each arch after the patch again)."""
    plain = {arch: text for arch, text in ARCHES.items() if arch != "cc"}
    root, mail = _tree(tmp_path, plain)
    code, doc, loads = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 2)
    assert code == 1 and {f["arch"] for f in doc["findings"]} == {"arm64", "x86"}
    assert {f["fix"]["applicability"] for f in doc["findings"]} == {"safe"}
    # arm64 and x86 support LTO; on aa, mm and zz HAS_LTO_CLANG can never be
    # on: the patch changes nothing there, proven from the text, no load.
    assert loads == sorted(f"{arch} {patched}" for arch in ("arm64", "x86") for patched in (False, True))
    # Without that proof each arch is loaded twice, and the verdicts are the same.
    monkeypatch.setattr(review, "proven_unchanged", lambda *_: set())
    (tmp_path / "loaded").mkdir()
    again = _reviewed(capsys, tmp_path / "loaded", monkeypatch, root, mail, 2)
    assert again[:2] == (code, doc)
    assert again[2] == sorted(
        f"{arch} {patched}" for arch in sorted([*plain, "arm64", "x86"]) for patched in (False, True))


def test_the_verdicts_are_those_of_verifying_after_the_pass(capsys, tmp_path, monkeypatch):
    """With one core nothing runs in workers: every fix is verified after
    the pass, as before. The verdicts are the same, cc's part of the fix
    found on arm64 included: HAS_LTO_CLANG's new `depends on` would change
    CC_FEATURE on cc, so the fix taken is the next edit point's, in
    init/Kconfig (without cc it is the one in arch/Kconfig, above)."""
    root, mail = _tree(tmp_path, ARCHES)
    one = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 1)
    two = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 2)
    assert one[:2] == two[:2]
    fixes = {f["arch"]: f["fix"] for f in two[1]["findings"]}
    assert fixes["arm64"]["applicability"] == "safe" and fixes["arm64"]["diff"].startswith("--- a/init/Kconfig")


def test_what_the_pass_did_not_verify_is_verified_after_it(capsys, tmp_path, monkeypatch):
    """Arches checked in the wrong order (every arch taken as one where the
    patch cannot matter, in reverse): the fixes found late are verified
    after the pass, loading the arches that missed them; the verdicts are
    the same."""
    root, mail = _tree(tmp_path, ARCHES)
    expected = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 1)
    monkeypatch.setattr(review, "may_be_on", lambda *_args: False)
    monkeypatch.setattr(review._InPass, "rank", lambda self, arch: -ord(arch[0]))
    code, doc, loads = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 2)
    assert (code, doc) == expected[:2]
    assert len(loads) > 2 * 6  # some arches were loaded again


@pytest.mark.parametrize("cpus", [1, 2])
def test_a_patch_without_a_finding_verifies_nothing(capsys, tmp_path, monkeypatch, cpus):
    root, _ = _tree(tmp_path, {"aa": ARCHES["aa"]})
    text = (root / "arch/Kconfig").read_text()
    same = format_patch(tmp_path / "q", "arch/Kconfig", text, text + "# a comment\n", "arch: a comment")
    code, doc, loads = _reviewed(capsys, tmp_path, monkeypatch, root, same, cpus)
    assert code == 0 and doc["findings"] == []
    # A comment changes nothing anywhere: one arch parses the patched tree.
    assert loads == ["aa False", "aa True"]


def test_may_be_on_proves_an_entry_off_only_where_nothing_can_turn_it_on(tmp_path):
    """The order of the after-checks: HAS_LTO_CLANG is off on an arch that
    selects no ARCH_SUPPORTS_LTO_CLANG, and may be on where one does."""
    from kltolint.load import LASTING
    from kltolint.tree import Tree

    root, _ = _tree(tmp_path, ARCHES)
    tree = Tree(root)
    assert {arch: review.may_be_on(LASTING(tree, arch), "HAS_LTO_CLANG", {}) for arch in ("aa", "arm64", "cc")} == {
        "aa": False, "arm64": True, "cc": True}
    assert review.may_be_on(LASTING(tree, "aa"), "NO_SUCH_SYMBOL", {}) is False


def test_the_sweeps_fixes_are_verified_in_the_pass_too(capsys, tmp_path, monkeypatch):
    """A select past its target's dependencies added to a file every arch
    reads: the sweep's finding on each arch, its fix verified where the
    arch is loaded after the patch (no third load), as verifying after the
    pass does."""
    from tests.test_review_sweep import ADD_SELECT, BASE
    from tests.conftest import make_tree

    root = make_tree(tmp_path / "tree", {"Kconfig": BASE}, arches=("a", "b", "c"))
    mail = format_patch(tmp_path / "p", "Kconfig", BASE, ADD_SELECT, "select HELPER")
    one = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 1)
    code, doc, loads = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 2)
    assert (code, doc) == one[:2]
    assert code == 1 and sorted((f["rule"], f["arch"]) for f in doc["findings"]) == [
        ("KSEL001", "a"), ("KSEL001", "b"), ("KSEL001", "c")]
    assert {f["fix"]["applicability"] for f in doc["findings"]} == {"safe"}
    assert loads == sorted(f"{arch} {patched}" for arch in "abc" for patched in (False, True))


@pytest.mark.timeout(120)
def test_a_patch_that_breaks_a_shared_file_is_one_error_from_the_workers(capsys, tmp_path, monkeypatch):
    """Every arch fails to load after the patch, in the workers: one line,
    exit 2, and the review ends (no worker left waiting)."""
    root, _ = _tree(tmp_path, ARCHES)
    text = (root / "arch/Kconfig").read_text()
    broken = format_patch(tmp_path / "q", "arch/Kconfig", text, text + "config\n", "arch: broken")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    code, out, err = run_review(capsys, broken, tmp_path, tree=root)
    assert code == 2 and out == "" and err.count("\n") == 1 and "arch/Kconfig" in err


def test_no_text_proofs_loads_every_arch_and_says_the_same(capsys, tmp_path, monkeypatch):
    """`--no-text-proofs`: the arches the text proves unchanged are loaded
    and checked after all, twice each, with the same verdicts."""
    plain = {arch: text for arch, text in ARCHES.items() if arch != "cc"}
    root, mail = _tree(tmp_path, plain)
    code, doc, loads = _reviewed(capsys, tmp_path, monkeypatch, root, mail, 2)
    assert {line.split()[0] for line in loads} == {"arm64", "x86"}
    (tmp_path / "plain").mkdir()
    again = _reviewed(capsys, tmp_path / "plain", monkeypatch, root, mail, 2, "--no-text-proofs")
    assert again[:2] == (code, doc)
    assert again[2] == sorted(f"{arch} {patched}" for arch in sorted([*plain, "arm64", "x86"])
                              for patched in (False, True))
