"""The real-kernel tier: Debian's linux-source-6.12, 6.1 and 7.3 (scripts/fetch-kernels).

Line numbers move with Debian's stable updates, so lines are found by text.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from kltolint import analysis
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from kltolint.tree import Tree
from tests.conftest import kernels_dir, line_of, real_tree, run_conf, tree_with
from tests.helpers import cli

pytestmark = pytest.mark.realtree
RULES = [r for r in load_dir(builtin_dir()) if r.enabled]  # what check runs by default
VERSIONS = ("6.12", "6.1", "7.3")


def arches(version: str) -> list[str]:
    path = kernels_dir() / f"linux-source-{version}"
    return Tree(path).arches() if (path / ".complete").exists() else ["(tree missing)"]


@pytest.mark.parametrize("version, arch", [(v, a) for v in VERSIONS for a in arches(v)])
def test_every_arch_loads_and_is_clean(version, arch):
    tree = Tree(real_tree(version))
    model = load_arch(tree, arch)
    assert len(model.symbols) > 3000
    assert analysis.check(model, RULES, analysis.Sources(tree)) == []


GUARDED = "select ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN"
UNGUARDED = "select ARCH_SUPPORTS_LTO_CLANG"


# 7.x marks big-endian arm64 BROKEN; the seed case there needs it buildable
# again, as it was in 6.x (the 6.12 dependency put back).
BROKEN_BIG_ENDIAN = '\tbool "Build big-endian kernel"\n\tdepends on BROKEN\n'
BUILDABLE_BIG_ENDIAN = '\tbool "Build big-endian kernel"\n\tdepends on AS_IS_GNU || AS_VERSION >= 150000\n'


def _arm64_findings(base, tmp_path, changed: str) -> list:
    root = tree_with(base, tmp_path, {"arch/arm64/Kconfig": changed})
    tree = Tree(root)
    return analysis.check(load_arch(tree, "arm64"), RULES, analysis.Sources(tree))


@pytest.mark.conf
@pytest.mark.parametrize("version", VERSIONS)
def test_arm64_without_endian_guard(version, tmp_path):
    base = real_tree(version)
    original = (base / "arch/arm64/Kconfig").read_text()
    changed = original.replace(f"\t{GUARDED}\n", f"\t{UNGUARDED}\n")
    assert changed != original
    if BROKEN_BIG_ENDIAN in original:
        # As the tree is: BROKEN is never set, so no finding without the guard.
        assert _arm64_findings(base, tmp_path / "broken", changed) == []
        changed = changed.replace(BROKEN_BIG_ENDIAN, BUILDABLE_BIG_ENDIAN)
        assert _arm64_findings(base, tmp_path / "guarded", original.replace(
            BROKEN_BIG_ENDIAN, BUILDABLE_BIG_ENDIAN)) == []
    root = tree_with(base, tmp_path, {"arch/arm64/Kconfig": changed})
    tree = Tree(root)
    findings = analysis.check(load_arch(tree, "arm64"), RULES, analysis.Sources(tree))
    line = line_of(changed, UNGUARDED)
    assert findings and all((f.file, f.line) == ("arch/arm64/Kconfig", line) for f in findings)
    assert {f.rule for f in findings} == {"KLTO001"}
    finding = findings[0]
    assert finding.witness.make == "LLVM=1"
    config = run_conf(root, "arm64", finding.witness.make, finding.witness.config, tmp_path / "conf")
    assert config.get("CPU_BIG_ENDIAN") == "y" and config.get("LTO_CLANG") == "y"


@pytest.mark.conf
@pytest.mark.parametrize("version", ["6.12", "7.3"])
def test_lto_without_lld_dependency(version, tmp_path):
    """The second hazard of the LTO review: LTO linked with ld.bfd."""
    base = real_tree(version)
    original = (base / "arch/Kconfig").read_text()
    needle = "depends on CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM"
    changed = original.replace(f"\t{needle}\n", "\tdepends on CC_IS_CLANG && AS_IS_LLVM\n")
    assert changed != original
    root = tree_with(base, tmp_path, {"arch/Kconfig": changed})
    tree = Tree(root)
    findings = analysis.check(load_arch(tree, "arm64"), RULES, analysis.Sources(tree))
    assert [f.rule for f in findings] == ["KLTO002"]
    (finding,) = findings
    assert finding.file == "arch/Kconfig" and finding.target == "HAS_LTO_CLANG"
    assert finding.witness.make == "LLVM=1 LD=ld.bfd"
    config = run_conf(root, "arm64", finding.witness.make, finding.witness.config, tmp_path / "conf")
    assert config.get("LD_IS_BFD") == "y" and config.get("LTO_CLANG") == "y"


@pytest.mark.parametrize("version", ["6.12", "7.3"])
def test_a_select_past_lto_dependencies_is_blamed_at_the_select(version, tmp_path, capsys):
    """An arch's top-level entry selects HAS_LTO_CLANG past its toolchain
    dependencies: every LTO rule that becomes reachable blames that select
    line and guards it there, instead of gating ARM64 itself (thousands of
    symbols) as the add-depends strategies would."""
    base = real_tree(version)
    original = (base / "arch/arm64/Kconfig").read_text()
    top = "config ARM64\n\tdef_bool y\n"
    changed = original.replace(top, top + "\tselect HAS_LTO_CLANG\n", 1)
    assert changed != original
    root = tree_with(base, tmp_path, {"arch/arm64/Kconfig": changed})
    line = line_of(changed, "select HAS_LTO_CLANG")
    code, out, _ = cli(capsys, "check", "--tree", root, "--arch", "arm64", "--rule", "KLTO002",
                       "--rule", "KLTO003", "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1 and {f["rule"] for f in findings} == {"KLTO002", "KLTO003"}
    assert {(f["file"], f["line"]) for f in findings} == {("arch/arm64/Kconfig", line)}
    fixes = {f["rule"]: f["fix"] for f in findings}
    # On 7.3 HAS_LTO_CLANG's forward cone has ~1,750 symbols, as in
    # test_review_linux's seed case: the miter's sweep proves the fix safe.
    assert fixes["KLTO002"]["applicability"] == "safe"
    assert "+\tselect HAS_LTO_CLANG if LD_IS_LLD" in fixes["KLTO002"]["diff"].splitlines()


@pytest.mark.parametrize("arch", ["arm64", "x86", "um"])
def test_blast_radius_read_from_kconfiglib_is_the_converted_models(arch):
    """The index blame and fix verification use, read without converting
    the model, is the one the converted model gives."""
    model = load_arch(Tree(real_tree("6.12")), arch)
    assert analysis.BlastRadius(model).users == analysis.users_of(model)


@pytest.mark.parametrize("arch", ["arm64", "x86", "um", "alpha"])
def test_a_cone_read_name_by_name_is_the_whole_index(arch):
    """A fix's verification asks for one symbol's forward cone, which the
    loader answers name by name from kconfiglib's reverse dependencies
    (load._Users): the same cone as the whole index gives."""
    model = load_arch(Tree(real_tree("6.12")), arch)
    whole = analysis.BlastRadius(dataclasses.replace(model, facts=None))
    lazy = analysis.BlastRadius(model)
    for name in ("HAS_LTO_CLANG", "LD_IS_LLD", "CPU_LITTLE_ENDIAN", "LTO_CLANG", "KASAN", "CFI_CLANG"):
        assert lazy.cone(name) == whole.cone(name), name
