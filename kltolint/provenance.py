"""Which Kconfig line each part of a folded dependency comes from.

kconfiglib folds every `depends on`, `if` block, menu dependency and the
`if` of a prompt, default or select into one expression per property. To say
*why* something is unreachable in terms of lines, the folded expressions are
split back into conjuncts, and each conjunct is traced to the line that wrote
it, read from the lossless source layer: the entry's own lines first, then
its enclosing `if`/`menu`/`choice` blocks, the menuconfig it sits under, and
the blocks around each `source` line that included its file.

What it reads of kconfiglib's menu tree is plain data (`Node`, `Nodes`):
built from a load on demand, or read back from a saved model (saved.py).

`Lined` then gives a copy of the model in which every such line can be
relaxed by the solver: each line gets a free "kept" input (a probe of the
model, so the encoder needs no change). A dependency conjunct c becomes
`c || !kept`; a default, select or imply line fires as written while kept,
and at will while not (the line deleted, or its `if` dropped). Assuming every
line kept gives the original model back; an unsatisfiable core over these
inputs is a set of lines that rule a goal out whatever the other lines say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from kltolint import expr as E
from kltolint.errors import UserError
from kltolint.model import ArchModel, Choice, Edge, Loc, Probe, Symbol
from kltolint.source import PROMPT_KEYWORDS, Logical, Sources, default_lines

if TYPE_CHECKING:  # a saved model's questions never load kconfiglib (nor the analysis)
    import kconfiglib

LINE_PREFIX = "KLTO_LINE_"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Line:
    """A Kconfig line that can be deleted, and the symbol it belongs to."""

    file: str
    line: int
    text: str
    owner: str  # the symbol (or 'choice', 'menu', 'if') it constrains

    @property
    def loc(self) -> Loc:
        return Loc(self.file, self.line)


@dataclass(frozen=True)
class Node:
    """What provenance reads of one kconfiglib menu node: where its entry
    is, whether it has a prompt, the menuconfig entries it sits under
    (inner first) and the `source` lines that included its file."""

    filename: str
    linenr: int
    prompt: bool
    menus: tuple[Loc, ...]
    include_path: tuple[tuple[str, int], ...]


class Nodes:
    """The menu nodes of each symbol and choice of one load: as data (a
    saved model's, saved.py), or from kconfiglib's objects (`of`, each
    converted on first request)."""

    def __init__(self, symbols: Mapping[str, tuple[Node, ...]], choices: Sequence[tuple[Node, ...]]) -> None:
        self._given = symbols
        self._choices = choices
        self._kconf: Any = None  # kconfiglib.Kconfig for `of`
        self._done: dict[str, tuple[Node, ...]] = {}
        # by id() of kconfiglib's objects, alive as long as _kconf
        self._menus_of: dict[int, tuple[Loc, ...]] = {}
        self._paths: dict[int, tuple[tuple[str, int], ...]] = {}

    @classmethod
    def of(cls, kconf: kconfiglib.Kconfig) -> Nodes:
        nodes = cls({}, ())
        nodes._kconf = kconf
        return nodes

    def symbol(self, name: str) -> tuple[Node, ...]:
        if self._kconf is None:
            return self._given.get(name, ())
        done = self._done.get(name)
        if done is None:
            sym = self._kconf.syms.get(name)
            done = self._done[name] = tuple(self._node(n) for n in sym.nodes) if sym is not None else ()
        return done

    def choice(self, index: int) -> tuple[Node, ...]:
        if self._kconf is None:
            return self._choices[index]
        return tuple(self._node(n) for n in self._kconf.unique_choices[index].nodes)

    def everything(self) -> tuple[dict[str, tuple[Node, ...]], list[tuple[Node, ...]]]:
        """Every defined symbol's nodes and every choice's, as data."""
        if self._kconf is None:
            return dict(self._given), list(self._choices)
        names = [sym.name for sym in self._kconf.unique_defined_syms]
        return ({name: self.symbol(name) for name in names},
                [self.choice(i) for i in range(len(self._kconf.unique_choices))])

    def _node(self, node: kconfiglib.MenuNode) -> Node:
        path = self._paths.get(id(node.include_path))
        if path is None:  # shared by the nodes of one file: converted once
            path = tuple((file, line) for file, line in node.include_path)
            self._paths[id(node.include_path)] = path
        return Node(node.filename, node.linenr, bool(node.prompt), self._menus(node.parent), path)

    def _menus(self, parent: kconfiglib.MenuNode | None) -> tuple[Loc, ...]:
        """The menuconfig entries from `parent` up, inner first (kconfiglib's
        implicit menus), once per parent."""
        import kconfiglib

        if parent is None or parent is self._kconf.top_node:
            return ()
        done = self._menus_of.get(id(parent))
        if done is None:
            above = self._menus(parent.parent)
            if isinstance(parent.item, kconfiglib.Symbol):
                above = (Loc(parent.filename, parent.linenr), *above)
            done = self._menus_of[id(parent)] = above
        return done


@dataclass(frozen=True)
class _Cand:
    """A candidate line and the conjuncts its expression parses into."""

    file: str
    logical: Logical
    conjuncts: frozenset[E.Expr] | None  # None: not parseable (macros)


_IF_SPLIT = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|#|\bif\b')


def _strip(text: str) -> tuple[str, str | None]:
    """(text before a top-level `if`, the condition after it), comments dropped."""
    for match in _IF_SPLIT.finditer(text):
        token = match.group()
        if token == "#":
            return text[:match.start()], None
        if token == "if":
            rest = text[match.end():]
            hash_at = next((m.start() for m in _IF_SPLIT.finditer(rest) if m.group() == "#"), None)
            return text[:match.start()], rest[:hash_at] if hash_at is not None else rest
    return text, None


def shown(text: str) -> str:
    """A line as shown: blanks (tabs that align `if`s) collapsed."""
    return " ".join(text.split())




def conjuncts(expr: E.Expr) -> tuple[E.Expr, ...]:
    expr = E.flattened(expr)
    return expr.args if isinstance(expr, E.And) else (expr,)


def _condition(logical: Logical) -> str | None:
    """The expression text a line contributes to dependencies."""
    words = logical.words()
    if not words:
        return None
    key = words[0]
    text = logical.text.strip()
    if key in ("depends", "visible") and len(words) > 2:
        return _uncomment(text).split(None, 2)[2]
    if key == "if" and logical.kind == "entry" and len(words) > 1:
        return _uncomment(text).split(None, 1)[1]
    return _strip(text)[1] if key not in ("depends", "visible", "if") else None


def _uncomment(text: str) -> str:
    for match in _IF_SPLIT.finditer(text):
        if match.group() == "#":
            return text[:match.start()]
    return text


def _cand(file: str, logical: Logical) -> _Cand:
    text = _condition(logical)
    parsed = None
    if text is not None:
        try:
            parsed = frozenset(conjuncts(E.parse(text)))
        except (E.ExprSyntaxError, RecursionError):
            parsed = None
    return _Cand(file, logical, parsed)


class Provenance:
    """Line attribution for one loaded arch: its menu nodes (a `Nodes`, or
    the kconfiglib.Kconfig to read them from), its model and its sources."""

    def __init__(self, nodes: Nodes | kconfiglib.Kconfig, model: ArchModel, sources: Sources) -> None:
        self.index = nodes if isinstance(nodes, Nodes) else Nodes.of(nodes)
        self.model = model
        self.sources = sources
        self._blocks: dict[str, dict[int, tuple[Logical, ...]]] = {}
        self._cands: dict[tuple[str, int], tuple[_Cand, ...]] = {}

    # -- the lines around an entry --------------------------------------------------

    def _file_blocks(self, rel: str) -> dict[int, tuple[Logical, ...]]:
        """Entry header line -> the condition lines of its enclosing blocks, inner first."""
        done = self._blocks.get(rel)
        if done is not None:
            return done
        source = self.sources.file(rel)
        stack: list[tuple[str, tuple[Logical, ...]]] = []
        out: dict[int, tuple[Logical, ...]] = {}
        for entry in source.entries:
            key = entry.keyword
            if key in ("endif", "endmenu", "endchoice"):
                if stack:
                    stack.pop()
                continue
            out[entry.header.lineno] = tuple(l for _, lines in reversed(stack) for l in lines)
            if key == "if":
                stack.append(("if", (entry.header,)))
            elif key in ("menu", "choice"):
                stack.append((key, tuple(p for p in entry.props if p.keyword in ("depends", "visible"))))
        self._blocks[rel] = out
        return out

    def candidates(self, node: Node) -> tuple[_Cand, ...]:
        """The dependency lines of a node: its `depends on` lines, then the
        blocks around it, the menuconfig it sits under, the blocks around the
        `source` lines that included its file."""
        key = (node.filename, node.linenr)
        done = self._cands.get(key)
        if done is not None:
            return done
        out: list[_Cand] = []
        try:
            entry = self.sources.file(node.filename).entry_at(node.linenr)
            if entry is not None:
                out += [_cand(node.filename, p) for p in entry.lines("depends")]
            out += [_cand(node.filename, l) for l in self._file_blocks(node.filename).get(node.linenr, ())]
            for menu in node.menus:  # the menuconfigs it sits under
                holder = self.sources.file(menu.file).entry_at(menu.line)
                if holder is not None:
                    out += [_cand(menu.file, p) for p in holder.lines("depends")]
            for file, line in reversed(node.include_path):
                out += [_cand(file, l) for l in self._file_blocks(file).get(line, ())]
        except (UserError, OSError):  # a file we cannot re-read: conjuncts go to the entry
            pass
        self._cands[key] = tuple(out)
        return self._cands[key]

    def prompt_line(self, node: Node) -> Logical | None:
        entry = self.sources.file(node.filename).entry_at(node.linenr)
        if entry is None:
            return None
        return next((p for p in entry.props if p.keyword in PROMPT_KEYWORDS and '"' in p.text), None)

    # -- attribution -----------------------------------------------------------------

    def line_of(self, conjunct: E.Expr, node: Node, owner: str,
                own: tuple[str, Logical] | None = None) -> Line:
        """The line that wrote `conjunct` into a condition of `node`; `own`
        is the property's own line (a default's, a select's), tried first."""
        if isinstance(conjunct, E.ChoiceRef):
            loc = self.model.choices[conjunct.index].locs[0]
            return self._line(loc.file, loc.line, "choice")
        cands = self.candidates(node)
        if own is not None:
            cands = (_cand(*own), *cands)
        wanted = E.flattened(conjunct)
        for cand in cands:
            if cand.conjuncts is not None and wanted in cand.conjuncts:
                return self._from(cand, owner)
        names = set(E.symbols(conjunct))
        probes = [n for n in names if self.model.is_probe(n)]
        if probes:
            best = self._probe_line(self.model.probes[probes[0]], cands)
            if best is not None:
                return self._from(best, owner)
        plain = names - set(probes)
        if plain:
            for cand in cands:
                if plain <= set(re.findall(r"[A-Za-z0-9_]+", cand.logical.text)):
                    return self._from(cand, owner)
        return self._line(node.filename, node.linenr, owner)

    def _probe_line(self, probe: Probe, cands: tuple[_Cand, ...]) -> _Cand | None:
        with_macro = [c for c in cands if "$(" in c.logical.text]
        for cand in with_macro:
            if (cand.file, cand.logical.lineno) == (probe.loc.file, probe.loc.line):
                return cand
        words = set(re.findall(r"[\w.+-]+", probe.command))
        scored = [(len(words & set(re.findall(r"[\w.+-]+", c.logical.text))), -i, c) for i, c in enumerate(with_macro)]
        return max(scored, key=lambda s: s[:2])[2] if scored else None

    def _from(self, cand: _Cand, owner: str) -> Line:
        return Line(cand.file, cand.logical.lineno, shown(cand.logical.text), owner)

    def _line(self, file: str, line: int, owner: str) -> Line:
        return Line(file, line, shown(self.sources.line_text(file, line)), owner)

    def nodes(self, name: str) -> list[Node]:
        return list(self.index.symbol(name))


class Lined:
    """The model with deletable lines (see the module docstring)."""

    def __init__(self, prov: Provenance) -> None:
        self.prov = prov
        self.base = prov.model
        self.lines: dict[str, Line] = {}  # probe name of the line -> the line
        self._names: dict[tuple[str, int], str] = {}
        self._probes: dict[str, Probe] = dict(self.base.probes)
        self._symbols: dict[str, Symbol] = {}
        self._edges: dict[tuple[str, str], tuple[Edge, ...]] = {}
        self.model = ArchModel(
            arch=self.base.arch, symbols=_Symbols(self), choices=_Choices(self), edges=(),
            probes=self._probes, files=self.base.files, kernel=self.base.kernel,
            incoming_source=self._incoming)

    def kept(self, line: Line) -> E.Sym:
        """The input "this line holds as written" (assumed, or left free)."""
        key = (line.file, line.line)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"{LINE_PREFIX}{len(self._names)}"
            self.lines[name] = line
            self._probes[name] = Probe(name, f"#line {line.file}:{line.line}", line.loc)
        return E.Sym(name)

    def _free(self, line: Line) -> E.Expr:
        """What a relaxed default or select does: fire or not, at will."""
        name = f"{LINE_PREFIX}free_{self.kept(line).name}"
        self._probes.setdefault(name, Probe(name, f"#free {line.file}:{line.line}", line.loc))
        return E.Sym(name)

    def _relax(self, expr: E.Expr, node: Node | None, owner: str,
               own: tuple[str, Logical] | None = None) -> E.Expr:
        """Each conjunct c of a dependency becomes `c || !kept(its line)`."""
        if node is None or expr == E.Y:
            return expr
        parts = []
        for c in conjuncts(expr):
            line = self.prov.line_of(c, node, owner, own)
            parts.append(E.or_(c, E.not_(self.kept(line))))
        return E.and_(*parts)

    def _property(self, cond: E.Expr, node: Node | None, owner: str,
                  own: tuple[str, Logical] | None, line: Line | None) -> E.Expr:
        """A default's or select's condition: its line's own `if` holds while
        the line is kept; a relaxed line fires or not at will (the line
        deleted, or its `if` dropped). The entry's dependencies stay apart."""
        if node is None or line is None:
            return self._relax(cond, node, owner, own)
        mine, theirs = [], []
        for c in conjuncts(cond):
            found = self.prov.line_of(c, node, owner, own)
            if (found.file, found.line) == (line.file, line.line):
                mine.append(c)
            else:
                theirs.append(E.or_(c, E.not_(self.kept(found))))
        kept = self.kept(line)
        holds = E.or_(E.and_(*mine, kept), E.and_(E.not_(kept), self._free(line)))
        return E.and_(*theirs, holds)

    def symbol(self, name: str) -> Symbol:
        done = self._symbols.get(name)
        if done is not None:
            return done
        sym = self.base.symbols[name]
        nodes = self.prov.nodes(name)
        by_loc = {(n.filename, n.linenr): n for n in nodes}
        first = nodes[0] if nodes else None
        prompted = [n for n in nodes if n.prompt]
        prompts = sym.prompts
        if len(prompted) == len(prompts):
            prompts = tuple(self._relax(p, n, name, self._own(n.filename, self.prov.prompt_line(n)))
                            for p, n in zip(prompts, prompted, strict=False))
        direct = sym.direct_dep
        if isinstance(direct, E.Or) and len(nodes) > 1 and len(direct.args) == len(nodes):
            direct = E.or_(*(self._relax(d, n, name) for d, n in zip(direct.args, nodes, strict=True)))
        elif len(nodes) == 1:
            direct = self._relax(direct, first, name)
        defaults = []
        for index, (value, cond) in enumerate(sym.defaults):
            node, line, own = first, None, None
            if index < len(sym.default_locs):
                loc, nth = sym.default_locs[index]
                node = by_loc.get((loc.file, loc.line), first)
                found = default_lines(self.prov.sources.file(loc.file), loc.line)
                if nth < len(found):
                    line = Line(loc.file, found[nth].lineno, shown(found[nth].text), name)
                    own = (loc.file, found[nth])
            cond = self._property(cond, node, name, own, line)
            defaults.append((value, cond))
        done = self._symbols[name] = replace(sym, prompts=prompts, direct_dep=direct, defaults=tuple(defaults))
        return done

    @staticmethod
    def _own(file: str, logical: Logical | None) -> tuple[str, Logical] | None:
        return (file, logical) if logical is not None else None

    def choice(self, index: int) -> Choice:
        choice = self.base.choices[index]
        nodes = self.prov.index.choice(index)
        if len(nodes) != 1:
            return choice
        prompts = tuple(self._relax(p, nodes[0], "choice") for p in choice.prompts)
        return replace(choice, prompts=prompts, direct_dep=self._relax(choice.direct_dep, nodes[0], "choice"))

    def _incoming(self, kind: str, target: str) -> tuple[Edge, ...]:
        key = (kind, target)
        done = self._edges.get(key)
        if done is None:
            out = []
            for edge in self.base.incoming(kind, target):
                node = next((n for n in self.prov.nodes(edge.source)
                             if (n.filename, n.linenr) == (edge.entry.file, edge.entry.line)), None)
                logical = self.prov.sources.file(edge.entry.file).select_line(
                    edge.entry.line, edge.kind, edge.target, edge.nth)
                lineno, text = self.prov.sources.edge_line(edge)
                line = Line(edge.entry.file, lineno, shown(text), edge.source)
                own = (edge.entry.file, logical) if logical is not None else None
                out.append(replace(edge, cond=self._property(edge.cond, node, edge.source, own, line)))
            done = self._edges[key] = tuple(out)
        return done


class _Symbols(Mapping[str, Symbol]):
    def __init__(self, lined: Lined) -> None:
        self._lined = lined

    def __getitem__(self, name: str) -> Symbol:
        return self._lined.symbol(name)

    def __contains__(self, name: object) -> bool:
        return name in self._lined.base.symbols

    @overload
    def get(self, name: str, /) -> Symbol | None: ...

    @overload
    def get(self, name: str, /, default: Symbol | _T) -> Symbol | _T: ...

    def get(self, name: str, /, default: object = None) -> object:
        """Mapping.get without its KeyError for a line input (the encoder asks for each by name too)."""
        return self._lined.symbol(name) if name in self._lined.base.symbols else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._lined.base.symbols)

    def __len__(self) -> int:
        return len(self._lined.base.symbols)


class _Choices(Sequence[Choice]):
    def __init__(self, lined: Lined) -> None:
        self._lined = lined
        self._done: dict[int, Choice] = {}

    @overload
    def __getitem__(self, index: int) -> Choice: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Choice]: ...

    def __getitem__(self, index: int | slice) -> Choice | Sequence[Choice]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index not in self._done:
            self._done[index] = self._lined.choice(index)
        return self._done[index]

    def __len__(self) -> int:
        return len(self._lined.base.choices)
