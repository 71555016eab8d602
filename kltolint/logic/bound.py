"""BoundEncoder: a smaller circuit that every configuration satisfies.

The exact Encoder spells out how each symbol gets its value: the user's
choice while visible, else the first active default, raised by selects. A
select sweep asks thousands of questions whose answer is nearly always "no
configuration does that", and encoding every value exactly (about 65,000
variables per arch) costs more than asking. Here a symbol with a prompt is
only bounded:

  above  it is at most what could make it m or y: a prompt's or a default's
         condition, a select into it, its dependencies where it is implied
         (and y only where one of them is y);
  below  it is at least every select into it, and m is y while MODULES=n.

Symbols without a prompt keep their exact definition (their value is
determined: `def_bool y`, `default ARCH_X`), as do comparisons of tristate
values; other comparisons and whether a choice is active (bounded above by
its conditions) are free. Each constraint holds in the exact encoding over
the same names, so every exact configuration satisfies this circuit: what it
refutes, the exact encoding refutes. What it does not refute proves nothing;
the caller asks the exact Encoder then.
"""

from __future__ import annotations

from kltolint.expr import Cmp, to_str
from kltolint.logic.circuit import InputKey, Tri
from kltolint.logic.encoder import Encoder
from kltolint.model import Symbol


class BoundEncoder(Encoder):
    """An over-approximation of the Encoder (no edits, no miter)."""

    def _define(self, sym: Symbol, tri: Tri) -> None:
        if not sym.prompts:
            super()._define(sym, tri)  # determined: exact
            return
        g = self.g
        prompts = [self._expr(p) for p in sym.prompts]
        if sym.choice is not None:  # picked only where visible (_define_choice)
            g.require(-tri.m, *(p.m for p in prompts))
            return
        conds = [self._expr(cond) for _, cond in sym.defaults]
        rev = [self.edge_value(e) for e in self.model.incoming("select", sym.name)]
        # An imply raises only a symbol whose dependencies hold (at least m).
        implied = [self._expr(sym.direct_dep).m] if self.model.incoming("imply", sym.name) else []
        raisers = [t.m for t in (*prompts, *conds, *rev)] + implied
        g.require(-tri.m, *raisers)
        for edge in rev:
            g.require(-edge.m, tri.m)
            g.require(-edge.y, tri.y)
        if sym.type == "tristate":
            # y needs a raiser at y: while MODULES=n no expression is m (every
            # tristate's m is promoted, below; `m` is n), so a raiser at m is at y.
            g.require(-tri.y, *(t.y for t in (*prompts, *conds, *rev)), *implied)
            g.require(-tri.m, self.modules, tri.y)

    def _cmp(self, cmp: Cmp) -> int:
        if "tri" in {self._kind(cmp.left), self._kind(cmp.right)}:
            return super()._cmp(cmp)
        return self.inputs.free(InputKey("cmp", to_str(cmp)))[0]

    def choice_active(self, index: int) -> int:
        lit = self._choices.get(index)
        if lit is None:
            lit = self._choices[index] = self.g.var()
            choice = self.model.choices[index]
            conds = choice.prompts if choice.prompts and not self.model.choices_6_11 else (choice.direct_dep,)
            self._pending.append(lambda: self.g.require(-lit, self._or(*(self._expr(c) for c in conds)).m))
        return lit
