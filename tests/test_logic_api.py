"""The public face of kltolint.logic that the other modules use instead of
the pysat solver and the gate builder: outcomes, phases, constraints, gates."""

from __future__ import annotations

from pathlib import Path

from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Encoder, InputKey, Query, Sat, Unsat
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


KINDS_KCONFIG = """
source "scripts/Kconfig.include"
config MODULES
\tbool "modules"
\tmodules
config A
\tbool "a"
config T
\ttristate "t"
config N
\tint "n"
\trange 0 100
config S
\tstring "s"
config PROBED
\tdef_bool $(success,true)
config VERSION
\tint
\tdefault $(shell,echo 5)
choice
\tprompt "pick"
config P1
\tbool "p1"
config P2
\tbool "p2"
endchoice
"""


def test_input_keys_say_what_the_user_sets_and_what_the_toolchain_answers(tmp_path: Path) -> None:
    files = {"Kconfig": KINDS_KCONFIG,
             "scripts/Kconfig.include": "success = $(shell,{ $(1); } >/dev/null 2>&1 && echo y || echo n)\n"}
    enc = Encoder(load_arch(Tree(make_tree(tmp_path, files)), "demo"))
    goal = 'A && T = m && N >= 7 && S = "x" && PROBED && VERSION >= 3 && P2'
    enc.expr(parse(goal))
    keys = set(enc.inputs.vars)
    users = {k for k in keys if k.is_user_choice()}
    assert {InputKey("user", "A"), InputKey("user", "T"), InputKey("user-y", "T"), InputKey("user-ge", "N", 7),
            InputKey("user-str", "S", "x"), InputKey("pick", "P1"), InputKey("pick", "P2")} <= users
    assert {k.kind for k in users} == {"user", "user-y", "user-ge", "user-str", "pick"}
    answers = {k for k in keys if k.is_answer()}
    assert {k.kind for k in answers} == {"probe", "probe-ge"} and all(not k.is_user_choice() for k in answers)
    assert all(k.is_user_choice() or k.is_answer() for k in keys)  # nothing else is free here
    chains = enc.inputs.ge_chains
    assert InputKey("user-ge", "N") in chains and [c for c, _ in chains[InputKey("user-ge", "N")]] == sorted(
        k.at for k in keys if k.kind == "user-ge" and k.what == "N" and isinstance(k.at, int))
    assert {InputKey(k.kind, k.what) for k in keys if k.kind in ("user-ge", "probe-ge")} == set(chains)
