"""The select sweep on small trees: what it flags, what it leaves alone, fixes."""

from __future__ import annotations

import json

from kltolint import analysis
from kltolint.cli import main
from kltolint.load import load_arch
from kltolint.model import ArchModel
from kltolint.rules import builtin_dir, load_dir
from kltolint.sweep import Stats
from kltolint.tree import Tree
from tests.conftest import make_tree

SWEEP = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]

KCONFIG = """\
config MODULES
	bool "modules"
	modules
config PCI
	bool "PCI"
config HELPER
	bool
	depends on PCI
config NO_DEPS
	bool
config BAD
	bool "selects past PCI"
	select HELPER
	select NO_DEPS
config GOOD
	bool "depends on PCI"
	depends on PCI
	select HELPER
config GUARDED
	bool "guarded select"
	select HELPER if PCI
config NET
	tristate "net"
config NET_HELPER
	tristate
	depends on NET
config NET_USER
	tristate "net user"
	select NET_HELPER
choice
	prompt "mode"
config MODE_A
	bool "a"
	depends on PCI
config MODE_B
	bool "b"
endchoice
config PICKS_A
	bool "picks a"
	select MODE_A
"""


def sweep(tmp_path, text=KCONFIG):
    tree = Tree(make_tree(tmp_path, {"Kconfig": text}))
    stats = Stats()
    found = analysis.check(load_arch(tree, "demo"), SWEEP, analysis.Sources(tree), stats)
    return found, stats


def selector(finding) -> str:
    """The selecting entry: the alternative edit point gates it (`depends on`)."""
    (point,) = finding.alternatives
    assert point.kind == "depends"
    return point.symbol


def test_flags_only_the_unmet_selects(tmp_path):
    found, stats = sweep(tmp_path)
    # the select's edit point names the selected symbol
    pairs = sorted((selector(f), f.point.symbol) for f in found)
    assert pairs == [("BAD", "HELPER"), ("NET_USER", "NET_HELPER")]
    bad = next(f for f in found if selector(f) == "BAD")
    assert bad.file == "Kconfig" and bad.guard == "PCI"
    assert "CONFIG_BAD=y" in bad.witness.config
    assert stats.edges == 6 and stats.findings == 2
    # NO_DEPS has no dependency, GOOD's and GUARDED's conditions hold PCI, and
    # MODE_A is a choice member: only two edges need the solver.
    assert stats.solved == 2


def test_finding_points_at_the_select_line(tmp_path):
    found, _ = sweep(tmp_path)
    bad = next(f for f in found if selector(f) == "BAD")
    lines = KCONFIG.splitlines()
    assert lines[bad.line - 1].strip() == "select HELPER"
    assert lines[bad.line - 3] == "config BAD"


def test_tristate_dependency_below_the_selected_value(tmp_path):
    found, _ = sweep(tmp_path)
    net = next(f for f in found if selector(f) == "NET_USER")
    assert net.guard == "NET" and "unmet: NET" in net.message


def test_off_by_default_and_on_with_sweep(capsys, tmp_path):
    root = make_tree(tmp_path, {"Kconfig": KCONFIG})
    assert main(["check", "--tree", str(root), "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["check", "--tree", str(root), "--no-cache", "--sweep", "--stats", "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"KSEL001"}
    assert "6 select edges, 2 solved, 2 findings" in err


def test_sweep_fixes_are_verified(capsys, tmp_path):
    root = make_tree(tmp_path, {"Kconfig": KCONFIG})
    assert main(["check", "--tree", str(root), "--no-cache", "--sweep", "--fix"]) == 0
    fixed = (root / "Kconfig").read_text()
    assert "\tselect HELPER if PCI\n\tselect NO_DEPS\n" in fixed
    assert "\tselect NET_HELPER if NET\n" in fixed
    capsys.readouterr()
    assert main(["check", "--tree", str(root), "--no-cache", "--sweep"]) == 0


def test_unmet_names_only_the_conjunct_below_the_selected_value(tmp_path):
    # issue 14, item 6: not the whole dependency when one conjunct is m and the select y.
    k = ("config MODULES\n\tbool \"modules\"\n\tmodules\n\tdefault y\nconfig PCI\n\tdef_bool y\n"
         "config NET\n\ttristate\n\tdefault m\nconfig HELPER\n\ttristate\n\tdepends on PCI && NET\n"
         "config USER\n\tbool \"user\"\n\tselect HELPER\n")
    (finding,) = sweep(tmp_path, k)[0]
    assert finding.message.endswith("unmet: NET (m, selected y)")


REGION_KCONFIG = """\
config MODULES
	bool "modules"
	modules
config NET
	tristate "net"
config NET2
	tristate "net2"
config BOOL_HELPER
	bool
	depends on NET
config TRI_HELPER
	tristate
	depends on NET
config USER
	tristate "user"
	select BOOL_HELPER
	select TRI_HELPER if NET2
"""


def _equivalent(enc, a: int, b: int) -> bool:
    from kltolint.logic import Query

    g = enc.g
    enc.close()
    with Query(enc) as query:
        return not query.satisfiable([-g.iff(a, b)])


def test_the_finder_and_the_fix_miter_use_one_forbidden_region(tmp_path):
    """KSEL001's region, as the fix's safety miter gets it from the rule kind
    (analysis.RULE_KINDS), is exactly what the sweep asks the solver, and is
    the conf tool's `dir_dep < rev_dep` (a bool's m dependency counting as y):
    on a bool and a tristate target, the two shapes the old second formula
    (`source && cond && !dep`, in fix.py) got wrong."""
    from kltolint import expr as E
    from kltolint import sweep
    from kltolint.logic import Encoder

    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": REGION_KCONFIG})), "demo")
    findings = analysis.check(model, SWEEP, analysis.Sources(Tree(tmp_path)))
    assert sorted(f.point.symbol for f in findings) == ["BOOL_HELPER", "TRI_HELPER"]
    for finding in findings:
        sym, edge = sweep.select_of(model, finding.point)
        enc = Encoder(model)
        region = analysis.RULE_KINDS[SWEEP[0].kind].forbidden_region(model, SWEEP[0], finding)
        dep = sym.direct_dep if sym.type == "tristate" else E.Cmp("!=", sym.direct_dep, E.N)
        conf_tool = enc.expr(E.Cmp("<", dep, E.and_(E.Sym(edge.source), edge.cond))).m
        assert _equivalent(enc, region(enc), sweep.unmet(enc, sym, edge))
        assert _equivalent(enc, region(enc), conf_tool)
        old_second_formula = enc.expr(E.and_(E.Sym(edge.source), edge.cond, E.not_(sym.direct_dep))).m
        assert not _equivalent(enc, region(enc), old_second_formula)  # the test tells them apart


def test_a_scoped_sweep_converts_only_the_selects_that_can_read_the_scope(tmp_path, monkeypatch):
    """A review or a fix sweeps the selects that read a few names: the edges
    into other symbols are not converted, and what is found is what the
    whole sweep finds among those selects."""
    tree = Tree(make_tree(tmp_path, {"Kconfig": KCONFIG}))
    whole = analysis.check(load_arch(tree, "demo"), SWEEP, analysis.Sources(tree))
    asked: list[str] = []
    incoming = ArchModel.incoming

    def recording(self, kind, target):
        asked.append(target)
        return incoming(self, kind, target)

    monkeypatch.setattr(ArchModel, "incoming", recording)
    model = load_arch(tree, "demo")
    scoped = analysis.check(model, SWEEP, analysis.Sources(tree), scope={"PCI"})
    assert [f.key() for f in scoped] == [f.key() for f in whole if f.point.symbol == "HELPER"]
    assert "HELPER" in asked and "NET_HELPER" not in asked and "NO_DEPS" not in asked


ONLY_Y_UNMET = """\
config MODULES
	bool "modules"
	modules
config D
	tristate "d"
config E
	tristate "e"
config T
	tristate
	depends on D
config S
	bool "s" if D
	select T if E
"""


def test_a_select_met_one_way_and_unmet_the_other_is_flagged(tmp_path, monkeypatch):
    """S can be set only where D is at least m (its prompt's condition: unit
    propagation proves the `selected, dependency n` case impossible), but
    with E=y and D=m it raises T to y past its dependency: the other case
    needs the search, and is found."""
    from kltolint.logic import Query

    searches = []
    satisfiable = Query.satisfiable
    monkeypatch.setattr(Query, "satisfiable", lambda self, a: searches.append(a) or satisfiable(self, a))
    found, _ = sweep(tmp_path, ONLY_Y_UNMET)
    assert [(selector(f), f.point.symbol) for f in found] == [("S", "T")]
    assert "CONFIG_D=m" in found[0].witness.config
    # The met selects of KCONFIG (GOOD's, GUARDED's) never reach the search.
    searches.clear()
    sweep(tmp_path / "k")
    # BAD's and NET_USER's: each has a way to be unmet, so the bound
    # (logic.BoundEncoder) leaves it open and the exact encoding searches too.
    assert len(searches) == 4


def test_no_fix_writes_a_probe_name_into_the_tree(tmp_path):
    """T depends on a probe's answer ($(shell,...), KLTO_PROBE_0 in the
    model): a `select T if KLTO_PROBE_0` would write kltolint's own name into
    the tree, so the finding comes without a fix, and says why."""
    kconfig = 'config T\n\tbool\n\tdepends on $(shell,true)\nconfig S\n\tbool "s"\n\tselect T\n'
    tree = Tree(make_tree(tmp_path, {"Kconfig": kconfig}))
    (finding,) = analysis.check(load_arch(tree, "demo"), SWEEP, analysis.Sources(tree))
    assert finding.point is None and not finding.guard
    assert finding.notes == ("no fix: the missing dependency is a toolchain probe's answer, which a "
                             "`select ... if` cannot name (its macro would)",)
    # The message shows the macro, as the line spells it, not the probe's name.
    assert "T depends on $(shell,true); unmet: $(shell,true)" in finding.message
    assert "KLTO_PROBE" not in finding.message + "".join(step.text for step in finding.chain)


def test_a_probe_on_a_line_of_several_macros_is_shown_by_its_place(tmp_path):
    kconfig = ('config T\n\tbool\n\tdepends on $(shell,true) && $(shell,false)\n'
               'config S\n\tbool "s"\n\tselect T\n')
    tree = Tree(make_tree(tmp_path, {"Kconfig": kconfig}))
    (finding,) = analysis.check(load_arch(tree, "demo"), SWEEP, analysis.Sources(tree))
    assert "T depends on $(...) at Kconfig:3 && $(...) at Kconfig:3" in finding.message
