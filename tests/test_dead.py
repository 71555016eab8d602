"""KDEAD on small trees: dangling references and dead options, per arch and
once per tree, with the lines that make an option dead."""

from __future__ import annotations

import json

from kltolint import analysis, dead
from kltolint.cli import main
from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from kltolint.source import SourceFile
from kltolint.tree import Tree
from tests.conftest import line_of, make_tree
from tests.helpers import demo_model

RULES = {r.id: r for r in load_dir(builtin_dir())}
KDEAD = [RULES["KDEAD001"], RULES["KDEAD002"]]

TOP = 'mainmenu "t"\nsource "arch/$(SRCARCH)/Kconfig"\nsource "drivers/Kconfig"\n'
ARCH_A = "config ARCH_A\n\tdef_bool y\n"
ARCH_B = "config ARCH_B\n\tdef_bool y\nconfig B_ONLY\n\tbool \"b only\"\n\tdepends on ARCH_A\n"
DRIVERS = """\
config HELPER
	bool
config SELECTED_OLD
	bool "selected, and depends on a gone symbol"
	depends on OLD_NAME
config GONE_DEP
	bool "depends on a gone symbol"
	# the driver moved to NEW_NAME
	depends on PCI && OLD_NAME
config PCI
	bool "pci"
config ON_A
	bool "only on arch a"
	depends on ARCH_A
config NEEDS_HELPER
	tristate "needs the helper"
	depends on PCI
	depends on HELPER
config ON_B
	bool "on b" if ARCH_B
	select SELECTED_OLD
config CONTRADICTION
	bool "needs a and not a"
	depends on ON_A && !ON_A
if NOT_THERE
config INSIDE
	bool "inside a dead if"
endif
config BROKEN
	bool
config B_AND_BROKEN
	bool "needs arch b, and is broken"
	depends on ARCH_B
	depends on BROKEN
config B_CONTRADICTION
	bool "a contradiction on b, an undefined symbol on a"
	depends on ARCH_B && ON_B && !ON_B
config QUOTED
	string "a string naming NOT_A_SYMBOL in quotes"
	default "$(shell,echo OTHER_NAME)"
"""


def tree(tmp_path, drivers: str = DRIVERS) -> Tree:
    return Tree(make_tree(tmp_path, {"Kconfig": TOP, "arch/a/Kconfig": ARCH_A, "arch/b/Kconfig": ARCH_B,
                                     "drivers/Kconfig": drivers}, arches=("a", "b")))


def per_arch(t: Tree, arch: str, rule: str):
    return analysis.check(load_arch(t, arch), [RULES[rule]], analysis.Sources(t))


def across(t: Tree, arches=("a", "b")):
    found = [f for arch in arches for f in analysis.check(load_arch(t, arch), KDEAD, analysis.Sources(t))]
    return dead.across_arches(t, found, list(arches), KDEAD)


def test_references_skip_strings_macros_comments_and_prompts():
    def refs(text):
        return list(dead.references(SourceFile(f"config X\n{text}\n").entries[0].props[0]))
    assert refs('\tdepends on A && (B || !C) # not D') == ["A", "B", "C"]
    assert refs('\tdepends on $(success,echo E) && F = "G"') == ["F"]
    assert refs('\tbool "prompt H"') == []
    assert refs('\tbool "prompt" if I && 64BIT') == ["I", "64BIT"]
    assert refs('\trange 0x10 J') == ["J"]
    assert refs('\tselect K if L') == ["K", "L"]


def test_dangling_reported_once_per_tree_at_the_line(tmp_path):
    t = tree(tmp_path)
    found = [f for f in across(t) if f.rule == "KDEAD001"]
    by_line = {(f.line, f.message.split(" names ")[1].split(",")[0]) for f in found}
    assert by_line == {(line_of(DRIVERS, "depends on OLD_NAME"), "OLD_NAME"),
                       (line_of(DRIVERS, "depends on PCI && OLD_NAME"), "OLD_NAME"),
                       (line_of(DRIVERS, "if NOT_THERE"), "NOT_THERE")}
    # each seen from both arches: one problem, two arches, same message
    assert len({(f.file, f.line, f.message) for f in found}) == 3 and {f.arch for f in found} == {"a", "b"}


def test_a_name_defined_on_another_arch_is_not_dangling(tmp_path):
    t = tree(tmp_path)
    # arch b reads `depends on ARCH_A`, which only arch a defines
    assert not [f for f in per_arch(t, "b", "KDEAD001") if "ARCH_A" in f.message]


def test_dead_options_with_the_lines_that_kill_them(tmp_path):
    t = tree(tmp_path)
    found = {dead._subject(f): f for f in across(t) if f.rule == "KDEAD002"}
    # SELECTED_OLD is selected by ON_B, so it can be on; ON_A is alive on a;
    # B_ONLY needs ARCH_A, which arch b (the only one defining it) lacks.
    assert set(found) == {"GONE_DEP", "NEEDS_HELPER", "CONTRADICTION", "INSIDE", "B_ONLY", "B_AND_BROKEN",
                          "B_CONTRADICTION"}
    gone = found["GONE_DEP"]
    assert (gone.file, gone.line) == ("drivers/Kconfig", line_of(DRIVERS, "depends on PCI && OLD_NAME"))
    assert "`OLD_NAME`" in gone.message and "PCI" not in gone.message.split("needs")[1]
    helper = found["NEEDS_HELPER"]
    assert helper.line == line_of(DRIVERS, "depends on HELPER")
    assert any("HELPER can never be on" in s.text for s in helper.chain)
    inside = found["INSIDE"]
    assert inside.line == line_of(DRIVERS, "if NOT_THERE")
    b_only = found["B_ONLY"]
    assert (b_only.file, b_only.arch) == ("arch/b/Kconfig", "b")
    assert b_only.notes[-1] == "dead on every arch that defines it: b"


def test_the_tree_is_told_the_reason_every_arch_shares(tmp_path):
    t = tree(tmp_path)
    # arch a's first reason is ARCH_B (undefined there), arch b's is BROKEN
    (on_a,) = [f for f in per_arch(t, "a", "KDEAD002") if dead._subject(f) == "B_AND_BROKEN"]
    assert "`ARCH_B`" in on_a.message
    (f,) = [f for f in across(t) if dead._subject(f) == "B_AND_BROKEN"]
    assert "`BROKEN`" in f.message and f.line == line_of(DRIVERS, "depends on BROKEN")
    assert dead.BROKEN_NOTE in f.notes


def test_without_a_shared_reason_the_arch_that_defines_everything_explains(tmp_path):
    t = tree(tmp_path)
    (f,) = [f for f in across(t) if dead._subject(f) == "B_CONTRADICTION"]
    assert "`ON_B` and `!ON_B`" in f.message and f.arch == "b"


def test_a_contradiction_is_proven_by_the_solver_with_a_minimal_set(tmp_path):
    t = tree(tmp_path)
    (f,) = [f for f in per_arch(t, "a", "KDEAD002") if dead._subject(f) == "CONTRADICTION"]
    assert "`ON_A` and `!ON_A`" in f.message
    assert f.line == line_of(DRIVERS, "depends on ON_A && !ON_A")


def test_dead_on_one_arch_alive_on_another_is_not_reported(tmp_path):
    t = tree(tmp_path)
    assert "ON_A" in {dead._subject(f) for f in per_arch(t, "b", "KDEAD002")}  # a candidate on b
    assert "ON_A" not in {dead._subject(f) for f in across(t) if f.rule == "KDEAD002"}
    # with only arch b checked, "dead on every arch" cannot be claimed for a shared file
    only_b = across(t, ("b",))
    assert {dead._subject(f) for f in only_b if f.rule == "KDEAD002"} == {"B_ONLY"}


def test_approximation_agrees_with_the_solver(tmp_path):
    """Everything the fixpoint calls possible really is, on this tree, and
    what it calls impossible the solver proves so (dead_options re-proves)."""
    from kltolint.logic import Encoder, Query

    t = tree(tmp_path)
    model = load_arch(t, "a")
    possible = dead.Possible(model)
    enc = Encoder(model)
    with Query(enc) as query:
        for name, sym in model.symbols.items():
            if sym.type in ("bool", "tristate"):
                reachable = query.solve([enc.value(name).m]) is not None
                assert reachable <= (name in possible.on), name
    assert possible.can(parse("ARCH_A")) and not possible.can(parse("!ARCH_A"))


def test_cli_dead_flag_and_rule_docs(tmp_path, capsys):
    t = tree(tmp_path)
    assert main(["check", "--tree", str(t.root), "--no-cache", "-q"]) == 0  # off by default
    capsys.readouterr()
    assert main(["check", "--tree", str(t.root), "--no-cache", "-q", "--dead", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    rules = {f["rule"] for f in doc["findings"]}
    assert rules == {"KDEAD001", "KDEAD002"}
    assert main(["check", "--tree", str(t.root), "--no-cache", "-q", "--dead"]) == 1
    text = capsys.readouterr().out
    assert "note: seen on a, b" in text and "witness" not in text
    for rule in ("KDEAD001", "KDEAD002"):
        assert main(["rule", rule]) == 0
        out = capsys.readouterr().out
        assert "What it finds:" in out and "none automatic" in out and "Flagged example" in out


def test_possible_reaches_a_choice_member_whatever_the_order(tmp_path):
    """The fixpoint must revisit a choice member when its choice's prompt
    condition turns on later (6.11+: the prompt's `if` is not the members'
    dependency); missing that made KDEAD depend on the hash seed."""
    k = ('config GATE\n\tbool\n\tdefault y if HELPER\nconfig HELPER\n\tdef_bool y\n\tdepends on ON\n'
         'config ON\n\tbool "on"\n'
         'choice\n\tprompt "c" if GATE\nconfig MEMBER\n\tbool "member"\nendchoice\n')
    model = demo_model(tmp_path, k)
    assert "MEMBER" in dead.Possible(model).on


def test_a_session_parses_every_kconfig_file_once_before_forking_its_workers(tmp_path):
    """The KDEAD checks read every file an arch reads: the session parses them
    (and finds the names defined anywhere) before it forks one worker per
    arch, which then share that work instead of each doing it again."""
    from kltolint.session import Session

    t = tree(tmp_path)
    (t.root / ".git").mkdir()
    (t.root / ".git" / "Kconfig").write_text("config HIDDEN\n\tbool\n")
    assert sorted(t.kconfig_files()) == ["Kconfig", "arch/a/Kconfig", "arch/b/Kconfig", "drivers/Kconfig"]
    plain = Session(t, [RULES["KLTO001"]], jobs=2)
    plain.prepare()
    assert not any(plain.sources.parsed(rel) for rel in t.kconfig_files())
    session = Session(t, KDEAD, jobs=2)
    session.prepare()
    assert all(session.sources.parsed(rel) for rel in t.kconfig_files())
    assert dead.defined_in(session.sources) == frozenset(dead.defined_anywhere(t)) >= {"ARCH_A", "ARCH_B", "PCI"}
    # and the workers' findings are those of a session that prepared nothing
    assert sorted(session.run(["a", "b"]), key=lambda f: f.sort_key()) == \
        sorted(per_arch(t, "a", "KDEAD001") + per_arch(t, "a", "KDEAD002")
               + per_arch(t, "b", "KDEAD001") + per_arch(t, "b", "KDEAD002"), key=lambda f: f.sort_key())
