import pytest

from kltolint import expr as E


@pytest.mark.parametrize("text", [
    "A",
    "!A",
    "A && B || C",
    "A && (B || C)",
    "!(A && B)",
    "A = y",
    'CC_VERSION_TEXT != ""',
    "AS_IS_GNU || AS_VERSION >= 150000",
    "!KASAN || KASAN_HW_TAGS || CLANG_VERSION >= 170000",
])
def test_print_parse_round_trip(text):
    assert E.to_str(E.parse(text)) == text


def test_precedence_and_binds_tighter_than_or():
    parsed = E.parse("A || B && C")
    assert isinstance(parsed, E.Or)
    assert parsed.args[1] == E.And((E.Sym("B"), E.Sym("C")))


def test_constants_are_not_symbols():
    assert E.parse("y") == E.Y
    assert E.parse("150000") == E.Const("150000")
    assert list(E.symbols(E.parse("A && B = 3 && !C"))) == ["A", "B", "C"]


def test_guard_is_parenthesised_where_needed():
    assert E.to_str(E.and_(E.parse("A || B"), E.Sym("C"))) == "(A || B) && C"
    assert E.to_str(E.not_(E.parse("A && B"))) == "!(A && B)"


def test_simplifying_constructors():
    assert E.and_(E.Y, E.Sym("A")) == E.Sym("A")
    assert E.and_(E.N, E.Sym("A")) == E.N
    assert E.or_(E.Y, E.Sym("A")) == E.Y
    assert E.not_(E.not_(E.Sym("A"))) == E.Sym("A")


@pytest.mark.parametrize("bad", ["", "A &&", "(A", "A B", "A & B", "&& A"])
def test_syntax_errors(bad):
    with pytest.raises(E.ExprSyntaxError):
        E.parse(bad)


@pytest.mark.parametrize(("text", "holds"), [
    ("A", True), ("OFF", False), ("n", False), ("y", True), ("m", True),
    ("A && OFF", False), ("A || OFF", True), ("OFF || (A && y)", True), ("OFF && !A", False),
    ("!OFF", True),  # a negation may hold whatever OFF is
    ("OFF = n", True), ("OFF < 3", True),  # so may a comparison
])
def test_may_hold_over_approximates_with_the_symbols_that_may_be_on(text, holds):
    asked: list[str] = []
    assert E.may_hold(E.parse(text), lambda name: asked.append(name) or name != "OFF") is holds
    assert set(asked) <= {"A", "OFF"}  # constants are never asked about
