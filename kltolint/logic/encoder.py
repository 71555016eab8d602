"""The Encoder: Kconfig semantics as a circuit, one symbol at a time.

Each symbol's value is encoded as a circuit over free inputs: the user's
choice for a visible symbol, the member picked in an active choice, and the
result of every probe. Everything else is determined, as in kconfiglib's
evaluator (Symbol._tri_val): a visible symbol takes the user's value, an
invisible one its first active default (or an `imply`), and `select` raises
the value whatever the target's own dependencies say - the hazard this tool
exists for.

A tristate value is a pair of literals (m, y): "at least m" and "is y". A bool
uses one literal for both. int/hex symbols use an order encoding: one literal
per threshold c that an expression compares with ("value >= c"; numeric.py).
Symbols are encoded lazily, so a query costs only its cone of influence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kltolint import toolchain
from kltolint.expr import And, ChoiceRef, Cmp, Const, Expr, Not, Or, Sym, to_str
from kltolint.logic.circuit import FALSE, T_N, T_Y, TRUE, InputKey, InputKind, Inputs, Tri
from kltolint.logic.edits import Edits
from kltolint.logic.numeric import NumericEncoding, compare_constants, number
from kltolint.model import BOOL_TYPES, INT_TYPES, ArchModel, Edge, Symbol

_FLIP = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


@dataclass
class SymEnc:
    """What the witness needs to know about one encoded bool/tristate symbol."""

    value: Tri
    vis: Tri
    user: Tri | None  # free input when visible (None for choice members)
    default: Tri  # value it would take with no user value


@dataclass
class Encoder(NumericEncoding):
    """Encodes the cone of influence of whatever is asked, on demand.

    `edits` are the changes a fix would make, tried in memory (edits.py).
    Other modules read the encoding through the public methods: value, expr,
    edge_value, added_depends, default_condition, encoded, pick_input,
    encoded_thresholds, encoded_string_tests, ge, streq; and the records
    `syms` (bool/tristate symbols), `int_thresholds` and `int_visible`.
    They add constraints and gates through require, all_of, any_of and
    selector: the gate builder `g` is logic's own.
    """

    model: ArchModel
    edits: Edits = field(default_factory=Edits)
    inputs: Inputs = field(default_factory=Inputs)
    # A miter's second copy: symbols for which `unchanged(name)` holds are taken
    # from `original` (they cannot differ), so only the changed cone is duplicated.
    original: Encoder | None = None
    unchanged: Callable[[str], bool] = lambda _name: False
    # Names that are free inputs of their own, not symbols: switches that
    # turn edits on and off by solver assumptions (the blame search).
    switches: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.g = self.inputs.g
        self.syms: dict[str, SymEnc] = {}
        self._values: dict[str, Tri] = {}
        self._identified: set[str] = set()  # a miter's second copy: read from `original` (identify)
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
        """The value of a Kconfig expression, its whole cone encoded."""
        out = self._expr(expr)
        self.close()
        return out

    def close(self) -> None:
        """Encode every definition requested so far (the cone's closure)."""
        while self._pending or (self.original is not None and self.original._pending):
            while self._pending:
                self._pending.pop()()
            if self.original is not None:
                self.original.close()

    # -- reading what is encoded (no new encoding) -------------------------------
    #
    # value, edge_value, added_depends and default_condition (below) encode
    # what they are asked lazily: a Query closes the cone before it solves.

    def encoded(self, name: str) -> Tri | None:
        """The value of `name` if it is encoded already, else None."""
        return self._values.get(name)

    def pick_input(self, member: str) -> int | None:
        """The free input "the user picks `member`" of an encoded choice, if any."""
        return self._selection.get(member)

    def encoded_thresholds(self) -> list[tuple[tuple[str, int], int]]:
        """Every `value(name) >= c` literal encoded so far, as ((name, c), literal)."""
        return list(self._ge.items())

    def encoded_string_tests(self) -> list[tuple[tuple[str, str], int]]:
        """Every `value(name) = text` literal encoded so far, as ((name, text), literal)."""
        return list(self._streq.items())

    # -- constraints and gates over encoded literals ------------------------------

    def require(self, *lits: int) -> None:
        """Constrain every configuration: at least one of `lits` holds."""
        self.g.require(*lits)

    def all_of(self, lits: Iterable[int]) -> int:
        """A literal for "every one of `lits` holds"."""
        return self.g.and_(lits)

    def any_of(self, lits: Iterable[int]) -> int:
        """A literal for "one of `lits` holds"."""
        return self.g.or_(lits)

    def selector(self, lits: Iterable[int]) -> int:
        """A new literal that, assumed, makes each of `lits` hold and, not
        assumed, constrains nothing: a switch for a group of assumptions."""
        sel = self.g.var()
        for lit in lits:
            self.g.require(-sel, lit)
        return sel

    # -- symbols ----------------------------------------------------------------

    def value(self, name: str) -> Tri:
        """The value of symbol `name` (its definition encoded on close())."""
        tri = self._values.get(name)
        if tri is not None:
            return tri
        if self.original is not None and (self.unchanged(name) or name in self._identified):
            tri = self._values[name] = self.original.value(name)
            return tri
        if name in self.switches:
            var, _ = self.inputs.free(InputKey("switch", name))
            tri = self._values[name] = Tri(var, var)
            return tri
        sym = self.model.symbols.get(name)
        if sym is None:
            if self.model.is_probe(name):
                var, _ = self.inputs.free(InputKey("probe", self.model.probes[name].command), prefer=True)
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

    def identify(self, name: str) -> None:
        """A miter's second copy: from now on `name` is read from `original`
        (proven to keep its value wherever the caller's questions ask). What
        is encoded already keeps this copy's literal; what reads `name` later
        shares the original's circuit, so proofs about it stay small."""
        assert self.original is not None
        # An expression over `name` encoded before keeps this copy's literal
        # in `_expr_memo`: sound, as the caller proved the two equal wherever
        # it asks, only a larger circuit than a fresh read would make.
        self._values.pop(name, None)
        self._identified.add(name)  # read from `original` on demand: nothing encoded now

    def added_depends(self, name: str) -> Tri:
        """The `depends on` the edits add to `name` (y when none)."""
        extra = self.edits.added_depends.get(name)
        return self._expr(extra) if extra is not None else T_Y

    def _define(self, sym: Symbol, tri: Tri) -> None:
        g = self.g
        extra = self.added_depends(sym.name)
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
            weak = self._or(*(self.edge_value(e) for e in self.model.incoming("imply", sym.name)))
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
        return self._or(*(self.edge_value(e) for e in self.model.incoming("select", name)))

    def edge_value(self, edge: Edge) -> Tri:
        """What a select/imply edge contributes: its source's value, narrowed by
        its condition, the source's added depends and the edit's guard."""
        guard = self.edits.select_guards.get(edge)
        parts = [self.value(edge.source), self._expr(edge.cond), self.added_depends(edge.source)]
        if guard is not None:
            parts.append(self._expr(guard))
        return self._and(*parts)

    def default_condition(self, sym: Symbol, index: int, cond: Expr, extra: Tri) -> Tri:
        """When `sym`'s default #index applies: its condition `cond`, the
        symbol's added depends `extra`, and the edit's guard on that default."""
        narrowed = self.edits.default_guards.get((sym.name, index))
        parts = [self._expr(cond), extra] + ([self._expr(narrowed)] if narrowed is not None else [])
        return self._and(*parts)

    def _default_chain(self, sym: Symbol, extra: Tri) -> Tri:
        out = T_N
        for index, (value, cond) in reversed(list(enumerate(sym.defaults))):
            c = self.default_condition(sym, index, cond, extra)
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
        m, _ = self.inputs.free(InputKey("user", name), prefer=False)
        if type_ == "bool":
            return Tri(m, m)
        y, new = self.inputs.free(InputKey("user-y", name), prefer=False)
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
        if lit is None and self.original is not None and all(self.unchanged(m) for m in self.model.choices[index].members):
            lit = self._choices[index] = self.original.choice_active(index)
        if lit is None:
            lit = self._choices[index] = self.g.var()
            self._pending.append(lambda: self._define_choice(index, lit))
        return lit

    def _selected(self, index: int, member: str) -> int:
        self.choice_active(index)
        if member not in self._selection:
            kind: InputKind = "repick" if self._repicks(index) else "pick"
            for name in self.model.choices[index].members:
                self._selection[name], _ = self.inputs.free(InputKey(kind, name), prefer=False)
        return self._selection[member]

    def _repicks(self, index: int) -> bool:
        """Does this edited side of a miter encode the choice anew? Then its
        picks are its own: sharing the user's would require the picked member
        to be visible on both sides, and so never compare the configurations
        where the edit hides it and conf moves the pick."""
        return self.original is not None and not all(self.unchanged(m) for m in self.model.choices[index].members)

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
            vis = self._and(self._or(*(self._expr(p) for p in sym.prompts)), self.added_depends(name)).m
            g.require(-sel, vis)
            sels.append(sel)
            visible.append(vis)
        for i, a in enumerate(sels):
            for b in sels[i + 1:]:
                g.require(-a, -b)
        if self._repicks(index):
            assert self.original is not None
            # conf keeps the user's pick while that member is visible; else it
            # moves it (here to any visible member: the member that was
            # picked changes either way, so no change is missed).
            for name, sel, vis in zip(dict.fromkeys(choice.members), sels, visible, strict=True):
                if name in self.original.model.choices[index].members:
                    g.require(-self.original._selected(index, name), -vis, sel)
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
        g = self.g
        if len(tris) == 2:  # most calls: no generator
            a, b = tris
            return Tri(g.and_((a.m, b.m)), g.and_((a.y, b.y)))
        return Tri(g.and_(tuple([t.m for t in tris])), g.and_(tuple([t.y for t in tris])))

    def _or(self, *tris: Tri) -> Tri:
        g = self.g
        if len(tris) == 2:
            a, b = tris
            return Tri(g.or_((a.m, b.m)), g.or_((a.y, b.y)))
        if len(tris) < 2:  # no select, one prompt (a third of the calls): the gates would fold to this
            return tris[0] if tris else T_N
        return Tri(g.or_(tuple([t.m for t in tris])), g.or_(tuple([t.y for t in tris])))

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
            num = number(right.value, self._base(left))
            if num is not None and kinds & {"int", "probe"}:
                return self._cmp_int(op, left.name, num)
            if op in ("=", "!=") and kinds & {"str", "probe"}:
                eq = self.streq(left.name, right.value)
                return eq if op == "=" else -eq
            if "undef" in kinds:
                return compare_constants(op, left.name, right.value)
        if isinstance(left, Const) and isinstance(right, Const):
            return compare_constants(op, left.value, right.value)
        return self.inputs.free(InputKey("cmp", to_str(cmp)))[0]  # two free operands: not modelled

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
