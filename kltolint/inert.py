"""Arches where an entry can never be on, proven from the Kconfig text alone.

An edit of an entry whose symbol an arch can never set to y or m changes
nothing on that arch: every configuration, and so every finding of a rule
that reads values only (the forbid rules), is the same before and after.
Proving that costs a kconfiglib load of the arch (~0.4 s); here it is
proven from the files the arch reads, without one: the Big-endian and LTO
fixes touch entries that only the arches with LTO support can turn on.

What an arch reads is found as kconfiglib finds it (`walk`): from the top
Kconfig, every `source` in order, through the same confined reader and
glob, `$(SRCARCH)`-style variables expanded from the environment a load
has. Any other macro in a `source` line, a file sourced twice on one path,
or a `source` of nothing gives up (None): the caller loads the arch.

`Facts.may_be_on` over-approximates (False is a proof, True proves
nothing), as review.may_be_on does on a loaded model, reading each
definition as the lossless layer splits it: a symbol is on only through a
prompt or a non-n default whose own `depends on` may hold, a `select` or
`imply` from a symbol that may be on, or membership of a choice. Block
conditions (`if`, `menu`) only ever remove configurations, so leaving them
out keeps the proof sound; a line with a macro, or one the expression
parser does not read, may hold.

`Facts.may_reach` over-approximates kconfiglib's dependency graph (every
name on an entry's lines, of its enclosing blocks, and each select into it)
so that an edit adding names to an entry can be shown to close no loop.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kltolint import compat
from kltolint import expr as E
from kltolint.errors import UserError
from kltolint.source import Logical, SourceFile
from kltolint.tree import LoadRecord, Tree

_SOURCE = re.compile(r'\s*(source|rsource|osource|orsource)\s+"([^"\\]*)"\s*(?:#.*)?')
_VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_NAME = re.compile(r"[A-Za-z0-9_]+")
_TYPES_ON = frozenset({"bool", "tristate", "def_bool", "def_tristate"})
_TYPES_OFF = frozenset({"int", "hex", "string"})
_DEFAULTS = frozenset({"default", "def_bool", "def_tristate"})
MAX_DEPTH = 100  # deeper than this, a symbol may be on (as review.may_be_on)


@dataclass
class _Definition:
    """One `config`/`menuconfig` entry of a symbol, as far as being on goes."""

    typed: bool | None = None  # bool/tristate: True; int/hex/string: False; untyped: None
    prompt: bool = False
    defaults: list[str] = field(default_factory=list)  # each default's value, as text
    depends: list[str] = field(default_factory=list)  # each `depends on`, as text
    in_choice: bool = False


@dataclass(frozen=True)
class _FileFacts:
    """What one file's text says, scanned once a process (files repeat across arches)."""

    sources: tuple[tuple[str, str], ...] | None  # (keyword, pattern) in order; None: a line not understood
    definitions: tuple[tuple[str, _Definition], ...]
    into: tuple[tuple[str, str, str], ...]  # (target, selector, condition)
    reads: tuple[tuple[str, frozenset[str]], ...]
    unknown: bool  # a name made by a macro


_SCANNED: dict[str, _FileFacts] = {}  # by text
_SCANNED_LIMIT = 20_000


def _scanned(text: str) -> _FileFacts:
    done = _SCANNED.get(text)
    if done is None:
        done = _scan(SourceFile(text))
        if len(_SCANNED) < _SCANNED_LIMIT:
            _SCANNED[text] = done
    return done


@dataclass(frozen=True)
class Walked:
    """What an arch reads: the record a load would make, each file scanned."""

    record: LoadRecord
    files: dict[str, _FileFacts]


def walk(tree: Tree, arch: str) -> Walked | None:
    """The files arch's load reads, found by following `source` lines; None
    when that takes more than the environment a load has (see the module)."""
    from kltolint.load import environment  # load imports kconfiglib: only when walked

    env = environment(tree, arch)
    reader = compat.TreeReader(tree)
    prefix = str(tree.root) + os.sep
    files: dict[str, _FileFacts] = {}
    try:
        if not _follow(reader, prefix, "Kconfig", env, files, ()):
            return None
    except (UserError, OSError, UnicodeDecodeError):
        return None
    return Walked(reader.record(), files)


def _follow(reader: compat.TreeReader, prefix: str, rel: str, env: dict[str, str],
            files: dict[str, _FileFacts], path: tuple[str, ...]) -> bool:
    if rel in path or len(path) > 50:
        return False  # kconfiglib refuses a file that sources itself
    scanned = files.get(rel)
    if scanned is None:
        scanned = files[rel] = _scanned(reader.open(prefix + rel))
    if scanned.sources is None:
        return False
    for kind, pattern in scanned.sources:
        pattern = _VARIABLE.sub(lambda m: env.get(m.group(1), "\0"), pattern)
        if "$" in pattern or "\0" in pattern:
            return False
        if kind.startswith(("r", "or")):
            pattern = os.path.join(os.path.dirname(rel), pattern)
        found = [m[len(prefix):] for m in reader.iglob(os.path.join(prefix, pattern))]
        if not found and not kind.startswith("o"):
            return False  # kconfiglib's error: the load reports it
        for sourced in found:
            if not _follow(reader, prefix, sourced, env, files, (*path, rel)):
                return False
    return True


class Facts:
    """Every definition, select and read of one arch's files, as text."""

    def __init__(self, walked: Walked) -> None:
        self.definitions: dict[str, list[_Definition]] = {}
        self.into: dict[str, list[tuple[str, str]]] = {}  # target -> (selector, condition text)
        self.reads: dict[str, set[str]] = {}  # symbol -> every name its value may read
        self.unknown = False  # a name made by a macro: nothing is proven
        for rel, _ in walked.record.files:
            scanned = walked.files[rel]
            self.unknown |= scanned.unknown
            for name, definition in scanned.definitions:
                self.definitions.setdefault(name, []).append(definition)
            for target, selector, cond in scanned.into:
                self.into.setdefault(target, []).append((selector, cond))
            for name, names in scanned.reads:
                self.reads.setdefault(name, set()).update(names)

    def may_be_on(self, name: str, seen: dict[str, bool] | None = None, depth: int = 0) -> bool:
        """Can `name` be y or m? False is a proof that it never is."""
        seen = {} if seen is None else seen
        if self.unknown or depth > MAX_DEPTH:
            return True
        if name in seen:
            return seen[name]
        seen[name] = True  # on the way: may be on
        on = any(self._may_turn_on(d, seen, depth) for d in self.definitions.get(name, ())) or any(
            self.may_be_on(selector, seen, depth + 1) and self._can(cond, seen, depth)
            for selector, cond in self.into.get(name, ()))
        seen[name] = on
        return on

    def _may_turn_on(self, definition: _Definition, seen: dict[str, bool], depth: int) -> bool:
        if definition.typed is False:
            return False
        if not all(self._can(dep, seen, depth) for dep in definition.depends):
            return False  # the entry's prompt and defaults all carry its dependencies
        return (definition.prompt or definition.in_choice or definition.typed is None
                or any(self._can(value, seen, depth) for value in definition.defaults))

    def _can(self, text: str, seen: dict[str, bool], depth: int) -> bool:
        if not text:
            return True
        if "$" in text:
            return True
        try:
            parsed = E.parse(text)
        except (E.ExprSyntaxError, RecursionError):
            return True
        return self._expr(parsed, seen, depth)

    def _expr(self, expr: E.Expr, seen: dict[str, bool], depth: int) -> bool:
        if isinstance(expr, E.Sym):
            if expr.name in ("y", "m"):
                return True
            if expr.name == "n":
                return False
            return self.may_be_on(expr.name, seen, depth + 1)
        if isinstance(expr, E.Const):
            return expr.value != "n"
        if isinstance(expr, E.And):
            return all(self._expr(a, seen, depth) for a in expr.args)
        if isinstance(expr, E.Or):
            return any(self._expr(a, seen, depth) for a in expr.args)
        return True  # a negation or a comparison may hold

    def may_reach(self, sources: Iterable[str], targets: set[str]) -> bool:
        """Does the value of a symbol in `targets` possibly get read, through
        any chain, by one in `sources`? (False: no dependency path.)"""
        if self.unknown:
            return True
        todo, seen = list(sources), set()
        while todo:
            name = todo.pop()
            if name in targets:
                return True
            if name not in seen:
                seen.add(name)
                todo.extend(self.reads.get(name, ()))
        return False


def _scan(source: SourceFile) -> _FileFacts:
    sources: list[tuple[str, str]] | None = []
    for logical in source.logical:
        if logical.keyword in ("source", "rsource", "osource", "orsource") and sources is not None:
            match = _SOURCE.fullmatch(logical.text)
            sources = None if match is None else [*sources, (match.group(1), match.group(2))]
    definitions: list[tuple[str, _Definition]] = []
    into: list[tuple[str, str, str]] = []
    reads: list[tuple[str, frozenset[str]]] = []
    unknown = False
    blocks: list[tuple[str, frozenset[str]]] = []  # open if/menu/choice: names their entries read
    for entry in source.entries:
        keyword, words = entry.keyword, entry.header.words()
        if keyword in ("endif", "endmenu", "endchoice"):
            if blocks:
                blocks.pop()
            continue
        # A select or imply line's target is not read by its entry: its condition is.
        names = {n for p in entry.props
                 for n in _names(p.text, skip=2 if p.keyword in ("select", "imply") else 1)}
        if keyword in ("if", "menu", "choice"):
            if keyword == "if":
                names |= set(_names(entry.header.text, skip=1))
            blocks.append((keyword, frozenset(names)))
            continue
        if keyword not in ("config", "menuconfig") or len(words) < 2:
            continue
        name = words[1]
        if not _NAME.fullmatch(name):
            unknown = True
            continue
        inherited = frozenset().union(*(block for _, block in blocks))
        definitions.append((name, _definition(entry.props, any(kind == "choice" for kind, _ in blocks))))
        reads.append((name, frozenset(names) | inherited))
        for prop in entry.props:
            if prop.keyword in ("select", "imply"):
                parts = prop.words()
                target, cond = (parts[1] if len(parts) > 1 else ""), _condition(prop.text)
                into.append((target, name, cond))
                reads.append((target, frozenset({name, *_names(cond)}) | inherited))
    return _FileFacts(None if sources is None else tuple(sources), tuple(definitions), tuple(into),
                      tuple(reads), unknown)


def _definition(props: Iterable[Logical], in_choice: bool) -> _Definition:
    out = _Definition(in_choice=in_choice)
    for prop in props:
        keyword, text = prop.keyword, prop.text
        code = text.split("#", 1)[0].strip()
        rest = code[len(keyword):].strip()
        if keyword in _TYPES_ON:
            out.typed = True
        elif keyword in _TYPES_OFF and out.typed is None:
            out.typed = False
        # A type with anything after it has a prompt (kconfiglib takes an unquoted one too).
        if (keyword in ("bool", "tristate", "int", "hex", "string") and rest) or keyword == "prompt":
            out.prompt = True
        elif keyword in _DEFAULTS and rest:
            out.defaults.append(_split_if(rest)[0])
        elif keyword == "depends":
            out.depends.append(rest[2:].strip() if rest.startswith("on") else rest)
    return out


def _names(text: str, skip: int = 0) -> Iterator[str]:
    """The names on a line, after its first `skip` words (no strings, no comment)."""
    code = re.sub(r'"[^"]*"|\'[^\']*\'', " ", text.split("#", 1)[0])
    for word in _NAME.findall(" ".join(code.split()[skip:])):
        if not word.isdigit() and word not in ("if", "on", "y", "m", "n"):
            yield word


def _split_if(text: str) -> tuple[str, str]:
    """`value if cond` -> (value, cond); a quoted `if` is text, not a keyword."""
    match = re.search(r'\s+if\s+(?=(?:[^"]*"[^"]*")*[^"]*$)', text)
    return (text[:match.start()].strip(), text[match.end():].strip()) if match else (text.strip(), "")


def _condition(text: str) -> str:
    """A select's or imply's condition (empty: none)."""
    code = text.split("#", 1)[0].strip()
    return _split_if(code)[1]
