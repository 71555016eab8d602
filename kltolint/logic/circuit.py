"""The circuit: tristate literal pairs, Tseitin gates and the free inputs.

Literals are DIMACS integers; variable 1 is constant true, so TRUE and FALSE
are literals like any other and gates fold them away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, NamedTuple, get_args

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
        self._cache: dict[frozenset[int], int] = {}  # an AND gate by its operands

    def var(self) -> int:
        self.nvars += 1
        return self.nvars

    def and_(self, lits: Iterable[int]) -> int:
        # The hottest function of every encoding: two operands (most calls)
        # take a short path. Either way `seen` is built by inserting the
        # operands in order, so a gate's clauses come out in the same order.
        if type(lits) is not tuple:
            lits = tuple(lits)
        if len(lits) == 2:
            a, b = lits
            if a == FALSE or b == FALSE or a == -b:
                return FALSE
            if a == TRUE:
                return b
            if b == TRUE or a == b:
                return a
            seen = {a, b}
        else:
            seen = set()
            for lit in lits:
                if lit == FALSE or -lit in seen:
                    return FALSE
                if lit != TRUE:
                    seen.add(lit)
            if not seen:
                return TRUE
            if len(seen) == 1:
                return next(iter(seen))
        key = frozenset(seen)
        out = self._cache.get(key)
        if out is None:
            out = self.var()
            self._cache[key] = out
            clauses = self.clauses
            for lit in seen:
                clauses.append([-out, lit])
            clauses.append([out, *(-lit for lit in seen)])
        return out

    def or_(self, lits: Iterable[int]) -> int:
        if type(lits) is tuple and len(lits) == 2:
            return -self.and_((-lits[0], -lits[1]))
        return -self.and_(tuple([-lit for lit in lits]))

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


InputKind = Literal[
    "user",  # a user's value of bool/tristate `what`: at least m
    "user-y",  # ... and y (a tristate)
    "pick",  # the user picks member `what` of its choice
    "repick",  # a miter's edited side re-encodes the choice: its pick of `what` (the user's while still visible)
    "user-ge",  # a user's value of int/hex `what` is >= `at`
    "user-str",  # a user's value of string `what` is the text `at`
    "probe",  # probe command `what` succeeds
    "probe-ge",  # probe command `what` answers a number >= `at`
    "probe-str",  # probe command `what` answers the text `at`
    "tool-ge",  # a number the toolchain exports (`what`, with <VAR> placeholders) is >= `at`
    "tool-str",  # a text the toolchain exports is `at`
    "switch",  # an edit turned on and off by assumptions (the blame search)
    "cmp",  # a comparison of two free operands (`what`: its text), not modelled
    "bound-ge",  # a range bound that is not a number (`what`) is >= `at`, not modelled
    "value-ge",  # a default's value that is not modelled is >= `at`
    "value-eq",  # ... is the text `at`
]
INPUT_KINDS: tuple[InputKind, ...] = get_args(InputKind)
_USER_CHOICES = frozenset({"user", "user-y", "pick", "user-ge", "user-str"})
_ANSWERS = frozenset({"probe", "probe-ge", "probe-str", "tool-ge", "tool-str"})


class InputKey(NamedTuple):
    """The name of a free input: what kind of value it is, whose (`what`: a
    symbol, a probe command, a toolchain text or an expression's text), and
    for a threshold or a text, the number or text compared with (`at`)."""

    kind: InputKind
    what: str
    at: int | str | None = None

    def is_user_choice(self) -> bool:
        """A value the user sets in a .config (a fragment line decides it)."""
        return self.kind in _USER_CHOICES

    def is_answer(self) -> bool:
        """An answer of the toolchain: a probe's result or an exported value."""
        return self.kind in _ANSWERS

    def compared_with(self, at: int | str) -> InputKey:
        """The input "this value >= at" (a threshold) or "= at" (a text)."""
        return self._replace(at=at)


class Inputs:
    """The free inputs of the circuit, by name, and the gates they feed.

    Two encoders sharing one Inputs (a miter) see the same user choices,
    choice picks and probe answers: comparing their outputs compares two
    versions of a Kconfig tree on every configuration at once.
    """

    def __init__(self) -> None:
        self.g = Gates()
        self.vars: dict[InputKey, int] = {}
        self.prefer_true: set[int] = set()  # phase hints: probes, versions
        self.prefer_false: set[int] = set()  # phase hints: user choices
        # By the key of the value (no `at`): its (c, ">= c" literal) thresholds in order, its texts.
        self.ge_chains: dict[InputKey, list[tuple[int, int]]] = {}
        self.str_sets: dict[InputKey, int] = {}  # a text input: "one of its values so far holds"
        # Called with each new input: constraints over inputs made later (catalogue).
        self.watchers: list[Callable[[InputKey, int], None]] = []

    def var(self) -> int:
        """A new variable, bound to nothing (a selector of the caller's own)."""
        return self.g.var()

    def require(self, *lits: int) -> None:
        """Constrain: at least one of lits."""
        self.g.require(*lits)

    def free(self, key: InputKey, prefer: bool | None = None) -> tuple[int, bool]:
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
