"""The engine's decisions, asserted on their structured results: each test
here kills a one-line mutant of logic, analysis, fix, sweep or witness that
the rest of the fast suite let through (bench/mutants.py; docs/mutation.md
names the mutant each test is for)."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path

import pytest

import kltolint.logic
from kltolint import analysis, fix
from kltolint.findings import Edit, EditPoint, Finding
from kltolint.load import load_arch
from kltolint.logic.solve import Glucose
from kltolint.rules import Rule, builtin_dir, load_dir
from kltolint.session import Session
from kltolint.source import SourceFile
from kltolint.tree import Tree
from tests.conftest import TREES, make_tree
from tests.helpers import demo_model, rule_pack, rule_toml, witness_of

SWEEP = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]
INCLUDE = (TREES / "arm64-big-endian" / "before" / "scripts" / "Kconfig.include").read_text()


def user_rules(tmp_path: Path, *rules: str) -> list[Rule]:
    return load_dir(rule_pack(tmp_path / "rules", *rules))


def fixed(tmp_path: Path, kconfig: str, rules: list[Rule], arches: tuple[str, ...] = ("demo",)) -> list[Finding]:
    """The findings of `rules` on a one-file tree, each with its verified fix."""
    tree = Tree(make_tree(tmp_path / "tree", {"Kconfig": kconfig}, arches))
    session = Session(tree, rules, jobs=1)
    return fix.Fixer(session).attach([f for arch in arches for f in session.findings(arch)])


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


# -- witness: the assumptions a finding needs (R1) ----------------------------------

PROBES = """\
source "scripts/Kconfig.include"
config A
	bool "a"
	depends on $(success,foo --version)
config B
	bool "b"
	depends on $(success,bar --version)
"""


def test_witness_names_the_probe_the_combination_needs_and_no_other(tmp_path):
    tree = Tree(make_tree(tmp_path, {"Kconfig": PROBES, "scripts/Kconfig.include": INCLUDE}))
    model = load_arch(tree, "demo")
    lines = PROBES.splitlines()
    witness = witness_of(model, "A", lambda _file, line: lines[line - 1])
    assert witness is not None
    assert witness.assumptions == ("probe succeeds: Kconfig:4: depends on $(success,foo --version)",)
    # `A` alone leaves out the answer of B's probe; `A && B` needs both.
    assert witness_of(model, "A && B", lambda _file, line: lines[line - 1]).assumptions == (
        "probe succeeds: Kconfig:4: depends on $(success,foo --version)",
        "probe succeeds: Kconfig:7: depends on $(success,bar --version)")


# -- sweep: a dependency on a choice has no guard Kconfig can write (R9) ------------

CHOICE_DEP = """\
config PCI
	bool "PCI"
choice
	prompt "mode"
	depends on PCI
config MODE_A
	bool "a"
config SUB
	bool
	depends on MODE_A
endchoice
config USER
	bool "user"
	select SUB
"""


def test_sweep_offers_no_edit_for_a_choice_dependency(tmp_path):
    finding = only(fixed(tmp_path, CHOICE_DEP, SWEEP))
    assert finding.rule == "KSEL001" and finding.point is None and finding.alternatives == ()
    assert finding.guard == "" and finding.notes
    assert finding.fix is not None and finding.fix.applicability == "none" and finding.fix.edits == ()


# -- fix: the alternative edit point (R10) --------------------------------------------

# Guarding BAD's select would make `BAD && !HELPER` reachable (rule T002): the
# fix must fall back to the alternative, BAD's own `depends on PCI`.
NEEDS_HELPER = """\
config PCI
	bool "PCI"
config HELPER
	bool
	depends on PCI
config BAD
	bool "bad"
	select HELPER
"""


def test_fix_falls_back_to_the_alternative_edit_point(tmp_path):
    rules = SWEEP + user_rules(tmp_path, rule_toml("T002", "BAD && !HELPER", "add-depends", "HELPER"))
    finding = only([f for f in fixed(tmp_path, NEEDS_HELPER, rules) if f.rule == "KSEL001"])
    assert finding.point is not None and finding.point.kind == "select"
    assert [p.kind for p in finding.alternatives] == ["depends"]
    assert finding.fix is not None and finding.fix.applicability in ("safe", "unsafe")
    assert finding.fix.edits == (Edit("Kconfig", 7, 7, "insert", "\tdepends on PCI"),)


# -- fix: the safety miter's limits (R13) and reach -----------------------------------

def wide_cone(users: int) -> str:
    """A select of T guarded by the fix, and `users` symbols that read T."""
    return ('config A\n\tbool "a"\n\tselect T\nconfig T\n\tbool\nconfig B\n\tbool "b"\n'
            + "".join(f'config U{i}\n\tbool "u{i}"\n\tdepends on T\n' for i in range(users)))


def test_a_fix_whose_cone_is_large_is_still_proven_safe(tmp_path):
    """The miter sweeps the cone symbol by symbol: its size is no reason to
    give up (a cap of 400 symbols once made 7.3's arm64 seed fix unsafe)."""
    rules = user_rules(tmp_path, rule_toml("T001", "T && B", "guard-select", "!B"))
    small = only(fixed(tmp_path / "small", wide_cone(3), rules))
    assert small.fix is not None and small.fix.applicability == "safe"
    large = only(fixed(tmp_path / "large", wide_cone(2000), rules))
    assert large.fix is not None and large.fix.applicability == "safe"
    assert large.fix.edits == small.fix.edits


def test_when_the_miter_gives_up_the_fix_is_unsafe(tmp_path, monkeypatch):
    rules = user_rules(tmp_path, rule_toml("T001", "T && B", "guard-select", "!B"))
    proven = only(fixed(tmp_path / "proven", wide_cone(3), rules))
    assert proven.fix is not None and proven.fix.applicability == "safe"
    # The conflict budget is checked only at the solver's restarts, so no small
    # tree makes it run out: the solver is made to give up instead (its
    # `solve_limited` answers None when its budget is spent, as pysat's does),
    # and unit propagation to find no conflict (the miter's sweep tries it first).
    monkeypatch.setattr(Glucose, "solve_limited", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(Glucose, "propagate", lambda *_args, **_kwargs: (True, []))
    unproven = only(fixed(tmp_path / "unproven", wide_cone(3), rules))
    assert unproven.fix is not None and unproven.fix.applicability == "unsafe"
    assert unproven.fix.edits == proven.fix.edits


# -- logic: choices before and after Linux 6.11 (L5) ----------------------------------

OPTIONAL_CHOICE = 'choice\n\tprompt "p"\n\toptional\nconfig X\n\tbool "x"\nconfig Y\n\tbool "y"\nendchoice\n'


@pytest.mark.parametrize("makefile, picks_nothing", [
    ("VERSION = 6\nPATCHLEVEL = 10\n", True),  # `optional`: the user may pick no member
    ("VERSION = 6\nPATCHLEVEL = 11\n", False),  # 6.11 dropped `optional`: a visible member is picked
])
def test_optional_choice_by_kernel_version(tmp_path, makefile, picks_nothing):
    tree = Tree(make_tree(tmp_path, {"Kconfig": OPTIONAL_CHOICE, "Makefile": makefile}))
    model = load_arch(tree, "demo")
    assert (witness_of(model, "!X && !Y") is not None) is picks_nothing
    assert witness_of(model, "X && Y") is None


# -- logic: values (L12, L15) ---------------------------------------------------------

def test_a_string_without_a_default_is_empty(tmp_path):
    k = 'config S\n\tstring\nconfig EMPTY\n\tdef_bool y\n\tdepends on S = ""\n'
    assert witness_of(demo_model(tmp_path, k), "EMPTY") is not None
    assert witness_of(demo_model(tmp_path / "b", k), "!EMPTY") is None


NEGATED_DEFAULT = ('config MODULES\n\tbool "modules"\n\tmodules\nconfig D\n\ttristate "d"\n'
                   'config T\n\ttristate\n\tdefault !D\n')


@pytest.mark.parametrize("combination, reachable", [
    ("D = m && T = m", True),  # !m is m
    ("D = m && T != m", False),
    ("D = y && T = n", True),
    ("D = n && T = y", True),
])
def test_a_negated_default_value(tmp_path, combination, reachable):
    assert (witness_of(demo_model(tmp_path, NEGATED_DEFAULT), combination) is not None) is reachable


# -- analysis: which line is blamed (A3, A5) --------------------------------------

def blamed(tmp_path: Path, kconfig: str, rule: str) -> Finding:
    rules = user_rules(tmp_path, rule)
    model = demo_model(tmp_path / "tree", kconfig)
    return only(analysis.check(model, rules, analysis.Sources(Tree(tmp_path / "tree"))))


def test_a_guard_never_gates_a_symbol_it_reads(tmp_path):
    # `S depends on !B` would close the hole, but B depends on S: a loop. The select is guarded instead.
    k = 'config S\n\tbool "s"\n\tselect T\nconfig T\n\tbool\nconfig B\n\tbool "b"\n\tdepends on S\n'
    finding = blamed(tmp_path, k, rule_toml("T001", "T && B", "add-depends", "!B"))
    assert finding.point is not None and (finding.point.kind, finding.point.symbol) == ("select", "T")


def test_only_selects_that_fire_in_the_witness_are_blamed(tmp_path):
    # X is on by the user; R could select it but cannot in any forbidden
    # configuration, so X's own `depends on !B` closes the hole.
    k = ('config R\n\tbool "r"\n\tdepends on !B\n\tselect X\nconfig X\n\tbool "x"\n\tselect T\n'
         'config T\n\tbool\nconfig B\n\tbool "b"\n')
    finding = blamed(tmp_path, k, rule_toml("T001", "T && B", "add-depends", "!B"))
    assert finding.point is not None and (finding.point.kind, finding.point.symbol) == ("depends", "X")


def test_the_explanation_follows_a_defaults_value(tmp_path):
    # T is on through `default X`; Z's select of T cannot fire with B. The
    # explanation reaches X through the default's value, and X's depends (the
    # rule's strategy) is preferred to narrowing the default. Gating T itself
    # is not tried: T has a select, and a select ignores depends.
    k = ('config Z\n\tbool "z"\n\tdepends on !B\n\tselect T\nconfig T\n\tbool\n\tdefault X\n'
         'config X\n\tbool "x"\nconfig B\n\tbool "b"\n')
    finding = blamed(tmp_path, k, rule_toml("T001", "T && B", "add-depends", "!B"))
    assert finding.point is not None and (finding.point.kind, finding.point.symbol) == ("depends", "X")


def test_the_first_guard_whose_symbols_exist_is_used(tmp_path):
    k = 'config S\n\tbool "s"\n\tselect T\nconfig T\n\tbool\nconfig B\n\tbool "b"\n'
    finding = blamed(tmp_path, k, rule_toml("T001", "T && B", "guard-select", ["!NOT_ON_THIS_ARCH", "!B"]))
    assert finding.guard == "!B"


def test_with_no_guard_whose_symbols_exist_the_last_is_used(tmp_path):
    k = 'config S\n\tbool "s"\n\tselect T\nconfig T\n\tbool\n'
    finding = blamed(tmp_path, k, rule_toml("T001", "T", "guard-select", ["GONE1", "GONE2", "GONE3"]))
    assert finding.guard == "GONE3"


def test_a_subject_that_is_off_in_the_witness_is_not_explained(tmp_path):
    # The witness has X off (E off) and Y on through D. Gating D would close
    # the hole, but the search starts at the subject X, which nothing turns on.
    k = ('config D\n\tbool "d"\nconfig E\n\tbool "e"\nconfig X\n\tbool "x"\n\tdepends on D && E\n'
         'config Y\n\tbool "y"\n\tdepends on D\n')
    rule = rule_toml("T001", "!X && Y", "add-depends", "GONE").replace("fix =", 'subject = "X"\nfix =')
    finding = blamed(tmp_path, k, rule)
    assert (finding.point, finding.guard, finding.fix) == (None, "", None)


# -- sweep: what counts as unmet (S1) -------------------------------------------------

def test_a_bool_whose_dependency_is_m_is_not_unmet(tmp_path):
    # conf compares a bool's dependency with m rounded up: USER (on only with
    # NET >= m, through WIRED) may select HELPER. A tristate HELPER would be unmet at NET = m.
    k = ('config MODULES\n\tbool "modules"\n\tmodules\nconfig NET\n\ttristate "net"\n'
         'config WIRED\n\tbool "wired"\n\tdepends on NET\n'
         'config HELPER\n\tbool\n\tdepends on NET\nconfig USER\n\tbool "user"\n\tdepends on WIRED\n\tselect HELPER\n')
    tree = Tree(make_tree(tmp_path, {"Kconfig": k}))
    assert analysis.check(load_arch(tree, "demo"), SWEEP, analysis.Sources(tree)) == []
    tristate = Tree(make_tree(tmp_path / "t", {"Kconfig": k.replace("HELPER\n\tbool", "HELPER\n\ttristate")}))
    (finding,) = analysis.check(load_arch(tristate, "demo"), SWEEP, analysis.Sources(tristate))
    assert finding.point is not None and finding.point.symbol == "HELPER" and finding.guard == "NET"


def test_the_guard_names_only_the_conjuncts_the_select_can_break(tmp_path):
    # USER itself depends on A: only PCI can be below the selected value.
    k = ('config PCI\n\tbool "pci"\nconfig A\n\tbool "a"\nconfig HELPER\n\tbool\n\tdepends on PCI && A\n'
         'config USER\n\tbool "user"\n\tdepends on A\n\tselect HELPER\n')
    finding = only(fixed(tmp_path, k, SWEEP))
    assert finding.guard == "PCI"
    assert finding.fix is not None and finding.fix.edits == (Edit("Kconfig", 11, 11, "replace", "\tselect HELPER if PCI"),)


def test_a_sweep_fix_that_changes_more_than_the_unmet_select_is_unsafe(tmp_path):
    # Guarding `select HELPER if C` would make T002 reachable; the alternative,
    # BAD `depends on PCI`, also turns BAD off where C is off: not only where
    # the select is unmet (BAD && C && !PCI).
    k = NEEDS_HELPER.replace("\tselect HELPER\n", "\tselect HELPER if C\n") + 'config C\n\tbool "c"\n'
    rules = SWEEP + user_rules(tmp_path, rule_toml("T002", "BAD && C && !HELPER", "add-depends", "HELPER"))
    finding = only([f for f in fixed(tmp_path, k, rules) if f.rule == "KSEL001"])
    assert finding.fix is not None and finding.fix.applicability == "unsafe"
    assert finding.fix.edits == (Edit("Kconfig", 7, 7, "insert", "\tdepends on PCI"),)


def test_a_safe_edit_point_wins_over_an_unsafe_alternative(tmp_path):
    # Without T002 the select can be guarded (safe); BAD's depends (unsafe, above) is not taken.
    k = NEEDS_HELPER.replace("\tselect HELPER\n", "\tselect HELPER if C\n") + 'config C\n\tbool "c"\n'
    finding = only(fixed(tmp_path, k, SWEEP))
    assert finding.fix is not None and finding.fix.applicability == "safe"
    assert finding.fix.edits == (Edit("Kconfig", 8, 8, "replace", "\tselect HELPER if C && PCI"),)


def test_a_narrowed_default_is_found_at_its_default_line(tmp_path):
    k = 'config T\n\tbool\n\tdefault y if X\nconfig X\n\tbool "x"\nconfig B\n\tbool "b"\n'
    finding = blamed(tmp_path, k, rule_toml("T001", "T && B", "narrow-default", "!B"))
    assert finding.point is not None and (finding.point.kind, finding.point.symbol, finding.point.nth) == (
        "default", "T", 0)
    assert finding.line == 3


def test_among_equal_candidates_the_arch_s_own_file_is_blamed(tmp_path):
    # X (arch/demo/Kconfig) and Y (Kconfig) each close the hole at the same
    # cost; T itself has a select, so it is not gated.
    top = ('source "arch/demo/Kconfig"\nconfig Z\n\tbool "z"\n\tdepends on !B\n\tselect T\n'
           'config T\n\tbool\n\tdefault y if X && Y\nconfig Y\n\tbool "y"\nconfig B\n\tbool "b"\n')
    tree = Tree(make_tree(tmp_path / "tree", {"Kconfig": top, "arch/demo/Kconfig": 'config X\n\tbool "x"\n'}))
    rules = user_rules(tmp_path, rule_toml("T001", "T && B", "add-depends", "!B"))
    finding = only(analysis.check(load_arch(tree, "demo"), rules, analysis.Sources(tree)))
    assert finding.point is not None and (finding.point.kind, finding.point.symbol) == ("depends", "X")
    assert finding.point.file == "arch/demo/Kconfig"


def test_among_equal_selects_the_one_in_the_arch_s_own_file_is_guarded(tmp_path):
    # SX (arch/demo/Kconfig) selects X, SY (Kconfig) selects Y: guarding either
    # closes the hole at the same cost. The select's own line decides, not its target's.
    top = ('source "arch/demo/Kconfig"\nconfig Y\n\tbool\nconfig X\n\tbool\n'
           'config T\n\tbool\n\tdefault y if X && Y\nconfig SY\n\tbool "sy"\n\tselect Y\nconfig B\n\tbool "b"\n')
    point = _blamed_with_an_arch_file(tmp_path, top, 'config SX\n\tbool "sx"\n\tselect X\n', "guard-select")
    assert point is not None and (point.kind, point.symbol, point.file) == ("select", "X", "arch/demo/Kconfig")


def test_among_equal_defaults_the_one_in_the_arch_s_own_file_is_narrowed(tmp_path):
    # X's default line is in arch/demo/Kconfig, its entry in Kconfig: narrowing
    # X's or Y's default closes the hole at the same cost. The default's own line decides.
    top = ('config Y\n\tbool\n\tdefault y if PY\nconfig X\n\tbool\nsource "arch/demo/Kconfig"\n'
           'config Z\n\tbool "z"\n\tdepends on X && Y\n\tselect T\nconfig T\n\tbool\n'
           'config PX\n\tbool "px"\nconfig PY\n\tbool "py"\nconfig B\n\tbool "b"\n')
    point = _blamed_with_an_arch_file(tmp_path, top, 'config X\n\tdefault y if PX\n', "narrow-default")
    assert point is not None and (point.kind, point.symbol, point.file) == ("default", "X", "arch/demo/Kconfig")


def _blamed_with_an_arch_file(tmp_path, top, arch, strategy):
    """The edit point of the one T001 (`T && B`, guard `!B`) finding of a tree
    whose arch/demo/Kconfig is `arch`."""
    tree = Tree(make_tree(tmp_path / "tree", {"Kconfig": top, "arch/demo/Kconfig": arch}))
    rules = user_rules(tmp_path, rule_toml("T001", "T && B", strategy, "!B"))
    return only(analysis.check(load_arch(tree, "demo"), rules, analysis.Sources(tree))).point


def test_a_fix_is_verified_on_every_arch_past_the_first_that_passes(tmp_path):
    # The guarded select lets W (arch two only) on: a new T002 finding there,
    # not on arch one. (A is always on, so gating or narrowing A, the other
    # edit points, make T003 reachable everywhere.)
    k = ('source "arch/$(SRCARCH)/Kconfig"\nconfig A\n\tdef_bool y\n\tselect T\nconfig T\n\tbool\n'
         'config B\n\tbool "b"\n')
    files = {"Kconfig": k, "arch/two/Kconfig": "config W\n\tdef_bool y\n\tdepends on A && !T\n"}
    tree = Tree(make_tree(tmp_path / "tree", files, ("one", "two")))
    rules = user_rules(tmp_path, rule_toml("T001", "T && B", "guard-select", "!B"), rule_toml("T002", "W"),
                       rule_toml("T003", "B && !A", "add-depends", "A"))
    session = Session(tree, rules, jobs=1)
    found = fix.Fixer(session).attach([f for arch in ("one", "two") for f in session.findings(arch)])
    assert sorted((f.arch, f.rule) for f in found) == [("one", "T001"), ("two", "T001")]
    for finding in found:
        assert finding.fix is not None and finding.fix.applicability == "none" and finding.fix.edits == ()


def test_gating_an_entry_that_selects_a_choice_member_is_compared(tmp_path):
    # `S depends on !B` turns S off where S && B && !C: not broken, yet changed.
    k = ('choice\n\tprompt "c"\nconfig M\n\tbool "m"\nconfig N\n\tbool "n"\nendchoice\n'
         'config S\n\tbool "s"\n\tselect M\nconfig B\n\tbool "b"\nconfig C\n\tbool "c"\n')
    finding = only(fixed(tmp_path, k, user_rules(tmp_path, rule_toml("T001", "S && B && C", "add-depends", "!B"))))
    assert finding.point is not None and (finding.point.kind, finding.point.symbol) == ("depends", "S")
    assert finding.fix is not None and finding.fix.applicability == "unsafe" and finding.fix.edits


def test_the_explanation_of_a_choice_member_follows_its_choice_s_dependency(tmp_path):
    # M is on because its choice is active, which needs D, which SD selects:
    # the guarded select is the rule's kind of edit.
    k = ('choice\n\tprompt "c"\n\tdepends on D\nconfig M\n\tbool "m"\nconfig N\n\tbool "n"\nendchoice\n'
         'config D\n\tbool\nconfig SD\n\tbool "sd"\n\tselect D\nconfig B\n\tbool "b"\n')
    finding = blamed(tmp_path, k, rule_toml("T001", "M && B", "guard-select", "!B"))
    assert finding.point is not None and (finding.point.kind, finding.point.symbol) == ("select", "D")


def test_a_fix_that_fails_on_one_arch_is_not_offered_on_any(tmp_path):
    # Both arches read Kconfig; the guarded select makes T002 reachable on the
    # first arch, which ends the verification there (A is always on, so the
    # other edit points, gating or narrowing A, make T003 reachable).
    k = 'config A\n\tdef_bool y\n\tselect T\nconfig T\n\tbool\nconfig B\n\tbool "b"\n'
    rules = user_rules(tmp_path, rule_toml("T001", "T && B", "guard-select", "!B"),
                       rule_toml("T002", "A && !T", "add-depends", "T"),
                       rule_toml("T003", "B && !A", "add-depends", "A"))
    found = fixed(tmp_path, k, rules, ("one", "two"))
    assert sorted(f.arch for f in found) == ["one", "two"] and {f.rule for f in found} == {"T001"}
    for finding in found:
        assert finding.fix is not None and finding.fix.applicability == "none" and finding.fix.edits == ()
        assert "new finding on one" in finding.fix.note


def test_two_strings_from_one_tool_variable_are_the_same_text(tmp_path):
    k = ('config A_TEXT\n\tstring\n\tdefault "$(CC_VERSION_TEXT)"\n'
         'config B_TEXT\n\tstring\n\tdefault "$(CC_VERSION_TEXT)"\n')
    model = demo_model(tmp_path, k)
    assert witness_of(model, 'A_TEXT = "clang" && B_TEXT = "clang"') is not None
    assert witness_of(model, 'A_TEXT = "clang" && B_TEXT != "clang"') is None


def test_an_int_symbol_reads_as_n_in_a_dependency(tmp_path):
    k = 'config N\n\tint "n"\n\tdefault 4\nconfig A\n\tdef_bool y\n\tdepends on N\n'
    assert witness_of(demo_model(tmp_path, k), "A") is None


def test_a_hex_default_without_0x_is_read_in_base_16(tmp_path):
    k = ('config H\n\thex\n\tdefault 10\nconfig A\n\tdef_bool y\n\tdepends on H = 0x10\n'
         'config B\n\tdef_bool y\n\tdepends on H = 10\n')
    model = demo_model(tmp_path, k)
    assert witness_of(model, "A && B") is not None
    assert witness_of(model, "!A") is None and witness_of(model, "!B") is None


def test_an_ordering_of_strings_is_left_free(tmp_path):
    # `<` on a string is not modelled: both answers stay reachable (never a false "unreachable").
    k = 'config S\n\tstring\n\tdefault "b"\nconfig X\n\tdef_bool y\n\tdepends on S < "c"\n'
    model = demo_model(tmp_path, k)
    assert witness_of(model, "X") is not None and witness_of(model, "!X") is not None


def test_without_sweep_fixes_only_the_sweep_s_findings_go_without_a_fix(tmp_path):
    k = ('config PCI\n\tbool "pci"\nconfig HELPER\n\tbool\n\tdepends on PCI\n'
         'config USER\n\tbool "user"\n\tselect HELPER\nconfig B\n\tbool "b"\n')
    rules = [*SWEEP, *user_rules(tmp_path, rule_toml("T001", "USER && B", "add-depends", "!B"))]
    session = Session(Tree(make_tree(tmp_path / "tree", {"Kconfig": k})), rules, jobs=1)
    found = fix.Fixer(session).attach(session.findings("demo"), sweep_fixes=False)
    assert {f.rule: f.fix is not None for f in found} == {"KSEL001": False, "T001": True}


# -- fix: the text of a line, quotes and words respected ---------------------------------

def test_an_if_inside_quotes_or_a_word_does_not_split_a_line():
    assert fix.split_if('default "x if y" if A') == ('default "x if y"', "A")
    assert fix.split_if("default 'x if y'") == ("default 'x if y'", None)
    assert fix.split_if("select ifb if iface") == ("select ifb", "iface")
    assert fix.split_if("select ifb") == ("select ifb", None)
    assert fix.split_if("select X if!B") == ("select X", "!B")
    assert fix.split_comment('default "a # b"  # c') == ('default "a # b"', "  # c")


def test_an_edit_applies_only_to_the_whole_logical_line_it_names():
    text = 'config S\n\tbool "s"\n\tdepends on A && \\\n\t\tB\n'
    whole = Edit("Kconfig", 3, 4, "replace", "\tdepends on C")
    assert fix.apply_edits(text, [whole]) == 'config S\n\tbool "s"\n\tdepends on C\n'
    for moved in (Edit("Kconfig", 3, 3, "replace", "x"), Edit("Kconfig", 4, 4, "replace", "x"),
                  Edit("Kconfig", 9, 9, "replace", "x")):
        with pytest.raises(fix.CannotFix):
            fix.apply_edits(text, [moved])


def test_an_edit_point_whose_line_is_gone_cannot_be_fixed():
    source = SourceFile('config S\n\tbool "s"\n\tselect T\n\tdefault y\n')
    for point in (EditPoint("select", "Kconfig", 1, "OTHER"), EditPoint("select", "Kconfig", 1, "T", 1),
                  EditPoint("default", "Kconfig", 1, "S", 1), EditPoint("depends", "Kconfig", 3, "S")):
        with pytest.raises(fix.CannotFix):
            fix.edits_for(point, "G", source)
    assert fix.edits_for(EditPoint("default", "Kconfig", 1, "S", 0), "G", source)


# -- values are frozen (the `frozen=True` bool mutants) ---------------------------------

# Records built and filled in place while encoding or searching; every other
# dataclass of the engine is a value (DEVELOPERS.md: frozen dataclasses for values).
MUTABLE = {"kltolint.logic.encoder.SymEnc", "kltolint.logic.encoder.Encoder",
           "kltolint.logic.bound.BoundEncoder", "kltolint.analysis.Overrides"}


def test_every_dataclass_of_the_engine_is_frozen_but_its_working_records():
    names = ["kltolint.analysis", "kltolint.fix", "kltolint.sweep",
             *(f"kltolint.logic.{m.name}" for m in pkgutil.iter_modules(kltolint.logic.__path__))]
    found = {}
    for name in names:
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls.__dataclass_params__.frozen
    assert {n for n, frozen in found.items() if not frozen} == MUTABLE
    assert sum(found.values()) >= 9  # Sat, Unsat, Unknown, Differs, Candidate, ...
