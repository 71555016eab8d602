"""The public face of kltolint.logic that the other modules use instead of
the pysat solver and the gate builder: outcomes, phases, constraints, gates."""

from __future__ import annotations

from pathlib import Path

from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Encoder, Query, Sat, Unsat
from kltolint.tree import Tree
from tests.conftest import make_tree

KCONFIG = 'config A\n\tbool "a"\nconfig B\n\tbool "b"\n\tdepends on C\nconfig C\n\tbool "c"\n'


def encoder(tmp_path: Path) -> Encoder:
    return Encoder(load_arch(Tree(make_tree(tmp_path, {"Kconfig": KCONFIG})), "demo"))


def test_prefer_steers_an_unsteered_decision(tmp_path: Path) -> None:
    enc = encoder(tmp_path)
    a = enc.expr(parse("A")).m
    user = enc.syms["A"].user
    assert user is not None
    with Query(enc) as query:
        first = query.find([])
        assert isinstance(first, Sat) and not first.model(a)  # the encoder prefers user symbols off
        query.prefer([user.m, a])
        preferred = query.find([], steer=False)
        assert isinstance(preferred, Sat) and preferred.model(a)


def test_an_unsteered_unsat_still_carries_its_core(tmp_path: Path) -> None:
    enc = encoder(tmp_path)
    a, b, c = (enc.expr(parse(n)).m for n in "ABC")
    with Query(enc) as query:
        query.feed()
        outcome = query.find([a, b, -c], steer=False)
    assert isinstance(outcome, Unsat) and set(outcome.core) == {b, -c}


def test_gates_constraints_and_selectors_over_encoded_literals(tmp_path: Path) -> None:
    enc = encoder(tmp_path)
    a, b, c = (enc.expr(parse(n)).m for n in "ABC")
    both, either = enc.all_of((a, c)), enc.any_of((a, c))
    sel = enc.selector((a, -c))  # assumed: A on and C off
    with Query(enc) as query:
        assert isinstance(query.find([both, -a]), Unsat) and isinstance(query.find([-either, a]), Unsat)
        assert isinstance(query.find([either, -a]), Sat)
        found = query.find([sel])
        assert isinstance(found, Sat) and found.model(a) and not found.model(c)
        assert isinstance(query.find([sel, b]), Unsat)  # B needs C
        assert isinstance(query.find([-sel, c]), Sat)  # not assumed: no constraint
    enc.require(-a, b)  # from now on A implies B
    with Query(enc) as query:
        assert isinstance(query.find([a, -c]), Unsat) and isinstance(query.find([-a, -c]), Sat)


def test_inputs_take_new_variables_and_clauses(tmp_path: Path) -> None:
    enc = encoder(tmp_path)
    a = enc.expr(parse("A")).m
    known = enc.inputs.var()
    enc.inputs.require(-known, a)
    with Query(enc) as query:
        assert isinstance(query.find([known, -a]), Unsat) and isinstance(query.find([-known, -a]), Sat)
