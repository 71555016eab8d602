"""Solving: a SAT solver over one encoder, and what it answers.

Every answer is an `Outcome`: `Sat` with a satisfying assignment, `Unsat`
with the assumptions that conflict (the core), or `Unknown` when the solver
gave up within its budget. Unknown proves nothing either way: a caller that
needs Unsat to call something safe or unchanged must read Unknown as "not
proven".
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, overload

try:
    import pysolvers  # python-sat's C module: its pysat.solvers.Glucose4 is a thin class over it
except ImportError:  # a python-sat without it: new_solver falls back to pysat.solvers
    pysolvers = None

from kltolint.logic.circuit import FALSE, TRUE, Tri
from kltolint.logic.encoder import Encoder


class Solver(Protocol):
    """What a Query asks of its SAT solver: pysat.solvers.Glucose4's calls."""

    def append_formula(self, clauses: Iterable[list[int]]) -> Any: ...
    def set_phases(self, literals: list[int]) -> Any: ...
    def solve(self, assumptions: list[int]) -> Any: ...
    def solve_limited(self, assumptions: list[int]) -> Any: ...
    def conf_budget(self, budget: int) -> Any: ...
    def get_model(self) -> Any: ...
    def get_core(self) -> Any: ...
    def propagate(self, assumptions: list[int], phase_saving: int = 0) -> Any: ...
    def accum_stats(self) -> Any: ...
    def delete(self) -> Any: ...


def new_solver() -> Solver:
    """A Glucose 4.1: this module's `Glucose` when python-sat's C module
    answers as this module drives it (`DIRECT`), else python-sat's own class:
    a python-sat that changed its C module's calls then costs the import of
    pysat.solvers, not every answer."""
    if DIRECT:
        return Glucose()
    from pysat.solvers import Glucose4

    solver: Solver = Glucose4()
    return solver


def drives_pysolvers() -> bool:
    """Does `Glucose` work with this python-sat? Every call it makes, on
    `-1 | 2` with phases and a budget, answered as Glucose4 answers it."""
    if pysolvers is None:
        return False
    solver = None
    try:
        solver = Glucose()
        solver.append_formula([[-1, 2]])
        solver.set_phases([-2])
        solver.conf_budget(100)
        implied, limited, model = solver.propagate([1]), solver.solve_limited([1]), solver.get_model()
        refuted, core, stats = solver.solve([1, -2]), sorted(solver.get_core() or ()), solver.accum_stats()
        return (implied[0] is True and 2 in implied[1] and limited is True and 2 in (model or ())
                and refuted is False and core == [-2, 1] and "conflicts" in stats)
    except Exception:  # noqa: BLE001 (a changed C module can fail in any way: the fallback serves)
        return False
    finally:
        if solver is not None:
            try:
                solver.delete()
            except Exception:  # noqa: BLE001
                pass


class Glucose:
    """Glucose 4.1, driven as python-sat's pysat.solvers.Glucose4 drives it
    (the same calls into `pysolvers`, in the same order), without importing
    pysat.solvers: its 6,000 lines cost a new question on a saved model more
    than anything it does with them (tests/logic/test_solve.py checks the
    two answer alike)."""

    def __init__(self) -> None:
        self._solver: object | None = pysolvers.glucose41_new()
        self.status: bool | None = None

    def delete(self) -> None:
        if self._solver is not None:
            pysolvers.glucose41_del(self._solver)
            self._solver = None

    def __del__(self) -> None:
        self.delete()

    def add_clause(self, clause: list[int]) -> None:
        if pysolvers.glucose41_add_cl(self._solver, clause) is False:  # the formula cannot hold
            self.status = False

    def append_formula(self, clauses: Iterable[list[int]]) -> None:
        add, solver = pysolvers.glucose41_add_cl, self._solver  # add_clause's body: ~50,000 clauses a question
        for clause in clauses:
            if add(solver, clause) is False:
                self.status = False

    def set_phases(self, literals: list[int]) -> None:
        pysolvers.glucose41_setphases(self._solver, literals)

    def solve(self, assumptions: list[int]) -> bool:
        self.status = pysolvers.glucose41_solve(self._solver, assumptions, _main_thread())
        return bool(self.status)

    def solve_limited(self, assumptions: list[int]) -> bool | None:
        self.status = pysolvers.glucose41_solve_lim(self._solver, assumptions, _main_thread(), 0)
        return self.status

    def conf_budget(self, budget: int) -> None:
        pysolvers.glucose41_cbudget(self._solver, budget)

    def get_model(self) -> list[int] | None:
        if self.status is True:
            model = pysolvers.glucose41_model(self._solver)
            return model if model is not None else []
        return None

    def propagate(self, assumptions: list[int], phase_saving: int = 0) -> tuple[bool, list[int]]:
        """Unit propagation of `assumptions` alone: (no conflict, the literals implied)."""
        status, implied = pysolvers.glucose41_propagate(self._solver, assumptions, phase_saving, _main_thread())
        return bool(status), implied if implied is not None else []

    def accum_stats(self) -> dict[str, int]:
        """Restarts, conflicts, decisions and propagations so far."""
        stats: dict[str, int] = pysolvers.glucose41_acc_stats(self._solver)
        return stats

    def get_core(self) -> list[int] | None:
        if self.status is False:
            core: list[int] | None = pysolvers.glucose41_core(self._solver)
            return core
        return None


def _main_thread() -> int:
    """pysat's MainThread.check: the C side handles ^C only in the main thread."""
    return int(threading.current_thread() is threading.main_thread())


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


@dataclass(frozen=True)
class Sat:
    """The formula holds under the assumptions: `model` is one assignment."""

    model: Assignment


@dataclass(frozen=True)
class Unsat:
    """The formula cannot hold under the assumptions; `core` is a subset of
    them that already conflicts (empty when the formula alone cannot hold)."""

    core: tuple[int, ...] = ()


@dataclass(frozen=True)
class Unknown:
    """The solver gave up (conflict budget spent): nothing is proven."""


Outcome = Sat | Unsat | Unknown


class Query:
    """A solver over one encoder, fed incrementally."""

    def __init__(self, enc: Encoder) -> None:
        self.enc = enc
        self.solver = new_solver()
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

    def find(self, assumptions: Iterable[int], *, steer: bool = True) -> Sat | Unsat:
        """Sat with a model of the assumptions, or Unsat with a core of them:
        with no budget the solver never gives up. `steer` sets the encoder's
        preferred values first (which witness comes back); without it the
        solver keeps its current phases, e.g. those given to `prefer`."""
        outcome = self._run(assumptions, None, steer)
        if isinstance(outcome, Unknown):
            raise RuntimeError("the solver gave up without a budget")
        return outcome

    @overload
    def decide(self, assumptions: Iterable[int], conflicts: None = None) -> Sat | Unsat: ...

    @overload
    def decide(self, assumptions: Iterable[int], conflicts: int) -> Outcome: ...

    def decide(self, assumptions: Iterable[int], conflicts: int | None = None) -> Outcome:
        """Sat, Unsat or, past `conflicts` conflicts (when given), Unknown."""
        return self._run(assumptions, conflicts, True)

    def _run(self, assumptions: Iterable[int], conflicts: int | None, steer: bool) -> Outcome:
        self.feed(phases=steer)
        wanted = [a for a in assumptions if a != TRUE]
        if conflicts is None:
            result: bool | None = self.solver.solve(assumptions=wanted)
        else:
            self.solver.conf_budget(conflicts)
            result = self.solver.solve_limited(assumptions=wanted)
        if result is None:
            return Unknown()
        if result:
            return Sat(Assignment(self.solver.get_model() or []))
        return Unsat(tuple(self.solver.get_core() or ()))

    def conflicts(self) -> int:
        """Conflicts met by every search of this solver so far."""
        return int((self.solver.accum_stats() or {}).get("conflicts", 0))

    def propagation_refutes(self, assumptions: Iterable[int]) -> bool:
        """Does unit propagation alone make the assumptions conflict? True
        proves them unsatisfiable together; False proves nothing (a search
        may still refute them). No search, so no model and no budget."""
        self.feed(phases=False)
        wanted = [a for a in assumptions if a != TRUE]
        if FALSE in wanted:
            return True
        status, _ = self.solver.propagate(assumptions=wanted)
        return not status

    def prefer(self, lits: Iterable[int]) -> None:
        """Feed the solver, then make it try each literal of `lits` true first,
        over the encoder's preferences (a steered find sets those again)."""
        self.feed()
        self.solver.set_phases(list(lits))

    def solve(self, assumptions: Iterable[int]) -> Assignment | None:
        """An assignment, or None when there is none. For tests: the package
        reads outcomes (find), where Unsat cannot be mistaken for a model."""
        found = self.find(assumptions)
        return found.model if isinstance(found, Sat) else None

    def satisfiable(self, assumptions: Iterable[int]) -> bool:
        """Is there a model? Like find, without reading the model back (that
        costs every variable), nor steering which model comes back (no one reads it)."""
        self.feed(phases=False)
        return bool(self.solver.solve(assumptions=[a for a in assumptions if a != TRUE]))


# Checked once, at import (~0.1 ms): before any caller can change Glucose.
DIRECT = drives_pysolvers()
