"""A fix applied to the model directly is the model a reload of the patched
tree gives (up to the order of conjuncts), and verification agrees either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from kltolint import analysis, edited, fix
from kltolint import expr as E
from kltolint.load import load_arch, load_changed
from kltolint.model import ArchModel
from kltolint.rules import builtin_dir, load_dir
from kltolint.session import Session
from kltolint.source import Sources
from kltolint.tree import Tree
from tests.conftest import FIXTURES, TREES, make_tree

RULES = [r for r in load_dir(builtin_dir()) if r.enabled]
NARROW = load_dir(FIXTURES / "rules" / "narrow")
CASES = {  # fixture tree -> rules; together they cover select, depends and default edits
    "arm64-big-endian/before": RULES,
    "ld-bfd": RULES,
    "select-with-condition": RULES,
    "narrow-default": NARROW,
}


def normal(expr: E.Expr) -> object:
    """An expression with the order of conjuncts and disjuncts forgotten."""
    if isinstance(expr, (E.And, E.Or)):
        return (type(expr).__name__, frozenset(normal(a) for a in expr.args))
    if isinstance(expr, E.Not):
        return ("Not", normal(expr.arg))
    if isinstance(expr, E.Cmp):
        return ("Cmp", expr.op, normal(expr.left), normal(expr.right))
    return expr


def semantics(model: ArchModel) -> tuple[dict, set]:
    """Everything the encoder reads, without line numbers or conjunct order."""
    symbols = {}
    for name in model.symbols:
        sym = model.symbols[name]
        symbols[name] = (sym.type, sym.choice, normal(sym.direct_dep), tuple(normal(p) for p in sym.prompts),
                         tuple((normal(v), normal(c)) for v, c in sym.defaults),
                         tuple(tuple(normal(x) for x in r) for r in sym.ranges))
    edges = {(e.kind, e.source, e.target, e.nth, normal(e.cond)) for e in model.edges}
    return symbols, edges


def fixes(tree: Tree, rules):
    """(finding, point, patched tree) for every fix the fixer would try."""
    session = Session(tree, rules, jobs=1)
    for arch in tree.arches():
        for finding in session.findings(arch):
            for point in (finding.point, *finding.alternatives):
                if point is None:
                    continue
                source = session.sources.file(point.file)
                new = fix.apply_edits(source.render(), fix.edits_for(point, finding.guard, source))
                yield session, finding, point, Tree(tree.root, overlay={point.file: new})


@pytest.mark.parametrize("case", sorted(CASES))
def test_edit_applied_to_the_model_is_the_reloaded_model(case):
    seen = set()
    for session, finding, point, patched in fixes(Tree(TREES / case), CASES[case]):
        original = session.model(finding.arch)
        direct = edited.apply(original, point, E.parse(finding.guard))
        assert direct is not None, f"{case}: {point} fell back to a reload"
        assert semantics(direct) == semantics(load_changed(patched, finding.arch))
        assert semantics(direct) != semantics(original)
        # The blast radius of the edited model is the one a reload gives.
        assert analysis.BlastRadius(direct).users == analysis.users_of(load_changed(patched, finding.arch))
        seen.add(point.kind)
    assert seen


def test_every_edit_kind_is_covered():
    kinds = {p.kind for case, rules in CASES.items() for _, _, p, _ in fixes(Tree(TREES / case), rules)}
    assert kinds == {"select", "depends", "default"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_verification_agrees_with_a_reload(case, monkeypatch):
    tree = Tree(TREES / case)
    direct = [f.fix for f in fix.Fixer(Session(tree, CASES[case], jobs=1)).attach(
        [f for arch in tree.arches() for f in Session(tree, CASES[case], jobs=1).findings(arch)])]
    monkeypatch.setattr(edited, "apply", lambda *_: None)
    reloaded = [f.fix for f in fix.Fixer(Session(tree, CASES[case], jobs=1)).attach(
        [f for arch in tree.arches() for f in Session(tree, CASES[case], jobs=1).findings(arch)])]
    assert direct == reloaded and direct


def test_loaded_blast_radius_is_the_converted_models(fixture_tree):
    for case in CASES:
        tree = Tree(TREES / case)
        for arch in tree.arches():
            model = load_arch(tree, arch)
            assert analysis.BlastRadius(model).users == analysis.users_of(model)


HIDDEN_EDGES = """\
config A
	bool "a"
	select UNDEFINED if B
	imply ALSO_UNDEFINED
	select T if n
config B
	bool "b"
	depends on n
	select T if A
config T
	bool "t"
config N
	int "n"
	range 1 10 if A
choice
	prompt "c"
config C1
	bool "c1"
	depends on B
config C2
	bool "c2"
endchoice
"""


def test_users_read_name_by_name_are_the_whole_index(tmp_path: Path):
    """The loader answers the users of one symbol from kconfiglib's reverse
    dependencies, without indexing the arch; edges those sets do not hold
    (a select of an undefined symbol, a condition that is `n`, an entry that
    depends on n) are in it all the same."""
    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": HIDDEN_EDGES})), "demo")
    whole = analysis.users_of(model)
    assert whole["A"] == {"UNDEFINED", "ALSO_UNDEFINED", "T"} and whole["B"] == {"UNDEFINED", "C1", "T"}
    assert model.facts is not None
    users = model.facts.users()
    for name in [*model.symbols, "UNDEFINED", "ALSO_UNDEFINED", "n", "y"]:
        assert set(users.get(name, ())) == whole.get(name, set()), name
    assert users == whole


def test_verification_does_not_index_the_whole_arch(fixture_tree, monkeypatch):
    """A fix's verification asks for the forward cone of one symbol: the
    loader's index of every symbol's users is never built."""
    tree = Tree(TREES / "ld-bfd")
    expected = [f.fix for f in fix.Fixer(Session(tree, RULES, jobs=1)).attach(
        [f for arch in tree.arches() for f in Session(tree, RULES, jobs=1).findings(arch)])]
    monkeypatch.setattr("kltolint.load._Facts._build_users", lambda _: pytest.fail("indexed the whole arch"))
    found = [f for arch in tree.arches() for f in Session(tree, RULES, jobs=1).findings(arch)]
    fixed = [f.fix for f in fix.Fixer(Session(tree, RULES, jobs=1)).attach(found)]
    assert fixed == expected and {f.applicability for f in fixed if f} == {"safe"}


TWICE = """\
config A
	bool "a"
	select T
config T
	bool "t"
config C
	bool "c"
	depends on T
config T
	bool
	depends on B
config B
	bool "b"
config P
	bool "p"
config Q
	bool "q"
	depends on P
"""


def _point(model: ArchModel, kind: str, symbol: str, line: int) -> fix.EditPoint:
    return fix.EditPoint(kind, "Kconfig", line, symbol)


def test_reload_where_the_model_cannot_take_the_edit(tmp_path: Path):
    tree = Tree(make_tree(tmp_path, {"Kconfig": TWICE}))
    model = load_arch(tree, "demo")
    # T is defined twice: an added `depends on` is one entry's, not the symbol's.
    assert edited.apply(model, _point(model, "depends", "T", 9), E.parse("B")) is None
    # Q's `depends on P` makes it a child of P's entry (kconfiglib's implicit
    # menu): P's added dependency would reach Q too.
    assert model.facts is not None and model.facts.has_children(model.symbols["P"].locs[0])
    assert edited.apply(model, _point(model, "depends", "P", 14), E.parse("B")) is None
    # Gating A on C would close a loop: C depends on T, which A selects.
    assert edited.apply(model, _point(model, "depends", "A", 1), E.parse("C")) is None
    assert edited.apply(model, _point(model, "depends", "A", 1), E.parse("B")) is not None


@pytest.mark.parametrize("kind", ["redundant-true", "redundant-false"])
def test_a_deleted_term_is_left_to_a_reload(tmp_path: Path, kind: str):
    """KRED's edits have no in-memory form: only the reloaded tree tells
    (apply once took every kind it did not name for an added `depends on`)."""
    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": TWICE})), "demo")
    assert edited.apply(model, _point(model, "depends", "A", 1), E.parse("B")) is not None
    assert edited.apply(model, _point(model, kind, "A", 1), E.parse("B")) is None


def test_loop_closing_fix_is_refused_as_a_reload_refuses_it(tmp_path: Path):
    tree = Tree(make_tree(tmp_path, {"Kconfig": TWICE}))
    session = Session(tree, [], jobs=1)
    finding = analysis.Finding(rule="X", name="x", arch="demo", file="Kconfig", line=1, message="m",
                               witness=analysis.W.Witness("", ""), guard="C",
                               point=fix.EditPoint("depends", "Kconfig", 1, "A"))
    source = session.sources.file("Kconfig")
    new = fix.apply_edits(source.render(), fix.edits_for(finding.point, "C", source))
    job = fix.Verification(tree, Sources(tree), session.loaded, load_changed, [], finding,
                           finding.point, {"Kconfig": new}, session.findings)
    verdict = job.arch("demo")
    assert verdict is not None and not verdict.ok and "does not load" in verdict.note


def test_the_edited_model_keeps_the_kernel_version(tmp_path: Path):
    """Choices follow the kernel's own rules (6.11 changed them): a model a
    fix is applied to is still that kernel's, not the newest."""
    tree = Tree(make_tree(tmp_path, {"Kconfig": TWICE, "Makefile": "VERSION = 6\nPATCHLEVEL = 1\n"}))
    model = load_arch(tree, "demo")
    direct = edited.apply(model, _point(model, "depends", "A", 1), E.parse("B"))
    assert direct is not None and model.kernel == direct.kernel == (6, 1) and not direct.choices_6_11
