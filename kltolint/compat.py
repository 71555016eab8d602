"""Everything that makes kconfiglib 14.1 read today's kernels safely.

kconfiglib is unmaintained since 2020; the kernel's Kconfig language moved
on. What kltolint adds, read against 7.3's scripts/kconfig (parser.y,
lexer.l, menu.c, symbol.c), is done here and only here:

1. Syntax it rejects is rewritten while reading, one line for one line so
   line numbers stay true: the bare `modules` property (Linux >= 5.13) becomes
   `option modules`; 6.18's `transitional` property becomes a marker prompt
   (`TRANSITIONAL_PROMPT`), which load.py turns into the C tool's semantics:
   the symbol is always visible, so its value is the user's (symbol.c
   `sym_calc_visibility`), whatever its menu's dependencies.
   `depends on X if Y` (7.0, commit 76df6815dab7) is parsed into what menu.c
   `menu_add_dep` builds: `X || (Y = n)`, with `Y = n` pushed through Y as
   `expr_trans_compare` does (so `Y = m` does not satisfy it).
   Anything else kconfiglib cannot parse is reported as an unsupported
   construct naming `NEWEST_KERNEL` (see `unsupported`).
2. `$(shell,...)` never runs. Each distinct command becomes a fresh symbol
   name (`KLTO_PROBE_<n>`), so every probe (`success`, `cc-option`,
   `cc-name`, versions, ...) turns into a free variable of the model.
3. Files are read through `Tree`, which confines reads to the tree and serves
   an in-memory overlay; a `TreeReader` records what one parse read (the
   `LoadRecord`: files with their identities, `source` globs, and the text of
   files with a `kltolint:` comment, for suppress.py to scan). A plain
   `source` path (most of them) takes a shortcut past `Tree.glob` that gives
   the same (`TreeReader(shortcuts=False)` does without, for the tests).
4. The process state kconfiglib depends on (the environment, the recursion
   limit, the cyclic GC, its module-global `iglob`) is owned by one object,
   `KconfigRuntime` (one per process: `RUNTIME`), which sets it up for each
   parse and puts it back afterwards.
"""

from __future__ import annotations

import fnmatch
import glob
import gc
import os
import re
import sys
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from typing import Any, Literal
from collections.abc import Callable, Iterator, Mapping

import kconfiglib

from kltolint.errors import UserError
from kltolint.model import Loc, Probe
from kltolint.source import TYPE_KEYWORDS, SourceFile
from kltolint.tree import Identity, LoadRecord, Tree, has_odd_part

# lasting: the tree as it is, kept for the run; temporary: a tree a patch or
# a fix changed, dropped once analysed (see KconfigRuntime).
LoadKind = Literal["lasting", "temporary"]

PROBE_PREFIX = "KLTO_PROBE_"

# The newest kernel whose Kconfig language kltolint was checked against.
NEWEST_KERNEL = "7.3"

# The prompt that stands for `transitional` (C's parser forbids a real prompt
# on a transitional symbol, so it cannot clash with one).
TRANSITIONAL_PROMPT = "<kltolint: transitional>"

_BARE_PROPERTY = re.compile(r"^([ \t]+)(modules|transitional)([ \t]*(?:#.*)?)$", re.MULTILINE)


def rewrite(text: str) -> str:
    """Rewrite properties kconfiglib rejects; same number of lines out."""
    if "modules" not in text and "transitional" not in text:
        return text
    return _BARE_PROPERTY.sub(_replace_property, text)




def check_probe_names(text: str, rel: str) -> None:
    """A name kltolint gives a probe (`KLTO_PROBE_<n>`) is refused in the
    text: defined or read there, the model would take it for a probe's
    answer (and a probe for it), which the conf tool does not."""
    for number, line in enumerate(text.splitlines(), 1):
        if PROBE_PREFIX in line:
            raise UserError(f"{PROBE_PREFIX}<n> names are kltolint's own (its probes): rename the symbol", rel, number)


def check_transitional(text: str, rel: str) -> None:
    """parser.y `transitional_check_sanity`: a transitional symbol has a bare
    type and help, nothing else (a `depends on` is reported at the entry, as
    the C tool does, the others at their own line)."""
    for entry in SourceFile(text).entries:
        if entry.keyword not in ("config", "menuconfig") or not entry.lines("transitional"):
            continue
        for prop in entry.props:
            if prop.keyword in ("transitional", "help") or (
                    prop.keyword in TYPE_KEYWORDS and len(prop.words()) == 1):
                continue
            line = entry.header.lineno if prop.keyword in ("depends", "visible") else prop.lineno
            raise UserError("transitional symbols can only have help sections", rel, line)


def _replace_property(match: re.Match[str]) -> str:
    indent, word, rest = match.groups()
    if word == "modules":
        return f"{indent}option modules{rest}"
    return f'{indent}prompt "{TRANSITIONAL_PROMPT}"{rest}'


# kconfiglib's message for a line it cannot parse: a construct newer than
# kconfiglib (or than NEWEST_KERNEL), or a plain syntax error; from the line
# alone the two cannot be told apart, so the message says both.
_CANNOT_PARSE = re.compile(r"(.*?)couldn't parse '(.*)': (.*)", re.DOTALL)


def unsupported(message: str) -> str | None:
    """kconfiglib's "couldn't parse" message said as what it is: Kconfig
    that kltolint does not know, naming the newest kernel it knows."""
    match = _CANNOT_PARSE.fullmatch(message)
    if match is None:
        return None
    prefix, line, why = match.groups()
    if why.strip() == "macro expanded to blank string":
        # kconfiglib's _expand_name: a name (of a symbol, after `config`,
        # `default`, `depends on`, ...) that is all macro expands to nothing,
        # as an undefined macro, or one defined empty, does (the C tool's
        # preprocess.c does the same, then fails to parse): no newer syntax
        # is involved. The line itself is not blank, and the macro may be defined.
        return (f"{prefix}a name in '{line.strip()}' is blank once its macros are expanded "
                f"(is every $(...) it uses defined, as in scripts/Kconfig.include, and not empty?)")
    return (f"{prefix}unsupported Kconfig construct '{line.strip()}' ({why.strip()}; kltolint knows "
            f"the Kconfig language up to Linux {NEWEST_KERNEL})")


def equals_n(expr: Any, no: kconfiglib.Symbol) -> Any:
    """`(expr) = n` as the C tool rewrites it (expr.c `expr_trans_compare`)."""
    return _trans_compare(expr, kconfiglib.EQUAL, no)


def _trans_compare(expr: Any, op: int, no: kconfiglib.Symbol) -> Any:
    """C's expr_trans_compare(expr, op, n) for op in (EQUAL, UNEQUAL).

    Deliberately the C tool's rule, not tristate algebra: `!Y = n` becomes
    `Y != n`, so with Y = m it holds, as it does in conf."""
    if not isinstance(expr, tuple):  # a symbol or a choice
        return (op, expr, no)
    kind = expr[0]
    if kind == kconfiglib.NOT:
        return _trans_compare(expr[1], kconfiglib.UNEQUAL if op == kconfiglib.EQUAL else kconfiglib.EQUAL, no)
    if kind in (kconfiglib.AND, kconfiglib.OR):
        left = _trans_compare(expr[1], kconfiglib.EQUAL, no)
        right = _trans_compare(expr[2], kconfiglib.EQUAL, no)
        both = (kconfiglib.OR if kind == kconfiglib.AND else kconfiglib.AND, left, right)
        return both if op == kconfiglib.EQUAL else (kconfiglib.NOT, both)
    # a comparison: it is y or n, so `= n` is its negation
    return (kconfiglib.NOT, expr) if op == kconfiglib.EQUAL else expr


def _probe_fn(kconf: SafeKconfig, _name: str, command: str) -> str:
    probes = kconf.kltolint_probes
    if command not in probes:
        name = f"{PROBE_PREFIX}{len(probes)}"
        probes[command] = Probe(name, command, Loc(kconf.filename, kconf.linenr))
    return probes[command].name


def _silent_fn(_kconf: Any, _name: str, *_args: str) -> str:
    return ""


# Looked up by kconfiglib through $KCONFIG_FUNCTIONS (KconfigRuntime): it
# replaces the built-in `shell`, and silences `info` / `warning-if`.
functions = {
    "shell": (_probe_fn, 1, 1),
    "info": (_silent_fn, 1, 1),
    "warning-if": (_silent_fn, 2, 2),
}


# A relative path with no glob magic and nothing to normalise (no empty, `.`
# or `..` part): as it is written, it is what glob and relpath would give.
_PLAIN_PATH = re.compile(r"(?:(?!\.\.?/)[^/*?\[]+/)*(?!\.\.?\Z)[^/*?\[]+")


def glob_matches(rel: str, pattern: str) -> bool:
    """Would glob (as Tree.glob lists the disk) find `rel` for the relative
    `pattern`? Part by part: a wildcard never crosses `/`, and a hidden name
    is matched only by a part that starts with a dot."""
    parts, names = pattern.split("/"), rel.split("/")
    return len(parts) == len(names) and all(
        (fnmatch.fnmatchcase(name, part) and (part.startswith(".") or not name.startswith(".")))
        if glob.has_magic(part) else name == part
        for name, part in zip(names, parts, strict=True))


class TreeReader:
    """What one parse reads from a `Tree`, recorded as it is read: kconfiglib
    opens files and globs `source` patterns through it."""

    def __init__(self, tree: Tree, shortcuts: bool = True) -> None:
        self.tree = tree
        self.shortcuts = shortcuts  # False: every path through relpath and Tree.glob (tests compare)
        self._files: dict[str, Identity] = {}
        self._globs: dict[str, tuple[str, ...]] = {}  # pattern -> matches, relative
        self._marked: dict[str, str] = {}
        self._prefix = str(tree.root) + os.sep
        # Where the parser is (file, line), for errors; set by SafeKconfig.
        self.position: Callable[[], tuple[str | None, int | None]] = lambda: (None, None)

    def record(self) -> LoadRecord:
        return LoadRecord(tuple(self._files.items()), tuple(sorted(self._globs.items())),
                          tuple(self._marked.items()))

    def open(self, filename: str) -> str:
        """The text kconfiglib parses for `filename` (absolute or relative)."""
        # Sourced paths were confined by iglob; Tree.read confines the rest.
        tree = self.tree
        rel = filename
        if os.path.isabs(filename):
            rel = filename[len(self._prefix):]
            if not (self.shortcuts and filename.startswith(self._prefix) and _PLAIN_PATH.fullmatch(rel)):
                rel = os.path.relpath(filename, tree.root)  # what the shortcut gives for a plain path
        try:
            text, identity = tree.read_identified(rel)
        except UserError as err:
            file, line = self.position()  # the `source` line, before kconfiglib enters the file
            if file is None:
                raise
            raise UserError(f"cannot source {rel!r}: {err.message.removeprefix('cannot read: ')}", file, line) from None
        self._files.setdefault(rel, identity)
        if "kltolint:" in text:
            self._marked.setdefault(rel, text)
        if "transitional" in text:
            check_transitional(text, rel)
        if PROBE_PREFIX in text:
            check_probe_names(text, rel)
        return rewrite(text)

    def iglob(self, pattern: str) -> Iterator[str]:
        """kconfiglib's glob for `source`: sees overlay files, and refuses
        any pattern that leaves the tree (absolute, `../`, symlinks)."""
        tree = self.tree
        prefix = self._prefix
        if not os.path.normpath(pattern).startswith(prefix):
            if os.path.normpath(pattern) + os.sep == prefix:  # "", "." or "./": the tree's top
                raise UserError(f"cannot source {pattern[len(prefix):]!r}: Is a directory", *self.position())
            raise UserError(f"refusing to source a file outside the tree: {pattern}", *self.position())
        asked = pattern[len(prefix):]
        normal = self._normal(asked)
        if normal is None:  # a `..` past what is no directory of the patched tree: glob finds nothing
            self._globs[asked] = ()
            return iter(())
        pattern = prefix + self._unlinked(normal)
        try:
            # Tree.glob confines every directory before listing it, and each
            # match, which is named by its real path (a link's target).
            found = {self._real_name(rel) for rel in self._glob(pattern[len(prefix):])}
        except UserError:
            raise UserError(f"refusing to source a file outside the tree: {pattern[len(prefix):]}",
                            *self.position()) from None
        # A pattern without glob magic matches only itself: fnmatch would
        # compile it to a regex first (~0.2 ms each, ~1,600 `source` lines
        # in every load of a patched tree).
        plain = not glob.has_magic(pattern)
        for rel, text in tree.overlay.items():
            if prefix + rel == pattern if plain else glob_matches(rel, pattern[len(prefix):]):
                if text is None:
                    found.discard(prefix + rel)
                else:
                    found.add(prefix + rel)
        matches = sorted(found)
        self._globs[asked] = tuple(m[len(prefix):] for m in matches)
        return iter(matches)

    def _normal(self, rel: str) -> str | None:
        """`rel` without `.`, `..` or empty parts (`orsource "../new/Kconfig"`
        in lib/Kconfig asks for lib/../new/Kconfig): the names the overlay
        holds, so that a new or patched file matches, and the name the model,
        the lossless layer and the messages then use. A `..` goes back over
        a directory of the patched tree (`_is_dir`): elsewhere glob, as the C
        tool's, finds nothing (`lib/none/../K`), and neither does this (None);
        over a link, it goes back from where the link leads, as the OS does
        (refused outside the tree). A trailing `/` or `/.` names a directory,
        never a file to read: `rel` stays as written, and matches no file.
        A wildcard before a `..` (glob reads `a/*/../K` once per directory)
        is refused."""
        parts = rel.split("/")
        if not has_odd_part(parts):
            return rel
        if ".." in parts and glob.has_magic("/".join(parts[:len(parts) - parts[::-1].index("..")])):
            raise UserError(f"unsupported source pattern, a wildcard before '..': {rel}", *self.position())
        if parts[-1] in ("", "."):
            return rel
        out: list[str] = []
        for part in parts:
            if part == "..":
                if not out:
                    return None
                where = self._prefix + "/".join(out)
                real = os.path.realpath(where)
                if real != where and os.path.isdir(where):
                    if not real.startswith(self._prefix):  # the root's own parent included
                        raise UserError(f"refusing to source a file outside the tree: {rel}", *self.position())
                    out = real[len(self._prefix):].split("/")
                if not self._is_dir("/".join(out)):  # a directory inside the tree, or none: never listed outside
                    return None
                out.pop()
            elif part not in ("", "."):
                out.append(part)
        return "/".join(out)

    def _unlinked(self, rel: str) -> str:
        """`rel` with the directories before its first wildcard (a plain
        path: all but its name) as their real path: a file read through a link to
        a directory (`lib/link/Kconfig.x`, lib/link -> ../drivers) is then
        the file a patch names (git apply refuses paths through links), and
        the lossless layer, the messages and the fixes name it so too. A
        path with an empty, `.` or `..` part left in it names no file
        (`_normal`), nor does one that leaves the tree: as written."""
        parts = rel.split("/")
        if has_odd_part(parts):
            return rel
        first = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts) - 1)
        head = "/".join(parts[:first])
        if not head:
            return rel
        try:
            real = str(self.tree.confined(head))
        except UserError:
            return rel
        if real == self._prefix + head or not real.startswith(self._prefix):
            return rel
        return "/".join([real[len(self._prefix):], *parts[first:]])

    def _real_name(self, rel: str) -> str:
        """The absolute name of a match: its real path (UserError outside
        the tree), where that is a file (a dangling link keeps its name, for
        the error that names the `source` line)."""
        real = str(self.tree.confined(rel))
        if real == self._prefix + rel or not os.path.isfile(real):
            return self._prefix + rel
        return real

    def _is_dir(self, rel: str) -> bool:
        """Is `rel` a directory once the overlay is applied (as git apply
        writes it): one the overlay adds a file under, or one on disk that
        the overlay's deletions do not leave empty (git apply removes it)."""
        overlay, below = self.tree.overlay, rel + "/"
        if any(text is not None and name.startswith(below) for name, text in overlay.items()):
            return True
        if not os.path.isdir(self._prefix + rel):
            return False
        return not any(text is None and name.startswith(below) for name, text in overlay.items()) \
            or self._survives(rel)

    def _survives(self, rel: str) -> bool:
        """Does the directory `rel` on disk keep an entry once the overlay's
        deletions are made, and the directories they empty removed? (A
        loop, not a recursion: a hostile tree may nest deep.)"""
        overlay = self.tree.overlay
        deleted = [n for n, text in overlay.items() if text is None]
        pending = [rel]
        while pending:
            directory = pending.pop()
            try:
                entries = list(os.scandir(self._prefix + directory))
            except OSError:
                continue
            for entry in entries:
                name = f"{directory}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    below = name + "/"
                    if not any(n.startswith(below) for n in deleted):
                        return True  # a directory no deletion reaches stays
                    pending.append(name)
                elif name not in overlay or overlay[name] is not None:
                    return True
        return False

    def _glob(self, rel: str) -> list[str]:
        """`Tree.glob(rel)`, without its directory walk for a plain path
        (most `source` lines): there, glob checks that each directory on
        the way is one and that the file exists, which one lexists of the
        whole path tells (its lookup resolves each directory on the way)."""
        if self.shortcuts and _PLAIN_PATH.fullmatch(rel):
            return [rel] if os.path.lexists(self._prefix + rel) else []
        return self.tree.glob(rel)


class SafeKconfig(kconfiglib.Kconfig):  # type: ignore[misc]  # kconfiglib ships no types
    """kconfiglib reading through a `TreeReader`, with probes neutralised.
    Build it through `KconfigRuntime.parse`, which sets up what kconfiglib
    reads from the process."""

    def __init__(self, reader: TreeReader, check_loops: bool, filename: str = "Kconfig") -> None:
        self.kltolint_tree = reader.tree  # set before kconfiglib's __init__, which parses
        self.kltolint_reader = reader
        self.kltolint_probes: dict[str, Probe] = {}
        self.kltolint_check_loops = check_loops
        reader.position = lambda: (getattr(self, "filename", None), getattr(self, "linenr", None))
        try:
            super().__init__(filename, warn=False, warn_to_stderr=False)
        except RecursionError:
            # Where kconfiglib was: the file (and line) with the deep text.
            where = getattr(self, "filename", None) or filename
            raise UserError("Kconfig nests too deeply to parse", where, getattr(self, "linenr", None)) from None

    def _expect_expr_and_eol(self) -> Any:
        # kconfiglib reads `depends on`, `visible if` and `if` through here.
        # Only `depends on` takes a trailing `if` (parser.y: depends). The
        # condition is parsed without kconfiglib's `m` -> `m && MODULES`
        # rewrite, as in C, where rewrite_m never looks inside a comparison.
        expr = self._parse_expr(True)
        tokens = self._tokens
        if tokens[0] is kconfiglib._T_DEPENDS and tokens[self._tokens_i] is kconfiglib._T_IF:
            self._tokens_i += 1
            cond = self._parse_expr(False)
            expr = (kconfiglib.OR, expr, equals_n(cond, self.n))
        if tokens[self._tokens_i] is not None:
            self._trailing_tokens_error()
        return expr

    def _build_dep(self) -> None:
        # kconfiglib's reverse-dependency sets serve value invalidation, which
        # kltolint never uses, and its dependency-loop check. Without them
        # that check is a no-op: trees under review or fix keep it.
        if self.kltolint_check_loops:
            super()._build_dep()

    def build_dependencies(self) -> None:
        """kconfiglib's reverse-dependency sets (`_dependents`), when the
        parse skipped them."""
        if not self.kltolint_check_loops:
            super()._build_dep()
            self.kltolint_check_loops = True

    def _open(self, filename: str, mode: str) -> StringIO:  # noqa: ARG002 (kconfiglib's signature)
        return StringIO(self.kltolint_reader.open(filename))


class KconfigRuntime:
    """The process state kconfiglib depends on, owned by one object.

    kconfiglib expands `$(VAR)` from os.environ and finds its preprocessor
    functions through $KCONFIG_FUNCTIONS, recurses deeply, makes ~10^6
    objects while it parses, and globs `source` patterns through its
    module-global `iglob`. `parse` sets all of it up for one parse and puts it
    all back afterwards, also when the parse fails:

    - the environment holds only what it is given (what the Makefile would
      export) and kltolint's own KCONFIG_* switches, so a tree or patch can
      never print the caller's variables (a bot's tokens);
    - the recursion limit is at least 5000;
    - `kconfiglib.iglob` is the reader's, confined to the tree;
    - the cyclic GC is off: it would rescan kconfiglib's objects again and
      again (half the parse time).

    The lifetime of what a parse makes depends on its kind. A `lasting` parse
    (the tree as it is, kept for the run) is frozen out of the GC once made
    (gc.freeze: later collections, and the one at exit, skip it, ~0.5 s a
    run); garbage is collected first so none is frozen with it, and the
    parse is frozen before the GC is back on (the few dozen objects it left
    unreachable are frozen with it). A `temporary`
    parse (a tree a patch or a fix changed) is never frozen, or each one would
    stay in memory for good: while one is alive, a lasting parse is not frozen
    either. So parses may come in any order.

    A forked worker that handles one arch and exits says so
    (`one_arch_process`): the cyclic GC then stays off for its whole life,
    and nothing is collected or frozen for later.

    One per process (`RUNTIME`); parses do not nest. A process forked while
    a parse runs (a worker of a pool that replaces its workers) starts with
    the state as it is outside a parse, and parses on its own.
    """

    def __init__(self) -> None:
        self._temporary: weakref.WeakSet[SafeKconfig] = weakref.WeakSet()
        self._parsing = False
        self._one_arch = False
        self._outside: _ProcessState | None = None  # the state to restore, while a parse runs
        os.register_at_fork(after_in_child=self._forked)

    def parse(self, reader: TreeReader, environment: Mapping[str, str], kind: LoadKind,
              loops: bool = False) -> SafeKconfig:
        """Parse the top Kconfig of `reader`'s tree. A temporary parse keeps
        kconfiglib's dependency-loop check (~0.07 s an arch), and so does a
        lasting one with `loops` (a check's: its tree may be a working tree)."""
        if self._parsing:
            raise RuntimeError("kconfiglib parses do not nest")
        lasting = kind == "lasting"
        freeze = lasting and not self._one_arch
        if freeze:
            gc.collect()
        self._parsing = True
        try:
            with self._process_state(environment, reader):
                kconf = SafeKconfig(reader, check_loops=loops or not lasting)
                if freeze and not self._temporary:
                    # While the GC is still off: its first collection would
                    # scan every object of the parse (~0.09 s), to find ~50.
                    gc.freeze()
        finally:
            self._parsing = False
        if not lasting:
            self._temporary.add(kconf)
        return kconf

    @contextmanager
    def _process_state(self, environment: Mapping[str, str], reader: TreeReader) -> Iterator[None]:
        outside = self._outside = _ProcessState.now()
        os.environ.clear()
        os.environ.update({**environment, "KCONFIG_FUNCTIONS": __name__,
                           "KCONFIG_WARN_UNDEF": "", "KCONFIG_STRICT": ""})
        sys.setrecursionlimit(max(outside.recursion_limit, 5000))
        kconfiglib.iglob = reader.iglob
        gc.disable()
        try:
            yield
        finally:
            self._outside = None
            outside.restore()

    def one_arch_process(self) -> None:
        """This process (a forked worker) analyses one arch and exits. The
        cyclic GC, which rescans the analysis's millions of young objects
        (a quarter of the CPU time of a sweep), is off until it exits: what
        it makes is freed by reference counting or at exit (measured on 6.12:
        the same peak RSS)."""
        self._one_arch = True
        gc.disable()

    def _forked(self) -> None:
        """In a child forked while this process parsed: no parse runs here."""
        outside, self._outside = self._outside, None
        self._parsing = False
        if outside is not None:
            outside.restore()


@dataclass(frozen=True)
class _ProcessState:
    """What a parse changes in the process, as it was before."""

    environ: dict[str, str]
    recursion_limit: int
    iglob: Callable[[str], Iterator[str]]
    gc_enabled: bool

    @classmethod
    def now(cls) -> _ProcessState:
        return cls(dict(os.environ), sys.getrecursionlimit(), kconfiglib.iglob, gc.isenabled())

    def restore(self) -> None:
        if self.gc_enabled:
            gc.enable()
        kconfiglib.iglob = self.iglob
        sys.setrecursionlimit(self.recursion_limit)
        os.environ.clear()
        os.environ.update(self.environ)


RUNTIME = KconfigRuntime()
