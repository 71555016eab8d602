"""Solving: a SAT solver over one encoder, fed incrementally."""

from __future__ import annotations

from collections.abc import Iterable

from pysat.solvers import Solver

from kltolint.logic.circuit import FALSE, TRUE, Tri
from kltolint.logic.encoder import Encoder


class Assignment:
    """A satisfying assignment, read literal by literal."""

    def __init__(self, model: list[int]) -> None:
        self._true = bytearray(len(model) + 2)
        for lit in model:
            if lit > 0:
                self._true[lit] = 1

    def __call__(self, lit: int) -> bool:
        if lit == TRUE:
            return True
        if lit == FALSE:
            return False
        return bool(self._true[lit]) if lit > 0 else not self._true[-lit]

    def tri(self, tri: Tri) -> str:
        return "y" if self(tri.y) else "m" if self(tri.m) else "n"


class Query:
    """A solver over one encoder, fed incrementally."""

    def __init__(self, enc: Encoder, solver: str = "glucose4") -> None:
        self.enc = enc
        self.solver = Solver(name=solver)
        self._fed = 0
        self._phased = (-1, -1)  # sizes of the preference sets behind _phases
        self._phases: list[int] = []

    def __enter__(self) -> Query:
        return self

    def __exit__(self, *exc: object) -> None:
        self.solver.delete()

    def feed(self, phases: bool = True) -> None:
        """Give the solver every clause encoded so far (and, with `phases`,
        the encoder's preferred values)."""
        enc = self.enc
        enc.close()
        clauses = enc.g.clauses
        if self._fed < len(clauses):
            self.solver.append_formula(clauses[self._fed:])
            self._fed = len(clauses)
        if not phases:
            return
        # Preferences are set again before every solve: that steers which of
        # the valid witnesses comes back. Only the list is kept between solves.
        inputs = enc.inputs
        if self._phased != (len(inputs.prefer_true), len(inputs.prefer_false)):
            self._phases = [v for v in inputs.prefer_true] + [-v for v in inputs.prefer_false]
            self._phased = (len(inputs.prefer_true), len(inputs.prefer_false))
        self.solver.set_phases(self._phases)

    def is_fed(self) -> bool:
        """Does the solver hold every clause the encoder has made?"""
        return len(self.enc.g.clauses) == self._fed

    def solve(self, assumptions: Iterable[int]) -> Assignment | None:
        """An assignment, or None when there is none."""
        self.feed()
        if not self.solver.solve(assumptions=[a for a in assumptions if a != TRUE]):
            return None
        return Assignment(self.solver.get_model() or [])

    def satisfiable(self, assumptions: Iterable[int]) -> bool:
        """Like solve, without reading the model back (that costs every
        variable), nor steering which model comes back (no one reads it)."""
        self.feed(phases=False)
        return bool(self.solver.solve(assumptions=[a for a in assumptions if a != TRUE]))

    def solve_within(self, assumptions: Iterable[int], conflicts: int) -> Assignment | None | bool:
        """Like solve, but gives up after `conflicts`: then returns True (unknown)."""
        self.feed()
        self.solver.conf_budget(conflicts)
        result = self.solver.solve_limited(assumptions=[a for a in assumptions if a != TRUE])
        if result is None:
            return True
        return Assignment(self.solver.get_model() or []) if result else None

    def core(self) -> list[int]:
        """After an unsatisfiable solve: assumptions that already conflict."""
        return list(self.solver.get_core() or [])
