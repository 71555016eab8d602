"""Gates fold constants and share structure; every gate means what it says."""

from __future__ import annotations

import random
from itertools import product

from pysat.solvers import Solver

from kltolint.logic import FALSE, TRUE, Gates, Inputs


def truth(g: Gates, out: int, fixed: dict[int, bool]) -> bool:
    """The value of literal `out` with the inputs fixed (the gates define the rest)."""
    with Solver(name="glucose4", bootstrap_with=g.clauses) as solver:
        assumptions = [var if value else -var for var, value in fixed.items()]
        assert solver.solve(assumptions=assumptions)
        model = set(solver.get_model() or [])
        return out in model if out > 0 else -out not in model


def test_constants_fold_and_gates_are_shared() -> None:
    g = Gates()
    a, b = g.var(), g.var()
    assert g.and_([]) == TRUE and g.or_([]) == FALSE
    assert g.and_([a, TRUE]) == a and g.and_([a, FALSE]) == FALSE and g.and_([a, -a]) == FALSE
    assert g.or_([a, TRUE]) == TRUE and g.or_([a, -a]) == TRUE
    assert g.and_([a, b]) == g.and_([b, a])  # structural hashing: one variable
    clauses = len(g.clauses)
    g.and_([b, a])
    assert len(g.clauses) == clauses
    assert g.ite(TRUE, a, b) == a and g.ite(FALSE, a, b) == b and g.ite(a, b, b) == b


def test_gates_compute_their_function() -> None:
    g = Gates()
    a, b, c = g.var(), g.var(), g.var()
    gates = {"and": g.and_([a, b]), "or": g.or_([a, b]), "iff": g.iff(a, b), "ite": g.ite(a, b, c)}
    for va, vb, vc in product((False, True), repeat=3):
        fixed = {a: va, b: vb, c: vc}
        assert truth(g, gates["and"], fixed) == (va and vb)
        assert truth(g, gates["or"], fixed) == (va or vb)
        assert truth(g, gates["iff"], fixed) == (va == vb)
        assert truth(g, gates["ite"], fixed) == (vb if va else vc)


def test_equal_and_require_constrain() -> None:
    g = Gates()
    a, b, c = g.var(), g.var(), g.var()
    g.equal(a, b)
    g.require(-a, c)  # a implies c
    with Solver(name="glucose4", bootstrap_with=g.clauses) as solver:
        assert not solver.solve(assumptions=[a, -b]) and not solver.solve(assumptions=[-a, b])
        assert not solver.solve(assumptions=[b, -c])
        assert solver.solve(assumptions=[a, b, c]) and solver.solve(assumptions=[-a, -b, -c])


def test_inputs_are_named_once_and_keep_their_preference() -> None:
    inputs = Inputs()
    var, new = inputs.free(("user", "A"), prefer=False)
    assert new and inputs.free(("user", "A")) == (var, False)
    probe, _ = inputs.free(("probe", "cc?"), prefer=True)
    assert probe != var and probe in inputs.prefer_true and var in inputs.prefer_false


class _ReferenceGates:
    """The gate builder as first written (one loop for every call): the short
    paths must give the same literals and the same clauses, in order."""

    def __init__(self) -> None:
        self.nvars, self.clauses, self._cache = 1, [[TRUE]], {}

    def and_(self, lits):
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
        key = frozenset(seen)
        if key not in self._cache:
            self.nvars += 1
            self._cache[key] = out = self.nvars
            self.clauses += [[-out, lit] for lit in seen] + [[out, *(-lit for lit in seen)]]
        return self._cache[key]

    def or_(self, lits):
        return -self.and_(-lit for lit in lits)


def test_short_paths_build_the_circuit_the_general_loop_builds() -> None:
    rng = random.Random(7)
    fast, reference = Gates(), _ReferenceGates()
    pool = [TRUE, FALSE]
    for _ in range(5000):
        operands = tuple(rng.choice(pool) * rng.choice((1, -1)) for _ in range(rng.choice((1, 2, 2, 2, 3, 4))))
        kind = rng.choice(("and", "or"))
        shape = rng.choice((tuple, list, iter))
        got = getattr(fast, kind + "_")(shape(operands))
        want = getattr(reference, kind + "_")(operands)
        assert got == want, (kind, operands)
        if abs(got) not in pool and rng.random() < 0.5:
            pool.append(abs(got))
        if rng.random() < 0.05:
            pool.append(fast.var())
            reference.nvars += 1
    assert fast.clauses == reference.clauses and fast.nvars == reference.nvars
