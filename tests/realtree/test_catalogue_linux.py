"""The toolchain catalogue on the real trees: the select-sweep findings that
need probe answers no catalogued compiler gives together are warnings, every
other finding on a catalogued arch stays an error and names a real toolchain
when it needs one, and no finding is lost to the catalogue."""

from __future__ import annotations

from functools import cache

import pytest

from kltolint import analysis, catalogue
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from kltolint.tree import Tree
from tests.conftest import real_tree

pytestmark = pytest.mark.realtree
SWEEP = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]

# (selector, selectee) of the findings no catalogued toolchain reaches:
# FINEIBT needs kcfi without -fpatchable-function-entry, PPC_KERNEL_PCREL
# -mpcrel without -mprefixed (issue 14: conf agrees with no real compiler).
# ARM -> TIMER_OF needs ARCH_RPC, which only gcc 6.0 to 9.0 build: a real
# compiler, but not one the catalogue has (bookworm's is gcc-12).
WARNINGS = {
    ("6.12", "x86"): {("FINEIBT", "CALL_PADDING")},
    ("6.12", "powerpc"): {("PPC_KERNEL_PCREL", "PPC_KERNEL_PREFIXED")},
    ("6.12", "arm"): {("ARM", "TIMER_OF")},
    ("7.3", "x86"): {("FINEIBT", "CALL_PADDING")},
    ("7.3", "powerpc"): {("PPC_KERNEL_PCREL", "PPC_KERNEL_PREFIXED")},
    ("7.3", "arm"): {("ARM", "TIMER_OF")},
}
# The whole toolchain set on three arches; a sample of the others: arm
# (gcc-12 and clang-19), sh (gcc-12 only), hexagon (clang-19 only), riscv.
CASES = [(v, a) for v in ("6.12", "7.3") for a in ("x86", "arm64", "powerpc", "arm")]
CASES += [("6.12", "sh"), ("6.12", "hexagon"), ("7.3", "riscv")]


@cache
def sweep(version: str, arch: str) -> tuple:
    tree = Tree(real_tree(version))
    return tuple(analysis.check(load_arch(tree, arch), SWEEP, analysis.Sources(tree)))


def pair(finding) -> tuple[str, str]:
    words = finding.message.split()
    return words[0], words[2].rstrip(",")


@pytest.mark.parametrize("version, arch", CASES)
def test_only_impossible_probe_combinations_are_warnings(version, arch):
    findings = sweep(version, arch)
    warned = {pair(f) for f in findings if f.severity == "warning"}
    assert warned == WARNINGS.get((version, arch), set())
    assert len(findings) > len(warned)  # the confirmed findings are still there, as errors
    for finding in findings:
        if finding.severity == "warning":
            assert finding.witness.unknown_toolchain and not finding.witness.toolchain
            if pair(finding) == ("ARM", "TIMER_OF"):  # a gcc version window, not a probe
                assert any("GCC_VERSION >= 60000 and < 90100" in a for a in finding.witness.assumptions)
            else:
                assert any(a.startswith("probe fails:") for a in finding.witness.assumptions)
            assert any("catalogue does not have" in a for a in finding.witness.assumptions)
        else:
            # an error needs no toolchain, or names the real one it holds with
            assert not finding.witness.unknown_toolchain
            assert bool(finding.witness.toolchain) == bool(finding.witness.make), finding
            assert not any(a.startswith("probe ") for a in finding.witness.assumptions)


def test_the_catalogue_changes_severities_only(monkeypatch):
    # arm on 6.12: one finding becomes a warning, one error names gcc-12;
    # without the catalogue the same findings are there, all errors.
    findings = sweep("6.12", "arm")
    monkeypatch.setattr(catalogue, "section", lambda model: None)
    tree = Tree(real_tree("6.12"))
    bare = analysis.check(load_arch(tree, "arm"), SWEEP, analysis.Sources(tree))
    assert {f.severity for f in bare} == {"error"}
    assert not any(f.witness.toolchain or f.witness.unknown_toolchain for f in bare)
    assert sorted((f.file, f.line, f.message) for f in bare) == sorted((f.file, f.line, f.message) for f in findings)
    assert {f.severity for f in findings} == {"error", "warning"}
    (named,) = [f for f in findings if f.witness.toolchain]
    assert pair(named) == ("WIREGUARD", "CRYPTO_CURVE25519_NEON") and named.witness.toolchain == "gcc-12 + ld.bfd-2.40"


def test_pcrel_warning_spells_out_the_compiler_it_needs():
    (finding,) = [f for f in sweep("6.12", "powerpc") if pair(f) == ("PPC_KERNEL_PCREL", "PPC_KERNEL_PREFIXED")]
    text = "\n".join(finding.witness.assumptions)
    assert "probe fails: arch/powerpc/Kconfig" in text and "-mprefixed" in text
    assert "probe succeeds: arch/powerpc/Kconfig" in text and "-mpcrel" in text


def test_a_toolchain_dependent_error_names_a_catalogued_toolchain():
    # ISCSI_TARGET -> CRYPTO_CRC32C_INTEL is unmet through KMSAN, which needs clang.
    (finding,) = [f for f in sweep("6.12", "x86") if pair(f) == ("ISCSI_TARGET", "CRYPTO_CRC32C_INTEL")]
    assert finding.severity == "error"
    assert finding.witness.toolchain == "clang-19 + ld.lld-19" and finding.witness.make == "LLVM=1"


UNCOVERED = ("csky", "microblaze", "nios2", "openrisc", "xtensa")  # no Debian cross compiler, no LLVM=1 build


@pytest.mark.parametrize("version", ["6.12", "7.3"])
def test_no_finding_on_an_uncovered_arch_needs_a_probe_answer(version):
    """Where no catalogue constrains the probes, a finding that needed probe
    answers could need a set no real compiler gives; on today's trees none
    does, so every error there holds for any toolchain of the arch."""
    for arch in UNCOVERED:
        assert catalogue.section(load_arch(Tree(real_tree(version)), arch)) is None
        for finding in sweep(version, arch):
            assert not any(a.startswith("probe ") for a in finding.witness.assumptions), (arch, finding.message)
