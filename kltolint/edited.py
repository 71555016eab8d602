"""A fix applied to the model directly: the arch as kconfiglib loads it after
the fix's one-line edit, without parsing the tree again.

Verifying a fix needs the patched model of every arch that reads the file;
a reload costs a kconfiglib parse per arch. The fixer's edits are small and
their effect on kconfiglib's model is exact and local:

- `select X if C` -> `select X if C && G`: that edge's condition gains `G`
  (kconfiglib ANDs the entry's dependencies onto C either way);
- `default V if C` -> `default V if C && G`: that default's condition gains `G`;
- `depends on G` added to an entry: kconfiglib ANDs an entry's dependencies
  into its prompt, defaults, ranges and select/imply conditions, and the
  symbol's direct dependencies are those of its one entry.

Only the order of conjuncts can differ from a reload. Where the effect is
not that local, `apply` returns None and the caller reloads: a symbol defined
in several entries, an entry whose child entries inherit its dependencies,
an edit point that is not where the model says, and an edit that could close
a dependency loop (kconfiglib's loop check would reject the patched tree).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import overload

from kltolint import expr as E
from kltolint.findings import EditPoint, unreachable
from kltolint.model import ArchModel, Edge, LoadFacts, Loc, Symbol


def apply(model: ArchModel, point: EditPoint, guard: E.Expr) -> ArchModel | None:
    """`model` with `guard` added at `point`, or None when only a reload can tell."""
    facts = model.facts
    if facts is None:
        return None
    names = set(E.symbols(guard))
    entry = Loc(point.file, point.entry_line)
    kind = point.kind
    match kind:
        case "select":
            return _guard_select(model, facts, point, entry, guard, names)
        case "default":
            return _narrow_default(model, facts, point, entry, guard, names)
        case "depends":
            return _add_depends(model, facts, point, entry, guard, names)
        case "redundant-true" | "redundant-false":
            return None  # KRED deletes a term: its fixes are verified on the reloaded tree
        case _:
            unreachable(kind)


def _guard_select(model: ArchModel, facts: LoadFacts, point: EditPoint, entry: Loc, guard: E.Expr,
                  names: set[str]) -> ArchModel | None:
    edge = next((e for e in model.incoming("select", point.symbol)
                 if e.entry == entry and e.nth == point.nth), None)
    if edge is None or facts.may_reach(edge.target, names):
        return None
    return _derived(model, {}, {id(edge): _guarded(edge, guard)}, {n: {edge.target} for n in names})


def _narrow_default(model: ArchModel, facts: LoadFacts, point: EditPoint, entry: Loc, guard: E.Expr,
                    names: set[str]) -> ArchModel | None:
    sym = model.symbols.get(point.symbol)
    if sym is None or facts.may_reach(sym.name, names):
        return None
    index = next((i for i, loc in enumerate(sym.default_locs) if loc == (entry, point.nth)), None)
    if index is None:
        return None
    defaults = list(sym.defaults)
    value, cond = defaults[index]
    defaults[index] = (value, E.and_(cond, guard))
    return _derived(model, {sym.name: dataclasses.replace(sym, defaults=tuple(defaults))}, {}, {n: {sym.name} for n in names})


def _add_depends(model: ArchModel, facts: LoadFacts, point: EditPoint, entry: Loc, guard: E.Expr,
                 names: set[str]) -> ArchModel | None:
    sym = model.symbols.get(point.symbol)
    if sym is None or facts.may_reach(sym.name, names):
        return None
    if sym.locs != (entry,) or facts.has_children(entry):
        return None
    edges = facts.edges_from(sym.name)
    gated = dataclasses.replace(
        sym,
        direct_dep=E.and_(sym.direct_dep, guard),
        prompts=tuple(E.and_(p, guard) for p in sym.prompts),
        defaults=tuple((v, E.and_(c, guard)) for v, c in sym.defaults),
        ranges=tuple((lo, hi, E.and_(c, guard)) for lo, hi, c in sym.ranges),
    )
    readers = {sym.name, *(e.target for e in edges)}
    return _derived(model, {sym.name: gated}, {id(e): _guarded(e, guard) for e in edges},
                    {n: set(readers) for n in names})


def _guarded(edge: Edge, guard: E.Expr) -> Edge:
    return Edge(edge.kind, edge.source, edge.target, E.and_(edge.cond, guard), edge.entry, edge.nth)


def _derived(model: ArchModel, symbols: dict[str, Symbol], edges: dict[int, Edge],
             readers: dict[str, set[str]]) -> ArchModel:
    def incoming(kind: str, target: str) -> tuple[Edge, ...]:
        return tuple(edges.get(id(e), e) for e in model.incoming(kind, target))

    return ArchModel(
        arch=model.arch, symbols=_Overlay(model.symbols, symbols), choices=model.choices,
        edges=_Edges(model.edges, edges), probes=model.probes, files=model.files, kernel=model.kernel,
        incoming_source=incoming,
        facts=_Facts(model, readers),
    )


class _Overlay(Mapping[str, Symbol]):
    def __init__(self, base: Mapping[str, Symbol], changed: dict[str, Symbol]) -> None:
        self._base, self._changed = base, changed

    def __getitem__(self, name: str) -> Symbol:
        return self._changed[name] if name in self._changed else self._base[name]

    def __contains__(self, name: object) -> bool:
        return name in self._base

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


class _Edges(Sequence[Edge]):
    def __init__(self, base: Sequence[Edge], changed: dict[int, Edge]) -> None:
        self._base, self._changed = base, changed

    @overload
    def __getitem__(self, index: int) -> Edge: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Edge]: ...

    def __getitem__(self, index: int | slice) -> Edge | Sequence[Edge]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        edge = self._base[index]
        return self._changed.get(id(edge), edge)

    def __len__(self) -> int:
        return len(self._base)


class _MoreUsers(Mapping[str, AbstractSet[str]]):
    """The original's users index plus the edit's new readers, each entry
    read from the original's when first asked (it may be built lazily)."""

    def __init__(self, base: Mapping[str, AbstractSet[str]], readers: dict[str, set[str]]) -> None:
        self._base, self._readers = base, readers

    def __getitem__(self, name: str) -> AbstractSet[str]:
        more = self._readers.get(name)
        if more is None:
            return self._base[name]
        return set(self._base.get(name, ())) | more

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._base, *self._readers]))

    def __len__(self) -> int:
        return len(set(self._base) | set(self._readers))


class _Facts:
    """The original's facts plus the edit's new readers. Only what a
    verification asks of an edited model is answered."""

    def __init__(self, model: ArchModel, readers: dict[str, set[str]]) -> None:
        assert model.facts is not None
        self._base, self._readers = model.facts, readers

    def users(self) -> Mapping[str, AbstractSet[str]]:
        return _MoreUsers(self._base.users(), self._readers)

    def edges_from(self, name: str) -> tuple[Edge, ...]:
        raise NotImplementedError("an edited model is not edited again")

    def has_children(self, loc: Loc) -> bool:
        raise NotImplementedError("an edited model is not edited again")

    def may_reach(self, name: str, others: set[str]) -> bool:
        raise NotImplementedError("an edited model is not edited again")
