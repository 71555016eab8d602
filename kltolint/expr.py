"""Kconfig expressions as immutable values: AST, constructors, parser, printer.

The model never holds kconfiglib objects, so everything built on it can be
compared, hashed, cached and pickled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias
from collections.abc import Callable, Iterator


@dataclass(frozen=True)
class Sym:
    """A symbol reference."""

    name: str


@dataclass(frozen=True)
class Const:
    """y, m, n, a number or a string literal (value without quotes)."""

    value: str


@dataclass(frozen=True)
class ChoiceRef:
    """The `<choice>` pseudo-symbol: true while choice number `index` is active."""

    index: int


@dataclass(frozen=True)
class Not:
    """`!arg`."""

    arg: Expr


@dataclass(frozen=True)
class And:
    """`a && b && ...`."""

    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """`a || b || ...`."""

    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Cmp:
    """`left op right` with op one of = != < <= > >=."""

    op: str
    left: Expr
    right: Expr


Expr: TypeAlias = Sym | Const | ChoiceRef | Not | And | Or | Cmp

Y = Const("y")
N = Const("n")
M = Const("m")

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")


def _flat(kind: type[And] | type[Or], unit: Const, zero: Const, args: tuple[Expr, ...]) -> Expr:
    """Flatten nested `kind`s, drop `unit`, let `zero` absorb, drop repeats."""
    out: list[Expr] = []
    for arg in args:
        for part in (arg.args if isinstance(arg, (And, Or)) and isinstance(arg, kind) else (arg,)):
            if part == zero:
                return zero
            if part != unit and part not in out:
                out.append(part)
    if not out:
        return unit
    return out[0] if len(out) == 1 else kind(tuple(out))


def and_(*args: Expr) -> Expr:
    """Conjunction, flattened, with y dropped and n absorbing."""
    return _flat(And, Y, N, args)


def or_(*args: Expr) -> Expr:
    """Disjunction, flattened, with n dropped and y absorbing."""
    return _flat(Or, N, Y, args)


def flattened(expr: Expr) -> Expr:
    """Nested and/or flattened as and_/or_ build them (the model's converter
    does): a parsed expression then compares equal to the model's."""
    if isinstance(expr, And):
        return and_(*(flattened(a) for a in expr.args))
    if isinstance(expr, Or):
        return or_(*(flattened(a) for a in expr.args))
    if isinstance(expr, Not):
        return Not(flattened(expr.arg))
    return expr


def not_(arg: Expr) -> Expr:
    if arg == Y:
        return N
    if arg == N:
        return Y
    if isinstance(arg, Not):
        return arg.arg
    return Not(arg)


def atoms(expr: Expr) -> Iterator[Expr]:
    """The leaves of an expression: symbols, constants, `<choice>`."""
    if isinstance(expr, (And, Or)):
        for arg in expr.args:
            yield from atoms(arg)
    elif isinstance(expr, Not):
        yield from atoms(expr.arg)
    elif isinstance(expr, Cmp):
        yield from atoms(expr.left)
        yield from atoms(expr.right)
    else:
        yield expr


def symbols(expr: Expr) -> Iterator[str]:
    """Names of the symbols an expression reads (constants excluded)."""
    return (atom.name for atom in atoms(expr) if isinstance(atom, Sym))


def has_choice(expr: Expr) -> bool:
    """Does it read `<choice>`, which Kconfig text cannot name?"""
    return any(isinstance(atom, ChoiceRef) for atom in atoms(expr))


def may_hold(expr: Expr, may_be_on: Callable[[str], bool]) -> bool:
    """Can `expr` be y or m, when the symbols `may_be_on` names may be on?
    An over-approximation (False is a proof): values are not correlated,
    and a negation or a comparison may always hold."""
    if isinstance(expr, Sym):
        return expr.name != "n" and (expr.name in ("y", "m") or may_be_on(expr.name))
    if isinstance(expr, Const):
        return expr.value != "n"
    if isinstance(expr, And):
        return all(may_hold(a, may_be_on) for a in expr.args)
    if isinstance(expr, Or):
        return any(may_hold(a, may_be_on) for a in expr.args)
    return True

# -- printing ---------------------------------------------------------------

_PREC = {Or: 1, And: 2, Not: 3}


def to_str(expr: Expr, parent_prec: int = 0) -> str:
    """Kconfig syntax, parenthesised only where precedence needs it."""
    if isinstance(expr, Sym):
        return expr.name
    if isinstance(expr, Const):
        if re.fullmatch(r"[ymn]|-?[0-9]+|0x[0-9a-fA-F]+", expr.value):
            return expr.value
        return '"' + expr.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(expr, ChoiceRef):
        return "<choice>"
    if isinstance(expr, Cmp):
        return f"{to_str(expr.left, 4)} {expr.op} {to_str(expr.right, 4)}"
    prec = _PREC[type(expr)]
    if isinstance(expr, Not):
        text = "!" + to_str(expr.arg, prec + 1)
    else:
        sep = " || " if isinstance(expr, Or) else " && "
        text = sep.join(to_str(arg, prec) for arg in expr.args)
    return f"({text})" if prec < parent_prec else text


# -- parsing ----------------------------------------------------------------

class ExprSyntaxError(ValueError):
    """A Kconfig expression that does not parse."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>&&|\|\||!=|<=|>=|[!=<>()])
      | (?P<name>[A-Za-z0-9_]+)
      | "(?P<dq>(?:[^"\\]|\\.)*)"
      | '(?P<sq>(?:[^'\\]|\\.)*)'
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExprSyntaxError(f"unexpected {text[pos:].strip()[:20]!r} in {text!r}")
        pos = match.end()
        if match.group("op"):
            tokens.append(("op", match.group("op")))
        elif match.group("name") is not None:
            tokens.append(("name", match.group("name")))
        else:
            raw = match.group("dq") if match.group("dq") is not None else match.group("sq")
            tokens.append(("str", re.sub(r"\\(.)", r"\1", raw)))
    return tokens


def parse(text: str) -> Expr:
    """Parse a Kconfig expression (`A && !(B || C = "x")`)."""
    tokens = _tokenize(text)
    if not tokens:
        raise ExprSyntaxError("empty expression")
    parser = _Parser(tokens, text)
    expr = parser.or_expr()
    if parser.pos != len(tokens):
        raise ExprSyntaxError(f"unexpected {tokens[parser.pos][1]!r} in {text!r}")
    return expr


_INERT = re.compile(r"[^$\\#\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff]*")


def is_canonical(text: str) -> bool:
    """`text` is an expression exactly as `to_str` prints it, holding nothing
    that Kconfig's line reader or preprocessor would act on (`$`, `\\`, `#`,
    line breaks, controls). Text that goes into a Kconfig file from anywhere
    less trusted than the analysis (a cache entry) must pass this."""
    if not _INERT.fullmatch(text):
        return False
    try:
        return to_str(parse(text)) == text
    except ExprSyntaxError:
        return False


# Deeper than this is refused (kernel expressions nest a few levels): every
# recursive walk of an expression (printing, encoding) then stays far below
# Python's recursion limit. load.py holds the Kconfig side to the same bound.
MAX_DEPTH = 100


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str) -> bool:
        if self.peek() == ("op", value):
            self.pos += 1
            return True
        return False

    def or_expr(self) -> Expr:
        args = [self.and_expr()]
        while self.take("||"):
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else Or(tuple(args))

    def and_expr(self) -> Expr:
        args = [self.unary()]
        while self.take("&&"):
            args.append(self.unary())
        return args[0] if len(args) == 1 else And(tuple(args))

    def unary(self) -> Expr:
        if self.take("!"):
            return Not(self._deeper(self.unary))
        if self.take("("):
            inner = self._deeper(self.or_expr)
            if not self.take(")"):
                raise ExprSyntaxError(f"missing ')' in {self.text[:80]!r}")
            return inner
        left = self.atom()
        token = self.peek()
        if token and token[0] == "op" and token[1] in COMPARISONS:
            self.pos += 1
            return Cmp(token[1], left, self.atom())
        return left

    def _deeper(self, parse: Callable[[], Expr]) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprSyntaxError(f"expression nests more than {MAX_DEPTH} levels deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    def atom(self) -> Expr:
        token = self.peek()
        if token is None:
            raise ExprSyntaxError(f"expression ends early: {self.text!r}")
        kind, value = token
        self.pos += 1
        if kind == "str":
            return Const(value)
        if kind == "name":
            if value in ("y", "m", "n") or re.fullmatch(r"-?[0-9]+|0x[0-9a-fA-F]+", value):
                return Const(value)
            return Sym(value)
        raise ExprSyntaxError(f"unexpected {value!r} in {self.text!r}")
