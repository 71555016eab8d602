"""Arches where an entry can never be on, proven from the Kconfig text alone.

An edit of an entry whose symbol an arch can never set to y or m changes
nothing on that arch: every configuration, and so every finding of a rule
that reads values only (the forbid rules, the sweep), is the same before
and after. Proving that costs a kconfiglib load of the arch (~0.4 s); here
it is proven from the files the arch reads, without one: the big-endian and
LTO fixes touch entries that only the arches with LTO support can turn on.
Users: fix.Verification.proven_unchanged and review.proven_unchanged;
`--no-text-proofs` turns both off (SWITCH).

What an arch reads is found as kconfiglib finds it (`walk`): from the top
Kconfig, every `source` in order, through the same confined reader and
glob, `$(SRCARCH)`-style variables expanded from the environment a load
has. Any other macro in a `source` line, a variable of that environment set
in the text, a file sourced twice on one path, or a `source` of nothing
gives up (None): the caller loads the arch.

`Facts.may_be_on` over-approximates (False is a proof, True proves
nothing), as review.may_be_on does on a loaded model, reading each
definition as the lossless layer splits it: a symbol is on only through a
prompt or a non-n default whose own `depends on` may hold, a `select` or
`imply` from a symbol that may be on, membership of a choice, or
`option env`. Block conditions (`if`, `menu`) only ever remove
configurations, so leaving them out keeps the proof sound; a line with a
macro, or one the expression parser does not read, may hold. Where
source.py and kconfiglib could read a file differently (odd whitespace in
an indent, a vertical tab or form feed anywhere, a backslash before a CR, a
name made by a macro or by joining macros, also in a variable's value or
across a joined line, a first token holding a macro such as `help$(E)`,
`help` spelled with other dashes, `$(lineno)` or `$(filename)`, a name
kltolint gives a probe, members sourced into a choice), nothing is proven
(`unknown`), and the walk gives up where such a file is read.

`Facts.may_reach` over-approximates kconfiglib's dependency graph (every
name on an entry's lines, of the blocks around it and around the `source`
lines that read its file, a choice's members both ways, every name a
variable's value or the load's environment holds where a macro is used,
MODULES where `m` is) so that an edit adding names
to an entry can be shown to close no loop (the fix path). `changed_entries`,
`skeleton` and `own_reads` tell what a patch changes and what its entries
read more, line by line (the review path); the adversarial cases that
shaped these rules are in tests/test_inert_adversarial*.py.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from kltolint import compat
from kltolint import expr as E
from kltolint.errors import UserError
from kltolint.source import TYPE_KEYWORDS, Logical, SourceFile, macro_end
from kltolint.tree import Identity, LoadRecord, Tree, has_odd_part

_SOURCE = re.compile(r'\s*(source|rsource|osource|orsource)\s+"([^"\\]*)"\s*(?:#.*)?')
_VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_NAME = re.compile(r"[A-Za-z0-9_./-]+")  # kconfiglib's name characters ($ aside: a macro)
# kconfiglib's type keywords, `boolean` (bool) and the def_* of every type included.
_TYPES_ON = frozenset({"bool", "boolean", "tristate", "def_bool", "def_tristate"})
_TYPES_OFF = frozenset({"int", "hex", "string", "def_int", "def_hex", "def_string"})
_PROMPTING_TYPES = TYPE_KEYWORDS | {"boolean"}  # kconfiglib reads the old spelling too
_DEFAULTS = frozenset({"default", "def_bool", "def_tristate", "def_int", "def_hex", "def_string"})
MAX_DEPTH = 100  # deeper than this, a symbol may be on (as review.may_be_on)
MACRO = "$"  # in a block's names: the block reads a macro (no symbol is named so)


class _Switch:
    """Whether proofs from the text are used in this process (`--no-text-proofs`: every arch is loaded)."""

    on = True


SWITCH = _Switch()


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

    # (keyword, pattern, names of the blocks around it) in order; None: a line not understood
    sources: tuple[tuple[str, str, frozenset[str]], ...] | None
    definitions: dict[str, tuple[_Definition, ...]]
    into: dict[str, tuple[tuple[str, str], ...]]  # target -> (selector, condition)
    reads: dict[str, frozenset[str]]  # symbol -> the names its entries here may read
    selects: dict[str, frozenset[str]]  # symbol -> the targets of its select/imply lines here
    macro_readers: frozenset[str]  # symbols with a macro on a line here (they may read what it expands to)
    unknown: bool  # a name made by a macro
    assigned: frozenset[str]  # the names variables' values hold here (what a macro may expand to)
    variables: frozenset[str]  # the variables it sets


class _File:
    """One file's text, scanned (source.py's logical lines, `_scan`) only when
    needed: for its `source` lines if it may have any, for its facts when a
    name it may mention is looked up. Which names it may mention (config
    entries, select and imply targets) a line-start regex tells at once,
    over-approximating; a file with a joined line, or a name made by a macro,
    is scanned at once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._facts: _FileFacts | None = None
        found = _INDEXED.findall(text)
        self.mentions = {name for keyword, name in found if keyword not in _RARE}
        # A named choice (kconfiglib merges two of one name, across files)
        # or gsource/grsource (old spellings of osource/orsource) may be
        # there: source.py's lines tell whether they are (not in a help text).
        eager = ("\\\n" in text or "\\\r\n" in text or "$(" in text
                 or any(not _NAME.fullmatch(name) for name in self.mentions)
                 or any(keyword in _RARE for keyword, _ in found))
        if eager:
            self.mentions |= set(self.facts.definitions) | set(self.facts.into) | set(self.facts.selects)
        # Whitespace in an indent that kconfiglib counts and source.py does
        # not (a form feed, a no-break space, a lone CR) could end a help
        # text, or start a line, for one of them only: nothing is proven
        # where such a file is read.
        # So could a backslash before CRLF (source.py joins the lines, kconfiglib does not).
        # A macro joined to a name, or to another macro, in a line kconfiglib
        # reads as an expression makes a name the text does not hold.
        # So do: a vertical tab or form feed anywhere (kconfiglib's \s, not
        # source.py's), a help keyword spelled with other dashes (kconfiglib's
        # old-tools fallback), a macro kconfiglib expands to what no text holds
        # ($(lineno), $(filename)), and a name kltolint gives a probe.
        self._unknown = (bool(_ODD_SPACE.search(text)) or "\\\r" in text or bool(_ODD_SPELLING.search(text))
                         or any(_joins_macro(line) for line in _EXPRESSION_LINE.findall(text) if "$(" in line)
                         or (eager and self.facts.unknown))
        # The variables it sets (SRCARCH set in the text wins over the environment).
        self.variables = (frozenset(name for name, _ in _ASSIGNMENT.findall(text))
                          | (self.facts.variables if eager else frozenset()))

    @property
    def unknown(self) -> bool:
        """Nothing is proven where this file is read (see __init__; and a
        `source` inside a choice, seen once scanned)."""
        return self._unknown or (self._facts is not None and self._facts.unknown)

    @cached_property  # files repeat across arches: asked once
    def assigned(self) -> frozenset[str]:
        """Names a variable's value holds: what a macro may expand to. Read
        off the lines kconfiglib parses (scanned, where a line may be an
        assignment): a line of a help text, or the rest of a joined line,
        that looks like one is not."""
        maybe = _ASSIGNMENT.search(self.text) or "\\\n" in self.text  # an assignment may be joined
        return self.facts.assigned if maybe else frozenset()

    @property
    def facts(self) -> _FileFacts:
        if self._facts is None:
            self._facts = _scan(SourceFile(self.text))
        return self._facts

    @property
    def sources(self) -> tuple[tuple[str, str, frozenset[str]], ...] | None:
        """Its `source` lines, in order (None: one is not understood), each
        with the names of the blocks around it. Without a block in the file,
        read off the lines that start with a source keyword, unless it is
        scanned already: one in a help text too, which kconfiglib skips (a
        file more in the walk only makes more possible)."""
        if self._facts is not None:
            return self._facts.sources
        lines = _SOURCE_LINE.findall(self.text)
        if lines and _BLOCK_LINE.search(self.text):
            return self.facts.sources  # which blocks are around each: source.py's lines tell
        found = []
        for line in lines:
            match = _SOURCE.fullmatch(line.rstrip("\r"))
            if match is None:
                return self.facts.sources
            found.append((match.group(1), match.group(2), frozenset[str]()))
        return tuple(found)


_INDEXED = re.compile(r"^[ \t]*(menuconfig|config|select|imply|choice|gsource|grsource)[^\S\n]+([^\s#]*)",
                      re.MULTILINE)
_RARE = frozenset({"choice", "gsource", "grsource"})  # what makes a file unknown, if it is there
_SOURCE_LINE = re.compile(r"^[ \t]*o?r?source.*", re.MULTILINE)
_BLOCK_LINE = re.compile(r"^[ \t]*(?:if|menu|choice)\b", re.MULTILINE)
# A variable's assignment: its name and value (a raw line's, or a logical line's with fullmatch).
_ASSIGNMENT = re.compile(r"^[ \t]*([A-Za-z0-9_-]+)[ \t]*(?::=|\+=|=)(.*)$", re.MULTILINE)
_FIRST_TOKEN = re.compile(r"\s*([A-Za-z0-9_$-]+)")  # kconfiglib's _command_match
_ID_TOKEN = re.compile(r"\s*([A-Za-z0-9_$/.-]+)")  # kconfiglib's _id_keyword_match
_EXPRESSION_LINE = re.compile(r"^[ \t]*(?:depends|select|imply|default|def_bool|def_tristate|bool|tristate|prompt|"
                              r"range|visible|if|menu|config|menuconfig)\b.*$", re.MULTILINE)
_NAME_CHARACTER = re.compile(r"[A-Za-z0-9_./$-]")


def _joins_macro(line: str) -> bool:
    """Does a macro on this line, outside strings and other macros, touch a
    name character or another macro (`$(P)$(Q)`, `$(SRCARCH)_LTO`), so that
    its value becomes part of a name? An unbalanced one counts."""
    code = _STRING.sub(" ", line)
    start = code.find("$(")
    while start != -1:
        end = macro_end(code, start)
        if end < 0:
            return True
        around = (code[start - 1] if start else " ") + (code[end + 1] if end + 1 < len(code) else " ")
        if _NAME_CHARACTER.search(around):
            return True
        start = code.find("$(", end + 1)
    return False
_ODD_SPACE = re.compile(r"^[ \t]*(?:[^\S \t\n\r]|\r(?!\n))", re.MULTILINE)  # in a line's indent
_ODD_SPELLING = re.compile(r"[\v\f]|^[ \t]*(?!---help---[ \t]*\r?$)(?:-+help-*|help-+)[ \t]*\r?$|\$\((?:lineno|filename)\)|"
                           + compat.PROBE_PREFIX, re.MULTILINE)

# Each text seen once a process (a tree's ~1,600 files, and each patched
# version), and the files that may define, select or be selected as each
# name: an arch's Facts looks a name up in the few files that mention it.
_SEEN: dict[str, _File] = {}
_MENTIONS: dict[str, list[_File]] = {}


def _file(text: str) -> _File:
    done = _SEEN.get(text)
    if done is None:
        done = _SEEN[text] = _File(text)
        for name in done.mentions:
            _MENTIONS.setdefault(name, []).append(done)
    return done


@dataclass(frozen=True)
class Walked:
    """What an arch reads: the record a load would make, each file scanned,
    and the names of the blocks around the `source` lines that read each
    (kconfiglib adds them to the dependencies of everything in it)."""

    record: LoadRecord
    files: dict[str, _File]
    inherited: dict[str, frozenset[str]]
    environment: frozenset[str] = frozenset()  # the names the load's variables hold (SRCARCH: the arch)


def walk(tree: Tree, arch: str) -> Walked | None:
    """The files arch's load reads, found by following `source` lines; None
    when that takes more than the environment a load has (see the module).
    A tree is walked once a process per arch (a review proves, then verifies)."""
    key = (str(tree.root), tuple(sorted(tree.overlay.items(), key=lambda item: item[0])), arch)
    if key not in _WALKED:
        if len(_WALKED) >= 256:
            _WALKED.clear()
        _WALKED[key] = _walk(tree, arch)
    return _WALKED[key]


_WALKED: dict[tuple[str, tuple[tuple[str, str | None], ...], str], Walked | None] = {}


@dataclass(frozen=True)
class _Subtree:
    """What reading one file reads, `source` by `source`: the files in
    order (each with its identity and text), and every glob with its matches."""

    # (file, identity, text as read, as kconfiglib reads it, the names of the
    # blocks around the source lines from this subtree's file down to it)
    files: tuple[tuple[str, Identity, str, _File, frozenset[str]], ...]
    globs: tuple[tuple[str, tuple[str, ...]], ...]
    arch_free: bool  # no `source` in it names a variable: the same for every arch

    @cached_property
    def names(self) -> frozenset[str]:
        """Its files, and its globs without magic (each matches itself only)."""
        return frozenset(rel for rel, _, _, _, _ in self.files) | {p for p, _ in self.globs if not glob.has_magic(p)}

    @cached_property
    def magic(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.globs if glob.has_magic(p))

    @cached_property
    def unnormal(self) -> bool:
        """Has it a glob with an empty, `.` or `..` part? What that matches
        in a patched tree is not told by its names (TreeReader._normal: a
        `..` goes back only over a directory of the patched tree)."""
        return any(has_odd_part(p.split("/")) for p, _ in self.globs)


# Subtrees that are the same for every arch (drivers/, fs/, net/: most of a
# tree), by root and file: walked once a process, then taken as they are.
_SUBTREES: dict[tuple[str, str], _Subtree] = {}


def _walk(tree: Tree, arch: str) -> Walked | None:
    from kltolint.load import environment  # load imports kconfiglib: only when walked

    reader = compat.TreeReader(tree)
    env = environment(tree, arch)
    try:
        top = _follow(tree, reader, "Kconfig", env, ())
    except (UserError, OSError, UnicodeDecodeError):
        return None
    if top is None:
        return None
    if any(f.variables & set(env) for _, _, _, f, _ in top.files):
        return None  # kconfiglib takes the text's value of $(SRCARCH) over the environment's
    files: dict[str, Identity] = {}
    texts: dict[str, str] = {}
    scanned: dict[str, _File] = {}
    inherited: dict[str, frozenset[str]] = {}
    for rel, identity, text, facts, blocks in top.files:  # as TreeReader records a load: the first read of each
        files.setdefault(rel, identity)
        texts.setdefault(rel, text)
        scanned.setdefault(rel, facts)
        inherited[rel] = inherited.get(rel, frozenset()) | blocks
    record = LoadRecord(tuple(files.items()), tuple(sorted(dict(top.globs).items())),
                        tuple((rel, text) for rel, text in texts.items() if "kltolint:" in text))
    # A tool's placeholder (`<CC>`) reads nothing: `<` and `>` leave any
    # expression it is in unparsable.
    held = frozenset(n for value in env.values() if not value.startswith("<") for n in _names(value))
    return Walked(record, scanned, inherited, held)


def _follow(tree: Tree, reader: compat.TreeReader, rel: str, env: dict[str, str],
            path: tuple[str, ...]) -> _Subtree | None:
    if rel in path or len(path) > 50:
        return None  # kconfiglib refuses a file that sources itself
    known = _SUBTREES.get((str(tree.root), rel))
    if known is not None and not _touches_overlay(known, tree) and known.names.isdisjoint(path):
        return known
    text, identity = tree.read_identified(rel)
    if "transitional" in text:
        compat.check_transitional(text, rel)
    scanned = _file(compat.rewrite(text))  # what kconfiglib parses
    sources = scanned.sources
    if sources is None or scanned.unknown:
        return None  # its `source` lines may be read otherwise too
    prefix = str(tree.root) + os.sep
    files: list[tuple[str, Identity, str, _File, frozenset[str]]] = [(rel, identity, text, scanned, frozenset())]
    globs: list[tuple[str, tuple[str, ...]]] = []
    arch_free = True
    for kind, pattern, around in sources:
        if "$" in pattern:
            arch_free = False
            pattern = _VARIABLE.sub(lambda m: env.get(m.group(1), "\0"), pattern)
            if "$" in pattern or "\0" in pattern:
                return None
        if kind.startswith(("r", "or")):
            pattern = os.path.join(os.path.dirname(rel), pattern)
        found = tuple(m[len(prefix):] for m in reader.iglob(os.path.join(prefix, pattern)))
        globs.append((os.path.join(prefix, pattern)[len(prefix):], found))
        if not found and not kind.startswith("o"):
            return None  # kconfiglib's error: the load reports it
        for sourced in found:
            # As TreeReader.open names what it reads (`a//b` is `a/b`, which a patch's overlay holds).
            below = _follow(tree, reader, os.path.normpath(sourced), env, (*path, rel))
            if below is None:
                return None
            files += [(r, i, t, f, blocks | around) for r, i, t, f, blocks in below.files]
            globs += below.globs
            arch_free = arch_free and below.arch_free
    subtree = _Subtree(tuple(files), tuple(globs), arch_free)
    if arch_free and not _touches_overlay(subtree, tree):
        _SUBTREES[(str(tree.root), rel)] = subtree
    return subtree


def _touches_overlay(subtree: _Subtree, tree: Tree) -> bool:
    """Does a patched, added or deleted file of `tree` count in `subtree`
    (one of its files, or a match of one of its globs)?"""
    overlay = tree.overlay
    return bool(overlay) and (subtree.unnormal or not subtree.names.isdisjoint(overlay) or any(
        fnmatch.fnmatchcase(rel, pattern) for pattern in subtree.magic for rel in overlay))


class Facts:
    """Every definition, select and read of one arch's files, as text: the
    scanned files, and in each name's lookup only those among them."""

    def __init__(self, walked: Walked, texts: dict[str, str] | None = None) -> None:
        """`texts`: files read as these texts instead (the same tree before a
        patch that changes no `source` line)."""
        files = {**walked.files, **{rel: _file(text) for rel, text in (texts or {}).items()}}
        self._present = {id(scanned) for scanned in files.values()}
        self._inherited: dict[int, frozenset[str]] = {}
        for rel, scanned in files.items():
            self._inherited[id(scanned)] = self._inherited.get(id(scanned), frozenset()) | walked.inherited.get(
                rel, frozenset())
        self.unknown = any(scanned.unknown for scanned in files.values())  # nothing is proven then
        self._files_read = files.values()
        self._environment = walked.environment

    @cached_property
    def _assigned(self) -> frozenset[str]:
        """What any variable's value holds (asked where a macro is read: few files are scanned for it)."""
        return self._environment.union(*(scanned.assigned for scanned in self._files_read))

    def _files(self, name: str) -> Iterator[_File]:
        present = self._present
        return (seen for seen in _MENTIONS.get(name, ()) if id(seen) in present)

    def _mentioning(self, name: str) -> Iterator[_FileFacts]:
        return (seen.facts for seen in self._files(name))

    def selectors(self, name: str) -> set[str]:
        """The symbols with a `select` or `imply` of `name`."""
        return {selector for scanned in self._mentioning(name) for selector, _ in scanned.into.get(name, ())}

    def numeric(self, name: str) -> bool:
        """Is `name` typed int, hex or string in one of its entries? (Never
        on, yet its value reaches bool symbols through comparisons.)"""
        return any(d.typed is False for scanned in self._mentioning(name) for d in scanned.definitions.get(name, ()))

    def in_choice(self, name: str) -> bool:
        return any(d.in_choice for scanned in self._mentioning(name) for d in scanned.definitions.get(name, ()))

    def reads(self, name: str) -> set[str]:
        """Every name the value of `name` may read: on its entries' lines, of
        the blocks around them (in their file, and around the `source`
        lines that read it), what a macro on them may expand to."""
        out: set[str] = set()
        for seen in self._files(name):
            facts = seen.facts
            if name in facts.reads:
                out |= facts.reads[name] | self._inherited[id(seen)]
            if name in facts.macro_readers:
                out |= self._assigned
        if MACRO in out:  # a block around it (maybe in another file) reads a macro
            out |= self._assigned
        return out

    def may_be_on(self, name: str, seen: dict[str, bool] | None = None) -> bool:
        """Can `name` be y or m? False is a proof that it never is. `seen`:
        what earlier questions on these facts found (shared, it saves work)."""
        try:
            return self._on(name, {} if seen is None else seen, 0)
        except RecursionError:  # nesting past the limit in the text: nothing is proven
            return True

    def _on(self, name: str, seen: dict[str, bool], depth: int) -> bool:
        if self.unknown or depth > MAX_DEPTH:
            return True
        if name in seen:
            return seen[name]
        seen[name] = True  # on the way: may be on
        files = list(self._mentioning(name))
        definitions = [d for f in files for d in f.definitions.get(name, ())]
        # An int, hex or string symbol is never on; a symbol typed bool or
        # tristate anywhere may be turned on by any of its entries.
        numeric = bool(definitions) and all(d.typed is False for d in definitions)
        on = any(self._may_turn_on(d, seen, depth) for d in definitions if not numeric) or any(
            self._on(selector, seen, depth + 1) and self._can(cond, seen, depth)
            for f in files for selector, cond in f.into.get(name, ()))
        seen[name] = on
        return on

    def _may_turn_on(self, definition: _Definition, seen: dict[str, bool], depth: int) -> bool:
        if not all(self._can(dep, seen, depth) for dep in definition.depends):
            return False  # the entry's prompt and defaults all carry its dependencies
        return (definition.prompt or definition.in_choice
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
        return E.may_hold(expr, lambda name: self._on(name, seen, depth + 1))

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
                todo.extend(self.reads(name))
        return False


def skeleton(source: SourceFile) -> list[tuple[str, str]]:
    """What kconfiglib parses of a file, but for help texts, blank lines and
    comments (a `kltolint:` one counts): two files with the same skeleton
    define the same entries the same way."""
    return [(logical.kind, logical.text) for logical in source.logical
            if logical.kind not in ("help", "blank", "comment") or "kltolint:" in logical.text]


def understood(text: str) -> bool:
    """Do source.py's lines read `text` as kconfiglib's do (no odd whitespace
    in an indent, no backslash before CRLF, no name made by a macro)?"""
    return not _file(compat.rewrite(text)).unknown


_TYPE_KEYWORDS = _TYPES_ON | _TYPES_OFF

# Property lines of a `config` entry whose change changes that entry alone.
_ENTRY_PROPERTIES = frozenset({"bool", "tristate", "string", "int", "hex", "def_bool", "def_tristate", "prompt",
                               "default", "depends", "select", "imply", "range", "help", "---help---", "option",
                               "modules", "transitional"})


def changed_entries(source: SourceFile, lines: Iterable[int]) -> set[str] | None:
    """The `config`/`menuconfig` entries whose definition a change of
    `lines` (1-based, of `source`) can alter; None when the change can
    alter more (a block, a `source`, a variable, a suppression comment) or
    is not understood. A changed header also alters the entry before it
    (the lines that follow it change hands)."""
    names: set[str] = set()
    by_line = {n: logical for logical in source.logical for n in range(logical.first + 1, logical.last + 2)}
    for line in lines:
        logical = by_line.get(line)
        if logical is None:
            continue  # past the end (a removed trailing line)
        if "kltolint:" in logical.text or "$" in logical.text:
            return None
        if logical.kind == "help" or source.lines[line - 1].rstrip("\r\n").endswith("\\"):
            return None  # a help text's indent, or a joined line, moves the extent of the lines after it
        if logical.kind in ("blank", "comment"):
            continue
        entry = source.entry_holding(logical.lineno)
        if entry is None or entry.keyword not in ("config", "menuconfig") or not _NAME.fullmatch(entry.name):
            return None
        if logical.kind == "entry" or logical.keyword in _TYPE_KEYWORDS:
            # An entry added, removed or renamed, or a type changed: a symbol
            # without a type, or undefined, reads as its name (`W = "W"`).
            return None
        if logical.kind == "entry":
            before = source.entry_holding(logical.first) if logical.first else None
            if before is not None:
                if before.keyword not in ("config", "menuconfig") or not _NAME.fullmatch(before.name):
                    return None
                names.add(before.name)
        elif logical.keyword not in _ENTRY_PROPERTIES or not _parses(logical):
            return None  # not a property kconfiglib would read as written (it may refuse the tree)
        names.add(entry.name)
    return names


def _parses(logical: Logical) -> bool:
    """Does a property line's expression parse (as E.parse reads Kconfig:
    stricter than kconfiglib, so a line it refuses only proves nothing)?"""
    code = _STRING.sub('"s"', logical.text).split("#", 1)[0]
    words = code.split()
    keyword, rest = words[0], " ".join(words[1:])
    if keyword == "depends":
        if not rest.startswith("on "):
            return False
        rest = rest[3:]
    elif keyword in ("select", "imply"):
        if len(words) < 2 or not _NAME.fullmatch(words[1]):
            return False
        rest = "y " + " ".join(words[2:])  # the target checked: what follows is `if COND` or nothing
    elif keyword in ("help", "---help---", "option", "modules", "transitional"):
        return True
    elif not rest:
        return keyword not in _DEFAULTS and keyword not in ("prompt", "range")  # a bare type is fine
    parts = [part for part in re.split(r"\s+if\s+|\s+if$", " " + rest.strip() + " ") if part.strip()]
    if re.search(r"(^|\s)if(\s|$)", rest) and len(parts) < 2:
        return False  # `... if` with no condition
    try:
        for part in parts:
            if not (part.strip().startswith('"') or keyword == "range"):
                E.parse(part.strip())
    except (E.ExprSyntaxError, RecursionError):
        return False
    return True


def own_reads(source: SourceFile, name: str) -> tuple[set[str], set[tuple[str, str]]]:
    """What `name`'s entries in `source` read, line by line as kconfiglib
    links them: the names on its own lines (not select or imply lines) and,
    for each select or imply, (target, name) for the entry and each name of
    its condition (the target reads those). No block or macro names: what
    differs between two versions of a file where only property lines changed."""
    own: set[str] = set()
    into: set[tuple[str, str]] = set()
    for entry in source.entries:
        if entry.keyword not in ("config", "menuconfig") or entry.name != name:
            continue
        for prop in entry.props:
            if prop.keyword in ("select", "imply"):
                parts = prop.words()
                target = parts[1] if len(parts) > 1 else ""
                into |= {(target, n) for n in (name, *_names(_condition(prop.text)))}
            else:
                own |= set(_names(prop.text, skip=1))
    return own, into

def _scan(source: SourceFile) -> _FileFacts:
    sources: list[tuple[str, str, frozenset[str]]] | None = []
    members: list[list[str]] = []  # the members of each open choice
    macro_readers: set[str] = set()
    definitions: list[tuple[str, _Definition]] = []
    into: list[tuple[str, str, str]] = []
    reads: list[tuple[str, frozenset[str]]] = []
    # gsource/grsource: a source source.py takes for a property (help lines have no keyword).
    unknown = any(logical.keyword in ("gsource", "grsource") for logical in source.logical)
    assignments = _assignments(source)
    blocks: list[tuple[str, frozenset[str]]] = []  # open if/menu/choice: names their entries read
    for entry in source.entries:
        keyword, words = entry.keyword, entry.header.words()
        if keyword in ("endif", "endmenu", "endchoice"):
            if blocks:
                blocks.pop()
            if keyword == "endchoice" and members:
                # kconfiglib links a choice and its members both ways: each may read the others
                together = members.pop()
                reads.extend((member, frozenset(together)) for member in together)
            continue
        if keyword in ("source", "rsource", "osource", "orsource"):
            if any(kind == "choice" for kind, _ in blocks):
                unknown = True  # members sourced into a choice: its links cross files
            match = _SOURCE.fullmatch(entry.header.text)
            if sources is not None:
                around = frozenset().union(*(block for _, block in blocks))
                sources = None if match is None else [*sources, (match.group(1), match.group(2), around)]
            continue
        # A select or imply line's target is not read by its entry: its condition is.
        names = {n for p in entry.props
                 for n in _names(p.text, skip=2 if p.keyword in ("select", "imply") else 1)}
        if keyword == "choice" and len(words) > 1:
            unknown = True  # named: kconfiglib merges it with another of its name, maybe in another file
        if keyword in ("if", "menu", "choice"):
            if keyword == "if":
                names |= set(_names(entry.header.text, skip=1))
            if any("$" in line.text for line in (entry.header, *entry.props)):
                names.add(MACRO)  # `if $(T)`: what T expands to is read by everything in the block
            if keyword == "choice":
                members.append([])
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
        if members and any(kind == "choice" for kind, _ in blocks):
            members[-1].append(name)
        if any("$" in p.text for p in (entry.header, *entry.props)):
            macro_readers.add(name)
        for prop in entry.props:
            if prop.keyword in ("select", "imply"):
                parts = prop.words()
                target, cond = (parts[1] if len(parts) > 1 else ""), _condition(prop.text)
                if not _NAME.fullmatch(target):
                    unknown = True  # made by a macro: it may name anything
                into.append((target, name, cond))
                reads.append((target, frozenset({name, *_names(cond)}) | inherited))
    by_name: dict[str, list[_Definition]] = {}
    for name, definition in definitions:
        by_name.setdefault(name, []).append(definition)
    into_by: dict[str, list[tuple[str, str]]] = {}
    for target, selector, cond in into:
        into_by.setdefault(target, []).append((selector, cond))
    reads_by: dict[str, set[str]] = {}
    for name, read in reads:
        reads_by.setdefault(name, set()).update(read)
    selects: dict[str, set[str]] = {}
    for target, selector, _ in into:
        selects.setdefault(selector, set()).add(target)
    return _FileFacts(None if sources is None else tuple(sources), {k: tuple(v) for k, v in by_name.items()},
                      {k: tuple(v) for k, v in into_by.items()}, {k: frozenset(v) for k, v in reads_by.items()},
                      {k: frozenset(v) for k, v in selects.items()}, frozenset(macro_readers),
                      unknown or any(_odd_logical(logical) for logical in source.logical),
                      frozenset(n for _, value in assignments for n in _names(value)),
                      frozenset(name for name, _ in assignments))


def _assignments(source: SourceFile) -> list[tuple[str, str]]:
    """(variable, value) of each assignment kconfiglib parses (joined lines
    joined; not in help texts)."""
    return [(match.group(1), match.group(2)) for logical in source.logical if logical.kind == "property"
            for match in [_ASSIGNMENT.fullmatch(logical.text)] if match]


def _odd_logical(logical: Logical) -> bool:
    """A line kconfiglib and source.py may read otherwise: its first token
    holds a macro (kconfiglib's token takes `$`: `help$(E) := y` is an
    assignment to it, a help keyword to source.py; `$(X)_Y := v` sets a
    variable no text names), or a macro on it is joined to a name or to
    another macro (also in a variable's value, or across a `\\`). A line
    that is one macro alone is none of these."""
    if logical.kind not in ("entry", "property") or "$(" not in logical.text:
        return False
    code = _STRING.sub(" ", logical.text).strip()
    if code.startswith("$(") and macro_end(code, 0) == len(code) - 1:
        return False  # a bare macro (`$(error-if,...)`): kconfiglib expands it for its effect, to nothing
    first = _FIRST_TOKEN.match(logical.text)
    return (first is not None and "$" in first.group(1)) or _joins_macro(logical.text)


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
        if (keyword in _PROMPTING_TYPES and rest) or keyword == "prompt":
            out.prompt = True
        elif keyword in _DEFAULTS and rest:
            out.defaults.append(_split_if(rest)[0])
        elif keyword == "depends":
            out.depends.append(rest[2:].strip() if rest.startswith("on") else rest)
        elif keyword == "option" and "env" in rest:
            out.defaults.append("y")  # the variable's value, whatever it is: may be y
    return out


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_IF = re.compile(r'\s+if\s+(?=(?:[^"]*"[^"]*")*[^"]*$)')
_NOT_NAMES = frozenset({"if", "on", "y", "m", "n"})


def _names(text: str, skip: int = 0) -> Iterator[str]:
    """The names on a line, after its first `skip` words (strings out first:
    a `#` in one starts no comment)."""
    code = _STRING.sub(" ", text).split("#", 1)[0]
    for index in range(skip):  # tokens as kconfiglib reads them: `if(A)`, `def_bool!A` hold A
        token = (_FIRST_TOKEN if index == 0 else _ID_TOKEN).match(code)
        if token is None:
            break
        code = code[token.end():]
    for word in _NAME.findall(code):
        if word == "m":
            yield "MODULES"  # kconfiglib reads `m` in a condition as `m && MODULES`
        elif word not in _NOT_NAMES:  # digits too: `config 1` is a symbol to kconfiglib
            yield word


def _split_if(text: str) -> tuple[str, str]:
    """`value if cond` -> (value, cond); a quoted `if` is text, not a keyword."""
    match = _IF.search(text)
    return (text[:match.start()].strip(), text[match.end():].strip()) if match else (text.strip(), "")


def _condition(text: str) -> str:
    """A select's or imply's condition (empty: none)."""
    code = text.split("#", 1)[0].strip()
    return _split_if(code)[1]
