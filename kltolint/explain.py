"""`kltolint explain SYMBOL[=VALUE] --config .config`: why a symbol has its
value in a real .config, and the smallest change of the user's choices that
gives it VALUE.

The why is read off the .config: the dependency lines of SYMBOL (split back
into lines by `provenance`) are evaluated with the .config's values; each
one that fails is shown with the values it reads, and the symbols behind it
are explained in turn, back to symbols the user can set. For a symbol that
is on when it should be off, the selects, defaults or the user's choice that
set it are shown the same way.

The change set comes from the solver: the toolchain is the .config's own
(CC_IS_GCC, versions...), probe answers are those that reproduce the
.config, and every user choice is kept unless it must change. The set is
irreducible (putting any one change back makes VALUE unreachable). When no
change of user choices can give VALUE, the answer is `query`'s: the lines
that rule it out with this toolchain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kltolint import expr as E
from kltolint import query as Q
from kltolint import toolchain
from kltolint.answers import config_bytes
from kltolint.errors import UserError
from kltolint.logic import Assignment, Encoder, InputKey, Query, Sat, SymEnc, Unsat, compare
from kltolint.model import BOOL_TYPES, INT_TYPES, ArchModel, Symbol
from kltolint.provenance import Line, Provenance
from kltolint.source import Sources, default_lines
from kltolint.toolfacts import parse_facts
from kltolint.tree import Tree

if TYPE_CHECKING:
    from kconfiglib import MenuNode

    from kltolint.cache import Manifest

MAX_DEPTH = 8
_TOOL_SYMBOLS = frozenset({m for g in toolchain.GROUPS for m in g.members} | set(toolchain.VERSIONS))
MAX_ROUNDS = 2000
_TRI = {"n": 0, "m": 1, "y": 2}
_ASSIGN = re.compile(r"CONFIG_([A-Za-z0-9_]+)=(.*)")
_UNSET = re.compile(r"# CONFIG_([A-Za-z0-9_]+) is not set")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_NUMBER = {"int": re.compile(r"-?(0|[1-9][0-9]*)", re.ASCII), "hex": re.compile(r"(0[xX])?[0-9a-fA-F]+", re.ASCII)}


def read_config(path: Path, data: bytes | None = None) -> dict[str, str]:
    """A .config as conf writes it: name -> value (quotes stripped), n for unset.
    `data`: its bytes, already read (a pipe is read once)."""
    return _read_config(path, data)[0]


def _read_config(path: Path, data: bytes | None) -> tuple[dict[str, str], dict[str, tuple[int, bool]]]:
    """The values, and the line that gave each (and whether the value was quoted)."""
    try:
        text = (config_bytes(path) if data is None else data).decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("not a .config (not UTF-8 text)", str(path)) from None
    values: dict[str, str] = {}
    where: dict[str, tuple[int, bool]] = {}
    # Lines as conf reads them (getline_stripped): split at \n alone, one \r
    # taken off, nothing else stripped. str.splitlines also splits at \v, \f,
    # \x1c-\x1e, \x85, U+2028: `# a\vCONFIG_A=y`, a comment to conf, set A.
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        match = _ASSIGN.fullmatch(line)
        if match:
            value = match.group(2)
            if value.startswith('"'):
                # conf's reading: a backslash keeps the next character, the
                # first bare quote ends the text (what follows is ignored)
                end = _STRING.match(value)
                if end is None:
                    raise UserError("unterminated string", str(path), number)
                value = re.sub(r"\\(.)", r"\1", end.group(1), flags=re.DOTALL)
            where[match.group(1)] = number, match.group(2).startswith('"')
            values[match.group(1)] = value
            continue
        match = _UNSET.fullmatch(line)
        if match:
            values[match.group(1)] = "n"
            where[match.group(1)] = number, False
        elif line.strip() and not line.startswith("#"):
            raise UserError(f"not a .config line: {line[:40]!r}", str(path), number)
    return values, where


def _last_pick_wins(model: ArchModel, config: dict[str, str], where: dict[str, tuple[int, bool]]) -> None:
    """Two members of a choice set y: conf keeps the pick read last (the
    later line overrides the choice's state), the others are not picked."""
    for choice in model.choices:
        picked = sorted((where.get(m, (0, False))[0], m) for m in dict.fromkeys(choice.members)
                        if config.get(m) == "y")
        for _, member in picked[:-1]:
            config[member] = "n"


def _check_values(model: ArchModel, config: dict[str, str], where: dict[str, tuple[int, bool]], path: Path) -> None:
    """A bool or tristate value is y, n (or m, for a tristate), an int or
    hex one a number, as conf writes them. conf reads `yes` as y and ignores
    `m` for a bool (it reads the first character only), and ignores a number
    it does not take; read otherwise here, such a line would give a wrong
    answer, so it is refused."""
    for name, value in config.items():
        sym = model.symbols.get(name)
        line, quoted = where.get(name, (None, False))
        if sym is None:
            continue
        if sym.type in BOOL_TYPES:
            bad = quoted or value not in (("y", "m", "n") if sym.type == "tristate" else ("y", "n"))
        elif sym.type in _NUMBER:  # conf's sym_string_valid; Python's int() takes more ('1_0', ' 1', other digits)
            bad = quoted or not _NUMBER[sym.type].fullmatch(value)
        else:
            continue
        if bad:
            raise UserError(f"CONFIG_{name}={value[:40]!r}: not a {sym.type} value as conf reads one", str(path), line)


@dataclass(frozen=True)
class Reason:
    """One line that decides a value, with the .config values it reads."""

    line: Line
    holds: str  # the line's condition under the .config: n, m, y or ? (a probe)
    values: tuple[tuple[str, str], ...]
    depth: int
    why: str  # "fails", "sets it", "user-settable", "picked in its choice"...


@dataclass(frozen=True)
class Explanation:
    """Why a symbol has its value in a .config, and the smallest change of user choices that gives the
    wanted one (or the core that rules it out).
    """

    symbol: str
    wanted: str
    current: str
    reasons: tuple[Reason, ...]
    changes: tuple[str, ...] | None  # fragment lines; None: no change of user choices gives it
    impossible: Q.Answer | None = None
    notes: tuple[str, ...] = ()


class _Eval:
    """Kconfig's tristate evaluation with the .config's values."""

    def __init__(self, model: ArchModel, config: dict[str, str]) -> None:
        self.model, self.config = model, config
        self.modules = config.get("MODULES") == "y"

    def sym(self, name: str) -> str:
        return self.config.get(name, "n")

    def tri(self, expr: E.Expr) -> int | None:
        if isinstance(expr, E.Sym):
            if self.model.is_probe(expr.name):
                return None
            return _TRI.get(self.sym(expr.name), 0)
        if isinstance(expr, E.Const):
            value = _TRI.get(expr.value, 0)
            return 0 if value == 1 and not self.modules else value  # m is n without modules
        if isinstance(expr, E.ChoiceRef):
            return 2
        if isinstance(expr, E.Not):
            inner = self.tri(expr.arg)
            return None if inner is None else 2 - inner
        if isinstance(expr, (E.And, E.Or)):
            parts = [self.tri(a) for a in expr.args]
            known = [p for p in parts if p is not None]
            if isinstance(expr, E.And):
                return 0 if 0 in known else None if None in parts else min(known)
            return 2 if 2 in known else None if None in parts else max(known)
        assert isinstance(expr, E.Cmp)
        return self._cmp(expr)

    def _operand(self, expr: E.Expr) -> str | None:
        if isinstance(expr, E.Const):
            return expr.value
        if isinstance(expr, E.Sym):
            return None if self.model.is_probe(expr.name) else self.sym(expr.name)
        value = self.tri(expr)
        return None if value is None else "nmy"[value]

    def _cmp(self, cmp: E.Cmp) -> int | None:
        a, b = self._operand(cmp.left), self._operand(cmp.right)
        if a is None or b is None:
            return None
        if a in _TRI and b in _TRI:
            ok = compare(cmp.op, _TRI[a], _TRI[b])
        else:
            try:
                ok = compare(cmp.op, int(a, 0), int(b, 0))
            except ValueError:
                ok = compare(cmp.op, a, b)
        return 2 if ok else 0


def _show(value: int | None) -> str:
    return "?" if value is None else "nmy"[value]


class Explainer:
    """Walks back from a symbol through the lines that decide its value under a .config, collecting the
    reasons.
    """

    def __init__(self, asked: Q.Asked, sources: Sources, config: dict[str, str]) -> None:
        self.asked, self.model, self.sources, self.config = asked, asked.model, sources, config
        self.prov = Provenance(asked.kconf, asked.model, sources)
        self.eval = _Eval(asked.model, config)
        self.ruled_out = False  # changes(): the facts alone rule the value out
        self.reasons: list[Reason] = []
        self._seen: set[tuple[str, str]] = set()

    # -- why ----------------------------------------------------------------------------

    def _reason(self, line: Line, expr: E.Expr, depth: int, why: str) -> None:
        values = tuple((n, self.eval.sym(n)) for n in dict.fromkeys(E.symbols(expr)) if not self.model.is_probe(n))
        self.reasons.append(Reason(line, _show(self.eval.tri(expr)), values, depth, why))

    def _settable(self, name: str) -> bool:
        sym = self.model.symbols[name]
        return bool(sym.prompts) and sym.choice is None

    def walk(self, name: str, wanted: str, depth: int = 0) -> None:
        """Why `name` is not `wanted` (or, if it is, what makes it so)."""
        if (name, wanted) in self._seen or depth > MAX_DEPTH or name not in self.model.symbols:
            return
        self._seen.add((name, wanted))
        sym = self.model.symbols[name]
        if sym.type not in BOOL_TYPES:
            return
        nodes = self.prov.nodes(name)
        have = _TRI.get(self.eval.sym(name), 0)
        want = _TRI[wanted]
        if want > have:
            self._raise(name, sym, nodes, want, depth)
        else:
            self._lower(name, sym, nodes, want, depth)

    def _raise(self, name: str, sym: Symbol, nodes: list[MenuNode], want: int, depth: int) -> None:
        """It is lower than wanted: the dependencies that fail, then what
        could set it (the prompt, a default, a select), each walked back."""
        failing = []
        for c in _conditions(self.model, name) if nodes else []:
            value = self.eval.tri(c)
            if value is not None and value < want:
                failing.append((self.prov.line_of(c, nodes[0], name), c, value))
        self._by_line([c for _, c, _ in failing], nodes, name, depth, "fails")
        for _, c, _ in failing:
            self._walk_expr(c, want, depth + 1)
        if failing:
            return
        if name in _TOOL_SYMBOLS:
            loc = sym.locs[0]
            self.reasons.append(Reason(Line(loc.file, loc.line, self.sources.line_text(loc.file, loc.line).strip(), name),
                                       "?", (), depth, "the toolchain decides: build with another one"))
            return
        if sym.prompts and sym.choice is None:
            loc = sym.locs[0]
            self.reasons.append(Reason(Line(loc.file, loc.line, self.sources.line_text(loc.file, loc.line).strip(), name),
                                       "y", (), depth, "user-settable: set it in the .config"))
            return
        if sym.choice is not None:
            loc = self.model.choices[sym.choice].locs[0]
            picked = [m for m in self.model.choices[sym.choice].members if self.eval.sym(m) == "y"]
            why = f"a choice member: {', '.join(picked) or 'nothing'} is picked instead"
            self.reasons.append(Reason(Line(loc.file, loc.line, "choice", name), "y", (), depth, why))
            return
        for edge in self.model.incoming("select", name):
            lineno, text = self.sources.edge_line(edge)
            self._reason(Line(edge.entry.file, lineno, text, edge.source), E.and_(E.Sym(edge.source), edge.cond),
                         depth, "could set it")
        for default, cond in sym.defaults:
            self._reason(self._default_line(sym, default, cond), E.and_(default, cond), depth, "could set it")

    def _by_line(self, conds: list[E.Expr], nodes: list[MenuNode], name: str, depth: int, why: str) -> None:
        """One reason per line, however many of its conjuncts are involved."""
        by_line: dict[Line, list[E.Expr]] = {}
        for c in conds:
            if nodes:
                by_line.setdefault(self.prov.line_of(c, nodes[0], name), []).append(c)
        for line, parts in by_line.items():
            self._reason(line, E.and_(*parts), depth, why)

    def _lower(self, name: str, sym: Symbol, nodes: list[MenuNode], want: int, depth: int) -> None:
        """It is at least what is wanted: what sets it."""
        for edge in self.model.incoming("select", name):
            fires = self.eval.tri(E.and_(E.Sym(edge.source), edge.cond))
            if fires is None or fires > want:
                lineno, text = self.sources.edge_line(edge)
                self._reason(Line(edge.entry.file, lineno, text, edge.source),
                             E.and_(E.Sym(edge.source), edge.cond), depth, "sets it")
                self.walk(edge.source, "n", depth + 1)
        if sym.prompts and self.eval.tri(E.or_(*sym.prompts)) not in (0,):
            loc = sym.locs[0]
            self.reasons.append(Reason(Line(loc.file, loc.line, self.sources.line_text(loc.file, loc.line).strip(), name),
                                       self.eval.sym(name), (), depth, "user-settable: set in the .config"))
            return
        for value, cond in sym.defaults:
            holds = self.eval.tri(cond)
            if holds is None or holds > 0:
                self._reason(self._default_line(sym, value, cond), value, depth, "its default sets it")
                # each of these holds: breaking one turns the default off
                holding = [c for c in _conditions(self.model, name) if self.eval.tri(c) != 0]
                self._by_line(holding, nodes, name, depth + 1, "holds")
                for n in E.symbols(value):
                    if n in self.model.symbols:
                        self.walk(n, "n", depth + 1)
                break

    def _walk_expr(self, expr: E.Expr, want: int, depth: int) -> None:
        """Walk into the symbols of a failing condition: the ones that must rise or fall."""
        if isinstance(expr, E.Sym) and expr.name in self.model.symbols:
            self.walk(expr.name, "nmy"[want] if want else "y", depth)
        elif isinstance(expr, E.Not) and isinstance(expr.arg, E.Sym) and expr.arg.name in self.model.symbols:
            self.walk(expr.arg.name, "n", depth)
        elif isinstance(expr, E.And):
            for arg in expr.args:
                value = self.eval.tri(arg)
                if value is not None and value < want:
                    self._walk_expr(arg, want, depth)
        elif isinstance(expr, E.Or):
            for arg in expr.args[:1]:  # one way out is enough to show
                self._walk_expr(arg, want, depth)

    def _default_line(self, sym: Symbol, value: E.Expr, cond: E.Expr) -> Line:
        index = next(i for i, d in enumerate(sym.defaults) if d == (value, cond))
        if index < len(sym.default_locs):
            loc, nth = sym.default_locs[index]
            found = default_lines(self.sources.file(loc.file), loc.line)
            if nth < len(found):
                return Line(loc.file, found[nth].lineno, found[nth].text.strip(), sym.name)
        loc = sym.locs[0]
        return Line(loc.file, loc.line, self.sources.line_text(loc.file, loc.line).strip(), sym.name)

    # -- the change set -----------------------------------------------------------------

    def changes(self, name: str, wanted: str, check_only: bool = False
                ) -> tuple[tuple[str, ...] | None, list[tuple[str, E.Expr]], list[str]]:
        """The fragment, the facts it holds under (toolchain and probe answers
        of this .config), and notes (and `ruled_out`). `check_only`: the
        notes alone (does the model reproduce the .config?), no fragment."""
        model, config = self.model, self.config
        facts = list(self.asked.facts) + _toolchain_facts(model, config)
        enc = Encoder(model)
        goal = enc.expr(E.Cmp("=", E.Sym(name), E.Const(wanted))).m
        hard = [enc.expr(e).m for _, e in facts]
        # Every member of a choice in the cone: a member the cone does not
        # read is still the user's pick (or not) to keep; unencoded, it was
        # left free, and "# CONFIG_C1 is not set" alone offered where conf
        # keeps C1 picked unless another member is.
        while missing := [m for key in list(enc.inputs.vars) if key.kind == "pick"
                          for m in _members(model, key.what) if m not in enc.syms]:
            for member in missing:
                enc.expr(E.Sym(member))
        enc.close()
        keep: dict[int, str] = {}  # selector literal -> symbol it keeps
        for sym_name, sym_enc in enc.syms.items():
            value = _TRI.get(config.get(sym_name, "n"), 0)
            lits = _user_lits(enc, sym_name, sym_enc, value) if sym_name in config else _no_user_value(enc, sym_name, sym_enc)
            if lits:
                keep[enc.selector(lits)] = sym_name
        for sym_name, thresholds in enc.int_thresholds.items():
            number = _int(config.get(sym_name), model.symbols[sym_name].type)
            if number is not None:
                hard += [lit if number >= c else -lit for c, lit in thresholds.items()]
        # Invisible int/hex symbols (PAHOLE_VERSION...) keep the .config's
        # value: it is what the toolchain answered.
        for sym_name in dict.fromkeys(name for (name, _), _lit in enc.encoded_thresholds()):
            sym = model.symbols.get(sym_name)
            if sym is not None and not sym.prompts and _int(config.get(sym_name), sym.type) is not None:
                pin = (f"{sym_name} = {config[sym_name]} (from the .config)",
                       E.Cmp("=", E.Sym(sym_name), E.Const(config[sym_name])))
                if pin not in facts:
                    facts.append(pin)
                    hard.append(enc.expr(pin[1]).m)
        notes: list[str] = []
        with Query(enc) as query:
            probes = self._probe_answers(query, enc, hard + list(keep))
            if probes is None:
                notes.append("the model does not reproduce this .config exactly: probe answers left free")
                probes = []
            else:
                facts += probes
                hard += [enc.expr(e).m for _, e in probes]
            if check_only:
                return (), facts, notes
            soft = list(keep)
            dropped: list[int] = []
            for _ in range(MAX_ROUNDS):
                outcome = query.find([goal, *hard, *soft])
                if isinstance(outcome, Sat):
                    found = outcome.model
                    break
                core = [lit for lit in outcome.core if lit in keep and lit in soft]
                if not core:
                    said = {goal, *(enc.expr(e).m for _, e in facts)}  # memoised: no new encoding
                    self.ruled_out = all(lit in said for lit in outcome.core)
                    return None, facts, notes
                soft.remove(core[-1])
                dropped.append(core[-1])
            else:  # not proven out of reach: saying "no change gives it" would be a guess
                raise UserError(f"no change set found in {MAX_ROUNDS} rounds: too many of this .config's "
                                "values disagree with the tree")
            for lit in list(dropped):  # irreducible: put back what is not needed
                again = query.find([goal, *hard, *soft, lit])
                if isinstance(again, Sat):
                    soft.append(lit)
                    dropped.remove(lit)
                    found = again.model
            return _fragment(enc, found, [keep[lit] for lit in dropped], model), facts, notes

    def _probe_answers(self, query: Query, enc: Encoder, pinned: list[int]) -> list[tuple[str, E.Expr]] | None:
        """Probe answers under which the model gives this .config's values."""
        wants: list[int] = []
        for sym_name, sym_enc in enc.syms.items():
            value = _TRI.get(self.config.get(sym_name, "n"), 0)
            wants += [sym_enc.value.m if value >= 1 else -sym_enc.value.m,
                      sym_enc.value.y if value == 2 else -sym_enc.value.y]
        outcome = query.find(pinned + wants)
        if isinstance(outcome, Unsat):
            return None
        found = outcome.model
        out: list[tuple[str, E.Expr]] = []
        for probe in self.model.probes.values():
            var = enc.inputs.vars.get(InputKey("probe", probe.command))
            if var is not None:
                text = f"probe {'succeeds' if found(var) else 'fails'} (as in this .config): {probe.loc}"
                out.append((text, E.Sym(probe.name) if found(var) else E.Not(E.Sym(probe.name))))
        return out


def _conditions(model: ArchModel, name: str) -> list[E.Expr]:
    """The conditions on a symbol: its dependencies and its prompt's `if`."""
    from kltolint.provenance import conjuncts

    sym = model.symbols[name]
    exprs = [sym.direct_dep, *sym.prompts[:1]]
    return list(dict.fromkeys(c for e in exprs for c in conjuncts(e)))


def _no_user_value(enc: Encoder, name: str, sym_enc: SymEnc) -> list[int]:
    """A symbol the .config does not list (conf writes no line for a symbol
    it hid) has no user value: where a change shows it, conf gives it its
    default, not n. So its user input is kept at what the default gives
    wherever it is visible. (A choice member the .config does not list is
    kept unpicked: a change that needs it picked writes it.)"""
    if sym_enc.user is None:
        return _user_lits(enc, name, sym_enc, 0)
    user, vis, default = sym_enc.user, sym_enc.vis, sym_enc.default

    def shown_as_default(user_lit: int, vis_lit: int, default_lit: int) -> int:
        shown = enc.all_of((user_lit, vis_lit))
        same = enc.any_of((enc.all_of((shown, default_lit)), enc.all_of((-shown, -default_lit))))
        return enc.any_of((-vis.m, same))
    lits = [shown_as_default(user.m, vis.m, default.m)]
    if user.y != user.m:  # tristate
        lits.append(shown_as_default(user.y, vis.y, default.y))
    return lits


def _members(model: ArchModel, member: str) -> list[str]:
    """The members of the choice `member` is in."""
    index = model.symbols[member].choice
    return [] if index is None else list(model.choices[index].members)


def _user_lits(enc: Encoder, name: str, sym_enc: SymEnc, value: int) -> list[int]:
    if sym_enc.user is not None:
        user = sym_enc.user
        if value == 0:
            return [-user.m]
        return [user.m, user.y] if value == 2 else [user.m, -user.y]
    pick = enc.inputs.vars.get(InputKey("pick", name))
    if pick is not None:
        # The user's pick stays in the .config while a change hides the
        # member (conf ignores it then); the model has no pick of a hidden one.
        return [enc.any_of((-sym_enc.vis.m, pick))] if value == 2 else [-pick]
    return []


def _int(text: str | None, type_: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 16) if type_ == "hex" or text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _toolchain_facts(model: ArchModel, config: dict[str, str]) -> list[tuple[str, E.Expr]]:
    """The .config's toolchain: which compiler, linker, assembler, versions."""
    out: list[tuple[str, E.Expr]] = []
    for group in toolchain.GROUPS:
        for name in group.members:
            if name in model.symbols and config.get(name) == "y":
                out.append((f"{name} (from the .config)", E.Sym(name)))
    for name in toolchain.VERSIONS:
        sym = model.symbols.get(name)
        if sym is not None and sym.type in INT_TYPES and _int(config.get(name), sym.type) is not None:
            out.append((f"{name} = {config[name]} (from the .config)", E.Cmp("=", E.Sym(name), E.Const(config[name]))))
    return out


def _fragment(enc: Encoder, found: Assignment, names: list[str], model: ArchModel) -> tuple[str, ...]:
    order = {name: i for i, name in enumerate(model.symbols)}
    values = {name: found.tri(enc.syms[name].value) for name in names}
    # A member picked by the change unpicks the others: their "is not set"
    # would be a change conf makes anyway (the set is irreducible).
    picked = {model.symbols[n].choice for n in names if model.symbols[n].choice is not None and values[n] == "y"}
    out = []
    for name in sorted(names, key=lambda n: order.get(n, 0)):
        value = values[name]
        if value == "n" and model.symbols[name].choice in picked:
            continue
        out.append(f"# CONFIG_{name} is not set" if value == "n" else f"CONFIG_{name}={value}")
    return tuple(out)


def explain(asked: Q.Asked, sources: Sources, config: dict[str, str], name: str, wanted: str) -> Explanation:
    sym = asked.model.symbols[name]
    if sym.type not in BOOL_TYPES:
        raise UserError(f"{name} is a {sym.type} symbol: explain takes bool and tristate symbols")
    if sym.type == "bool" and wanted == "m":  # no line rules it out: the core would be empty
        raise UserError(f"{name} is a bool symbol: it is y or n, never m")
    current = config.get(name, "n")
    explainer = Explainer(asked, sources, config)
    explainer.walk(name, wanted)
    if current == wanted:
        # Said so by the .config; a hand-made one conf would read otherwise
        # (a value its dependencies do not allow) gets the same note as a change.
        notes = explainer.changes(name, wanted, check_only=True)[2]
        return Explanation(name, wanted, current, tuple(explainer.reasons), (), notes=tuple(notes))
    changes, facts, notes = explainer.changes(name, wanted)
    impossible = None
    if changes is None:
        with_config = Q.Asked(asked.arch, asked.srcarch, asked.model, asked.kconf, asked.record,
                              E.Cmp("=", E.Sym(name), E.Const(wanted)), facts)
        # Unreachable for sure when the facts alone ruled it out: only its core is wanted.
        impossible = (Q.ruled_out if explainer.ruled_out else Q.answer)(with_config, sources)
    return Explanation(name, wanted, current, tuple(explainer.reasons), changes, impossible, tuple(notes))


# -- the command ------------------------------------------------------------------------

def parse_target(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    name = name.removeprefix("CONFIG_")
    value = value or "y"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or value not in _TRI:
        raise UserError(f"expected SYMBOL or SYMBOL=y|m|n, not {text!r}")
    return name, value


def render_text(e: Explanation) -> str:
    out = [f"{e.symbol} = {e.current} in the .config" + (f", wanted {e.wanted}" if e.current != e.wanted else "")]
    for r in e.reasons:
        values = "  [" + ", ".join(f"{n}={v}" for n, v in r.values) + "]" if r.values else ""
        out.append(f"{'  ' * r.depth}{r.line.file}:{r.line.line}: {r.line.owner}: {r.line.text}  ({r.why}){values}")
    out += [f"note: {n}" for n in e.notes]
    if e.changes:
        out.append("smallest change (append to the .config, then make olddefconfig):")
        out += [f"    {line}" for line in e.changes]
    elif e.changes is None:
        out.append(f"no change of the user's choices gives {e.symbol}={e.wanted}; ruled out by:")
        assert e.impossible is not None
        out += [f"{l.file}:{l.line}: note: {l.owner}: {l.text}" for l in e.impossible.core]
        out += [f"    with {f}" for f in e.impossible.facts]
    return "".join(line + "\n" for line in out)


def to_data(e: Explanation) -> dict[str, object]:
    return {
        "version": 1, "tool": "kltolint", "symbol": e.symbol, "wanted": e.wanted, "current": e.current,
        "reasons": [{"file": r.line.file, "line": r.line.line, "text": r.line.text, "symbol": r.line.owner,
                     "holds": r.holds, "values": dict(r.values), "depth": r.depth, "why": r.why} for r in e.reasons],
        "changes": list(e.changes) if e.changes is not None else None,
        "ruled_out_by": None if e.impossible is None else {
            "core": [{"file": l.file, "line": l.line, "text": l.text, "symbol": l.owner} for l in e.impossible.core],
            "facts": list(e.impossible.facts)},
        "notes": list(e.notes),
    }


def run(symbol: str, config_path: Path, arches: Sequence[str], toolchain_facts: Sequence[str], fmt: str,
        tree: Tree, stdout: TextIO, manifests: list[Manifest], load: Q.ArchLoad = Q.load_fresh,
        config_data: bytes | None = None) -> int:
    """`kltolint explain`: the answer written to `stdout`, the load's manifest to `manifests`
    (`config_data`: the .config's bytes, if already read)."""
    from kltolint.cache import Manifest

    name, wanted = parse_target(symbol)
    config, where = _read_config(config_path, config_data)
    if len(arches) > 1:
        raise UserError("explain takes one --arch (a .config is for one arch)")
    arch = arches[0] if arches else config.get("ARCH_NAME") or _arch_of(config, tree)
    asked = Q.prepare(tree, arch, E.Sym(name), parse_facts(list(toolchain_facts)), load)
    manifests.append(Manifest.of(asked.record))
    if name not in asked.model.symbols:
        raise UserError(f"unknown symbol {name} (not defined on {arch})")
    _check_values(asked.model, config, where, config_path)
    _last_pick_wins(asked.model, config, where)
    result = explain(asked, Sources(tree), config, name, wanted)
    if fmt == "json":
        from kltolint.output import json_text  # a byte that was not UTF-8 in a Kconfig line: no lone surrogate

        stdout.write(json_text(to_data(result)) + "\n")
    else:
        stdout.write(render_text(result))
    return 1 if result.changes is None else 0


def _arch_of(config: dict[str, str], tree: Tree) -> str:
    """The arch a .config is for: the arch folder whose own symbol it sets."""
    for arch in tree.arches():
        if config.get(arch.upper()) == "y":
            return arch
    raise UserError("cannot tell the arch of this .config: give --arch")
