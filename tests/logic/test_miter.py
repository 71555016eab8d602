"""The miter: an edit's effect outside the forbidden configurations, and
Unknown read as "not proven" all the way up to the fixer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kltolint.cli import main
from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Differs, Query, Unknown, Unsat, collateral_change, same_values
from kltolint.model import ArchModel
from kltolint.tree import Tree
from tests.conftest import make_tree

BEFORE = ('config A\n\tbool "a"\n\tselect T{guard}\nconfig T\n\tbool\nconfig U\n\tbool "u"\n\tdepends on T\n'
          'config B\n\tbool "b"\nconfig D\n\tbool "d"\n')


def model(tmp_path: Path, guard: str = "") -> ArchModel:
    return load_arch(Tree(make_tree(tmp_path, {"Kconfig": BEFORE.format(guard=guard)})), "demo")


def test_a_tight_guard_changes_nothing_outside_the_forbidden_region(tmp_path: Path) -> None:
    before, after = model(tmp_path / "a"), model(tmp_path / "b", " if !B")
    assert isinstance(collateral_change(before, after, {"T", "U"}, parse("T && B")), Unsat)


def test_a_loose_guard_changes_a_settable_symbol(tmp_path: Path) -> None:
    before, after = model(tmp_path / "a"), model(tmp_path / "b", " if !B && !D")
    assert collateral_change(before, after, {"T", "U"}, parse("T && B")) == Differs("U", "y", "n")


def test_a_symbol_settable_only_after_the_edit_is_compared(tmp_path: Path) -> None:
    # The edit gives U a prompt: the user may now set it where B is n (outside
    # the forbidden region), so it changes there although `before` could not set it.
    def tree(name: str, prompt: str) -> ArchModel:
        text = f'config B\n\tbool "b"\nconfig U\n\tbool{prompt}\n\tdefault y if B\n'
        return load_arch(Tree(make_tree(tmp_path / name, {"Kconfig": text})), "demo")

    assert collateral_change(tree("a", ""), tree("b", ' "u"'), {"U"}, parse("B")) == Differs("U", "n", "y")


def test_hiding_the_picked_choice_member_moves_the_pick(tmp_path: Path) -> None:
    # `M depends on !B`: where the user picked M, B is y and C is n (not
    # forbidden), M is hidden and conf moves the pick to N. Shared picks would
    # require M visible on both sides and never compare that configuration.
    def tree(name: str, depends: str) -> ArchModel:
        text = (f'choice\n\tprompt "c"\nconfig M\n\tbool "m"\n{depends}config N\n\tbool "n"\nendchoice\n'
                'config B\n\tbool "b"\nconfig C\n\tbool "c"\n')
        return load_arch(Tree(make_tree(tmp_path / name, {"Kconfig": text})), "demo")

    before, after = tree("a", ""), tree("b", "\tdepends on !B\n")
    assert collateral_change(before, after, {"M", "N"}, parse("M && B && C")) == Differs("M", "y", "n")
    # Where every configuration that hides M is forbidden, nothing else changes.
    assert isinstance(collateral_change(before, after, {"M", "N"}, parse("M && B")), Unsat)


def test_same_values_compares_the_edited_symbol(tmp_path: Path) -> None:
    before = model(tmp_path / "a")
    same = model(tmp_path / "b")
    other = load_arch(Tree(make_tree(tmp_path / "c", {"Kconfig": BEFORE.format(guard="").replace(
        "config T\n\tbool\n", "config T\n\tbool\n\tdefault B\n")})), "demo")
    assert isinstance(same_values(before, same, "T", []), Unsat)
    assert not isinstance(same_values(before, other, "T", []), Unsat)


def give_up(self: Query, assumptions: object, conflicts: int | None = None) -> Unknown:
    return Unknown()


def no_propagation(self: Query, assumptions: object) -> bool:
    return False


def test_unknown_is_never_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before, after = model(tmp_path / "a"), model(tmp_path / "b", " if !B")
    monkeypatch.setattr(Query, "decide", give_up)
    monkeypatch.setattr(Query, "propagation_refutes", no_propagation)
    assert collateral_change(before, after, {"T", "U"}, parse("T && B")) == Unknown()
    assert same_values(before, before, "T", []) == Unknown()


def check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    root = make_tree(tmp_path / "t", {"Kconfig": BEFORE.format(guard="")})
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "r.toml").write_text('[[rule]]\nid = "T001"\nname = "t"\nforbid = "T && B"\nmessage = "bad"\n'
                                  'rationale = "r"\nfix = { strategy = "guard-select", guard = "!B" }\n')
    main(["check", "--tree", str(root), "--no-builtin-rules", "--rules", str(rules), "--no-cache",
          "--format", "json"])
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    fix = finding["fix"]
    assert isinstance(fix, dict)
    return fix


def test_a_fix_whose_safety_miter_gives_up_is_not_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_json(tmp_path / "proven", capsys)["applicability"] == "safe"
    monkeypatch.setattr(Query, "decide", give_up)  # every miter: the solver gives up
    monkeypatch.setattr(Query, "propagation_refutes", no_propagation)  # and propagation proves nothing
    fix = check_json(tmp_path / "unknown", capsys)
    assert fix["applicability"] == "unsafe"
    assert "could not prove" in str(fix["note"])


def wide(tmp_path: Path, users: int, guard: str = "") -> ArchModel:
    """BEFORE with `users` more symbols that read T, in a chain: each also reads the one before."""
    chain = "".join(f'config U{i}\n\tbool "u{i}"\n\tdepends on T && {f"U{i - 1}" if i else "y"}\n'
                    for i in range(users))
    return load_arch(Tree(make_tree(tmp_path, {"Kconfig": BEFORE.format(guard=guard) + chain})), "demo")


def test_a_wide_cone_is_swept_by_propagation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Symbols are proven unchanged one by one, each then read from the
    original: 300 users of T need no search at all (one miter over all of
    them was what made 7.3's arm64 seed fix take a minute)."""
    searches: list[object] = []
    decide = Query.decide

    def counting(self: Query, assumptions: object, conflicts: int | None = None) -> object:
        searches.append(assumptions)
        return decide(self, assumptions, conflicts)  # type: ignore[arg-type]
    monkeypatch.setattr(Query, "decide", counting)
    before, after = wide(tmp_path / "a", 300), wide(tmp_path / "b", 300, " if !B")
    cone = {"T", "U", *(f"U{i}" for i in range(300))}
    order = ["T", "U", *(f"U{i}" for i in range(300))]
    assert isinstance(collateral_change(before, after, cone, parse("T && B"), order=order), Unsat)
    assert len(searches) <= 1
    loose = wide(tmp_path / "c", 300, " if !B && !D")
    assert collateral_change(before, loose, cone, parse("T && B"), order=order) == Differs("U", "y", "n")


def test_a_symbol_that_changes_is_not_read_from_the_original(tmp_path: Path) -> None:
    """T changes outside the region (it is not settable, so that is no
    finding of its own): U0, which reads it, must be compared with its own
    new circuit, not with the original's, to see the change reach it."""
    before, after = wide(tmp_path / "a", 3), wide(tmp_path / "b", 3, " if !B && !D")
    cone = {"T", "U0", "U1", "U2"}
    assert collateral_change(before, after, cone, parse("T && B"), order=["T", "U0", "U1", "U2"]) \
        == Differs("U0", "y", "n")
