"""Query answers Sat, Unsat (with a core) or Unknown (the solver gave up)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest
from pysat.examples.genhard import PHP

from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import FALSE, TRUE, Assignment, Encoder, Query, Sat, Unknown, Unsat
from kltolint.tree import Tree
from tests.conftest import make_tree

KCONFIG = 'config A\n\tbool "a"\nconfig B\n\tbool "b"\n\tdepends on C\nconfig C\n\tbool "c"\n'


def encoder(tmp_path: Path) -> Encoder:
    return Encoder(load_arch(Tree(make_tree(tmp_path, {"Kconfig": KCONFIG})), "demo"))


def test_sat_carries_a_model(tmp_path: Path) -> None:
    enc = encoder(tmp_path)
    a, c = enc.expr(parse("A")).m, enc.expr(parse("C")).m
    with Query(enc) as query:
        outcome = query.decide([a, -c])
    assert isinstance(outcome, Sat) and outcome.model(a) and not outcome.model(c)


def test_unsat_carries_a_core_of_the_assumptions(tmp_path: Path) -> None:
    enc = encoder(tmp_path)
    a, b, c = (enc.expr(parse(n)).m for n in "ABC")
    with Query(enc) as query:
        outcome = query.decide([a, b, -c])
        assert query.solve([a, b, -c]) is None
    assert isinstance(outcome, Unsat)
    assert set(outcome.core) == {b, -c}  # A has nothing to do with it


def test_a_solver_out_of_budget_answers_unknown(tmp_path: Path) -> None:
    enc = encoder(tmp_path)
    # The pigeonhole formula for 8 pigeons is unsatisfiable, and no solver
    # proves it in one conflict.
    php = PHP(7)
    base = enc.g.nvars
    for _ in range(php.nv):
        enc.g.var()
    enc.g.clauses.extend([[lit + base if lit > 0 else lit - base for lit in clause] for clause in php.clauses])
    with Query(enc) as query:
        assert isinstance(query.decide([], conflicts=1), Unknown)
        assert isinstance(query.decide([]), Unsat)


def test_outcomes_are_frozen_values() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Unsat((1,)).core = ()  # type: ignore[misc]
    assert Unsat((1, 2)) == Unsat((1, 2)) and Unknown() == Unknown()


def test_an_assignment_reads_the_constants_and_both_signs() -> None:
    found = Assignment([1, -2, 3])
    assert (found(TRUE), found(FALSE), found(2), found(-2), found(3), found(-3)) == (True, False, False, True, True, False)


def test_glucose_answers_as_pysat_s_glucose4_does() -> None:
    """solve.Glucose drives python-sat's C module directly (pysat.solvers is
    not imported): on random formulas, with assumptions, phases and a
    conflict budget, every answer, model and core is pysat's Glucose4's."""
    import random

    from pysat.solvers import Solver

    from kltolint.logic.solve import Glucose

    rng = random.Random(16)
    for _ in range(60):
        nvars = rng.randrange(5, 40)
        clauses = [[rng.choice((-1, 1)) * rng.randrange(1, nvars + 1) for _ in range(rng.randrange(1, 4))]
                   for _ in range(rng.randrange(nvars, 5 * nvars))]
        ours, theirs = Glucose(), Solver(name="glucose4")
        ours.append_formula(clauses)
        theirs.append_formula(clauses)
        for _ in range(4):
            phases = [rng.choice((-1, 1)) * v for v in rng.sample(range(1, nvars + 1), nvars // 2)]
            ours.set_phases(phases)
            theirs.set_phases(phases)
            assumptions = [rng.choice((-1, 1)) * v for v in rng.sample(range(1, nvars + 1), rng.randrange(0, 6))]
            if rng.random() < 0.3:
                ours.conf_budget(5)
                theirs.conf_budget(5)
                assert ours.solve_limited(assumptions) == theirs.solve_limited(assumptions)
            else:
                assert ours.solve(assumptions) == theirs.solve(assumptions)
            assert ours.get_model() == theirs.get_model() and ours.get_core() == theirs.get_core()
            assert ours.propagate(assumptions=assumptions) == theirs.propagate(assumptions=assumptions)
        assert ours.accum_stats() == theirs.accum_stats()
        ours.delete()
        theirs.delete()
    ours, theirs = Glucose(), Solver(name="glucose4")  # a formula that cannot hold, found when fed
    for solver in (ours, theirs):
        solver.add_clause([1])
        solver.add_clause([-1])
    assert ours.solve([2]) is theirs.solve([2]) is False
    assert (ours.get_core(), ours.get_model()) == (theirs.get_core(), theirs.get_model())


def test_glucose_drives_the_installed_python_sat() -> None:
    from kltolint.logic import solve

    assert solve.DIRECT and solve.drives_pysolvers()
    assert isinstance(solve.new_solver(), solve.Glucose)


def test_a_python_sat_whose_c_module_changed_falls_back_to_its_own_class(monkeypatch, tmp_path: Path) -> None:
    """A future python-sat that changes a call of its C module (here: one
    that now raises) is found at import, and every question is then put to
    pysat.solvers.Glucose4, with the same answers."""
    import pysolvers
    from pysat.solvers import Glucose4

    from kltolint.logic import solve

    def changed(*_args: object) -> object:
        raise TypeError("glucose41_propagate() takes 2 arguments")

    # As this module sees the C module: pysat.solvers keeps the real one (a
    # python-sat that changed its C module changes its own class with it).
    monkeypatch.setattr(solve, "pysolvers", SimpleNamespace(**{**vars(pysolvers), "glucose41_propagate": changed}))
    assert not solve.drives_pysolvers()
    monkeypatch.setattr(solve, "DIRECT", False)
    assert isinstance(solve.new_solver(), Glucose4)
    enc = encoder(tmp_path)
    a, b, c = (enc.expr(parse(n)).m for n in "ABC")
    with Query(enc) as query:
        assert isinstance(query.solver, Glucose4)
        assert isinstance(query.decide([a, -c]), Sat)
        assert set(query.find([a, b, -c]).core) == {b, -c}  # type: ignore[union-attr]
        assert query.propagation_refutes([b, -c]) and not query.propagation_refutes([a])
