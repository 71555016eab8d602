import json
import time

import pytest

from kltolint import analysis
from kltolint import expr as E
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from tests.conftest import TREES, line_of, make_tree
from tests.helpers import cli, demo_model

RULES = [r for r in load_dir(builtin_dir()) if r.enabled]  # what check runs by default


def check(tree, arch):
    return analysis.check(load_arch(tree, arch), RULES, analysis.Sources(tree))


def test_big_endian_finding_at_the_unguarded_select(fixture_tree):
    tree = fixture_tree("arm64-big-endian/before")
    (finding,) = check(tree, "arm64")
    text = (TREES / "arm64-big-endian/before/arch/arm64/Kconfig").read_text()
    assert (finding.rule, finding.arch, finding.file) == ("KLTO001", "arm64", "arch/arm64/Kconfig")
    assert finding.line == line_of(text, "select ARCH_SUPPORTS_LTO_CLANG")
    # ARM64's `select ARCH_SUPPORTS_LTO_CLANG` is the edit point
    assert (finding.point.kind, finding.point.symbol, finding.point.entry_line) == (
        "select", "ARCH_SUPPORTS_LTO_CLANG", line_of(text, "config ARM64"))
    assert "CONFIG_CPU_BIG_ENDIAN=y" in finding.witness.config
    assert finding.witness.make == "LLVM=1"
    assert finding.guard == "CPU_LITTLE_ENDIAN"
    # the chain runs from LTO to the select line
    assert finding.chain[-1].line == finding.line
    assert any("HAS_LTO_CLANG" in step.text for step in finding.chain)


def test_fixed_tree_and_other_arch_are_clean(fixture_tree):
    assert check(fixture_tree("arm64-big-endian/after"), "arm64") == []
    assert check(fixture_tree("arm64-big-endian/before"), "x86") == []


def test_ld_bfd_finding_at_the_gate_entry(fixture_tree):
    tree = fixture_tree("ld-bfd")
    (finding,) = check(tree, "arm64")
    text = (TREES / "ld-bfd/arch/Kconfig").read_text()
    assert finding.rule == "KLTO002" and finding.file == "arch/Kconfig"
    assert finding.line == line_of(text, "depends on !GCOV_KERNEL")  # last depends of HAS_LTO_CLANG
    assert (finding.point.kind, finding.point.symbol) == ("depends", "HAS_LTO_CLANG")
    assert finding.guard == "LD_IS_LLD"
    assert finding.witness.make == "LLVM=1 LD=ld.bfd"


def test_witness_is_minimal_and_prefers_new_toolchains(fixture_tree):
    (finding,) = check(fixture_tree("arm64-big-endian/before"), "arm64")
    lines = finding.witness.config.splitlines()
    assert lines == ["CONFIG_CPU_BIG_ENDIAN=y", "CONFIG_LTO_CLANG_FULL=y"] or \
        lines == ["CONFIG_CPU_BIG_ENDIAN=y", "CONFIG_LTO_CLANG_THIN=y"]
    # a lower bound on the version and the two llvm probes, no upper bound
    assumptions = finding.witness.assumptions
    assert "clang 15.0 or newer (CLANG_VERSION >= 150000)" in assumptions
    assert sorted(a.split(":")[1:3] for a in assumptions if a.startswith("probe succeeds:")) == [
        [" arch/Kconfig", "23"], [" arch/Kconfig", "24"]]
    assert not any("<" in a for a in assumptions)


def test_rule_on_arch_without_its_symbols_is_silent(fixture_tree):
    tree = fixture_tree("linux-6.18-syntax")  # no AS_IS_LLVM, no LD_IS_BFD
    assert check(tree, "arm64") == []


def _closing_alone(model, rule, guard, done, cand):
    """Does this candidate's edit alone (on top of `done`) close the hole?
    A fresh encoder per candidate: what the switched search must agree with."""
    enc = done.plus(cand, guard).encoder(model)
    with analysis.Query(enc) as query:
        return query.solve([enc.expr(rule.forbid).m]) is None


def test_switched_blame_picks_what_each_candidate_alone_would(fixture_tree, monkeypatch):
    """One incremental solver with every candidate behind a switch finds the
    same closing candidates as trying them one by one, each in its own encoder."""
    seen = []
    real = analysis._blame

    def both(model, rule, guard, done, candidates, blast):
        picked = real(model, rule, guard, done, candidates, blast)
        alone = [c for c in analysis.in_order(model, rule, guard, candidates, blast)
                 if _closing_alone(model, rule, guard, done, c)]
        assert set(picked) == set(alone)
        seen.append(picked)
        return picked

    monkeypatch.setattr(analysis, "_blame", both)
    for name, arch in (("arm64-big-endian/before", "arm64"), ("ld-bfd", "arm64"), ("select-with-condition", "arm64")):
        check(fixture_tree(name), arch)
    assert len(seen) >= 3 and all(seen)


def test_every_rule_kind_has_its_registry_entry():
    """rules.KINDS (what a pack may name) and analysis.RULE_KINDS (what is
    checked) are the same set: a kind without an entry would load and never run."""
    from kltolint.rules import KINDS

    assert set(analysis.RULE_KINDS) == set(KINDS)
    for name, kind in analysis.RULE_KINDS.items():
        assert kind.name == name and kind.fix in ("sometimes", "never")
        assert kind.flag in ("", "--sweep", "--dead", "--redundant")


LTO_RULES = [r for r in load_dir(builtin_dir()) if r.id.startswith("KLTO")]
SELECTOR = '\nconfig WANTS_LTO\n\tbool "a driver that wants LTO"\n\tselect {subject}\n'


@pytest.mark.parametrize("rule", LTO_RULES, ids=lambda r: r.id)
def test_a_select_past_its_targets_dependencies_is_the_blamed_line(tmp_path, capsys, rule):
    """Blame like a maintainer: an entry that selects the rule's subject past
    the subject's own dependencies is where the combination gets through, so
    its select line is blamed and guarded, whatever strategy the rule lists
    (most LTO rules say add-depends, which would gate WANTS_LTO instead)."""
    kconfig = rule.valid[0] + SELECTOR.format(subject=rule.subject)
    root = make_tree(tmp_path, {"Kconfig": kconfig})
    code, out, _ = cli(capsys, "check", "--tree", root, "--rule", rule.id, "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["line"] == line_of(kconfig, f"select {rule.subject}")
    assert finding["fix"]["applicability"] == "safe"
    guards = {f"+\tselect {rule.subject} if {E.to_str(g)}" for g in rule.fix.guards}
    assert guards & set(finding["fix"]["diff"].splitlines())


def test_the_registry_says_which_kinds_take_the_packs_fix_strategy():
    """rules.STRATEGY_KINDS (read where the solver is not loaded: a cache hit)
    is what the registry says; only forbid rules use their pack's fix."""
    from kltolint.rules import STRATEGY_KINDS

    assert {name for name, kind in analysis.RULE_KINDS.items() if kind.takes_strategy} == set(STRATEGY_KINDS)
    assert set(STRATEGY_KINDS) == {"forbid"}


def test_the_registry_says_how_each_kind_fixes():
    """The fixer asks the registry, not the kind's name: which kinds' fixes
    come from the tree (verified on request) and which kind proves its fixes
    its own way (KRED: nothing may change) instead of by a forbidden region."""
    from kltolint import redundant

    kinds = analysis.RULE_KINDS
    assert {name for name, kind in kinds.items() if kind.fix_from_tree} == {"unmet-select", "redundant-toolchain"}
    assert {name: kind.reproven for name, kind in kinds.items() if kind.reproven} == {
        "redundant-toolchain": redundant.reproven}


def test_ordered_cone_puts_each_symbol_after_what_it_reads(tmp_path):
    # A -> B -> {C <-> D}: the cycle is entered at its first name, E after it.
    model = demo_model(tmp_path, """\
config A
	bool "a"
config B
	bool "b"
	depends on A
config D
	bool "d"
	depends on C
config C
	bool "c"
	depends on B && D
config E
	bool "e"
	depends on D
""")
    assert analysis.BlastRadius(model).ordered_cone("A") == ["A", "B", "C", "D", "E"]
    assert analysis.BlastRadius(model).ordered_cone("D") == ["D", "C", "E"]  # from the changed symbol


def test_ordered_cone_of_many_cycles_is_not_quadratic(tmp_path):
    # 6,000 two-symbol cycles under one root: entering each cycle by a scan
    # of the whole cone took ~5 s here; a walk of the sorted cone, ~0.05 s.
    pairs = 6000
    text = 'config ROOT\n\tbool "root"\n' + "".join(
        f'config A{i}\n\tbool "a"\n\tdepends on ROOT && B{i}\nconfig B{i}\n\tbool "b"\n\tdepends on A{i}\n'
        for i in range(pairs))
    radius = analysis.BlastRadius(demo_model(tmp_path, text))
    radius.size("ROOT")  # the cone itself, walked before the clock starts
    started = time.perf_counter()
    order = radius.ordered_cone("ROOT")
    elapsed = time.perf_counter() - started
    assert order[0] == "ROOT" and len(order) == 2 * pairs + 1
    assert all(order.index(f"A{i}") < order.index(f"B{i}") for i in (0, 17, pairs - 1))
    assert elapsed < 1.5, f"ordered_cone took {elapsed:.2f} s"
