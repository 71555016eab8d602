"""A saved model (saved.py) written by someone else: it can make an answer
slower, never wrong, never a traceback, and never read outside the tree.

An entry not signed with this user's key is a miss, whatever it says. The
signature is what keeps a well-typed lie out (a dependency rewritten, a
symbol added); the type checks keep out what a key holder's bug could write,
so most tampering here is signed again with the key, to reach them: read
when the entry is opened (a miss) or when the part is first read while
answering (the question is then asked again on a fresh load)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kltolint import expr as E
from kltolint.saved import SCHEMA, Models, entry_body, entry_data, signing_key
from kltolint.tree import Tree
from tests.adversarial.conftest import demo, run
from tests.adversarial.test_cache import no_outside_access  # noqa: F401  (a fixture)

QUESTION = "CPU_BIG_ENDIAN && LTO_CLANG_FULL"  # unreachable: `select ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN`


@pytest.fixture
def saved(tmp_path, capsys):
    """The demo tree with arm64's model saved by a first question: (tree, cache dir, entry)."""
    tree, cache = demo(tmp_path), tmp_path / "cache"
    assert run(capsys, "query", "LTO_CLANG_FULL", "--tree", str(tree), "--arch", "arm64",
               "--cache-dir", str(cache)).code == 0
    (entry,) = (cache / f"models-v{SCHEMA}").iterdir()
    return tree, cache, entry


def tamper(entry: Path, change: Callable[[dict[str, Any]], object], sign: bool = True,
           key: bytes | None = None) -> None:
    mac, _, body = entry.read_bytes().partition(b"\n")
    data = entry_data(body)
    change(data)
    body = entry_body(data)
    if sign:
        key = key or signing_key()
        assert key is not None
        mac = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    entry.write_bytes(mac + b"\n" + body)


def answers(capsys, tree: Path, cache: Path) -> tuple[int, str]:
    """The question asked with the cache, checked against a fresh load's answer."""
    argv = ("query", QUESTION, "--tree", str(tree), "--arch", "arm64")
    fresh = run(capsys, *argv, "--no-cache")
    got = run(capsys, *argv, "--cache-dir", str(cache))
    assert (got.code, got.out) == (fresh.code, fresh.out)
    assert fresh.code == 1 and "unreachable" in fresh.out
    return got.code, got.out


def _row(data: dict[str, Any], name: str) -> list[Any]:
    return json.loads(data["symbols"][data["names"].index(name)])


def _set_row(data: dict[str, Any], name: str, row: object) -> None:
    data["symbols"][data["names"].index(name)] = row if isinstance(row, str) else json.dumps(row)


def _y(data: dict[str, Any]) -> int:
    exprs = json.loads(data["exprs"])
    if ["c", "y"] not in exprs:
        exprs.append(["c", "y"])
        data["exprs"] = json.dumps(exprs)
    return exprs.index(["c", "y"])


def _unguard(data: dict[str, Any]) -> None:
    """`select ARCH_SUPPORTS_LTO_CLANG` without its `if CPU_LITTLE_ENDIAN`."""
    key = "select ARCH_SUPPORTS_LTO_CLANG"
    rows = json.loads(data["incoming"][key])
    rows[0][4] = _y(data)
    data["incoming"][key] = json.dumps(rows)


def _reached(change: Callable[[list[Any]], object]) -> Callable[[dict[str, Any]], None]:
    """Rows added to the expression table, the last one made LTO_CLANG_FULL's
    `depends on`: read while answering (rows are built when first read)."""
    def apply(data: dict[str, Any]) -> None:
        rows = json.loads(data["exprs"])
        change(rows)
        data["exprs"] = json.dumps(rows)
        row = _row(data, "LTO_CLANG_FULL")
        row[4] = len(rows) - 1
        _set_row(data, "LTO_CLANG_FULL", row)
    return apply


def test_a_dependency_rewritten_without_the_key_is_a_miss(capsys, saved):
    tree, cache, entry = saved
    tamper(entry, _unguard, sign=False)
    assert Models(cache).get(Tree(tree), "arm64") is None
    answers(capsys, tree, cache)
    # The same lie signed with the key is read (what the signature alone keeps out).
    tamper(entry, _unguard)
    lied = Models(cache).get(Tree(tree), "arm64")
    assert lied is not None and lied.model.incoming("select", "ARCH_SUPPORTS_LTO_CLANG")[0].cond == E.Y


def test_a_symbol_added_without_the_key_is_a_miss(capsys, saved):
    tree, cache, entry = saved

    def add(data: dict[str, Any]) -> None:
        data["names"].append("INJECTED")
        data["symbols"].append(json.dumps(["INJECTED", "bool", [], [_y(data)], _y(data), [], [], None, []]))
    tamper(entry, add, sign=False)
    assert Models(cache).get(Tree(tree), "arm64") is None
    answers(capsys, tree, cache)
    argv = ("query", "INJECTED", "--tree", str(tree), "--arch", "arm64", "--cache-dir", str(cache))
    assert "unknown symbol INJECTED" in run(capsys, *argv).error


def test_another_trees_entry_is_not_used(capsys, saved, tmp_path):
    """An entry moved to where another tree's would be, or its root rewritten
    (and signed): the other tree's files, with their identities, are not these."""
    tree, cache, entry = saved
    other = demo(tmp_path, "before", "other")  # the endian guard missing: reachable there
    models = Models(cache)
    models.path(Tree(other), "arm64").write_bytes(entry.read_bytes())
    assert models.get(Tree(other), "arm64") is None
    tamper(models.path(Tree(other), "arm64"), lambda data: data.__setitem__("root", str(Tree(other).root)))
    assert models.get(Tree(other), "arm64") is None  # the guard's file differs
    got = run(capsys, "query", QUESTION, "--tree", str(other), "--arch", "arm64", "--cache-dir", str(cache))
    assert got.code == 0 and "arm64: reachable" in got.out


OPENED = {  # found wrong when the entry is opened: a miss
    "names not a list": lambda d: d.__setitem__("names", "ARM64"),
    "a name twice": lambda d: (d["names"].append("ARM64"), d["symbols"].append(d["symbols"][0])),
    "fewer rows than names": lambda d: d["symbols"].pop(),
    "exprs not JSON": lambda d: d.__setitem__("exprs", "[[" * 100_000),
    "a choice member unknown": lambda d: d["choices"][0][4].append("NOT_A_SYMBOL"),
    "a choice out of place": lambda d: d["choices"][0].__setitem__(0, 7),
    "edges under a key of no kind": lambda d: d["incoming"].__setitem__("X", "[]"),
    "a probe named as a symbol": lambda d: d["probes"].append(["ARM64", "true", ["Kconfig", 1]]),
    "kernel version as text": lambda d: d.__setitem__("kernel", ["6", 12]),
    "nodes of an unknown symbol": lambda d: d["nodes"].__setitem__("NOT_A_SYMBOL", "[]"),
    "choice nodes missing": lambda d: d.__setitem__("choice_nodes", []),
    "a bad include path": lambda d: d["include_paths"].append([["Kconfig", "1"]]),
    "marked text a number": lambda d: d.__setitem__("marked", [["Kconfig", 1]]),
    "a glob's matches a string": lambda d: d["globs"].__setitem__("arch/*/Kconfig", "arch/arm64/Kconfig"),
    "file identity short": lambda d: d["files"].__setitem__("Kconfig", [1, 2]),
    "schema": lambda d: d.__setitem__("schema", SCHEMA + 1),
    "another arch": lambda d: d.__setitem__("arch", "x86"),
}


@pytest.mark.parametrize("name", OPENED)
def test_wrong_entries_are_a_miss(capsys, saved, name):
    tree, cache, entry = saved
    tamper(entry, OPENED[name])
    assert Models(cache).get(Tree(tree), "arm64") is None
    answers(capsys, tree, cache)


READ_LATER = {  # found wrong when the part is first read, while answering: asked again on a fresh load
    "a part named later": _reached(lambda rows: rows.append(["!", len(rows)])),
    "an expression its own part": _reached(lambda rows: rows.append(["&", [0, len(rows)]])),
    "a negative index": _reached(lambda rows: rows.append(["!", -1])),
    "a bool as an index": _reached(lambda rows: rows.append(["!", True])),
    "nested too deeply": _reached(lambda rows: rows.extend(["!", len(rows) - 1 + i] for i in range(150))),
    "an unknown operator": _reached(lambda rows: rows.append(["=", "rm -rf", 0, 0])),
    "an unknown tag": _reached(lambda rows: rows.append(["x", 0])),
    "a choice out of range": _reached(lambda rows: rows.append(["h", 99])),
    "a one-part and": _reached(lambda rows: rows.append(["&", [0]])),
    "a row not JSON": lambda d: _set_row(d, "LTO_CLANG_FULL", "[" * 100_000),
    "a row of another symbol": lambda d: _set_row(d, "LTO_CLANG_FULL", _row(d, "ARM64")),
    "a row with a field missing": lambda d: _set_row(d, "LTO_CLANG_FULL", _row(d, "LTO_CLANG_FULL")[:-1]),
    "an unknown type": lambda d: _set_row(d, "LTO_CLANG_FULL", ["LTO_CLANG_FULL", "evil", *_row(d, "LTO_CLANG_FULL")[2:]]),
    "a line as text": lambda d: _set_row(d, "LTO_CLANG_FULL", [*_row(d, "LTO_CLANG_FULL")[:2], [["arch/Kconfig", "9"]],
                                                               *_row(d, "LTO_CLANG_FULL")[3:]]),
    "a prompt out of the table": lambda d: _set_row(d, "LTO_CLANG_FULL", [*_row(d, "LTO_CLANG_FULL")[:3], [10**6],
                                                                          *_row(d, "LTO_CLANG_FULL")[4:]]),
    "a default of three parts": lambda d: _set_row(d, "LTO_CLANG_FULL", [*_row(d, "LTO_CLANG_FULL")[:5], [[0, 0, 0]],
                                                                         *_row(d, "LTO_CLANG_FULL")[6:]]),
    "a choice index as text": lambda d: _set_row(d, "LTO_CLANG_FULL", [*_row(d, "LTO_CLANG_FULL")[:7], "0",
                                                                       *_row(d, "LTO_CLANG_FULL")[8:]]),
    "edges of another target": lambda d: d["incoming"].__setitem__(
        "select ARCH_SUPPORTS_LTO_CLANG", d["incoming"]["select HAVE_ARCH_KASAN"]),
    "an edge from nowhere": lambda d: d["incoming"].__setitem__(
        "select ARCH_SUPPORTS_LTO_CLANG", json.dumps([[0, "select", "NOBODY", "ARCH_SUPPORTS_LTO_CLANG", 0,
                                                       ["Kconfig", 1], 0]])),
    "nodes with a bad path index": lambda d: d["nodes"].__setitem__(
        "CPU_BIG_ENDIAN", json.dumps([["arch/arm64/Kconfig", 20, True, [], 10**6]])),
    "nodes not JSON": lambda d: d["nodes"].__setitem__("CPU_BIG_ENDIAN", "{"),
    "nodes not a text": lambda d: d["nodes"].__setitem__("CPU_BIG_ENDIAN", 3),
    "a row not a text": lambda d: _set_row(d, "LTO_CLANG_FULL", "x") or d["symbols"].__setitem__(
        d["names"].index("LTO_CLANG_FULL"), ["LTO_CLANG_FULL"]),
    "edges not a text": lambda d: d["incoming"].__setitem__("select ARCH_SUPPORTS_LTO_CLANG", 3),
}


@pytest.mark.parametrize("name", READ_LATER)
def test_wrong_parts_found_while_answering_are_asked_again(capsys, saved, monkeypatch, name):
    tree, cache, entry = saved
    tamper(entry, READ_LATER[name])
    assert Models(cache).get(Tree(tree), "arm64") is not None  # opened: the part is read on demand
    distrusted = []
    real = Models.distrust
    monkeypatch.setattr(Models, "distrust", lambda self: (distrusted.append(1), real(self)))
    answers(capsys, tree, cache)
    assert distrusted == [1]  # found while answering
    # and saved anew: the next question reads a good model
    assert Models(cache).get(Tree(tree), "arm64") is not None
    answers(capsys, tree, cache)


@pytest.fixture
def reader(saved):
    """A reader of the saved models and the key, had before any open is guarded."""
    return Models(saved[1]), signing_key()


@pytest.mark.parametrize("outside", ["/etc/passwd", "../outside/Kconfig"])
def test_file_paths_outside_the_tree_are_a_miss(saved, reader, outside, no_outside_access):  # noqa: F811
    tree, _, entry = saved
    models, key = reader
    size = os.stat(os.path.join(tree, outside)).st_size if outside.startswith("/") else 1
    # same size, another mtime: a real entry would hash the file now
    tamper(entry, lambda data: data["files"].__setitem__(outside, [size, 1, 1, 1, "0" * 64]), key=key)
    assert models.get(Tree(tree), "arm64") is None


@pytest.mark.parametrize("pattern", ["/etc/*", "../*", "../outside/*"])
def test_glob_patterns_outside_the_tree_are_a_miss(saved, reader, pattern, no_outside_access):  # noqa: F811
    tree, _, entry = saved
    models, key = reader
    tamper(entry, lambda data: data["globs"].__setitem__(pattern, []), key=key)
    assert models.get(Tree(tree), "arm64") is None


def test_an_unsafe_key_saves_and_reads_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    key = signing_key()
    assert key is not None and signing_key() == key  # made once, then read
    path = tmp_path / "state/kltolint/model-key"
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)  # readable by others: anyone could sign
    assert signing_key() is None
    tree, cache = demo(tmp_path), tmp_path / "cache"
    answers(capsys, tree, cache)
    assert not (cache / f"models-v{SCHEMA}").exists()
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere")
    assert signing_key() is None


def _signed(body: bytes, key: bytes | None = None) -> bytes:
    key = key or signing_key()
    assert key is not None
    return hmac.new(key, body, hashlib.sha256).hexdigest().encode() + b"\n" + body


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("keep", [0.0, 0.0001, 0.01, 0.5, 0.99, 0.99999])
def test_a_truncated_entry_is_a_miss_or_asked_again(capsys, saved, signed, keep):
    """Cut anywhere (a full disk, a copy stopped half way): unsigned, a miss;
    signed again, a miss when the lines no longer add up, else the cut part
    is found when read (asked again) or never read. Never a traceback, and
    the answer is a fresh load's."""
    tree, cache, entry = saved
    _, _, body = entry.read_bytes().partition(b"\n")
    cut = body[:int(len(body) * keep)]
    entry.write_bytes(_signed(cut) if signed else entry.read_bytes()[:len(cut) + 65])
    if not signed or keep < 0.99:
        assert Models(cache).get(Tree(tree), "arm64") is None
    answers(capsys, tree, cache)


RAW = {  # bodies not laid out as entry_body writes them (signed): a miss
    "a header not an object": lambda body: b"[]" + body[body.index(b"\n"):],
    "a line more": lambda body: body + b"\n[]",
    "a line less": lambda body: body[:body.rindex(b"\n")],
    "a part split in two": lambda body: body.replace(b",", b"\n", 1),
    "a byte that is not ASCII": lambda body: body.replace(b"ARM64", b"ARM\xc364", 1),
    "empty": lambda body: b"",
    "the old layout (one JSON document)": lambda body: _one_document(body),
}


def _one_document(body: bytes) -> bytes:
    """The entry as schema 1 wrote it: one JSON document, the parts JSON texts inside it."""
    data = entry_data(body)
    data["exprs"], data["symbols"] = data["exprs"].decode(), [row.decode() for row in data["symbols"]]
    for part in ("incoming", "nodes"):
        data[part] = {key: text.decode() for key, text in data[part].items()}
    return json.dumps(data).encode()


@pytest.mark.parametrize("name", RAW)
def test_bodies_not_laid_out_as_written_are_a_miss(capsys, saved, name):
    tree, cache, entry = saved
    _, _, body = entry.read_bytes().partition(b"\n")
    entry.write_bytes(_signed(RAW[name](body)))
    assert Models(cache).get(Tree(tree), "arm64") is None
    answers(capsys, tree, cache)


def test_a_row_no_question_reads_is_never_built(capsys, saved):
    """Expression rows are built when first read: a bad one nothing reads
    changes nothing (and costs nothing)."""
    tree, cache, entry = saved
    tamper(entry, lambda data: data.__setitem__("exprs", json.dumps([*json.loads(data["exprs"]), ["x", 0]])))
    assert Models(cache).get(Tree(tree), "arm64") is not None
    answers(capsys, tree, cache)
