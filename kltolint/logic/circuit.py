"""The circuit: tristate literal pairs, Tseitin gates and the free inputs.

Literals are DIMACS integers; variable 1 is constant true, so TRUE and FALSE
are literals like any other and gates fold them away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

TRUE = 1
FALSE = -1


class Tri(NamedTuple):
    """A tristate value as two literals: at least m, and exactly y."""

    m: int  # value >= m
    y: int  # value == y


T_Y = Tri(TRUE, TRUE)
T_N = Tri(FALSE, FALSE)


class Gates:
    """Tseitin gates with constant folding and structural hashing."""

    def __init__(self) -> None:
        self.nvars = 1
        self.clauses: list[list[int]] = [[TRUE]]
        self._cache: dict[tuple[str, frozenset[int]], int] = {}

    def var(self) -> int:
        self.nvars += 1
        return self.nvars

    def and_(self, lits: Iterable[int]) -> int:
        seen: set[int] = set()
        for lit in lits:
            if lit == FALSE or -lit in seen:
                return FALSE
            if lit != TRUE:
                seen.add(lit)
        if not seen:
            return TRUE
        if len(seen) == 1:
            return next(iter(seen))
        key = ("and", frozenset(seen))
        out = self._cache.get(key)
        if out is None:
            out = self.var()
            self._cache[key] = out
            for lit in seen:
                self.clauses.append([-out, lit])
            self.clauses.append([out, *(-lit for lit in seen)])
        return out

    def or_(self, lits: Iterable[int]) -> int:
        return -self.and_(-lit for lit in lits)

    def ite(self, cond: int, then: int, other: int) -> int:
        if cond == TRUE or then == other:
            return then
        if cond == FALSE:
            return other
        return self.or_((self.and_((cond, then)), self.and_((-cond, other))))

    def iff(self, a: int, b: int) -> int:
        return self.or_((self.and_((a, b)), self.and_((-a, -b))))

    def equal(self, a: int, b: int) -> None:
        """Constrain a <-> b."""
        if a != b:
            self.clauses.append([-a, b])
            self.clauses.append([a, -b])

    def require(self, *lits: int) -> None:
        """Constrain: at least one of lits."""
        self.clauses.append(list(lits))


class Inputs:
    """The free inputs of the circuit, by name, and the gates they feed.

    Two encoders sharing one Inputs (a miter) see the same user choices,
    choice picks and probe answers: comparing their outputs compares two
    versions of a Kconfig tree on every configuration at once.
    """

    def __init__(self) -> None:
        self.g = Gates()
        self.vars: dict[tuple[object, ...], int] = {}
        self.prefer_true: set[int] = set()  # phase hints: probes, versions
        self.prefer_false: set[int] = set()  # phase hints: user choices
        self.ge_chains: dict[str, list[tuple[int, int]]] = {}
        self.str_sets: dict[str, list[int]] = {}
        # Called with each new input: constraints over inputs made later (catalogue).
        self.watchers: list[Callable[[tuple[object, ...], int], None]] = []

    def var(self) -> int:
        """A new variable, bound to nothing (a selector of the caller's own)."""
        return self.g.var()

    def require(self, *lits: int) -> None:
        """Constrain: at least one of lits."""
        self.g.require(*lits)

    def free(self, key: tuple[object, ...], prefer: bool | None = None) -> tuple[int, bool]:
        """The input named `key`, and whether it is new."""
        var = self.vars.get(key)
        if var is not None:
            return var, False
        var = self.vars[key] = self.g.var()
        if prefer is True:
            self.prefer_true.add(var)
        elif prefer is False:
            self.prefer_false.add(var)
        for watch in self.watchers:
            watch(key, var)
        return var, True
