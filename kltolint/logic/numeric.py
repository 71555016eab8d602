"""Numbers and strings: int/hex order encoding and string equality.

An int/hex symbol is encoded by one literal per threshold c that something
compares it with ("value >= c"), kept monotone; a string symbol by one literal
per text it is compared with, at most one of them true. Version numbers a
probe or the toolchain answers are free thresholds of the same kind.

`NumericEncoding` is the part of the Encoder that does this: a mixin, so that
it shares the encoder's memo tables and pending definitions.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from kltolint import toolchain
from kltolint.expr import Const, Expr, Sym, to_str
from kltolint.logic.circuit import FALSE, TRUE, Gates, InputKey, Inputs, Tri
from kltolint.model import INT_TYPES, ArchModel, Symbol

def number(text: str | None, base: int) -> int | None:
    """`text` as conf reads an int (base 10) or hex (base 16) value; None if it is not one."""
    if text is None:
        return None
    try:
        return int(text, 16) if base == 16 or text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        return None


def compare_constants(op: str, a: str, b: str) -> int:
    """TRUE or FALSE: two constants compared as numbers when both are, else as text."""
    na, nb = number(a, 10), number(b, 10)
    result = compare(op, na, nb) if na is not None and nb is not None else compare(op, a, b)
    return TRUE if result else FALSE


_T = TypeVar("_T", int, str)


def compare(op: str, x: _T, y: _T) -> bool:
    """`x op y` for op one of = != < <= > >=, both numbers or both texts."""
    return {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _const(expr: Expr) -> str | None:
    return expr.value if isinstance(expr, Const) else None


class NumericEncoding:
    """int/hex thresholds and string equalities of an Encoder (see module docstring)."""

    model: ArchModel
    g: Gates
    inputs: Inputs
    int_thresholds: dict[str, dict[int, int]]
    int_visible: dict[str, int]
    _pending: list[Callable[[], None]]
    _ge: dict[tuple[str, int], int]
    _streq: dict[tuple[str, str], int]

    if TYPE_CHECKING:  # provided by the Encoder
        def value(self, name: str) -> Tri: ...
        def _expr(self, expr: Expr) -> Tri: ...
        def _and(self, *tris: Tri) -> Tri: ...
        def _or(self, *tris: Tri) -> Tri: ...
        def added_depends(self, name: str) -> Tri: ...
        def default_condition(self, sym: Symbol, index: int, cond: Expr, extra: Tri) -> Tri: ...

    def _base(self, expr: Sym) -> int:
        sym = self.model.symbols.get(expr.name)
        return 16 if sym is not None and sym.type == "hex" else 10

    def _cmp_int(self, op: str, name: str, c: int) -> int:
        if op == ">=":
            return self.ge(name, c)
        if op == ">":
            return self.ge(name, c + 1)
        if op == "<":
            return -self.ge(name, c)
        if op == "<=":
            return -self.ge(name, c + 1)
        eq = self.g.and_((self.ge(name, c), -self.ge(name, c + 1)))
        return eq if op == "=" else -eq

    # -- int/hex: order encoding -----------------------------------------------------

    def ge(self, name: str, c: int) -> int:
        """Literal for `value(name) >= c`."""
        key = (name, c)
        lit = self._ge.get(key)
        if lit is not None:
            return lit
        sym = self.model.symbols.get(name)
        if sym is None or sym.type not in INT_TYPES:
            if self.model.is_probe(name):
                lit = self._free_threshold(InputKey("probe-ge", self.model.probes[name].command), c, prefer=True)
            else:
                lit = TRUE if c <= 0 else FALSE  # no value reads as 0
        else:
            lit = self.g.var()
            self._pending.append(lambda: self._define_ge(sym, c, lit))
        self._ge[key] = lit
        return lit

    def _free_threshold(self, key: InputKey, c: int, prefer: bool) -> int:
        """A free `>= c` literal, kept monotone with the other thresholds of key."""
        chain = self.inputs.ge_chains.setdefault(key, [])
        at = bisect.bisect_left(chain, (c,))
        if at < len(chain) and chain[at][0] == c:
            return chain[at][1]
        lit, _ = self.inputs.free(key.compared_with(c), prefer=prefer)
        if at > 0:
            self.g.require(-lit, chain[at - 1][1])  # >= c implies >= smaller
        if at < len(chain):
            self.g.require(-chain[at][1], lit)  # >= larger implies >= c
        chain.insert(at, (c, lit))
        return lit

    def _define_ge(self, sym: Symbol, c: int, lit: int) -> None:
        g = self.g
        base = 16 if sym.type == "hex" else 10
        extra = self.added_depends(sym.name)
        out = TRUE if c <= 0 else FALSE
        for index, (value, cond) in reversed(list(enumerate(sym.defaults))):
            cond_lit = self.default_condition(sym, index, cond, extra).m
            out = g.ite(cond_lit, self._value_ge(value, c, base, sym.name, cond_lit), out)
        ranges = self._active_ranges(sym, c, base)
        out = self._clamped(out, ranges)  # a default outside the range is clamped into it
        if sym.prompts:
            vis = self._and(self._or(*(self._expr(p) for p in sym.prompts)), extra).m
            user = self._free_threshold(InputKey("user-ge", sym.name), c, prefer=False)
            if sym.type == "hex" and c <= 0:
                g.require(user)  # conf reads no negative hex value
            for active, low, high in ranges:  # conf refuses a user value outside the range
                g.require(-active, -low, user)
                g.require(-active, high, -user)
            self.int_visible[sym.name] = vis
            self.int_thresholds.setdefault(sym.name, {})[c] = user
            out = g.ite(vis, user, out)
        g.equal(lit, out)

    def _active_ranges(self, sym: Symbol, c: int, base: int) -> list[tuple[int, int, int]]:
        """(active, low >= c, high >= c) per range. Only the first range whose
        condition holds applies (sym_get_range_prop); bounds may be symbols."""
        out: list[tuple[int, int, int]] = []
        earlier: list[int] = []
        for low, high, cond in sym.ranges:
            cond_lit = self._expr(cond).m
            out.append((self.g.and_([cond_lit, *(-e for e in earlier)]),
                        self._bound_ge(low, c, base), self._bound_ge(high, c, base)))
            earlier.append(cond_lit)
        return out

    def _bound_ge(self, bound: Expr, c: int, base: int) -> int:
        if isinstance(bound, Sym) and (bound.name in self.model.symbols or self.model.is_probe(bound.name)):
            return self.ge(bound.name, c)
        num = number(_const(bound) if isinstance(bound, Const) else getattr(bound, "name", None), base)
        if num is None:
            return self.inputs.free(InputKey("bound-ge", to_str(bound), c))[0]  # not a number: not modelled
        return TRUE if num >= c else FALSE

    def _clamped(self, value_ge: int, ranges: list[tuple[int, int, int]]) -> int:
        """`clamp(value) >= c` for the first active range: (value >= c or
        low >= c) and high >= c (sym_validate_range, for low <= high)."""
        g = self.g
        out, none_active = FALSE, TRUE
        for active, low, high in ranges:
            out = g.or_((out, g.and_((active, g.or_((value_ge, low)), high))))
            none_active = g.and_((none_active, -active))
        return g.or_((out, g.and_((none_active, value_ge))))

    def _value_ge(self, value: Expr, c: int, base: int, owner: str, taken: int) -> int:
        if isinstance(value, Const) and toolchain.from_environment(value.value):
            # A number the Makefile computes from the toolchain and exports
            # (7.x: `default "$(PAHOLE_VERSION)"`): free, as a probe's answer.
            return self._free_threshold(InputKey("tool-ge", value.value), c, prefer=True)
        if isinstance(value, Const):
            num = number(value.value, base)
            return FALSE if num is None else (TRUE if num >= c else FALSE)
        if isinstance(value, Sym):
            present = toolchain.PRESENT_WHEN.get(owner)
            if self.model.is_probe(value.name) and present is not None and present in self.model.symbols:
                # Where the tool is there, its version probe answers with a
                # real version number (0 is a true answer otherwise).
                self.g.require(-taken, -self.value(present).m, self.ge(value.name, toolchain.MIN_VERSION))
            return self.ge(value.name, c)
        return self.inputs.free(InputKey("value-ge", to_str(value), c))[0]

    # -- strings ------------------------------------------------------------------

    def streq(self, name: str, text: str) -> int:
        key = (name, text)
        lit = self._streq.get(key)
        if lit is not None:
            return lit
        sym = self.model.symbols.get(name)
        if sym is None:
            lit = (self._free_str(InputKey("probe-str", self.model.probes[name].command), text)
                   if self.model.is_probe(name)
                   else (TRUE if name == text else FALSE))
        else:
            lit = self.g.var()
            self._pending.append(lambda: self._define_streq(sym, text, lit))
        self._streq[key] = lit
        return lit

    def _free_str(self, key: InputKey, text: str) -> int:
        lit, new = self.inputs.free(key.compared_with(text))
        if not new:
            return lit
        # One value at a time, as a ladder: each new value excludes "one of
        # those before", a literal grown by one gate a value (pairwise
        # exclusions were quadratic: 3,000 texts compared took 0.9 GB).
        before = self.inputs.str_sets.get(key)
        if before is None:
            self.inputs.str_sets[key] = lit
        else:
            self.g.require(-lit, -before)
            self.inputs.str_sets[key] = self.g.or_((before, lit))
        return lit

    def _define_streq(self, sym: Symbol, text: str, lit: int) -> None:
        g = self.g
        extra = self.added_depends(sym.name)
        out = TRUE if text == "" else FALSE
        for index, (value, cond) in reversed(list(enumerate(sym.defaults))):
            cond_lit = self.default_condition(sym, index, cond, extra).m
            if isinstance(value, Const) and toolchain.from_environment(value.value):
                now = self._free_str(InputKey("tool-str", value.value), text)  # the toolchain's own text
            elif isinstance(value, Const):
                now = TRUE if value.value == text else FALSE
            elif isinstance(value, Sym):
                now = self.streq(value.name, text)
            else:
                now = self.inputs.free(InputKey("value-eq", to_str(value), text))[0]
            out = g.ite(cond_lit, now, out)
        if sym.prompts:
            vis = self._and(self._or(*(self._expr(p) for p in sym.prompts)), extra).m
            out = g.ite(vis, self._free_str(InputKey("user-str", sym.name), text), out)
        g.equal(lit, out)
