"""Saved arch models: `query` and `explain` on an unchanged tree without
loading it again.

A load of one arch (kconfiglib's parse, about a second on a real tree) is
saved once, fully converted, in the cache directory: the model (symbols,
choices, select/imply edges, probes, files, kernel version), what provenance
reads of the menu tree (`provenance.Nodes`: each symbol's and choice's
entries, prompts, menuconfigs and `source` path) and the load's record.
The next question on that arch reads it back instead of parsing.

An entry is keyed, and checked, as the findings cache's are: the tree's
root, the arch, kltolint's own code (`cache.code_digest`), every Kconfig
file the load read (`cache.entry_files`, `cache.unchanged`: paths confined
to the tree, identities compared, hashes when they differ) and every
`source` glob's matches. Files found unchanged by their content only (a
hard link moved their ctime) are written back into the entry with their
identities as found, after the answer, so that the next question stats
them instead of hashing them again.

An entry is JSON lines, never code (`entry_body`): a header with every
field read on opening, the expression table, then one line per symbol, per
edge target and per symbol's menu nodes. A question reads a few thousand
of the ~17,000 symbols of a real arch, so opening an entry parses the
header and the table and splits the rest into lines; each line, and each
expression row (rebuilt from parts that only point back to earlier rows:
no cycles, at most expr.MAX_DEPTH deep), is parsed and type-checked when
first read. A corrupt, foreign or stale entry is a miss, never a
traceback: found on opening, it is not used; found while answering (a
part read on demand raises `Malformed`), commands.ask asks the question
again on a fresh load (`Models.distrust`), which is saved in its place.

A well-typed entry could still say something the tree does not (a
dependency rewritten), and a saved model is trusted for semantics, not only
for speed. So each entry is signed (HMAC-SHA256) with a key kept outside
the cache, in `$XDG_STATE_HOME/kltolint/model-key` (created on first use,
mode 0600): an entry written by anyone without the key (a restored CI
cache, another user) is a miss, and a model is saved and read only while
that key can be had.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from os import _exit  # os's documented exit without cleanup (a forked child's)
from pathlib import Path
from typing import Any, TypeVar, overload

from kltolint import expr as E
from kltolint.cache import code_digest, entry_files, read_entry, unchanged, write_entry
from kltolint.errors import UserError
from kltolint.model import EDGE_KINDS, ArchModel, Choice, Edge, Loc, Probe, Symbol
from kltolint.provenance import Node, Nodes
from kltolint.signing import signing_key
from kltolint.tree import Identity, LoadRecord, Tree

SCHEMA = 2  # 2: the large parts one line each (entry_body)
_TYPES = frozenset({"bool", "tristate", "int", "hex", "string", "unknown"})
_V = TypeVar("_V")
_T = TypeVar("_T")


class Malformed(Exception):
    """An entry that is not exactly as a saved model is written: a miss. Not
    a ValueError, which code reading the model may catch for its own reasons."""


@dataclass(frozen=True)
class Saved:
    """One arch's load, as query and explain read it."""

    model: ArchModel
    nodes: Nodes
    record: LoadRecord


class Models:
    """Saved models in a cache directory; `load` answers from one, or loads
    the arch and keeps it to be saved (`save_pending`, or `save_detached`
    once the answer is out)."""

    def __init__(self, directory: Path, key: bytes | None = None) -> None:
        self.dir = directory / f"models-v{SCHEMA}"
        self._code = code_digest()
        self._key = key if key is not None else signing_key()
        self._pending: list[tuple[Tree, str, ArchModel, Nodes, LoadRecord]] = []
        # entries read whose files were found unchanged by content only: (path,
        # the entry's identity when read, its body, the files' identities now)
        self._refresh: list[tuple[Path, tuple[int, int], bytes, dict[str, Identity]]] = []
        self._read = True

    def distrust(self) -> None:
        """Read no saved model from now on (one was found malformed while
        answering: the question is asked again on fresh loads, saved anew)."""
        self._read = False
        self._refresh = []

    def path(self, tree: Tree, arch: str) -> Path:
        key = hashlib.sha256(f"{tree.root}\0{arch}\0{self._code}".encode()).hexdigest()
        return self.dir / f"{key[:40]}.model"

    def _sign(self, body: bytes) -> bytes:
        assert self._key is not None
        return hmac.new(self._key, body, hashlib.sha256).hexdigest().encode()

    def get(self, tree: Tree, arch: str) -> Saved | None:
        """The saved load of `arch`, while every file it read is unchanged; else None."""
        if tree.overlay or self._key is None or not self._read:
            return None
        path = self.path(tree, arch)
        try:
            text, entry = read_entry(path)  # a regular file, bounded
            mac, _, body = text.partition(b"\n")
            if not hmac.compare_digest(mac, self._sign(body)):
                return None
            data = entry_data(body)
            if data.get("schema") != SCHEMA or data.get("root") != str(tree.root) \
                    or data.get("arch") != arch or data.get("code") != self._code:
                return None
            files = entry_files(data["files"])
            refreshed: dict[str, Identity] = {}
            if not unchanged(tree, files, data["globs"], refreshed):
                return None
            saved = _saved(data, {**files, **refreshed}, arch)
        except (Malformed, OSError, ValueError, KeyError, TypeError, AttributeError, UserError, RecursionError):
            return None  # missing, corrupt, foreign or unsigned: a miss
        if refreshed:  # each later question would read and hash those files again
            self._refresh.append((path, (entry.st_ino, entry.st_mtime_ns), body, refreshed))
        return saved

    def load(self, tree: Tree, arch: str) -> tuple[ArchModel, object, LoadRecord]:
        """arch's model, menu nodes and record: saved, or loaded (and kept to be saved)."""
        saved = self.get(tree, arch)
        if saved is not None:
            return saved.model, saved.nodes, saved.record
        from kltolint.load import LASTING, convert

        kconf, record = LASTING.kconfig(tree, arch)
        model = convert(kconf, arch)
        if self._key is not None and not tree.overlay:
            self._pending.append((tree, arch, model, Nodes.of(kconf), record))
        return model, kconf, record

    def save_detached(self) -> None:
        """`save_pending` in a process of its own, so that the command ends
        with its answer: a grandchild (reaped by init, not by the caller),
        in a session of its own (a ^C at the prompt does not reach it), with
        /dev/null for stdin, stdout and stderr. Where it cannot fork, here."""
        if not self._pending and not self._refresh:
            return
        try:
            child = os.fork()
        except OSError:
            self.save_pending()
            return
        if child:
            self._pending, self._refresh = [], []
            os.waitpid(child, 0)  # it only forks again and exits
            return
        try:
            if os.fork() == 0:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                self.save_pending()
        finally:
            _exit(0)  # never back into the caller's code, whatever happened

    def save_pending(self) -> None:
        """Save the loads `load` made (each fully converted now: a model too
        deep to convert is not saved), and the entries `get` read whose files
        were unchanged by content only, with their identities as found."""
        refresh, self._refresh = self._refresh, []
        for path, was, body, refreshed in refresh:
            self._refreshed(path, was, body, refreshed)
        pending, self._pending = self._pending, []
        for tree, arch, model, nodes, record in pending:
            try:
                data = {"schema": SCHEMA, "root": str(tree.root), "arch": arch, "code": self._code,
                        "files": {rel: list(identity) for rel, identity in record.files},
                        "globs": {pattern: list(matches) for pattern, matches in record.globs},
                        "marked": [[file, text] for file, text in record.marked],
                        **_model_data(model), **_nodes_data(nodes)}
            except (UserError, RecursionError):
                continue
            body = entry_body(data)
            write_entry(self.path(tree, arch), self._sign(body) + b"\n" + body)


    def _refreshed(self, path: Path, was: tuple[int, int], body: bytes, refreshed: dict[str, Identity]) -> None:
        """The entry at `path` again, its files' identities as found now
        (its header alone re-encoded), unless another has replaced it since."""
        try:
            now = os.stat(path)
            if (now.st_ino, now.st_mtime_ns) != was:
                return
            end = body.index(b"\n")
            header = _dict(json.loads(body[:end]))
            _dict(header["files"]).update({rel: list(identity) for rel, identity in refreshed.items()})
            new = _dumps(header).encode("ascii") + body[end:]
        except (OSError, ValueError, KeyError, Malformed):
            return
        write_entry(path, self._sign(new) + b"\n" + new)


_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _dumps(value: object) -> str:
    return _ENCODER.encode(value)


# -- the entry's layout: JSON lines ---------------------------------------------------
#
# The parts read on demand are JSON texts (a symbol, the edges into a target,
# a symbol's nodes): kept as strings inside one JSON document, each had its
# quotes escaped, and reading the entry parsed all ~7 MB of them again (0.05 s
# for arm64). Each is a line of its own instead, after a header line holding
# everything else: reading the entry parses the header and splits the rest.
# Every line is JSON written with ensure_ascii, so none holds a newline.

_LINED = ("exprs", "symbols", "incoming", "nodes")


def entry_body(data: Mapping[str, Any]) -> bytes:
    """An entry's body: a header (every field but the large ones, with the
    keys of `incoming` and `nodes`), the expression table, then one line per
    symbol (as `names` orders them), per edge target and per symbol's nodes."""
    incoming, nodes = data["incoming"], data["nodes"]
    header = {k: v for k, v in data.items() if k not in _LINED}
    header["incoming_keys"], header["node_names"] = list(incoming), list(nodes)
    lines = [_dumps(header), _line(data["exprs"]), *map(_line, data["symbols"]), *map(_line, incoming.values()),
             *map(_line, nodes.values())]
    return "\n".join(lines).encode("ascii")


def _line(text: object) -> str:
    """A part as its line: a JSON text as it is (anything else written as JSON, to be refused when read)."""
    if type(text) is bytes:  # as entry_data reads it
        return text.decode("ascii")
    return text if type(text) is str else _dumps(text)


def entry_data(body: bytes) -> dict[str, Any]:
    """An entry's fields from its body (`entry_body`'s inverse): the large
    parts as the JSON texts of their lines (bytes: the body is not decoded
    as a whole, each part is when parsed), each checked when parsed.
    Malformed (or ValueError) for a body not laid out so."""
    lines = body.split(b"\n")
    data = _dict(json.loads(lines[0]))
    names = _list(data.get("names"))
    keys = _strs(data.pop("incoming_keys", None))
    named = _strs(data.pop("node_names", None))
    if len(lines) != 2 + len(names) + len(keys) + len(named):
        raise Malformed("not as many lines as parts")
    first, second = 2 + len(names), 2 + len(names) + len(keys)
    data["exprs"], data["symbols"] = lines[1], lines[2:first]
    data["incoming"] = dict(zip(keys, lines[first:second], strict=True))  # the lengths add up (above)
    data["nodes"] = dict(zip(named, lines[second:], strict=True))
    if len(data["incoming"]) != len(keys) or len(data["nodes"]) != len(named):
        raise Malformed("a part named twice")
    return data


# -- writing: the parts read on demand (a symbol, the edges into a target, a
# symbol's nodes) are JSON texts inside the entry, parsed when first read ----------

class _Table:
    """Expressions as a table: each entry names its parts by earlier indices."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self._index: dict[E.Expr, int] = {}
        self._by_id: dict[int, tuple[E.Expr, int]] = {}  # the converter shares objects: skip hashing them

    def add(self, expr: E.Expr) -> int:
        seen = self._by_id.get(id(expr))
        if seen is not None and seen[0] is expr:
            return seen[1]
        done = self._index.get(expr)
        if done is None:
            done = self._row(expr)
        self._by_id[id(expr)] = (expr, done)
        return done

    def _row(self, expr: E.Expr) -> int:
        row: list[Any]
        if isinstance(expr, E.Sym):
            row = ["s", expr.name]
        elif isinstance(expr, E.Const):
            row = ["c", expr.value]
        elif isinstance(expr, E.ChoiceRef):
            row = ["h", expr.index]
        elif isinstance(expr, E.Not):
            row = ["!", self.add(expr.arg)]
        elif isinstance(expr, (E.And, E.Or)):
            row = ["&" if isinstance(expr, E.And) else "|", [self.add(a) for a in expr.args]]
        else:
            row = ["=", expr.op, self.add(expr.left), self.add(expr.right)]
        self.rows.append(row)
        done = self._index[expr] = len(self.rows) - 1
        return done


def _loc(loc: Loc) -> list[Any]:
    return [loc.file, loc.line]


def _model_data(model: ArchModel) -> dict[str, Any]:
    t = _Table()
    symbols = [_dumps([s.name, s.type, [_loc(l) for l in s.locs], [t.add(p) for p in s.prompts], t.add(s.direct_dep),
                       [[t.add(v), t.add(c)] for v, c in s.defaults],
                       [[t.add(a), t.add(b), t.add(c)] for a, b, c in s.ranges],
                       s.choice, [[_loc(l), nth] for l, nth in s.default_locs]])
               for s in model.symbols.values()]
    choices = [[c.index, [_loc(l) for l in c.locs], [t.add(p) for p in c.prompts], t.add(c.direct_dep),
                list(c.members), c.optional, c.type, [[m, t.add(cond)] for m, cond in c.defaults]]
               for c in model.choices]
    incoming: dict[str, list[list[Any]]] = {}
    for position, e in enumerate(model.edges):
        incoming.setdefault(f"{e.kind} {e.target}", []).append(
            [position, e.kind, e.source, e.target, t.add(e.cond), _loc(e.entry), e.nth])
    probes = [[p.name, p.command, _loc(p.loc)] for p in model.probes.values()]
    return {"exprs": _dumps(t.rows), "names": list(model.symbols), "symbols": symbols, "choices": choices,
            "incoming": {key: _dumps(rows) for key, rows in incoming.items()}, "edge_count": len(model.edges),
            "probes": probes, "model_files": list(model.files),
            "kernel": list(model.kernel) if model.kernel is not None else None}


def canonical(model: ArchModel, nodes: Nodes) -> dict[str, Any]:
    """A whole load as plain data, as the cache saves it: two loads that
    give the same are the same to every check (the tests compare loads)."""
    return {**_model_data(model), **_nodes_data(nodes)}


def _nodes_data(nodes: Nodes) -> dict[str, Any]:
    paths: dict[tuple[tuple[str, int], ...], int] = {}  # `source` paths, shared by most nodes

    def node(n: Node) -> list[Any]:
        path = paths.setdefault(n.include_path, len(paths))
        return [n.filename, n.linenr, n.prompt, [_loc(m) for m in n.menus], path]
    symbols, choices = nodes.everything()
    return {"nodes": {name: _dumps([node(n) for n in found]) for name, found in symbols.items()},
            "choice_nodes": [[node(n) for n in found] for found in choices],
            "include_paths": [[[file, line] for file, line in path] for path in paths]}


# -- reading: every field type-checked before use (Malformed, TypeError, KeyError,
# ValueError: a miss); the parts read on demand raise Malformed when first read ------

def _list(value: object) -> list[Any]:
    if type(value) is not list:
        raise Malformed("not a list")
    return value


def _dict(value: object) -> dict[str, Any]:
    if type(value) is not dict:
        raise Malformed("not an object")
    return value


def _str(value: object) -> str:
    if type(value) is not str:
        raise Malformed("not a string")
    return value


def _strs(value: object) -> list[str]:
    """A list of strings (checked at C speed: names, tens of thousands)."""
    items = _list(value)
    if set(map(type, items)) - {str}:
        raise Malformed("not a string")
    return items


def _int(value: object) -> int:
    if type(value) is not int:  # bool is not an int here
        raise Malformed("not an integer")
    return value


def _index(value: object, size: int) -> int:
    """An index into a table of `size` rows."""
    if not 0 <= _int(value) < size:
        raise Malformed("index out of range")
    return _int(value)


def _pair(value: object) -> tuple[str, int]:
    file, line = _list(value)
    return _str(file), _int(line)


def _loc_of(value: object) -> Loc:
    return Loc(*_pair(value))


def _parsed(text: object) -> Any:
    """A part kept as JSON text (a line of the entry: bytes), parsed."""
    if type(text) is not bytes and type(text) is not str:
        raise Malformed("not a text")
    try:
        return json.loads(text)
    except RecursionError:
        raise Malformed("nested too deeply") from None


class _Exprs:
    """The expression table, each row rebuilt when first read (a question
    reads a few thousand of arm64's ~20,000): parts only by earlier index
    (no cycles), at most expr.MAX_DEPTH deep; Malformed otherwise."""

    def __init__(self, rows: object, choices: int) -> None:
        self._rows = _list(rows)
        self._choices = choices
        self._built: list[E.Expr | None] = [None] * len(self._rows)
        self._depth = [0] * len(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: object) -> E.Expr:
        at = _index(index, len(self._rows))
        done = self._built[at]
        if done is None:
            done = self._build(at)
        return done

    def _build(self, top: int) -> E.Expr:
        """Row `top` and the parts it needs, without recursion: each row's
        parts are built before it (they come earlier: the stack ends)."""
        built, stack = self._built, [top]
        while stack:
            at = stack[-1]
            if built[at] is not None:
                stack.pop()
                continue
            parts = self._parts(at)
            missing = [p for p in parts if built[p] is None]
            if missing:
                stack += missing
                continue
            stack.pop()
            built[at] = self._make(at, parts)
        done = built[top]
        assert done is not None
        return done

    def _parts(self, at: int) -> list[int]:
        """The rows row `at` is made of, each checked to come before it."""
        row = self._rows[at]
        if type(row) is not list or not row:
            raise Malformed("bad expression")
        tag, size = row[0], len(row)
        if (tag == "s" or tag == "c" or tag == "h") and size == 2:
            return []
        if tag == "!" and size == 2:
            return [_index(row[1], at)]
        if (tag == "&" or tag == "|") and size == 2 and type(row[1]) is list and len(row[1]) >= 2:
            for index in row[1]:
                if type(index) is not int or not 0 <= index < at:
                    raise Malformed("not an earlier expression")
            return list(row[1])
        if tag == "=" and size == 4 and row[1] in E.COMPARISONS:
            return [_index(row[2], at), _index(row[3], at)]
        raise Malformed("bad expression")

    def _make(self, at: int, parts: list[int]) -> E.Expr:
        row, built, depth = self._rows[at], self._built, self._depth
        tag = row[0]
        expr: E.Expr
        if tag == "s":
            expr = E.Sym(_str(row[1]))
        elif tag == "c":
            expr = E.Const(_str(row[1]))
        elif tag == "h":
            expr = E.ChoiceRef(_index(row[1], self._choices))
        else:
            args: list[E.Expr] = []
            for p in parts:
                part = built[p]
                assert part is not None  # _build made the parts first
                args.append(part)
            if tag == "!":
                expr = E.Not(args[0])
            elif tag == "=":
                expr = E.Cmp(row[1], args[0], args[1])
            else:
                expr = (E.And if tag == "&" else E.Or)(tuple(args))
        level = 1 + max((depth[p] for p in parts), default=0)
        if level > E.MAX_DEPTH:
            raise Malformed("expression too deep")
        depth[at] = level
        return expr


class _Reader:
    """One entry's tables, and the parts read on demand."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.names = _strs(data["names"])
        self.rows = _list(data["symbols"])  # JSON texts, each checked when parsed (_parsed)
        self.position = {name: i for i, name in enumerate(self.names)}
        if len(self.position) != len(self.names) or len(self.rows) != len(self.names):
            raise Malformed("bad symbol table")
        self.choice_rows = _list(data["choices"])
        self.exprs = _Exprs(_parsed(data["exprs"]), len(self.choice_rows))
        self.incoming_rows = _dict(data["incoming"])  # JSON keys are strings; values checked when parsed
        if any(key.partition(" ")[0] not in EDGE_KINDS or not key.partition(" ")[2] for key in self.incoming_rows):
            raise Malformed("bad edge key")
        self.edge_count = _int(data["edge_count"])
        self.include_paths = [tuple(_pair(p) for p in _list(path)) for path in _list(data["include_paths"])]

    def expr(self, index: object) -> E.Expr:
        return self.exprs[index]

    def symbol(self, name: str) -> Symbol:
        row = _list(_parsed(self.rows[self.position[name]]))
        name_, type_, locs, prompts, direct, defaults, ranges, choice, default_locs = row
        if name_ != name or type_ not in _TYPES:
            raise Malformed("bad symbol")
        if choice is not None:
            _index(choice, len(self.choice_rows))
        return Symbol(
            name=name, type=type_, locs=tuple(_loc_of(l) for l in _list(locs)),
            prompts=tuple(self.expr(p) for p in _list(prompts)), direct_dep=self.expr(direct),
            defaults=tuple(self._two(d) for d in _list(defaults)),
            ranges=tuple(self._three(r) for r in _list(ranges)),
            choice=choice,
            default_locs=tuple((_loc_of(loc), _int(nth)) for loc, nth in map(_list, _list(default_locs))))

    def _two(self, value: object) -> tuple[E.Expr, E.Expr]:
        a, b = _list(value)
        return self.expr(a), self.expr(b)

    def _three(self, value: object) -> tuple[E.Expr, E.Expr, E.Expr]:
        a, b, c = _list(value)
        return self.expr(a), self.expr(b), self.expr(c)

    def choices(self) -> list[Choice]:
        out = []
        for position, row in enumerate(self.choice_rows):
            index, locs, prompts, direct, members, optional, type_, defaults = _list(row)
            if index != position or type(optional) is not bool or type_ not in _TYPES \
                    or any(_str(m) not in self.position for m in _list(members)):
                raise Malformed("bad choice")
            out.append(Choice(
                index=index, locs=tuple(_loc_of(l) for l in _list(locs)),
                prompts=tuple(self.expr(p) for p in _list(prompts)), direct_dep=self.expr(direct),
                members=tuple(members), optional=optional, type=type_,
                defaults=tuple((_str(m), self.expr(c)) for m, c in map(_list, _list(defaults)))))
        return out

    def incoming(self, kind: str, target: str) -> tuple[tuple[int, Edge], ...]:
        """The edges into `target`, each with its place among all edges."""
        text = self.incoming_rows.get(f"{kind} {target}")
        if text is None:
            return ()
        edge_kind = next((k for k in EDGE_KINDS if k == kind), None)
        if edge_kind is None:
            raise Malformed("bad edge kind")
        out = []
        for row in _list(_parsed(text)):
            position, kind_, source, target_, cond, entry, nth = _list(row)
            if kind_ != kind or target_ != target or _str(source) not in self.position:
                raise Malformed("bad edge")
            out.append((_index(position, self.edge_count),
                        Edge(edge_kind, source, target, self.expr(cond), _loc_of(entry), _int(nth))))
        return tuple(out)

    def node(self, value: object) -> Node:
        file, line, prompt, menus, path = _list(value)
        if type(prompt) is not bool:
            raise Malformed("bad node")
        return Node(_str(file), _int(line), prompt, tuple(_loc_of(m) for m in _list(menus)),
                    self.include_paths[_index(path, len(self.include_paths))])


class _OnDemand(Mapping[str, _V]):
    """A saved table read entry by entry: each parsed and checked when first
    read (Malformed then), in the order saved."""

    def __init__(self, names: Sequence[str], read: Callable[[str], _V]) -> None:
        self._names = names
        self._known = frozenset(names)
        self._read = read
        self._done: dict[str, _V] = {}

    def __getitem__(self, name: str) -> _V:
        done = self._done.get(name)
        if done is None:
            if name not in self._known:
                raise KeyError(name)
            try:
                done = self._done[name] = self._read(name)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
                raise Malformed(f"saved model: {name}: {err}") from None
        return done

    def __contains__(self, name: object) -> bool:
        return name in self._known

    @overload
    def get(self, name: str, /) -> _V | None: ...

    @overload
    def get(self, name: str, /, default: _V | _T) -> _V | _T: ...

    def get(self, name: str, /, default: object = None) -> object:
        """Mapping.get without its KeyError for a name not here (the encoder
        asks for every probe and line input by name too)."""
        done = self._done.get(name)
        if done is not None:
            return done
        return self[name] if name in self._known else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _saved(data: dict[str, Any], files: Mapping[str, Identity], arch: str) -> Saved:
    reader = _Reader(data)
    choices = reader.choices()
    incoming: dict[tuple[str, str], tuple[tuple[int, Edge], ...]] = {}

    def edges_into(kind: str, target: str) -> tuple[tuple[int, Edge], ...]:
        done = incoming.get((kind, target))
        if done is None:
            try:
                done = incoming[(kind, target)] = reader.incoming(kind, target)
            except (ValueError, TypeError, KeyError, IndexError) as err:
                raise Malformed(f"saved model: edges into {target}: {err}") from None
        return done

    probes: dict[str, Probe] = {}
    for row in _list(data["probes"]):
        name, command, loc = _list(row)
        if _str(name) in probes or name in reader.position:
            raise Malformed("bad probe")
        probes[name] = Probe(name, _str(command), _loc_of(loc))
    kernel = data["kernel"]
    if kernel is not None:
        major, minor = _list(kernel)
        kernel = (_int(major), _int(minor))
    model = ArchModel(
        arch=arch, symbols=_OnDemand(reader.names, reader.symbol), choices=choices,
        edges=_AllEdges(lambda: sorted((e for k in reader.incoming_rows for e in edges_into(*k.split(" ", 1))),
                                       key=lambda pair: pair[0])),
        probes=probes, files=tuple(_str(f) for f in _list(data["model_files"])), kernel=kernel,
        incoming_source=lambda kind, target: tuple(edge for _, edge in edges_into(kind, target)))
    node_rows = _dict(data["nodes"])  # JSON keys are strings; values checked when parsed
    if not node_rows.keys() <= reader.position.keys():
        raise Malformed("nodes of an unknown symbol")
    choice_nodes = [tuple(reader.node(n) for n in _list(found)) for found in _list(data["choice_nodes"])]
    if len(choice_nodes) != len(choices):
        raise Malformed("nodes of another model's choices")
    nodes = Nodes(_OnDemand(list(node_rows),
                            lambda name: tuple(reader.node(n) for n in _list(_parsed(node_rows[name])))),
                  choice_nodes)
    marked = tuple((_str(file), _str(text)) for file, text in map(_list, _list(data["marked"])))
    globs = tuple((_str(p), tuple(_str(m) for m in _list(found))) for p, found in _dict(data["globs"]).items())
    return Saved(model, nodes, LoadRecord(tuple(files.items()), globs, marked))


class _AllEdges(Sequence[Edge]):
    """Every edge, in the load's order, read on first use (query and explain
    read the edges into a target only)."""

    def __init__(self, read: Callable[[], list[tuple[int, Edge]]]) -> None:
        self._read = read
        self._edges: list[Edge] | None = None

    def _all(self) -> list[Edge]:
        if self._edges is None:
            self._edges = [edge for _, edge in self._read()]
        return self._edges

    @overload
    def __getitem__(self, index: int) -> Edge: ...

    @overload
    def __getitem__(self, index: slice) -> list[Edge]: ...

    def __getitem__(self, index: int | slice) -> Edge | list[Edge]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())
