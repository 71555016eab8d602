"""The select sweep: every `select X [if C]` of an arch, checked.

`select` forces X on whatever X's own `depends on` says; the conf tool warns
("unmet direct dependencies detected for X") only for the one configuration
it evaluates. Here, for every select edge, the solver decides whether some
valid configuration has the selecting entry on (and C true) while X's direct
dependencies are below the selected value: the conf tool's own test,
`dir_dep < rev_dep`, with a bool's dependency value m counting as y.

The whole arch is encoded once; edges whose target has no dependencies, or
whose condition already contains every dependency, need no solver. Choice
members are skipped: the conf tool gives them the value of their choice, and
only warns outside that path.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from kltolint import expr as E
from kltolint import witness as W
from kltolint.findings import EditPoint, Finding, Stats, Step
from kltolint.logic import Assignment, Encoder, Query, Tri
from kltolint.model import ArchModel, Edge, Symbol
from kltolint.rules import Rule
from kltolint.source import Sources


def conjuncts(expr: E.Expr) -> tuple[E.Expr, ...]:
    return expr.args if isinstance(expr, E.And) else (expr,)


def _candidates(model: ArchModel, scope: set[str] | None, stats: Stats) -> list[tuple[Symbol, Edge]]:
    out = []
    for name in model.symbols:
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


def _touches(sym: Symbol, edge: Edge, scope: set[str]) -> bool:
    names = {sym.name, edge.source, *E.symbols(edge.cond), *E.symbols(sym.direct_dep)}
    return bool(names & scope)


def _dep(enc: Encoder, sym: Symbol, expr: E.Expr) -> Tri:
    """A dependency's value as the conf tool compares it: m counts as y for a bool."""
    tri = enc.expr(expr)
    return Tri(tri.m, tri.m) if sym.type == "bool" else tri


def _unmet(enc: Encoder, edge: Tri, dep: Tri) -> int:
    g = enc.g
    return g.or_((g.and_((edge.y, -dep.y)), g.and_((edge.m, -dep.m))))


def check(model: ArchModel, rule: Rule, sources: Sources, stats: Stats | None = None,
          scope: set[str] | None = None) -> list[Finding]:
    """One finding per selector/selectee pair whose select can be unmet.

    `scope` limits the sweep to edges that read one of those symbols (a fix's
    re-check: other edges cannot have changed)."""
    stats = stats if stats is not None else Stats()
    started = time.perf_counter()
    candidates = _candidates(model, scope, stats)
    enc = Encoder(model)
    goals = []
    for sym, edge in candidates:
        edge_tri = enc.edge_value(edge)
        goals.append((edge_tri, _dep(enc, sym, sym.direct_dep), sym, edge))
    enc.close()
    stats.encode += time.perf_counter() - started
    stats.solved += len(goals)
    hits = []
    started = time.perf_counter()
    with Query(enc) as query:
        for edge_tri, dep_tri, sym, edge in goals:
            if query.satisfiable([_unmet(enc, edge_tri, dep_tri)]):
                hits.append((sym, edge))
    # Each finding's witness from an encoder of its own select's cone (as the
    # forbid rules' are): explaining it then costs its cone, not the whole
    # arch, so many findings do not cost findings x symbols.
    findings = [_finding(model, rule, sym, edge, sources) for sym, edge in hits]
    stats.solve += time.perf_counter() - started
    stats.findings += len(findings)
    return findings


def _finding(model: ArchModel, rule: Rule, sym: Symbol, edge: Edge, sources: Sources) -> Finding:
    enc = Encoder(model)
    edge_tri = enc.edge_value(edge)
    goal = _unmet(enc, edge_tri, _dep(enc, sym, sym.direct_dep))
    with Query(enc) as query:
        found = W.minimise(query, [goal])
        assert found is not None
        proof = W.build(query, [goal], found, model, sources.line_text)
        # The unmet part: conjuncts the witness breaks, and the guard that removes
        # every broken configuration: each conjunct the select can break.
        unmet = _unmet_text(enc, sym, found, selected_y=found(edge_tri.y))
        breakable = [c for c in conjuncts(sym.direct_dep)
                     if query.solve([_unmet(enc, edge_tri, _dep(enc, sym, c))]) is not None]
    expressible = not any(E.has_choice(c) for c in breakable)
    guard = E.to_str(E.and_(*breakable)) if breakable and expressible else ""
    lineno, _ = sources.edge_line(edge)
    message = (f"{edge.source} selects {edge.target}, whose dependencies can be unmet: "
               f"{edge.target} depends on {E.to_str(sym.direct_dep)}; unmet: "
               f"{unmet or E.to_str(sym.direct_dep)}")
    select_point = EditPoint("select", edge.entry.file, edge.entry.line, edge.target, edge.nth)
    source_sym = model.symbols[edge.source]
    depends_point = EditPoint("depends", source_sym.locs[0].file, source_sym.locs[0].line, edge.source)
    loc = sym.locs[0]
    return Finding(
        rule=rule.id, name=rule.name, arch=model.arch, file=edge.entry.file, line=lineno, message=message,
        witness=proof,
        chain=(Step(loc.file, loc.line, f"{edge.target} depends on {E.to_str(sym.direct_dep)}"),
               Step(edge.entry.file, lineno, f"{edge.source}: select {edge.target}")),
        point=select_point if guard else None, guard=guard,
        alternatives=(depends_point,) if guard else (),
        notes=() if guard else ("no fix: the missing dependency is a choice, which Kconfig cannot name",),
    )


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


def is_sweep(rule: Rule) -> bool:
    return rule.kind == "unmet-select"


def split(rules: Iterable[Rule]) -> tuple[list[Rule], list[Rule]]:
    rules = list(rules)
    return [r for r in rules if not is_sweep(r)], [r for r in rules if is_sweep(r)]
