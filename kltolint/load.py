"""Load one arch of a kernel tree with kconfiglib and convert it to the model.

A load returns the model and its `LoadRecord` (what it read: files with
their identities, `source` globs, the text of files with suppression
comments), side by side: the record is for the cache and for suppress.py,
the model for analysis. How a load affects the process is its `Loader`'s
kind (compat.KconfigRuntime owns that state): `LASTING` (`load_arch`) for
the tree as it is, `TEMPORARY` (`load_changed`) for a tree a patch or a fix
changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar, overload

import kconfiglib

from kltolint import compat
from kltolint.compat import LoadKind
from kltolint.errors import UserError
from kltolint.expr import COMPARISONS, MAX_DEPTH, ChoiceRef, Cmp, Const, Expr, Not, Sym, and_, or_
from kltolint.model import EDGE_KINDS, ArchModel, Choice, Edge, Loc, Symbol
from kltolint.toolchain import TOOL_VARIABLES
from kltolint.tree import LoadRecord, Tree

_REL = {getattr(kconfiglib, name): op for name, op in zip(
    ("EQUAL", "UNEQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL"), COMPARISONS, strict=True)}
_NUMBER = re.compile(r"-?[0-9]+|0[xX][0-9a-fA-F]+")


def environment(tree: Tree, arch: str) -> dict[str, str]:
    """What the kernel's Makefile exports to Kconfig, minus the toolchain."""
    return {
        **{name: f"<{name}>" for name in TOOL_VARIABLES},
        "srctree": str(tree.root),
        "ARCH": arch,
        "SRCARCH": arch,
        # arch/um/Kconfig sources arch/$(HEADER_ARCH)/um/Kconfig
        "HEADER_ARCH": "x86",
        "SUBARCH": "x86",
        "KERNELVERSION": "unknown",
    }


def load_kconfig(tree: Tree, arch: str, kind: LoadKind = "lasting",
                 loops: bool = False) -> tuple[compat.SafeKconfig, LoadRecord]:
    """Parse arch's Kconfig, and what the parse read; every failure becomes
    a one-line UserError."""
    if f"arch/{arch}/Kconfig" not in tree.overlay and os.path.lexists(tree.root / "arch" / arch / "Kconfig"):
        tree.confined(f"arch/{arch}/Kconfig")  # a link out of the tree says so (not "unknown arch")
    if not tree.exists(f"arch/{arch}/Kconfig"):
        known = ", ".join(tree.arches())
        raise UserError(f"unknown arch {arch!r} (this tree has: {known})")
    reader = compat.TreeReader(tree)
    try:
        kconf = compat.RUNTIME.parse(reader, environment(tree, arch), kind, loops)
    except kconfiglib.KconfigError as err:
        loop = _loop_error(str(err), {rel for rel, text in tree.overlay.items() if text is not None})
        raise (loop or _user_error(str(err))) from None
    except RecursionError:
        raise UserError("Kconfig nests too deeply to parse", f"arch/{arch}/Kconfig") from None
    return kconf, reader.record()


# One member of kconfiglib's "Dependency loop" report: its name (a choice's
# is `<choice NAME>`) and where it is defined.
_LOOP_MEMBER = re.compile(r"^(?:\.\.\.depends on (?:the choice symbol )?)?(.+?) "
                          r"\((?:defined at ([^)]*)|undefined)\), with definition\.\.\.$", re.MULTILINE)


def _loop_error(text: str, changed: AbstractSet[str]) -> UserError | None:
    """kconfiglib's many-line report of a dependency loop as one line, at the
    first member defined in a `changed` file (a patch's), else the first:
    `file:line: dependency loop: A -> B (file:line) -> A`. None for another error."""
    if not text.lstrip().startswith("Dependency loop"):
        return None
    members = [(name, [_loc(loc) for loc in locs.split(", ")] if locs else [])
               for name, locs in _LOOP_MEMBER.findall(text)]
    if not members:
        return UserError("dependency loop")
    start = next((i for i, (_, locs) in enumerate(members) if any(f in changed for f, _ in locs)), 0)
    members = members[start:] + members[:start]
    name, locs = members[0]
    file, line = next(((f, n) for f, n in locs if f in changed), locs[0] if locs else (None, None))
    steps = [f"{other} ({':'.join(str(part) for part in where[0] if part is not None)})" if where else other
             for other, where in members[1:]]
    return UserError(f"dependency loop: {' -> '.join([name, *steps, name])}", file, line)


def _loc(text: str) -> tuple[str, int | None]:
    file, _, line = text.rpartition(":")
    return (file, int(line)) if file and line.isdigit() else (text, None)


# kconfiglib's message for a `source` that matches no file: it goes on to
# blame the environment and prints $srctree, the host's path.
_NOT_FOUND = re.compile(r"'(.*)' not found \(in '(.*)'\)\. Check that environment variables .*", re.DOTALL)


def _not_found(message: str) -> str | None:
    match = _NOT_FOUND.fullmatch(message)
    return f"no such file in the tree: {match.group(1)} (`{match.group(2).strip()}`)" if match else None


def _user_error(text: str) -> UserError:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else "Kconfig error"
    match = re.match(r"(\S+?):(\d+): (?:error: )?(.*)", first)
    if match:
        message = compat.unsupported(match.group(3)) or _not_found(match.group(3)) or match.group(3)
        return UserError(message, match.group(1), int(match.group(2)))
    return UserError(first)


@dataclass(frozen=True)
class Loaded:
    """One load: the model, and what was read to make it."""

    model: ArchModel
    record: LoadRecord


@dataclass(frozen=True)
class Loader:
    """Loads arches of trees of one kind. Called, it gives the model only."""

    kind: LoadKind
    loops: bool = False  # a lasting load that checks for dependency loops too (a temporary one always does)

    def changed(self) -> Loader:
        """The loader for a tree this loader's tree became by a patch or a fix."""
        return TEMPORARY

    def kconfig(self, tree: Tree, arch: str) -> tuple[compat.SafeKconfig, LoadRecord]:
        return load_kconfig(tree, arch, self.kind, self.loops)

    def load(self, tree: Tree, arch: str) -> Loaded:
        kconf, record = self.kconfig(tree, arch)
        return Loaded(convert(kconf, arch), record)

    def __call__(self, tree: Tree, arch: str) -> ArchModel:
        return self.load(tree, arch).model


LASTING = Loader("lasting")
TEMPORARY = Loader("temporary")
# A check's loads: its tree may be a working tree (a pre-commit hook's), where
# a loop the C tool refuses is as likely as in a patched one. A review's
# before-side stays LASTING: the tree a patch applies to; its after-side is
# TEMPORARY, which checks.
CHECKED = Loader("lasting", loops=True)
load_arch = LASTING  # the tree as it is
load_changed = TEMPORARY  # for trees a patch or a fix changed: temporary, and loops are errors


_MAKE_VERSION = re.compile(r"^(VERSION|PATCHLEVEL)\s*=\s*(\d+)\s*$", re.MULTILINE)


def kernel_version(tree: Tree) -> tuple[int, int] | None:
    """(VERSION, PATCHLEVEL) of the tree's top Makefile, read as text."""
    if not tree.exists("Makefile"):
        return None
    found = dict(_MAKE_VERSION.findall(tree.read("Makefile")[:4096]))
    if "VERSION" not in found or "PATCHLEVEL" not in found:
        return None
    return int(found["VERSION"]), int(found["PATCHLEVEL"])


def convert(kconf: compat.SafeKconfig, arch: str) -> ArchModel:
    """The model, converted lazily: symbols, choices and edges are converted
    from kconfiglib's objects the first time they are read."""
    conv = _Converter(kconf)
    return ArchModel(
        arch=arch,
        symbols=_LazySymbols(kconf, conv),
        choices=_LazyList(lambda: [conv.choice(c) for c in kconf.unique_choices]),
        edges=_LazyList(lambda: [e for s in kconf.unique_defined_syms for n in s.nodes for e in conv.edges(n)]),
        probes={p.name: p for p in kconf.kltolint_probes.values()},
        files=tuple(dict.fromkeys(kconf.kconfig_filenames)),
        kernel=kernel_version(kconf.kltolint_tree),
        incoming_source=_Incoming(kconf, conv),
        facts=_Facts(kconf, conv),
    )


class _LazySymbols(Mapping[str, Symbol]):
    def __init__(self, kconf: kconfiglib.Kconfig, conv: _Converter) -> None:
        self._defined = {sym.name: sym for sym in kconf.unique_defined_syms}
        self._conv = conv
        self._done: dict[str, Symbol] = {}

    def __getitem__(self, name: str) -> Symbol:
        done = self._done.get(name)
        if done is None:
            done = self._done[name] = self._conv.symbol(self._defined[name])
        return done

    def __contains__(self, name: object) -> bool:
        return name in self._defined

    def __iter__(self) -> Iterator[str]:
        return iter(self._defined)

    def __len__(self) -> int:
        return len(self._defined)


_T = TypeVar("_T")


class _LazyList(Sequence[_T]):
    def __init__(self, make: Callable[[], list[_T]]) -> None:
        self._make = make
        self._items: list[_T] | None = None

    def _all(self) -> list[_T]:
        if self._items is None:
            self._items = self._make()
        return self._items

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())


class _Incoming:
    """target -> its select/imply edges, converted on first request."""

    def __init__(self, kconf: kconfiglib.Kconfig, conv: _Converter) -> None:
        self._conv = conv
        self._raw: dict[tuple[str, str], list[kconfiglib.MenuNode]] = {}
        for sym in kconf.unique_defined_syms:
            for node in sym.nodes:
                for kind, pairs in (("select", node.selects), ("imply", node.implies)):
                    for target in {t.name for t, _ in pairs}:
                        self._raw.setdefault((kind, target), []).append(node)
        self._done: dict[tuple[str, str], tuple[Edge, ...]] = {}

    def __call__(self, kind: str, target: str) -> tuple[Edge, ...]:
        key = (kind, target)
        done = self._done.get(key)
        if done is None:
            nodes = self._raw.get(key, ())
            done = self._done[key] = tuple(e for n in nodes for e in self._conv.edges(n)
                                           if e.kind == kind and e.target == target)
        return done


class _TooDeep(Exception):
    pass


_Item = TypeVar("_Item")


def _located(method: Callable[[_Converter, _Item], _T]) -> Callable[[_Converter, _Item], _T]:
    """An expression nested too deeply becomes a UserError at its item's first line."""
    def wrapper(self: _Converter, item: _Item) -> _T:
        try:
            return method(self, item)
        except _TooDeep:
            located: Any = item  # a MenuNode, or a Symbol or Choice (kconfiglib ships no types)
            node = located if isinstance(located, kconfiglib.MenuNode) else located.nodes[0]
            raise UserError(f"expression nests more than {MAX_DEPTH} levels deep", node.filename,
                            node.linenr) from None
    return wrapper


def _is_constant(sym: kconfiglib.Symbol) -> bool:
    """y, m, n, a quoted string, or a number that is no symbol's name."""
    return sym.is_constant or (not sym.nodes and bool(_NUMBER.fullmatch(sym.name)))


def _reads_own(sym: kconfiglib.Symbol, names_in: Callable[[object], tuple[str, ...]]) -> set[str]:
    """What a defined symbol's own entries read, as the users index counts
    it: its direct dependencies, prompt conditions, defaults and their
    conditions (not its ranges)."""
    exprs = [sym.direct_dep, *(n.prompt[1] for n in sym.nodes if n.prompt),
             *(v for v, _ in sym.defaults), *(c for _, c in sym.defaults)]
    return {n for e in exprs for n in names_in(e)}


class _Users(Mapping[str, AbstractSet[str]]):
    """symbol -> the symbols that read it (model.LoadFacts.users), each
    entry found when it is first asked, so a fix's verification, which asks
    for one symbol's forward cone, does not index the whole arch.

    The candidates are kconfiglib's own reverse-dependency sets
    (`_dependents`): kconfiglib adds a symbol to the set of every symbol its
    prompts, defaults, ranges, direct dependencies and (weak) reverse
    dependencies read, and a select's or imply's reverse dependency is
    `selector && condition`, the condition this index reads. Each candidate
    is kept if it reads the symbol as the index counts (_reads_own, and the
    select/imply edges into it). Two kinds of edge have no trace in those
    sets and are collected up front: a select or imply of an undefined
    symbol (kconfiglib builds no set for it) and one whose condition is `n`
    (`selector && n` simplifies to `n`). Iterating the mapping builds the
    whole index (`whole`), as does a question that reaches past
    LAZY_NAMES symbols (blame sizes the cones of many candidates, some of
    most of the arch): name by name costs more than the whole index then."""

    LAZY_NAMES = 2000

    def __init__(self, kconf: compat.SafeKconfig, names_in: Callable[[object], tuple[str, ...]],
                 whole: Callable[[], dict[str, set[str]]]) -> None:
        self._kconf = kconf
        self._names_in = names_in
        self._whole_of = whole
        self._whole: dict[str, set[str]] | None = None
        self._done: dict[str, frozenset[str]] = {}
        self._reads: dict[str, set[str]] = {}
        self._into: dict[str, list[tuple[str, object]]] = {}  # target -> (selector, condition)
        self._missed: dict[str, set[str]] = {}
        n = kconf.n
        for sym in kconf.unique_defined_syms:
            for node in sym.nodes:
                for pairs in (node.selects, node.implies):
                    for target, cond in pairs:
                        self._into.setdefault(target.name, []).append((sym.name, cond))
                        if cond is n or not target.nodes:
                            for name in (sym.name, *names_in(cond)):
                                self._missed.setdefault(name, set()).add(target.name)
        kconf.build_dependencies()

    def _reads_of(self, sym: kconfiglib.Symbol) -> set[str]:
        done = self._reads.get(sym.name)
        if done is None:
            done = _reads_own(sym, self._names_in)
            for selector, cond in self._into.get(sym.name, ()):
                done.add(selector)
                done.update(self._names_in(cond))
            self._reads[sym.name] = done
        return done

    def __getitem__(self, name: str) -> AbstractSet[str]:
        if self._whole is not None or len(self._done) > self.LAZY_NAMES:
            return self._all()[name]
        done = self._done.get(name)
        if done is None:
            found = set(self._missed.get(name, ()))
            sym = self._kconf.syms.get(name)
            if sym is not None and not _is_constant(sym):
                for dep in sym._dependents:
                    if isinstance(dep, kconfiglib.Symbol) and dep.nodes and name in self._reads_of(dep):
                        found.add(dep.name)
            done = self._done[name] = frozenset(found)
        if not done:
            raise KeyError(name)
        return done

    def _all(self) -> dict[str, set[str]]:
        if self._whole is None:
            self._whole = self._whole_of()
        return self._whole

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class _Facts:
    """model.LoadFacts, answered from kconfiglib's objects."""

    def __init__(self, kconf: compat.SafeKconfig, conv: _Converter) -> None:
        self._kconf = kconf
        self._conv = conv
        self._names: dict[int, tuple[str, ...]] = {}
        self._nodes: dict[Loc, kconfiglib.MenuNode] | None = None
        self._users: _Users | None = None

    def users(self) -> Mapping[str, AbstractSet[str]]:
        # The same index analysis.users_of builds from a converted model,
        # read straight from kconfiglib's expressions (converting every
        # symbol would cost more than the rest of a check), each entry when
        # first asked (_Users). Built once; callers never change it.
        if self._users is None:
            self._users = _Users(self._kconf, self._names_in, self._build_users)
        return self._users

    def _build_users(self) -> dict[str, set[str]]:
        """The whole index at once (what _Users answers name by name)."""
        users: dict[str, set[str]] = {}
        for sym in self._kconf.unique_defined_syms:
            for name in _reads_own(sym, self._names_in):
                users.setdefault(name, set()).add(sym.name)
            for node in sym.nodes:
                for pairs in (node.selects, node.implies):
                    for target, cond in pairs:
                        users.setdefault(sym.name, set()).add(target.name)
                        for name in self._names_in(cond):
                            users.setdefault(name, set()).add(target.name)
        return users

    def _names_in(self, item: object) -> tuple[str, ...]:
        """Names of the symbols an expression reads, as expr.symbols() of
        its converted form (constants and numbers excluded)."""
        key = id(item)
        done = self._names.get(key)
        if done is None:
            found: list[str] = []
            todo = [item]
            while todo:
                cur = todo.pop()
                if isinstance(cur, tuple):
                    todo.extend(cur[1:])
                elif isinstance(cur, kconfiglib.Symbol) and not _is_constant(cur):
                    found.append(cur.name)
            done = self._names[key] = tuple(dict.fromkeys(found))
        return done

    def edges_from(self, name: str) -> tuple[Edge, ...]:
        sym = self._kconf.syms.get(name)
        return tuple(e for n in sym.nodes for e in self._conv.edges(n)) if sym is not None else ()

    def has_children(self, loc: Loc) -> bool:
        if self._nodes is None:
            self._nodes = {Loc(n.filename, n.linenr): n for s in self._kconf.unique_defined_syms for n in s.nodes}
        node = self._nodes.get(loc)
        return node is None or node.list is not None

    def may_reach(self, name: str, others: set[str]) -> bool:
        self._kconf.build_dependencies()  # a lasting parse skipped them
        start = self._kconf.syms.get(name)
        if start is None:
            return False
        seen = {id(start)}
        todo = [start]
        while todo:
            item = todo.pop()
            if item.name in others:
                return True
            for dep in item._dependents:
                if id(dep) not in seen:
                    seen.add(id(dep))
                    todo.append(dep)
        return False


class _Converter:
    def __init__(self, kconf: kconfiglib.Kconfig) -> None:
        self.kconf = kconf
        self.choice_index = {choice: i for i, choice in enumerate(kconf.unique_choices)}
        self.memo: dict[int, Expr] = {}
        self.edge_memo: dict[int, tuple[Edge, ...]] = {}  # nodes live as long as kconf
        self.depth = 0

    def expr(self, item: object) -> Expr:
        key = id(item)
        if key not in self.memo:
            # kconfiglib parsed with a raised recursion limit; the model is
            # converted later, under the normal one: bound the depth here.
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise _TooDeep
                self.memo[key] = self._expr(item)
            finally:
                self.depth -= 1
        return self.memo[key]

    def _expr(self, item: object) -> Expr:
        if isinstance(item, kconfiglib.Symbol):
            return self.atom(item)
        if isinstance(item, kconfiglib.Choice):
            return ChoiceRef(self.choice_index[item])
        assert isinstance(item, tuple)
        op = item[0]
        if op in (kconfiglib.AND, kconfiglib.OR):
            # kconfiglib nests long chains on the left: walk the spine, no recursion.
            parts = []
            while isinstance(item, tuple) and item[0] == op:
                parts.append(item[2])
                item = item[1]
            parts.append(item)
            args = [self.expr(p) for p in reversed(parts)]
            return and_(*args) if op == kconfiglib.AND else or_(*args)
        if op == kconfiglib.NOT:
            return Not(self.expr(item[1]))
        return Cmp(_REL[op], self.expr(item[1]), self.expr(item[2]))

    def atom(self, sym: kconfiglib.Symbol) -> Expr:
        return Const(sym.name) if _is_constant(sym) else Sym(sym.name)

    @_located
    def symbol(self, sym: kconfiglib.Symbol) -> Symbol:
        # A transitional symbol (compat.TRANSITIONAL_PROMPT) is always
        # visible and depends on nothing: its value is the user's.
        transitional = any(n.prompt and n.prompt[0] == compat.TRANSITIONAL_PROMPT for n in sym.nodes)
        return Symbol(
            name=sym.name,
            type=kconfiglib.TYPE_TO_STR[sym.orig_type] or "unknown",
            locs=tuple(Loc(n.filename, n.linenr) for n in sym.nodes),
            prompts=(Const("y"),) if transitional else
            tuple(self.expr(n.prompt[1]) for n in sym.nodes if n.prompt),
            direct_dep=Const("y") if transitional else self.expr(sym.direct_dep),
            defaults=tuple((self.expr(v), self.expr(c)) for v, c in sym.defaults),
            ranges=tuple((self.expr(lo), self.expr(hi), self.expr(c)) for lo, hi, c in sym.ranges),
            choice=self.choice_index[sym.choice] if sym.choice else None,
            default_locs=tuple((Loc(n.filename, n.linenr), nth)
                               for n in sym.nodes for nth in range(len(n.defaults))),
        )

    @_located
    def edges(self, node: kconfiglib.MenuNode) -> tuple[Edge, ...]:
        """A node's select and imply edges, converted once per node."""
        done = self.edge_memo.get(id(node))
        if done is None:
            out = []
            for kind, pairs in zip(EDGE_KINDS, (node.selects, node.implies), strict=True):
                seen: dict[str, int] = {}
                for target, cond in pairs:
                    nth = seen.get(target.name, 0)
                    seen[target.name] = nth + 1
                    out.append(Edge(kind, node.item.name, target.name, self.expr(cond),
                                    Loc(node.filename, node.linenr), nth))
            done = self.edge_memo[id(node)] = tuple(out)
        return done

    @_located
    def choice(self, choice: kconfiglib.Choice) -> Choice:
        return Choice(
            index=self.choice_index[choice],
            locs=tuple(Loc(n.filename, n.linenr) for n in choice.nodes),
            prompts=tuple(self.expr(n.prompt[1]) for n in choice.nodes if n.prompt),
            direct_dep=self.expr(choice.direct_dep),
            members=tuple(s.name for s in choice.syms),
            optional=bool(choice.is_optional),
            type=kconfiglib.TYPE_TO_STR[choice.orig_type] or "bool",
            defaults=tuple((s.name, self.expr(c)) for s, c in choice.defaults),
        )

