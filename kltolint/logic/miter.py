"""Miters: two versions of a model over the same free inputs, compared.

The original model and an edited one are encoded over one `Inputs`, so every
user choice, choice pick and probe answer is shared; a symbol outside the
edit's cone is taken from the original (it cannot differ). The solver is
then asked for a configuration where a compared value differs: Unsat proves
that none does. Unknown (the solver gave up) proves nothing, so a caller
must never read it as "the same".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass

from kltolint.expr import Expr, has_choice, symbols
from kltolint.logic.circuit import Inputs, Tri
from kltolint.logic.encoder import Encoder
from kltolint.logic.solve import Outcome, Query, Sat, Unknown, Unsat
from kltolint.model import BOOL_TYPES, ArchModel, Edge

MITER_CONFLICTS = 50_000  # beyond this, nothing is proven


class Miter:
    """`old` encodes `before`; `new` encodes `after`, sharing `old`'s
    encoding of every symbol for which `unchanged(name)` holds."""

    def __init__(self, before: ArchModel, after: ArchModel, unchanged: Callable[[str], bool]) -> None:
        self.inputs = Inputs()
        self.old = Encoder(before, inputs=self.inputs)
        self.new = Encoder(after, inputs=self.inputs, original=self.old, unchanged=unchanged)

    def differ(self, a: Tri, b: Tri) -> int:
        """A literal for "a and b take different values"."""
        g = self.inputs.g
        return g.or_((-g.iff(a.m, b.m), -g.iff(a.y, b.y)))

    def decide(self, differences: Iterable[int], assumptions: Sequence[int] = (),
               conflicts: int = MITER_CONFLICTS) -> Outcome:
        """Sat: under `assumptions`, one of `differences` holds in the model
        returned; Unsat: none ever does; Unknown: not decided in `conflicts`."""
        self.new.close()
        with Query(self.new) as query:
            return query.decide([*assumptions, self.inputs.g.or_(differences)], conflicts)


def settable(model: ArchModel, name: str) -> bool:
    """Can a user set the symbol (a bool/tristate with a prompt)?"""
    sym = model.symbols.get(name)
    return sym is not None and sym.type in BOOL_TYPES and bool(sym.prompts)


@dataclass(frozen=True)
class Differs:
    """A configuration outside the excluded ones where `name` goes from `was` to `now`."""

    name: str
    was: str
    now: str


def collateral_change(before: ArchModel, after: ArchModel, cone: Set[str],
                      forbidden: Expr | Callable[[Encoder], int],
                      conflicts: int = MITER_CONFLICTS, order: Sequence[str] = ()) -> Differs | Unsat | Unknown:
    """Does the edit change a user-settable symbol of `cone` (every symbol it
    can change) in some configuration where `forbidden` does not hold on
    `before`? Unsat: no, the edit removes only forbidden configurations.
    `forbidden` is an expression, or a rule kind's region: a function giving
    its literal in an encoder of `before`.

    The cone is swept one symbol at a time, in `order` where given (a symbol
    after those it reads: the edited one first), the rest by name: a symbol
    proven to keep its value outside the forbidden region is then read from
    `before`'s encoding by the symbols after it, so each proof compares two
    circuits that differ only where values really differ (SAT sweeping).
    One miter over a cone of thousands of symbols could take minutes; these
    small proofs, most by unit propagation alone, take a fraction of a
    second. `conflicts` bounds the searches of the whole sweep: past it,
    what is left unproven is Unknown."""
    miter = Miter(before, after, lambda name: name not in cone)
    outside = -(forbidden(miter.old) if callable(forbidden) else miter.old.expr(forbidden).m)
    names = list(dict.fromkeys([*(n for n in order if n in cone), *sorted(cone)]))
    compared = {n for n in names if settable(before, n) or settable(after, n)}
    if not compared:
        return Unsat()
    unproven = False
    identified: set[str] = set()
    with Query(miter.new) as query:
        for name in names:
            if name not in compared and not (_tri_valued(before, name) and _tri_valued(after, name)):
                continue  # an int, hex or string: what reads it is compared instead
            reads = _same_definition(before, after, name)
            if reads is not None and all(n in identified or n not in cone for n in reads):
                miter.new.identify(name)  # the same function of the same values: nothing to prove or encode
                identified.add(name)
                continue
            a, b = miter.old.value(name), miter.new.value(name)
            left = conflicts - query.conflicts()  # one budget for the whole sweep
            outcome = _refuted(query, outside, a, b) or (
                query.decide([outside, miter.differ(a, b)], left) if left > 0 else Unknown())
            if isinstance(outcome, Unsat):
                if not _choice_member(before, name) and not _choice_member(after, name):
                    miter.new.identify(name)  # choice members: their picks are compared as a choice
                    identified.add(name)
            elif isinstance(outcome, Sat) and name in compared:
                return Differs(name, outcome.model.tri(a), outcome.model.tri(b))
            elif isinstance(outcome, Unknown) and name in compared:
                unproven = True
    return Unknown() if unproven else Unsat()


def _refuted(query: Query, outside: int, a: Tri, b: Tri) -> Unsat | None:
    """Unsat when unit propagation alone shows `a` and `b` equal outside the
    region: each literal of one implies the other's, both ways. Most
    symbols of a swept cone read only proven-unchanged ones, so their two
    circuits share every gate and this needs no search."""
    for x, y in ((a.m, b.m), (a.y, b.y)):
        if x != y and not (query.propagation_refutes([outside, x, -y]) and query.propagation_refutes([outside, -x, y])):
            return None
    return Unsat()


def _same_definition(before: ArchModel, after: ArchModel, name: str) -> set[str] | None:
    """The names a bool/tristate's value reads, where its definition is the
    same in both models (prompts, dependencies, defaults, the selects and
    implies that reach it); None where it differs, or reads a choice."""
    old, new = before.symbols.get(name), after.symbols.get(name)
    if old is None or new is None or old.choice is not None or new.choice is not None:
        return None
    if (old.type, old.prompts, old.direct_dep, old.defaults) != (new.type, new.prompts, new.direct_dep, new.defaults):
        return None
    edges = [[(e.kind, e.source, e.cond) for kind in ("select", "imply") for e in model.incoming(kind, name)]
             for model in (before, after)]
    if edges[0] != edges[1]:
        return None
    exprs = [*old.prompts, old.direct_dep, *(e for pair in old.defaults for e in pair), *(c for _, _, c in edges[0])]
    if any(has_choice(e) for e in exprs):
        return None
    return {"MODULES", *(n for e in exprs for n in symbols(e)), *(source for _, source, _ in edges[0])}


def _tri_valued(model: ArchModel, name: str) -> bool:
    sym = model.symbols.get(name)
    return sym is not None and sym.type in BOOL_TYPES


def _choice_member(model: ArchModel, name: str) -> bool:
    sym = model.symbols.get(name)
    return sym is not None and sym.choice is not None


def same_values(before: ArchModel, after: ArchModel, name: str, edges: Sequence[tuple[Edge, Edge]],
                conflicts: int = MITER_CONFLICTS) -> Outcome:
    """Compare, where only `name` is re-encoded, its value and each pair
    (edge in `before`, its twin in `after`) of select/imply edge values.
    Unsat: all of them agree in every configuration."""
    miter = Miter(before, after, lambda other: other != name)
    old, new = miter.old, miter.new
    pairs = [(old.value(name), new.value(name)), *((old.edge_value(x), new.edge_value(y)) for x, y in edges)]
    return miter.decide([miter.differ(a, b) for a, b in pairs], (), conflicts)
