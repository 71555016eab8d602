"""The catalogue of real toolchains: the shipped data, and findings that hold
only for a toolchain it does not have (a warning) or for one it has (an
error naming it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kltolint import analysis, catalogue, cli
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from kltolint.tree import Tree
from tests.conftest import TREES

SWEEP = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]
FIXTURE = TREES / "toolchain-catalogue"
# The arches with the whole toolchain set; every other one has gcc-12 (a
# Debian bookworm cross compiler) and/or clang-19 where the kernel builds
# with LLVM=1.
FULL = ("x86", "arm64", "powerpc")
GCC_ONLY = ("alpha", "arc", "m68k", "parisc", "sh", "sparc")
CLANG_ONLY = ("hexagon", "loongarch")
BOTH = ("arm", "mips", "riscv", "s390", "um")
IDENTITY = {"cc-version": {"GCC", "Clang"}, "as-version": {"GNU", "LLVM"}, "ld-version": {"BFD", "LLD"}}


def test_shipped_catalogue_is_well_formed() -> None:
    raw = catalogue.data()
    assert set(raw) == {"about", "covers", "kinds", "releases"}
    releases = raw["releases"]
    assert isinstance(releases, dict) and {"6.12", "7.3"} <= set(releases)
    for release, body in releases.items():
        commands = body["commands"]
        assert len(set(commands)) == len(commands) and all(isinstance(c, str) for c in commands)
        for row in body["toolchains"]:
            assert set(row) == {"name", "arch", "make", "answers"}
            assert len(row["answers"]) == len(commands), (release, row["name"])
            assert all(a is None or isinstance(a, str) for a in row["answers"])
            # probe texts are the tree's, independent of where it was unpacked
            assert not any(c.startswith("/") or "KLTO_PROBE_" in c for c in commands)
    sections = catalogue.sections(raw)
    assert {(s.release, s.arch) for s in sections} >= {(r, a) for r in ("6.12", "7.3")
                                                       for a in ("x86", "arm64", "powerpc")}
    for sec in sections:
        names = [e.name for e in sec.entries]
        assert names and len(names) == len(set(names)), sec
        if sec.arch in FULL:
            assert any("clang-19" in n for n in names) and any(n.startswith("gcc-") for n in names), sec
        # every toolchain of a section answers the same probes
        assert len({frozenset(e.answers) for e in sec.entries}) == 1, (sec.release, sec.arch)


def test_every_arch_with_a_debian_cross_compiler_or_clang_is_covered() -> None:
    sections = {(s.release, s.arch): [e.name for e in s.entries] for s in catalogue.sections(catalogue.data())}
    for release in ("6.12", "7.3"):
        assert {a for r, a in sections if r == release} == {*FULL, *GCC_ONLY, *CLANG_ONLY, *BOTH}
        for arch in GCC_ONLY:
            assert sections[release, arch] == ["gcc-12 + ld.bfd-2.40"], arch
        for arch in CLANG_ONLY:
            assert sections[release, arch] == ["clang-19 + ld.lld-19"], arch
        for arch in BOTH:
            assert sections[release, arch] == ["gcc-12 + ld.bfd-2.40", "clang-19 + ld.lld-19"], arch
    # 6.1's Makefile.clang has no loongarch target: no LLVM build there.
    assert ("6.1", "loongarch") not in sections and sections["6.1", "hexagon"] == ["clang-19 + ld.lld-19"]


def test_catalogue_covers_every_kind_it_claims() -> None:
    raw = catalogue.data()
    claimed = raw["kinds"]
    assert set(claimed) == {"cc-version", "as-version", "ld-version", "cc-option", "as-instr", "ld-option"}
    for sec in catalogue.sections(raw):
        for kind in claimed:
            for entry in sec.entries:
                answered = {c: a for c, a in entry.answers.items() if catalogue.macro(c) == kind}
                assert answered, (sec.release, sec.arch, entry.name, kind)
                if kind in IDENTITY:  # `set -- $(info) && echo $1`: the tool's name
                    names = {a for c, a in answered.items() if c.endswith("echo $1")}
                    assert names and names <= IDENTITY[kind], (entry.name, names)
                    numbers = [a for c, a in answered.items() if c.endswith("echo $2")]
                    assert numbers and all(n.isdigit() for n in numbers), (entry.name, numbers)
                else:  # $(success,...): y or n
                    assert set(answered.values()) <= {"y", "n"}, (entry.name, kind)
        compilers = {e.name.split(" ")[0] for e in sec.entries}
        assert compilers <= set(raw["covers"]["compilers"]), compilers


def test_probe_texts_do_not_depend_on_where_the_tree_is(tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(FIXTURE, moved)
    here = catalogue.canonical(load_arch(Tree(FIXTURE), "x86"))
    there = catalogue.canonical(load_arch(Tree(moved), "x86"))
    assert sorted(here.values()) == sorted(there.values())
    assert "$(srctree)/scripts/cc-version.sh <CC>" in here.values()


def _sweep(tree: Tree) -> dict[str, object]:
    model = load_arch(tree, "x86")
    return {f.message.split()[0]: f for f in analysis.check(model, SWEEP, analysis.Sources(tree))}


def test_a_probe_combination_no_real_toolchain_gives_is_a_warning() -> None:
    # FINEIBT needs kcfi; CALL_PADDING needs -fpatchable-function-entry=16:
    # every catalogued compiler with the first has the second.
    finding = _sweep(Tree(FIXTURE))["FINEIBT"]
    assert finding.severity == "warning"
    assert finding.witness.unknown_toolchain and not finding.witness.toolchain
    text = "\n".join(finding.witness.assumptions)
    assert "probe succeeds: arch/x86/Kconfig" in text and "probe fails: arch/x86/Kconfig" in text
    assert "catalogue does not have" in text


def test_a_probe_combination_a_real_toolchain_gives_is_an_error_naming_it() -> None:
    # clang 16 has kcfi but not its integer normalisation (clang 19 has both).
    finding = _sweep(Tree(FIXTURE))["KCFI_RUST"]
    assert finding.severity == "error"
    assert finding.witness.toolchain == "clang-16 + ld.lld-16"
    assert not finding.witness.unknown_toolchain
    assert any("toolchain: clang-16 + ld.lld-16" in a for a in finding.witness.assumptions)
    assert not any(a.startswith("probe ") for a in finding.witness.assumptions)


def test_without_a_release_the_catalogue_is_not_used(tmp_path: Path) -> None:
    # A tree without a Makefile names no release: probes stay free, as before.
    bare = tmp_path / "bare"
    shutil.copytree(FIXTURE, bare)
    (bare / "Makefile").unlink()
    findings = _sweep(Tree(bare))
    assert {f.severity for f in findings.values()} == {"error"}
    assert not any(f.witness.toolchain or f.witness.unknown_toolchain for f in findings.values())


def test_text_and_json_say_warning(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", "--tree", str(FIXTURE), "--arch", "x86", "--sweep", "--no-cache"]
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert "arch/x86/Kconfig:27: warning: FINEIBT selects CALL_PADDING" in out
    assert "arch/x86/Kconfig:38: error: KCFI_RUST selects KCFI_NORMALIZED" in out
    assert cli.main([*argv, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    severities = {f["message"].split()[0]: (f["severity"], f["witness"]["toolchain"]) for f in doc["findings"]}
    assert severities == {"FINEIBT": ("warning", ""), "KCFI_RUST": ("error", "clang-16 + ld.lld-16")}
