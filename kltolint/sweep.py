"""The select sweep: every `select X [if C]` of an arch, checked.

`select` forces X on whatever X's own `depends on` says; the conf tool warns
("unmet direct dependencies detected for X") only for the one configuration
it evaluates. Here, for every select edge, the solver decides whether some
valid configuration has the selecting entry on (and C true) while X's direct
dependencies are below the selected value: the conf tool's own test,
`dir_dep < rev_dep`, with a bool's dependency value m counting as y.

Edges whose target has no dependencies, or whose condition already contains
every dependency, need no solver. The others are asked of a bound of the
semantics first (logic.BoundEncoder: what it refutes is refuted); only those
it leaves open are encoded exactly, in one encoder. Choice
members are skipped: the conf tool gives them the value of their choice, and
only warns outside that path.

`unmet` is the one definition of what a KSEL001 finding is about: the sweep
asks the solver for it, and the fix's safety miter compares every other
configuration (KIND.forbidden_region).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence

from kltolint import expr as E
from kltolint import witness as W
from kltolint.catalogue import PROBE_NAME
from kltolint.findings import EditPoint, Finding, Stats, Step
from kltolint.logic import Assignment, BoundEncoder, Encoder, Query, Sat, Tri
from kltolint.model import ArchModel, Edge, Symbol
from kltolint.rulekind import Region, RuleKind
from kltolint.rules import Rule
from kltolint.source import Sources, macro_calls


def conjuncts(expr: E.Expr) -> tuple[E.Expr, ...]:
    return expr.args if isinstance(expr, E.And) else (expr,)


def _candidates(model: ArchModel, scope: set[str] | None, stats: Stats) -> list[tuple[Symbol, Edge]]:
    """The select edges the solver must decide. With a `scope` (no caller
    keeps its figures then) only the edges into symbols that can read it
    are converted."""
    out = []
    targets = _targets_reading(model, scope) if scope is not None else None
    for name in model.symbols:
        if targets is not None and name not in targets:
            continue
        edges = model.incoming("select", name)
        if not edges:
            continue
        stats.edges += len(edges)
        sym = model.symbols[name]
        if sym.direct_dep == E.Y or sym.choice is not None:
            continue
        needed = set(conjuncts(sym.direct_dep))
        for edge in edges:
            if needed <= set(conjuncts(edge.cond)):
                continue  # the select's own condition holds every dependency
            if scope is not None and not _touches(sym, edge, scope):
                continue
            out.append((sym, edge))
    return out


def _targets_reading(model: ArchModel, scope: set[str]) -> set[str] | None:
    """The symbols a select edge `_touches` can go into: those in `scope` and
    those that read a name in it (users: their dependencies, or the source
    or condition of a select into them). None: the model cannot tell
    without converting."""
    if model.facts is None:
        return None
    users = model.facts.users()
    return set(scope).union(*(users.get(name, ()) for name in scope))


def _touches(sym: Symbol, edge: Edge, scope: set[str]) -> bool:
    names = {sym.name, edge.source, *E.symbols(edge.cond), *E.symbols(sym.direct_dep)}
    return bool(names & scope)


def _dep(enc: Encoder, sym: Symbol, expr: E.Expr) -> Tri:
    """A dependency's value as the conf tool compares it: m counts as y for a bool."""
    tri = enc.expr(expr)
    return Tri(tri.m, tri.m) if sym.type == "bool" else tri


def unmet(enc: Encoder, sym: Symbol, edge: Edge, dep: E.Expr | None = None) -> int:
    """KSEL001's forbidden region for one select, in `enc`: the select raises
    `sym` above what its dependency `dep` (default: all of it) allows, the
    conf tool's `dir_dep < rev_dep`."""
    return region(enc, unmet_cases(enc, sym, edge, dep))


def region(enc: Encoder, cases: list[tuple[int, int]]) -> int:
    """A literal for "one of the cases holds" (each case a pair that holds together)."""
    return enc.any_of([enc.all_of(case) for case in cases])


def unmet_cases(enc: Encoder, sym: Symbol, edge: Edge, dep: E.Expr | None = None) -> list[tuple[int, int]]:
    """The ways a select is unmet, each a pair of literals that hold
    together: selected y where the dependency is below y; selected (at
    least) m where it is n. One pair for a bool (its m and y are one)."""
    edge_tri = enc.edge_value(edge)
    dep_tri = _dep(enc, sym, sym.direct_dep if dep is None else dep)
    return list(dict.fromkeys([(edge_tri.y, -dep_tri.y), (edge_tri.m, -dep_tri.m)]))


def check(model: ArchModel, rule: Rule, sources: Sources, stats: Stats | None = None,
          scope: set[str] | None = None) -> list[Finding]:
    """One finding per selector/selectee pair whose select can be unmet.

    `scope` limits the sweep to edges that read one of those symbols (a fix's
    re-check: other edges cannot have changed)."""
    stats = stats if stats is not None else Stats()
    started = time.perf_counter()
    candidates = _candidates(model, scope, stats)
    stats.solved += len(candidates)
    # Most selects are met whatever the configuration: a bound of the
    # semantics (logic.BoundEncoder, about half the exact circuit) refutes
    # them; only the rest are asked of the exact encoding.
    open_ = _not_refuted(BoundEncoder(model), candidates)
    stats.encode += time.perf_counter() - started
    started = time.perf_counter()
    hits = _not_refuted(Encoder(model), open_)
    # Each finding's witness from an encoder of its own select's cone (as the
    # forbid rules' are): explaining it then costs its cone, not the whole
    # arch, so many findings do not cost findings x symbols.
    findings = [_finding(model, rule, sym, edge, sources) for sym, edge in hits]
    stats.solve += time.perf_counter() - started
    stats.findings += len(findings)
    return findings


def _not_refuted(enc: Encoder, candidates: list[tuple[Symbol, Edge]]) -> list[tuple[Symbol, Edge]]:
    """The candidates whose select `enc` does not prove met: for the exact
    Encoder, those that can be unmet; for a BoundEncoder, those it cannot
    settle (a refutation there holds exactly)."""
    if not candidates:
        return []
    goals = [(unmet_cases(enc, sym, edge), sym, edge) for sym, edge in candidates]
    enc.close()
    out = []
    with Query(enc) as query:
        for cases, sym, edge in goals:
            # Most selects are met by unit propagation alone (the selector's
            # own dependencies imply the target's): no search for those.
            if all(query.propagation_refutes(case) for case in cases):
                continue
            if query.satisfiable([region(enc, cases)]):
                out.append((sym, edge))
    return out


def _finding(model: ArchModel, rule: Rule, sym: Symbol, edge: Edge, sources: Sources) -> Finding:
    enc = Encoder(model)
    edge_tri = enc.edge_value(edge)
    goal = unmet(enc, sym, edge)
    with Query(enc) as query:
        outcome = W.minimise(query, [goal])
        assert isinstance(outcome, Sat)  # the sweep found it reachable
        found = outcome.model
        proof = W.build(query, [goal], found, model, sources.line_text)
        # The unmet part: conjuncts the witness breaks, and the guard that removes
        # every broken configuration: each conjunct the select can break.
        unmet_parts = _unmet_text(enc, sym, found, selected_y=found(edge_tri.y))
        breakable = [c for c in conjuncts(sym.direct_dep) if isinstance(query.find([unmet(enc, sym, edge, c)]), Sat)]
    # A choice has no name in Kconfig; a probe's (KLTO_PROBE_<n>) is kltolint's
    # own, never to be written into the tree.
    unnamed = next(("a choice, which Kconfig cannot name" if E.has_choice(c) else
                    "a toolchain probe's answer, which a `select ... if` cannot name (its macro would)"
                    for c in breakable if E.has_choice(c) or any(model.is_probe(n) for n in E.symbols(c))), None)
    guard = E.to_str(E.and_(*breakable)) if breakable and unnamed is None else ""
    lineno, _ = sources.edge_line(edge)
    depends = _shown(E.to_str(sym.direct_dep), model, sources)
    message = (f"{edge.source} selects {edge.target}, whose dependencies can be unmet: "
               f"{edge.target} depends on {depends}; unmet: {_shown(unmet_parts, model, sources) or depends}")
    select_point = EditPoint("select", edge.entry.file, edge.entry.line, edge.target, edge.nth)
    source_sym = model.symbols[edge.source]
    depends_point = EditPoint("depends", source_sym.locs[0].file, source_sym.locs[0].line, edge.source)
    loc = sym.locs[0]
    return Finding(
        rule=rule.id, name=rule.name, arch=model.arch, file=edge.entry.file, line=lineno, message=message,
        witness=proof,
        chain=(Step(loc.file, loc.line, f"{edge.target} depends on {depends}"),
               Step(edge.entry.file, lineno, f"{edge.source}: select {edge.target}")),
        point=select_point if guard else None, guard=guard,
        alternatives=(depends_point,) if guard else (),
        notes=() if guard else (f"no fix: the missing dependency is {unnamed}" if unnamed else
                                "no fix: no one of the target's dependencies is what the select leaves unmet",),
    )


def _shown(text: str, model: ArchModel, sources: Sources) -> str:
    """`text` with each probe's name (`KLTO_PROBE_<n>`, kltolint's own, in no
    tree) shown as the macro call its line spells (`$(cc-option,-mfoo)`)."""
    def macro(match: re.Match[str]) -> str:
        probe = model.probes.get(match.group())
        if probe is None:
            return match.group()
        calls = macro_calls(sources.line_text(probe.loc.file, probe.loc.line))
        return calls[0] if len(calls) == 1 else f"$(...) at {probe.loc}"

    return PROBE_NAME.sub(macro, text)



def _unmet_text(enc: Encoder, sym: Symbol, found: Assignment, selected_y: bool) -> str:
    """The conjuncts of the dependency that are below the selected value in
    the witness, and only those: `FB_CORE`, or `NET (m, selected y)`."""
    parts = []
    for conjunct in conjuncts(sym.direct_dep):
        dep = _dep(enc, sym, conjunct)
        if not found(dep.m):
            parts.append(E.to_str(conjunct))
        elif selected_y and not found(dep.y):
            parts.append(f"{E.to_str(conjunct)} (m, selected y)")
    return ", ".join(parts)


def select_of(model: ArchModel, point: EditPoint) -> tuple[Symbol, Edge] | None:
    """The select a finding's `select` edit point names, on `model`."""
    target = model.symbols.get(point.symbol)
    if point.kind != "select" or target is None:
        return None
    for edge in model.incoming("select", point.symbol):
        if (edge.entry.file, edge.entry.line, edge.nth) == (point.file, point.entry_line, point.nth):
            return target, edge
    return None


def forbidden_region(model: ArchModel, rule: Rule, finding: Finding) -> Region | None:
    """The configurations where the finding's select is unmet, on `model`."""
    found = select_of(model, finding.point) if finding.point is not None else None
    if found is None:
        return None
    sym, edge = found
    return lambda enc: unmet(enc, sym, edge)


def _check_all(model: ArchModel, rules: Sequence[Rule], sources: Sources, stats: Stats | None,
               scope: set[str] | None) -> list[Finding]:
    return [f for rule in rules for f in check(model, rule, sources, stats, scope)]


KIND = RuleKind(
    name="unmet-select", check=_check_all, forbidden_region=forbidden_region,
    finds=lambda rule: "selects whose target's own dependencies can be unmet while the select fires.",
    how_fixed=lambda rule: ("guard the select with the dependencies it can leave unmet (`select X if DEP`), "
                            "else add them as `depends on` to the selecting entry; none when a missing "
                            "dependency is a choice, which Kconfig cannot name"),
    fix="sometimes", flag="--sweep")


def is_sweep(rule: Rule) -> bool:
    return rule.kind == KIND.name


def split(rules: Iterable[Rule]) -> tuple[list[Rule], list[Rule]]:
    rules = list(rules)
    return [r for r in rules if not is_sweep(r)], [r for r in rules if is_sweep(r)]
