"""The Kconfig model of one arch: symbols, choices, select/imply edges.

Plain frozen data (no kconfiglib objects), so it can be cached and compared.
Conditions are as kconfiglib computes them: each prompt, default, select and
imply condition already includes the entry's `depends on`, `if` and menu
dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Protocol, get_args
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet

from kltolint.expr import Expr

BOOL_TYPES = ("bool", "tristate")
INT_TYPES = ("int", "hex")


@dataclass(frozen=True, order=True)
class Loc:
    """A Kconfig file and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


EdgeKind = Literal["select", "imply"]
EDGE_KINDS: tuple[EdgeKind, ...] = get_args(EdgeKind)  # also the keywords of their lines


@dataclass(frozen=True)
class Edge:
    """`select TARGET [if C]` or `imply TARGET [if C]` in one entry."""

    kind: EdgeKind
    source: str  # the selecting symbol
    target: str
    cond: Expr  # the `if` part and the entry's dependencies
    entry: Loc  # the `config` line of the selecting entry
    nth: int  # 0 for the first `select TARGET` of that entry, 1 for a second...


@dataclass(frozen=True)
class Symbol:
    """One Kconfig symbol with every definition merged, as kconfiglib propagates it."""

    name: str
    type: str  # bool tristate int hex string unknown
    locs: tuple[Loc, ...]
    prompts: tuple[Expr, ...]  # visibility condition of each prompt
    direct_dep: Expr
    defaults: tuple[tuple[Expr, Expr], ...]  # (value, condition)
    ranges: tuple[tuple[Expr, Expr, Expr], ...]  # (low, high, condition)
    choice: int | None = None  # index of the choice it is a member of
    # For each default: the entry it is in and its rank among that entry's
    # default lines (def_bool counts as one), to find the line again.
    default_locs: tuple[tuple[Loc, int], ...] = ()


@dataclass(frozen=True)
class Choice:
    """One `choice` block: its visibility, dependencies and members."""

    index: int
    locs: tuple[Loc, ...]
    prompts: tuple[Expr, ...]
    direct_dep: Expr
    members: tuple[str, ...]
    optional: bool
    type: str
    defaults: tuple[tuple[str, Expr], ...] = ()  # (member, condition)


@dataclass(frozen=True)
class Probe:
    """A `$(shell,...)` call that was never run; its result is free."""

    name: str
    command: str
    loc: Loc


class LoadFacts(Protocol):
    """What the loader can answer from kconfiglib's objects without
    converting the whole model (load.py); fix verification and the blast
    radius ask it."""

    def users(self) -> Mapping[str, AbstractSet[str]]:
        """symbol -> the symbols whose dependencies, prompts, defaults or
        select/imply conditions read it (or that it selects or implies)."""
        ...

    def edges_from(self, name: str) -> tuple[Edge, ...]:
        """The select/imply edges of `name`'s entries."""
        ...

    def has_children(self, loc: Loc) -> bool:
        """Does the entry at `loc` pass its dependencies on to child entries
        (a menuconfig, or kconfiglib's implicit menu)?"""
        ...

    def may_reach(self, name: str, others: set[str]) -> bool:
        """Can a change of `name` change one of `others` (kconfiglib's own
        dependency graph, the one its dependency-loop check walks)?"""
        ...


@dataclass(frozen=True, eq=False)
class ArchModel:
    """One arch. `symbols`, `choices` and `edges` may be lazy views that
    convert from kconfiglib on first access (load.py): a check reads only
    its rules' cone of influence."""

    arch: str
    symbols: Mapping[str, Symbol]
    choices: Sequence[Choice]
    edges: Sequence[Edge]
    probes: Mapping[str, Probe]
    # the Kconfig files the arch is made of, relative to the root (what the
    # load read, with identities and globs, is its tree.LoadRecord)
    files: tuple[str, ...]
    # (VERSION, PATCHLEVEL) from the tree's Makefile; None (no Makefile, as in
    # small test trees) reads as the newest kernel.
    kernel: tuple[int, int] | None = None
    incoming_source: Callable[[str, str], tuple[Edge, ...]] | None = field(default=None, repr=False)
    facts: LoadFacts | None = field(default=None, repr=False)

    def incoming(self, kind: str, target: str) -> tuple[Edge, ...]:
        """The select (or imply) edges that point at `target`."""
        if self.incoming_source is not None:
            return self.incoming_source(kind, target)
        return self._by_target.get((kind, target), ())

    @cached_property
    def _by_target(self) -> dict[tuple[str, str], tuple[Edge, ...]]:
        """(kind, target) -> edges, built on first use (a cache, not state:
        the model's fields never change)."""
        index: dict[tuple[str, str], list[Edge]] = {}
        for edge in self.edges:
            index.setdefault((edge.kind, edge.target), []).append(edge)
        return {key: tuple(edges) for key, edges in index.items()}

    def is_probe(self, name: str) -> bool:
        return name in self.probes

    @property
    def choices_6_11(self) -> bool:
        """Linux 6.11 reworked choices (scripts/kconfig/symbol.c
        sym_calc_choice): members inherit only the choice's `depends on`, and
        a visible member is always picked, prompt shown or not."""
        return self.kernel is None or self.kernel >= (6, 11)
