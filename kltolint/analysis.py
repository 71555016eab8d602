"""Rules x arch -> findings, each with a witness and a responsible line.

For each rule the forbidden combination is asked of the solver. When it is
reachable, the witness is explained backwards from the rule's subject: why is
each symbol on (a select, the user's choice of a visible symbol, a default)?
Every select edge and every gating entry on that explanation is a candidate
edit point. A candidate is kept only if adding the rule's guard there makes
the combination unreachable (checked in memory, by the solver). Among those,
a select that forces its target past the target's own dependencies in a
forbidden configuration is the responsible line, whatever the rule's
strategy: that is where the combination gets through. Otherwise the rule's
strategy decides the kind, then the smallest blast radius (how many symbols
the edit can change), then the deepest link. The other closing candidates
are the finding's alternative edit points: the fixer offers the first whose
fix the miter proves safe, so a fix that changes thousands of symbols is not
offered while a local one exists.

A rule has at most one finding per arch: the blamed line closes the whole
combination alone. Where no single line does (two independent paths), the
finding says so and has no fix; finding each path's line in turn is not
done (the closing test asks for the whole combination).
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from kltolint import expr as E
from kltolint import dead, redundant, sweep
from kltolint import witness as W
from kltolint.findings import EditPoint, Finding, GuardEditKind, Stats, Step, Witness, unreachable
from kltolint.logic import Assignment, Edits, Encoder, Query, Sat, Unsat
from kltolint.model import ArchModel, Edge, Loc, Symbol
from kltolint.rulekind import Region, RuleKind
from kltolint.rules import Rule, RuleKindName
from kltolint.strategies import STRATEGIES
from kltolint.source import Logical, SourceFile, Sources  # noqa: F401 (Sources: re-exported)
from kltolint.source import default_lines as default_lines  # moved to source (provenance needs it alone)

MAX_CANDIDATES = 24  # closing tests per hole
MAX_ALTERNATIVES = 3  # other closing edit points a finding carries for the fixer


@dataclass(frozen=True)
class Candidate:
    """A place where the hole could be closed: guard a select edge, gate an entry, or narrow a default."""

    kind: GuardEditKind  # "select" (guard the edge), "depends" (gate the entry), "default" (narrow it)
    symbol: str  # select: the target; otherwise the entry's symbol
    edge: Edge | None
    depth: int
    default: int = -1  # "default": index into the symbol's defaults


@dataclass
class Overrides:
    """Edits tried in memory: guarded selects, added depends, narrowed defaults."""

    guards: dict[Edge, E.Expr]
    extra: dict[str, E.Expr]
    defaults: dict[tuple[str, int], E.Expr]

    @classmethod
    def none(cls) -> Overrides:
        return cls({}, {}, {})

    def plus(self, cand: Candidate, guard: E.Expr) -> Overrides:
        out = Overrides(dict(self.guards), dict(self.extra), dict(self.defaults))
        kind = cand.kind
        match kind:
            case "select":
                assert cand.edge is not None
                out.guards[cand.edge] = guard
            case "depends":
                out.extra[cand.symbol] = E.and_(self.extra.get(cand.symbol, E.Y), guard)
            case "default":
                key = (cand.symbol, cand.default)
                out.defaults[key] = E.and_(self.defaults.get(key, E.Y), guard)
            case _:
                unreachable(kind)
        return out

    def encoder(self, model: ArchModel, switches: frozenset[str] = frozenset()) -> Encoder:
        return Encoder(model, Edits(self.guards, self.extra, self.defaults), switches=switches)


def applies(rule: Rule, model: ArchModel) -> bool:
    """A rule speaks of an arch only where every symbol it names is defined:
    elsewhere `!AS_IS_LLVM` would hold vacuously."""
    return all(name in model.symbols for name in E.symbols(rule.forbid))


def check(model: ArchModel, rules: Iterable[Rule], sources: Sources, stats: Stats | None = None,
          scope: set[str] | None = None) -> list[Finding]:
    """Findings of every rule on one arch, each kind by its own check.
    `scope` (symbols) limits the checks to what reads them (a fix's
    re-check); `stats` collects the sweep's figures."""
    rules = list(rules)
    found = [f for name, kind in RULE_KINDS.items()
             for f in kind.check(model, [r for r in rules if r.kind == name], sources, stats, scope)]
    return sorted(found, key=Finding.sort_key)


def _check_forbid(model: ArchModel, rules: Sequence[Rule], sources: Sources, stats: Stats | None = None,
                  scope: set[str] | None = None) -> list[Finding]:
    """The forbidden combinations (`scope` does not apply: a rule's whole
    combination is asked)."""
    rules = [rule for rule in rules if applies(rule, model)]
    enc = Encoder(model)
    goals = [enc.expr(rule.forbid).m for rule in rules]
    reachable = []
    with Query(enc) as query:
        for rule, goal in zip(rules, goals, strict=True):
            if isinstance(query.find([goal]), Sat):
                reachable.append(rule)
    findings: list[Finding] = []
    if reachable:
        blast = blast_radius(model)
        for rule in reachable:
            findings.extend(_check_rule(model, rule, sources, blast))
    return findings


def guard_for(rule: Rule, model: ArchModel) -> E.Expr:
    """The first guard alternative whose symbols all exist on this arch."""
    for guard in rule.fix.guards:
        if all(name in model.symbols for name in E.symbols(guard)):
            return guard
    return rule.fix.guards[-1]


def _check_rule(model: ArchModel, rule: Rule, sources: Sources, blast: BlastRadius) -> list[Finding]:
    """The rule's finding on this arch, if its combination is reachable. A
    blamed line closes the whole combination alone, so there is no second
    hole to look for after it; where no single line closes it (independent
    paths), the one finding says so."""
    guard = guard_for(rule, model)
    none = Overrides.none()
    enc = none.encoder(model)
    goal = enc.expr(rule.forbid).m
    with Query(enc) as query:
        outcome = W.minimise(query, [goal])
        if isinstance(outcome, Unsat):
            return []
        found = outcome.model
        proof = W.build(query, [goal], found, model, sources.line_text)
        candidates, parents = _explain(enc, found, model, rule.subject, sources)
    closing = _blame(model, rule, guard, none, candidates, blast)
    if not closing:
        return [_unblamed(model, rule, proof, sources)]
    alternatives = tuple(edit_point(model, c) for c in closing[1:1 + MAX_ALTERNATIVES])
    return [replace(_finding(model, rule, guard, closing[0], proof, parents, sources), alternatives=alternatives)]


# -- explaining a witness ------------------------------------------------------------

Parent = dict[str, tuple[str | None, Step | None]]


def _explain(enc: Encoder, found: Assignment, model: ArchModel, subject: str,
             sources: Sources) -> tuple[list[Candidate], Parent]:
    """Candidates on the chain that turns `subject` on, and the chain itself."""
    candidates: list[Candidate] = []
    parents: Parent = {subject: (None, None)}
    queue = deque([(subject, 0)])
    while queue:
        name, depth = queue.popleft()
        sym_enc = enc.syms.get(name)
        sym = model.symbols.get(name)
        if sym_enc is None or sym is None or not found(sym_enc.value.m):
            continue
        selects = [e for e in model.incoming("select", name) if found(enc.edge_value(e).m)]
        if selects:
            for edge in selects:
                candidates.append(Candidate("select", name, edge, depth))
                lineno, text = sources.edge_line(edge)
                _visit(queue, parents, edge.source, name, depth, Step(edge.entry.file, lineno, f"{edge.source}: {text}"))
            continue
        candidates.append(Candidate("depends", name, None, depth))
        if sym_enc.user is None:
            how, conds = "is picked in its choice", list(sym.prompts)
            conds += list(model.choices[sym.choice].prompts) if sym.choice is not None else []
        elif found(sym_enc.vis.m) and found(sym_enc.user.m):
            how, conds = "is visible and switched on", list(sym.prompts)
        else:
            how, conds = "defaults on", [sym.direct_dep]
            active = _active_default(enc, found, sym)
            if active is not None:
                candidates.append(Candidate("default", name, None, depth, active))
                conds += [sym.defaults[active][0], sym.defaults[active][1]]
        for dep in dict.fromkeys(n for c in conds for n in E.symbols(c)):
            dep_enc = enc.syms.get(dep)
            if dep_enc is not None and found(dep_enc.value.m):
                _visit(queue, parents, dep, name, depth,
                       Step(sym.locs[0].file, sym.locs[0].line, f"{name} {how}, needing {dep}"))
    return candidates, parents


def _active_default(enc: Encoder, found: Assignment, sym: Symbol) -> int | None:
    """Index of the default that gave `sym` its value in the witness."""
    extra = enc.added_depends(sym.name)
    for index, (_, cond) in enumerate(sym.defaults):
        if found(enc.default_condition(sym, index, cond, extra).m):
            return index
    return None


def _visit(queue: deque[tuple[str, int]], parents: Parent, name: str, via: str, depth: int, step: Step) -> None:
    if name not in parents:
        parents[name] = (via, step)
        queue.append((name, depth + 1))


# -- choosing the responsible line -----------------------------------------------------

def _blame(model: ArchModel, rule: Rule, guard: E.Expr, done: Overrides,
           candidates: list[Candidate], blast: BlastRadius) -> list[Candidate]:
    """The candidates whose edit alone closes the hole, best first: the
    selects that force their target past its own dependencies in a forbidden
    configuration, then the others, each group in the order of `in_order`."""
    tried = in_order(model, rule, guard, candidates, blast)
    if not tried:
        return []
    # Every candidate's edit at once, each behind a switch (`guard || !switch`):
    # one encoder and one incremental solver, and a candidate is tried by
    # assuming its switch on and every other off - the circuit is then the one
    # with that edit alone.
    switches = [f"<blame {i}>" for i in range(len(tried))]
    edits = done
    for cand, switch in zip(tried, switches, strict=True):
        edits = edits.plus(cand, E.or_(guard, E.not_(E.Sym(switch))))
    enc = edits.encoder(model, frozenset(switches))
    goal = enc.expr(rule.forbid).m
    lits = [enc.value(switch).m for switch in switches]
    # With every switch off the circuit is the tree's (plus `done`).
    forcing = {i: sweep.unmet(enc, model.symbols[c.symbol], c.edge)
               for i, c in enumerate(tried) if c.kind == "select" and c.edge is not None}
    enc.close()
    with Query(enc) as query:
        closing = [i for i in range(len(tried))
                   if isinstance(query.find([goal, *(lit if j == i else -lit for j, lit in enumerate(lits))]), Unsat)]
        forces = {i for i in closing if i in forcing
                  and not isinstance(query.find([goal, forcing[i], *(-lit for lit in lits)]), Unsat)}
    return [tried[i] for i in sorted(closing, key=lambda i: i not in forces)]


def in_order(model: ArchModel, rule: Rule, guard: E.Expr, candidates: list[Candidate],
             blast: BlastRadius) -> list[Candidate]:
    """The candidates worth a closing test, best first: the rule's strategy
    decides the kind, then the smallest blast radius, the deepest link."""
    preferred = STRATEGIES[rule.fix.strategy].edit_kind
    unique = list({(c.kind, c.symbol, c.edge, c.default): c for c in candidates}.values())
    unique.sort(key=lambda c: (c.kind != preferred, blast.size(c.symbol), -c.depth,
                               not _in_arch(c, model), _loc(model, c)))
    out = []
    for cand in unique[:MAX_CANDIDATES]:
        if cand.kind == "depends" and model.incoming("select", cand.symbol) and cand.depth == 0:
            continue  # a select ignores depends: gating a selected symbol closes nothing
        if not blast.disjoint(cand.symbol, E.symbols(guard)):
            continue  # the guard reads the symbol it would gate: a dependency loop
        out.append(cand)
    return out


def _in_arch(cand: Candidate, model: ArchModel) -> bool:
    return _loc(model, cand).file.startswith(f"arch/{model.arch}/")


def _loc(model: ArchModel, cand: Candidate) -> Loc:
    if cand.edge is not None:
        return cand.edge.entry
    sym = model.symbols[cand.symbol]
    if cand.kind == "default" and cand.default < len(sym.default_locs):
        return sym.default_locs[cand.default][0]
    return _entry_loc(sym)


def _entry_loc(sym: Symbol) -> Loc:
    """The definition to edit: the one with a prompt, else the first."""
    return sym.locs[0]


_RADII: weakref.WeakKeyDictionary[ArchModel, BlastRadius] = weakref.WeakKeyDictionary()


def blast_radius(model: ArchModel) -> BlastRadius:
    """The index for `model`, built once (it reads every symbol)."""
    radius = _RADII.get(model)
    if radius is None:
        radius = _RADII[model] = BlastRadius(model)
    return radius


class BlastRadius:
    """How many symbols can change when one symbol changes (its forward cone)."""

    def __init__(self, model: ArchModel) -> None:
        self.users: Mapping[str, AbstractSet[str]] = (
            model.facts.users() if model.facts is not None else users_of(model))
        self._cones: dict[str, frozenset[str]] = {}  # blame sizes a cone, then reads it; a fix reads it twice

    def cone(self, name: str) -> set[str]:
        """`name` and every symbol whose value can depend on it."""
        return set(self._cone(name))

    def _cone(self, name: str) -> frozenset[str]:
        known = self._cones.get(name)
        if known is None:
            seen = {name}
            todo = [name]
            while todo:
                for user in self.users.get(todo.pop(), ()):
                    if user not in seen:
                        seen.add(user)
                        todo.append(user)
            known = self._cones[name] = frozenset(seen)
        return known

    def size(self, name: str) -> int:
        return len(self._cone(name))

    def ordered_cone(self, name: str) -> list[str]:
        """`name`'s cone, each symbol after the ones of the cone it reads
        (Kahn's order; a cycle is entered at its first name): the order in
        which a miter proves values unchanged one by one."""
        cone = self._cone(name)
        readers = {n: [u for u in self.users.get(n, ()) if u in cone and u != n] for n in cone}
        waiting = dict.fromkeys(cone, 0)
        for users in readers.values():
            for user in users:
                waiting[user] += 1
        out: list[str] = []
        ready = sorted((n for n, count in waiting.items() if count == 0), reverse=True) or [name]
        done: set[str] = set()
        by_name = sorted(cone)  # a cycle's first name: the first of these not done (done only grows)
        first = 0
        while len(out) < len(cone):
            if not ready:  # a cycle: enter it at its first name
                while by_name[first] in done:
                    first += 1
                ready = [by_name[first]]
            current = ready.pop()
            if current in done:
                continue
            done.add(current)
            out.append(current)
            for user in sorted(readers[current], reverse=True):
                waiting[user] -= 1
                if waiting[user] == 0:
                    ready.append(user)
        return out

    def disjoint(self, name: str, names: Iterable[str]) -> bool:
        """Is none of `names` in `name`'s cone?"""
        return self._cone(name).isdisjoint(names)


def users_of(model: ArchModel) -> dict[str, set[str]]:
    """symbol -> the symbols that read it, from the converted model (what
    model.LoadFacts.users answers without converting)."""
    users: dict[str, set[str]] = {}
    for sym in model.symbols.values():
        exprs = [sym.direct_dep, *sym.prompts, *(v for v, _ in sym.defaults), *(c for _, c in sym.defaults)]
        for name in {n for e in exprs for n in E.symbols(e)}:
            users.setdefault(name, set()).add(sym.name)
    for edge in model.edges:
        users.setdefault(edge.source, set()).add(edge.target)
        for name in E.symbols(edge.cond):
            users.setdefault(name, set()).add(edge.target)
    return users


# -- findings ------------------------------------------------------------------------

def edit_point(model: ArchModel, cand: Candidate) -> EditPoint:
    """Where a candidate's edit goes in the source."""
    kind = cand.kind
    match kind:
        case "select":
            assert cand.edge is not None
            return _select_point(cand.edge)
        case "default":
            return _default_point(model.symbols[cand.symbol], cand.default)
        case "depends":
            return _entry_point(model.symbols[cand.symbol])
        case _:
            unreachable(kind)


def _select_point(edge: Edge) -> EditPoint:
    return EditPoint("select", edge.entry.file, edge.entry.line, edge.target, edge.nth)


def _default_point(sym: Symbol, index: int) -> EditPoint:
    loc, nth = sym.default_locs[index]
    return EditPoint("default", loc.file, loc.line, sym.name, nth)


def _entry_point(sym: Symbol) -> EditPoint:
    loc = _entry_loc(sym)
    return EditPoint("depends", loc.file, loc.line, sym.name)


def _finding(model: ArchModel, rule: Rule, guard: E.Expr, cand: Candidate, proof: Witness, parents: Parent,
             sources: Sources) -> Finding:
    guard_text = E.to_str(guard)
    sym = model.symbols[cand.symbol]
    kind = cand.kind
    match kind:
        case "select":
            assert cand.edge is not None
            point, lineno, message, chain = _at_select(rule, cand.edge, guard_text, parents, sources)
        case "default":
            point, lineno, message, chain = _at_default(rule, sym, cand, guard_text, parents, sources)
        case "depends":
            point, lineno, message, chain = _at_entry(rule, sym, cand, guard_text, parents, sources)
        case _:
            unreachable(kind)
    return Finding(
        rule=rule.id, name=rule.name, arch=model.arch, file=point.file, line=lineno, message=message,
        witness=proof, chain=chain, point=point, guard=guard_text,
    )


# Where a finding is, by its edit point's kind: (point, line, message, chain).
_At = tuple[EditPoint, int, str, tuple[Step, ...]]


def _at_select(rule: Rule, edge: Edge, guard_text: str, parents: Parent, sources: Sources) -> _At:
    point = _select_point(edge)
    lineno, _ = sources.edge_line(edge)
    message = f"{rule.message}: {edge.source} selects {edge.target} here without `{guard_text}`"
    return point, lineno, message, _chain(parents, edge.source)


def _at_default(rule: Rule, sym: Symbol, cand: Candidate, guard_text: str, parents: Parent, sources: Sources) -> _At:
    loc, nth = sym.default_locs[cand.default]
    point = _default_point(sym, cand.default)
    lines = default_lines(sources.file(loc.file), loc.line)
    lineno = lines[nth].lineno if nth < len(lines) else loc.line
    message = f"{rule.message}: {cand.symbol} defaults on here without `{guard_text}`"
    chain = _chain(parents, cand.symbol) + (Step(loc.file, lineno, f"{cand.symbol}: {sources.line_text(loc.file, lineno).strip()}"),)
    return point, lineno, message, chain


def _at_entry(rule: Rule, sym: Symbol, cand: Candidate, guard_text: str, parents: Parent, sources: Sources) -> _At:
    loc = _entry_loc(sym)
    point = _entry_point(sym)
    entry = sources.file(loc.file).entry_at(loc.line)
    depends = entry.lines("depends") if entry else []
    lineno = depends[-1].lineno if depends else loc.line
    message = f"{rule.message}: {cand.symbol} does not depend on `{guard_text}`"
    chain = _chain(parents, cand.symbol) + (Step(loc.file, lineno, f"{cand.symbol}: {sources.line_text(loc.file, lineno).strip()}"),)
    return point, lineno, message, chain


def _chain(parents: Parent, end: str) -> tuple[Step, ...]:
    steps = []
    name: str | None = end
    while name is not None and name in parents:
        via, step = parents[name]
        if step is not None:
            steps.append(step)
        name = via
    return tuple(reversed(steps))


def _unblamed(model: ArchModel, rule: Rule, proof: Witness, sources: Sources) -> Finding:
    sym = model.symbols.get(rule.subject)
    loc = sym.locs[0] if sym else Loc("Kconfig", 1)
    return Finding(
        rule=rule.id, name=rule.name, arch=model.arch, file=loc.file, line=loc.line,
        message=f"{rule.message}: reachable for {rule.subject}, and no single select or depends line closes it",
        witness=proof, notes=("no fix: the combination is reachable along several independent paths",),
    )


# -- the rule kinds --------------------------------------------------------------------

def forbidden_region(model: ArchModel, rule: Rule, finding: Finding) -> Region | None:
    """A forbid rule's finding is about its combination, where the rule applies."""
    forbid = rule.forbid
    return (lambda enc: enc.expr(forbid).m) if applies(rule, model) else None


def _how_fixed(rule: Rule) -> str:
    guards = " or ".join(f"`{E.to_str(g)}`" for g in rule.fix.guards)
    return STRATEGIES[rule.fix.strategy].explain(guards)


FORBID = RuleKind(
    name="forbid", check=_check_forbid, forbidden_region=forbidden_region,
    finds=lambda rule: f"configurations where `{E.to_str(rule.forbid)}` holds.",
    how_fixed=_how_fixed, fix="sometimes", takes_strategy=True)

# Every rule kind (rules.RuleKindName), pre-commit's `all_languages`: `check`
# runs them in this order, the fixer takes its forbidden region from here, and
# `kltolint rule` its docs.
RULE_KINDS: Mapping[RuleKindName, RuleKind] = {kind.name: kind for kind in (
    FORBID, sweep.KIND, dead.DANGLING_KIND, dead.DEAD_KIND, redundant.RULE_KIND)}
