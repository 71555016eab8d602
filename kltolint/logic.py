"""Kconfig semantics as propositional logic, decided by a SAT solver.

Each symbol's value is encoded as a circuit over free inputs: the user's
choice for a visible symbol, the member picked in an active choice, and the
result of every probe. Everything else is determined, as in kconfiglib's
evaluator (Symbol._tri_val): a visible symbol takes the user's value, an
invisible one its first active default (or an `imply`), and `select` raises
the value whatever the target's own dependencies say - the hazard this tool
exists for.

A tristate value is a pair of literals (m, y): "at least m" and "is y". A bool
uses one literal for both. int/hex symbols use an order encoding: one literal
per threshold c that an expression compares with ("value >= c"). Symbols are
encoded lazily, so a query costs only its cone of influence.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import NamedTuple
from collections.abc import Callable, Iterable, Mapping

from pysat.solvers import Solver

from kltolint import toolchain
from kltolint.expr import And, ChoiceRef, Cmp, Const, Expr, Not, Or, Sym, to_str
from kltolint.model import BOOL_TYPES, INT_TYPES, ArchModel, Edge, Symbol

TRUE = 1
FALSE = -1


class Tri(NamedTuple):
    m: int  # value >= m
    y: int  # value == y


T_Y = Tri(TRUE, TRUE)
T_N = Tri(FALSE, FALSE)


class Gates:
    """Tseitin gates with constant folding and structural hashing."""

    def __init__(self) -> None:
        self.nvars = 1
        self.clauses: list[list[int]] = [[TRUE]]
        self._cache: dict[tuple[str, frozenset[int]], int] = {}

    def var(self) -> int:
        self.nvars += 1
        return self.nvars

    def and_(self, lits: Iterable[int]) -> int:
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
        key = ("and", frozenset(seen))
        out = self._cache.get(key)
        if out is None:
            out = self.var()
            self._cache[key] = out
            for lit in seen:
                self.clauses.append([-out, lit])
            self.clauses.append([out, *(-lit for lit in seen)])
        return out

    def or_(self, lits: Iterable[int]) -> int:
        return -self.and_(-lit for lit in lits)

    def ite(self, cond: int, then: int, other: int) -> int:
        if cond == TRUE or then == other:
            return then
        if cond == FALSE:
            return other
        return self.or_((self.and_((cond, then)), self.and_((-cond, other))))

    def iff(self, a: int, b: int) -> int:
        return self.or_((self.and_((a, b)), self.and_((-a, -b))))

    def equal(self, a: int, b: int) -> None:
        """Constrain a <-> b."""
        if a != b:
            self.clauses.append([-a, b])
            self.clauses.append([a, -b])

    def require(self, *lits: int) -> None:
        """Constrain: at least one of lits."""
        self.clauses.append(list(lits))


class Inputs:
    """The free inputs of the circuit, by name, and the gates they feed.

    Two encoders sharing one Inputs (a miter) see the same user choices,
    choice picks and probe answers: comparing their outputs compares two
    versions of a Kconfig tree on every configuration at once.
    """

    def __init__(self) -> None:
        self.g = Gates()
        self.vars: dict[tuple[object, ...], int] = {}
        self.prefer_true: set[int] = set()  # phase hints: probes, versions
        self.prefer_false: set[int] = set()  # phase hints: user choices
        self.ge_chains: dict[str, list[tuple[int, int]]] = {}
        self.str_sets: dict[str, list[int]] = {}
        # Called with each new input: constraints over inputs made later (catalogue).
        self.watchers: list[Callable[[tuple[object, ...], int], None]] = []

    def free(self, key: tuple[object, ...], prefer: bool | None = None) -> tuple[int, bool]:
        """The input named `key`, and whether it is new."""
        var = self.vars.get(key)
        if var is not None:
            return var, False
        var = self.vars[key] = self.g.var()
        if prefer is True:
            self.prefer_true.add(var)
        elif prefer is False:
            self.prefer_false.add(var)
        for watch in self.watchers:
            watch(key, var)
        return var, True


@dataclass
class SymEnc:
    """What the witness needs to know about one encoded bool/tristate symbol."""

    value: Tri
    vis: Tri
    user: Tri | None  # free input when visible (None for choice members)
    default: Tri  # value it would take with no user value


@dataclass
class Encoder:
    """Encodes the cone of influence of whatever is asked, on demand.

    `guards` adds a condition to single select edges and `extra_deps` adds a
    `depends on` to symbols: the changes a fix would make, tried in memory.
    """

    model: ArchModel
    guards: Mapping[Edge, Expr] = field(default_factory=dict)
    extra_deps: Mapping[str, Expr] = field(default_factory=dict)
    default_guards: Mapping[tuple[str, int], Expr] = field(default_factory=dict)
    inputs: Inputs = field(default_factory=Inputs)
    # A miter's second copy: symbols for which `same(name)` holds are taken
    # from `base` (they cannot differ), so only the changed cone is duplicated.
    base: Encoder | None = None
    same: Callable[[str], bool] = lambda _name: False
    # Names that are free inputs of their own, not symbols: switches that
    # turn edits on and off by solver assumptions (the blame search).
    switches: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.g = self.inputs.g
        self.syms: dict[str, SymEnc] = {}
        self._values: dict[str, Tri] = {}
        self._pending: list[Callable[[], None]] = []
        self._expr_memo: dict[int, tuple[Expr, Tri]] = {}
        self._choices: dict[int, int] = {}
        self._selection: dict[str, int] = {}
        self._ge: dict[tuple[str, int], int] = {}
        self._streq: dict[tuple[str, str], int] = {}
        self._groups_done: set[str] = set()
        self.int_thresholds: dict[str, dict[int, int]] = {}  # visible int syms: user thresholds
        self.int_visible: dict[str, int] = {}
        modules = self.model.symbols.get("MODULES")
        self.modules = self.value("MODULES").y if modules and modules.type in BOOL_TYPES else FALSE

    # -- public ---------------------------------------------------------------

    def expr(self, expr: Expr) -> Tri:
        out = self._expr(expr)
        self.close()
        return out

    def close(self) -> None:
        """Encode every definition requested so far (the cone's closure)."""
        while self._pending or (self.base is not None and self.base._pending):
            while self._pending:
                self._pending.pop()()
            if self.base is not None:
                self.base.close()

    # -- symbols ----------------------------------------------------------------

    def value(self, name: str) -> Tri:
        tri = self._values.get(name)
        if tri is not None:
            return tri
        if self.base is not None and self.same(name):
            tri = self._values[name] = self.base.value(name)
            return tri
        if name in self.switches:
            var, _ = self.inputs.free(("switch", name))
            tri = self._values[name] = Tri(var, var)
            return tri
        sym = self.model.symbols.get(name)
        if sym is None:
            if self.model.is_probe(name):
                var, _ = self.inputs.free(("probe", self.model.probes[name].command), prefer=True)
                tri = Tri(var, var)
            else:
                tri = T_N  # undefined symbols are n
        elif sym.type not in BOOL_TYPES:
            tri = T_N  # int/hex/string symbols are n in a tristate context
        else:
            var = self.g.var()
            if sym.type == "bool":
                tri = Tri(var, var)
            else:
                y = self.g.var()
                self.g.clauses.append([-y, var])
                tri = Tri(var, y)
            self._pending.append(lambda: self._define(sym, tri))
        self._values[name] = tri
        self._toolchain(name)
        return tri

    def _extra(self, name: str) -> Tri:
        extra = self.extra_deps.get(name)
        return self._expr(extra) if extra is not None else T_Y

    def _define(self, sym: Symbol, tri: Tri) -> None:
        g = self.g
        extra = self._extra(sym.name)
        vis = self._and(self._or(*(self._expr(p) for p in sym.prompts)), extra)
        if sym.type == "bool":
            vis = Tri(vis.m, vis.m)
        else:
            vis = Tri(vis.m, g.or_((vis.y, g.and_((vis.m, -self.modules)))))
        default = self._default_chain(sym, extra)
        user: Tri | None = None
        if sym.choice is not None:
            # The pick alone: conf never reads a member's selects (6.11+:
            # sym_calc_choice; before, sym_calc_visibility leaves rev_dep n).
            sel = self._selected(sym.choice, sym.name)
            raw = Tri(sel, sel)
        else:
            direct = self._and(self._expr(sym.direct_dep), extra)
            weak = self._or(*(self._edge(e) for e in self.model.incoming("imply", sym.name)))
            default = self._or(default, self._and(weak, Tri(direct.m, direct.m)))
            # min(user, visibility), as kconfiglib: the input stays free, so
            # encoders sharing inputs (a miter) see the same user choices.
            user = self._free_tri(sym.name, sym.type)
            raw = self._or(self._ite(vis.m, self._and(user, vis), default), self._rev(sym.name))
        g.equal(tri.m, raw.m)
        if sym.type == "tristate":
            g.equal(tri.y, g.or_((raw.y, g.and_((raw.m, -self.modules)))))
        self.syms[sym.name] = SymEnc(tri, vis, user, default)

    def _rev(self, name: str) -> Tri:
        """What the selects of `name` raise it to."""
        return self._or(*(self._edge(e) for e in self.model.incoming("select", name)))

    def _edge(self, edge: Edge) -> Tri:
        guard = self.guards.get(edge)
        parts = [self.value(edge.source), self._expr(edge.cond), self._extra(edge.source)]
        if guard is not None:
            parts.append(self._expr(guard))
        return self._and(*parts)

    def _default_cond(self, sym: Symbol, index: int, cond: Expr, extra: Tri) -> Tri:
        narrowed = self.default_guards.get((sym.name, index))
        parts = [self._expr(cond), extra] + ([self._expr(narrowed)] if narrowed is not None else [])
        return self._and(*parts)

    def _default_chain(self, sym: Symbol, extra: Tri) -> Tri:
        out = T_N
        for index, (value, cond) in reversed(list(enumerate(sym.defaults))):
            c = self._default_cond(sym, index, cond, extra)
            out = self._ite(c.m, self._and(self._value(value), c), out)
        return out

    def _value(self, expr: Expr) -> Tri:
        """A default's value. Unlike a dependency, `m` here is the value m
        whatever MODULES says (kconfiglib parses values without the
        `m && MODULES` rewrite); a bool or a tristate with MODULES=n then
        promotes it to y, as the C tool does."""
        if isinstance(expr, Const):
            return self._tri_of_operand(expr)
        if isinstance(expr, Not):
            inner = self._value(expr.arg)
            return Tri(-inner.y, -inner.m)
        if isinstance(expr, And):
            return self._and(*(self._value(a) for a in expr.args))
        if isinstance(expr, Or):
            return self._or(*(self._value(a) for a in expr.args))
        return self._expr(expr)

    def _free_tri(self, name: str, type_: str) -> Tri:
        m, _ = self.inputs.free(("user", name), prefer=False)
        if type_ == "bool":
            return Tri(m, m)
        y, new = self.inputs.free(("user-y", name), prefer=False)
        if new:
            self.g.clauses.append([-y, m])
        return Tri(m, y)

    def _toolchain(self, name: str) -> None:
        """Tie toolchain facts together once any of them is encoded."""
        for group in toolchain.GROUPS:
            if name in group.members and group.what not in self._groups_done:
                self._groups_done.add(group.what)
                lits = [self.value(m).m for m in group.members if m in self.model.symbols]
                if lits:
                    self.g.require(*lits)
                    for i, a in enumerate(lits):
                        for b in lits[i + 1:]:
                            self.g.require(-a, -b)
        for if_, then in toolchain.IMPLICATIONS:
            if name == if_ and then in self.model.symbols and name in self.model.symbols:
                self.g.require(-self.value(if_).m, self.value(then).m)

    # -- choices ----------------------------------------------------------------

    def choice_active(self, index: int) -> int:
        lit = self._choices.get(index)
        if lit is None and self.base is not None and all(self.same(m) for m in self.model.choices[index].members):
            lit = self._choices[index] = self.base.choice_active(index)
        if lit is None:
            lit = self._choices[index] = self.g.var()
            self._pending.append(lambda: self._define_choice(index, lit))
        return lit

    def _selected(self, index: int, member: str) -> int:
        self.choice_active(index)
        if member not in self._selection:
            for name in self.model.choices[index].members:
                self._selection[name], _ = self.inputs.free(("pick", name), prefer=False)
        return self._selection[member]

    def _define_choice(self, index: int, active: int) -> None:
        g = self.g
        choice = self.model.choices[index]
        # Since 6.11 a choice's prompt condition hides only the prompt: its
        # members inherit the `depends on` alone. Before, they inherited the
        # choice's visibility.
        conds = choice.prompts if choice.prompts and not self.model.choices_6_11 else (choice.direct_dep,)
        g.equal(active, self._or(*(self._expr(c) for c in conds)).m)
        sels, visible = [], []
        for name in dict.fromkeys(choice.members):  # a member may be listed twice
            sel = self._selected(index, name)
            sym = self.model.symbols[name]
            vis = self._and(self._or(*(self._expr(p) for p in sym.prompts)), self._extra(name)).m
            g.require(-sel, vis)
            sels.append(sel)
            visible.append(vis)
        for i, a in enumerate(sels):
            for b in sels[i + 1:]:
                g.require(-a, -b)
        if not choice.optional or self.model.choices_6_11:
            g.require(-g.and_((active, g.or_(visible))), *sels)

    # -- expressions ------------------------------------------------------------

    def _expr(self, expr: Expr) -> Tri:
        hit = self._expr_memo.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        out = self._expr_uncached(expr)
        self._expr_memo[id(expr)] = (expr, out)
        return out

    def _expr_uncached(self, expr: Expr) -> Tri:
        if isinstance(expr, Sym):
            return self.value(expr.name)
        if isinstance(expr, Const):
            return {"y": T_Y, "m": Tri(self.modules, FALSE)}.get(expr.value, T_N)
        if isinstance(expr, ChoiceRef):
            lit = self.choice_active(expr.index)
            return Tri(lit, lit)
        if isinstance(expr, Not):
            inner = self._expr(expr.arg)
            return Tri(-inner.y, -inner.m)
        if isinstance(expr, And):
            return self._and(*(self._expr(a) for a in expr.args))
        if isinstance(expr, Or):
            return self._or(*(self._expr(a) for a in expr.args))
        assert isinstance(expr, Cmp)
        lit = self._cmp(expr)
        return Tri(lit, lit)

    def _and(self, *tris: Tri) -> Tri:
        return Tri(self.g.and_(t.m for t in tris), self.g.and_(t.y for t in tris))

    def _or(self, *tris: Tri) -> Tri:
        return Tri(self.g.or_(t.m for t in tris), self.g.or_(t.y for t in tris))

    def _ite(self, cond: int, then: Tri, other: Tri) -> Tri:
        return Tri(self.g.ite(cond, then.m, other.m), self.g.ite(cond, then.y, other.y))

    # -- comparisons --------------------------------------------------------------

    def _kind(self, expr: Expr) -> str:
        """'int', 'tri', 'str', 'probe', 'const' or 'undef' for a Cmp operand."""
        if isinstance(expr, Const):
            return "const"
        if isinstance(expr, Sym):
            sym = self.model.symbols.get(expr.name)
            if sym is None:
                return "probe" if self.model.is_probe(expr.name) else "undef"
            if sym.type in INT_TYPES:
                return "int"
            return "tri" if sym.type in BOOL_TYPES else "str"
        return "tri"

    def _cmp(self, cmp: Cmp) -> int:
        left, right, op = cmp.left, cmp.right, cmp.op
        kinds = {self._kind(left), self._kind(right)}
        if isinstance(left, Const) and not isinstance(right, Const):
            left, right, op = right, left, _FLIP[op]
        if "tri" in kinds:
            return self._cmp_tri(op, self._expr(left), self._tri_of_operand(right))
        if isinstance(right, Const) and isinstance(left, Sym):
            number = _number(right.value, self._base(left))
            if number is not None and kinds & {"int", "probe"}:
                return self._cmp_int(op, left.name, number)
            if op in ("=", "!=") and kinds & {"str", "probe"}:
                eq = self.streq(left.name, right.value)
                return eq if op == "=" else -eq
            if "undef" in kinds:
                return _const_cmp(op, left.name, right.value)
        if isinstance(left, Const) and isinstance(right, Const):
            return _const_cmp(op, left.value, right.value)
        return self.inputs.free(("cmp", to_str(cmp)))[0]  # two free operands: not modelled

    def _tri_of_operand(self, expr: Expr) -> Tri:
        # Comparisons read values, not logic: `T = m` compares with the value
        # m whatever MODULES is (unlike a bare `m` in a dependency).
        if isinstance(expr, Const):
            return {"y": T_Y, "m": Tri(TRUE, FALSE)}.get(expr.value, T_N)
        return self._expr(expr)

    def _cmp_tri(self, op: str, a: Tri, b: Tri) -> int:
        g = self.g
        eq = g.and_((g.iff(a.m, b.m), g.iff(a.y, b.y)))
        less = g.or_((g.and_((-a.m, b.m)), g.and_((-a.y, b.y))))
        return {"=": eq, "!=": -eq, "<": less, ">=": -less,
                ">": g.and_((-less, -eq)), "<=": g.or_((less, eq))}[op]

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
                lit = self._free_threshold(self.model.probes[name].command, c, prefer=True)
            else:
                lit = TRUE if c <= 0 else FALSE  # no value reads as 0
        else:
            lit = self.g.var()
            self._pending.append(lambda: self._define_ge(sym, c, lit))
        self._ge[key] = lit
        return lit

    def _free_threshold(self, key: str, c: int, prefer: bool) -> int:
        """A free `>= c` literal, kept monotone with the other thresholds of key."""
        chain = self.inputs.ge_chains.setdefault(key, [])
        at = bisect.bisect_left(chain, (c,))
        if at < len(chain) and chain[at][0] == c:
            return chain[at][1]
        lit, _ = self.inputs.free(("ge", key, c), prefer=prefer)
        if at > 0:
            self.g.require(-lit, chain[at - 1][1])  # >= c implies >= smaller
        if at < len(chain):
            self.g.require(-chain[at][1], lit)  # >= larger implies >= c
        chain.insert(at, (c, lit))
        return lit

    def _define_ge(self, sym: Symbol, c: int, lit: int) -> None:
        g = self.g
        base = 16 if sym.type == "hex" else 10
        extra = self._extra(sym.name)
        out = TRUE if c <= 0 else FALSE
        for index, (value, cond) in reversed(list(enumerate(sym.defaults))):
            cond_lit = self._default_cond(sym, index, cond, extra).m
            out = g.ite(cond_lit, self._value_ge(value, c, base, sym.name, cond_lit), out)
        ranges = self._active_ranges(sym, c, base)
        out = self._clamped(out, ranges)  # a default outside the range is clamped into it
        if sym.prompts:
            vis = self._and(self._or(*(self._expr(p) for p in sym.prompts)), extra).m
            user = self._free_threshold("#user " + sym.name, c, prefer=False)
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
        out, earlier = [], []
        for low, high, cond in sym.ranges:
            cond_lit = self._expr(cond).m
            out.append((self.g.and_([cond_lit, *(-e for e in earlier)]),
                        self._bound_ge(low, c, base), self._bound_ge(high, c, base)))
            earlier.append(cond_lit)
        return out

    def _bound_ge(self, bound: Expr, c: int, base: int) -> int:
        if isinstance(bound, Sym) and (bound.name in self.model.symbols or self.model.is_probe(bound.name)):
            return self.ge(bound.name, c)
        number = _number(_const(bound) if isinstance(bound, Const) else getattr(bound, "name", None), base)
        if number is None:
            return self.inputs.free(("bound-ge", to_str(bound), c))[0]  # not a number: not modelled
        return TRUE if number >= c else FALSE

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
            return self._free_threshold(value.value, c, prefer=True)
        if isinstance(value, Const):
            number = _number(value.value, base)
            return FALSE if number is None else (TRUE if number >= c else FALSE)
        if isinstance(value, Sym):
            present = toolchain.PRESENT_WHEN.get(owner)
            if self.model.is_probe(value.name) and present in self.model.symbols:
                # Where the tool is there, its version probe answers with a
                # real version number (0 is a true answer otherwise).
                self.g.require(-taken, -self.value(present).m, self.ge(value.name, toolchain.MIN_VERSION))
            return self.ge(value.name, c)
        return self.inputs.free(("value-ge", to_str(value), c))[0]

    # -- strings ------------------------------------------------------------------

    def streq(self, name: str, text: str) -> int:
        key = (name, text)
        lit = self._streq.get(key)
        if lit is not None:
            return lit
        sym = self.model.symbols.get(name)
        if sym is None:
            lit = (self._free_str(self.model.probes[name].command, text) if self.model.is_probe(name)
                   else (TRUE if name == text else FALSE))
        else:
            lit = self.g.var()
            self._pending.append(lambda: self._define_streq(sym, text, lit))
        self._streq[key] = lit
        return lit

    def _free_str(self, key: str, text: str) -> int:
        lit, new = self.inputs.free(("str", key, text))
        others = self.inputs.str_sets.setdefault(key, [])
        if not new:
            return lit
        for other in others:
            self.g.require(-lit, -other)  # one value at a time
        others.append(lit)
        return lit

    def _define_streq(self, sym: Symbol, text: str, lit: int) -> None:
        g = self.g
        extra = self._extra(sym.name)
        out = TRUE if text == "" else FALSE
        for index, (value, cond) in reversed(list(enumerate(sym.defaults))):
            cond_lit = self._default_cond(sym, index, cond, extra).m
            if isinstance(value, Const) and toolchain.from_environment(value.value):
                now = self._free_str("$" + value.value, text)  # the toolchain's own text
            elif isinstance(value, Const):
                now = TRUE if value.value == text else FALSE
            elif isinstance(value, Sym):
                now = self.streq(value.name, text)
            else:
                now = self.inputs.free(("value-eq", to_str(value), text))[0]
            out = g.ite(cond_lit, now, out)
        if sym.prompts:
            vis = self._and(self._or(*(self._expr(p) for p in sym.prompts)), extra).m
            out = g.ite(vis, self._free_str("#user " + sym.name, text), out)
        g.equal(lit, out)


_FLIP = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _number(text: str | None, base: int) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 16) if base == 16 or text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        return None


def _const(expr: Expr) -> str | None:
    return expr.value if isinstance(expr, Const) else None


def _const_cmp(op: str, a: str, b: str) -> int:
    na, nb = _number(a, 10), _number(b, 10)
    x, y = (na, nb) if na is not None and nb is not None else (a, b)
    result = {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]  # type: ignore[operator]
    return TRUE if result else FALSE


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

    def _feed(self, phases: bool = True) -> None:
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

    def solve(self, assumptions: Iterable[int]) -> Assignment | None:
        self._feed()
        if not self.solver.solve(assumptions=[a for a in assumptions if a != TRUE]):
            return None
        return Assignment(self.solver.get_model() or [])

    def satisfiable(self, assumptions: Iterable[int]) -> bool:
        """Like solve, without reading the model back (that costs every
        variable), nor steering which model comes back (no one reads it)."""
        self._feed(phases=False)
        return bool(self.solver.solve(assumptions=[a for a in assumptions if a != TRUE]))

    def solve_within(self, assumptions: Iterable[int], conflicts: int) -> Assignment | None | bool:
        """Like solve, but gives up after `conflicts`: then returns True (unknown)."""
        self._feed()
        self.solver.conf_budget(conflicts)
        result = self.solver.solve_limited(assumptions=[a for a in assumptions if a != TRUE])
        if result is None:
            return True
        return Assignment(self.solver.get_model() or []) if result else None


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
