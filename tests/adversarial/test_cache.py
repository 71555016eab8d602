"""A findings cache written by someone else (report F3, F9, F14, F15, F22): it
can make a run slower, never wrong, never write its text into the tree, and
never read outside the tree."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import kltolint
from kltolint.cache import SCHEMA
from tests.adversarial.conftest import DEMO, UNGUARDED, demo, run
from tests.conftest import ROOT

FIXED = (DEMO / "after/arch/arm64/Kconfig").read_text()


@pytest.fixture
def cached(tmp_path, capsys):
    """The 'before' demo tree, checked once with a private cache: (tree, cache dir, entry)."""
    tree, cache = demo(tmp_path, "before"), tmp_path / "cache"
    assert run(capsys, "check", "--cache-dir", str(cache), str(tree / "arch/arm64/Kconfig")).code == 1
    (entry,) = [p for p in (cache / f"v{SCHEMA}").glob("*.json") if not p.name.startswith("fix-")]
    return tree, cache, entry


def tamper(entry: Path, change) -> None:
    data = json.loads(entry.read_text())
    change(data)
    entry.write_text(json.dumps(data))


def fix(capsys, tree, cache):
    return run(capsys, "check", "--fix", "--cache-dir", str(cache), str(tree / "arch/arm64/Kconfig"))


INJECTED = ("CPU_LITTLE_ENDIAN\n\nconfig INJECTED\n\tdef_bool $(shell,touch /tmp/kltolint-pwned)\n\n"
            "config ARM64_2\n\tdef_bool y\n\tselect HAVE_ARCH_KASAN if y")


@pytest.mark.parametrize("guard", [INJECTED, 'CPU_LITTLE_ENDIAN = "$(shell,touch x)"', "y", "CPU_LITTLE_ENDIAN # x"])
def test_tampered_guard_never_reaches_the_tree(capsys, cached, guard):
    tree, cache, entry = cached

    def change(data):
        data["findings"][0]["guard"] = guard
    tamper(entry, change)
    result = fix(capsys, tree, cache)
    assert result.code == 0
    assert (tree / "arch/arm64/Kconfig").read_text() == FIXED  # the rule's guard, re-derived


@pytest.mark.parametrize("text", ["\tselect ARCH_SUPPORTS_LTO_CLANG if $(shell,touch x)", "config PWNED"])
def test_tampered_fix_entry_never_reaches_the_tree(capsys, cached, text):
    """A cached verified fix (issue 13) is used only when its edits are what
    the finding's guard gives; its diff is made again."""
    tree, cache, _ = cached
    (fix_entry,) = (cache / f"v{SCHEMA}").glob("fix-*.json")

    def change(data):
        data["fix"]["edits"][0]["text"] = text
        data["fix"]["diff"] = "+" + text + "\n"
    tamper(fix_entry, change)
    result = fix(capsys, tree, cache)
    assert result.code == 0
    assert (tree / "arch/arm64/Kconfig").read_text() == FIXED
    assert text not in result.out


BAD_FIELDS = {
    "line as text": lambda f: f.__setitem__("line", "4"),
    "line null": lambda f: f.__setitem__("line", None),
    "entry_line as text": lambda f: f["point"].__setitem__("entry_line", "2"),
    "message a list": lambda f: f.__setitem__("message", ["a"]),
    "chain of wrong types": lambda f: f.__setitem__("chain", [{"file": 1, "line": "x", "text": None}]),
    "point kind unknown": lambda f: f["point"].__setitem__("kind", "rm -rf"),
    "extra key": lambda f: f.__setitem__("evil", 1),
}


@pytest.mark.parametrize("name", BAD_FIELDS)
def test_wrongly_typed_fields_are_a_miss(capsys, cached, name):
    tree, cache, entry = cached
    tamper(entry, lambda data: BAD_FIELDS[name](data["findings"][0]))
    result = run(capsys, "check", "--cache-dir", str(cache), str(tree / "arch/arm64/Kconfig"))
    assert result.code == 1 and "arch/arm64/Kconfig:4: error:" in result.out
    assert "None" not in result.out and "1:x" not in result.out


class OutsideRead(BaseException):
    """Raised by the guarded open/list: nothing may catch it as an OSError."""


@pytest.fixture
def no_outside_access(monkeypatch, tmp_path):
    """Any open or listing of a path outside `tmp_path/tree` fails the test."""
    import io

    inside = str(tmp_path / "tree")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/Kconfig").write_text("x")
    # The interpreter, the installed packages and this checkout (kltolint's own
    # code and rules/), wherever the checkout is: CI clones it anywhere.
    system = ("/usr", "/lib", "/root/.pyenv", "/opt", str(Path(pytest.__file__).parent.parent), str(ROOT),
              str(Path(kltolint.__file__).parent), "/proc/self/fd")

    def guard(real):
        def wrapper(path=".", *args, **kwargs):
            text = os.fspath(path) if not isinstance(path, int) else ""
            full = os.path.abspath(text) if text else ""
            if full and not full.startswith((inside, str(tmp_path / "cache"), *system)):
                raise OutsideRead(full)
            return real(path, *args, **kwargs)
        return wrapper
    for module, name in ((os, "open"), (io, "open"), (os, "scandir"), (os, "listdir")):
        monkeypatch.setattr(module, name, guard(getattr(module, name)))


@pytest.mark.parametrize("outside", ["/dev/zero", "/etc/passwd", "../outside/Kconfig"])
def test_manifest_paths_outside_the_tree_are_a_miss(capsys, cached, outside, no_outside_access):
    tree, cache, entry = cached

    def change(data):
        identity = list(next(iter(data["files"].values())))
        identity[:2] = [os.stat(os.path.join(tree, outside)).st_size, 1]  # same size, other mtime: hash it
        data["files"][outside] = identity
    tamper(entry, change)
    result = run(capsys, "check", "--cache-dir", str(cache), str(tree / "arch/arm64/Kconfig"))
    assert result.code == 1


@pytest.mark.parametrize("pattern", ["/etc/*", "../*", "../outside/*"])
def test_glob_patterns_outside_the_tree_are_a_miss(capsys, cached, pattern, no_outside_access):
    tree, cache, entry = cached
    tamper(entry, lambda data: data["globs"].__setitem__(pattern, []))
    assert run(capsys, "check", "--cache-dir", str(cache), str(tree / "arch/arm64/Kconfig")).code == 1


def test_edit_keeping_size_and_mtime_is_seen(capsys, cached):
    tree, cache, _ = cached
    path = tree / "arch/arm64/Kconfig"
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace(UNGUARDED, "#" + UNGUARDED[1:]))  # same size, no select
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    result = run(capsys, "check", "--cache-dir", str(cache), str(path))
    assert result.code == 0, result.out


def test_copy_keeping_size_and_mtime_is_seen(capsys, cached, tmp_path):
    tree, cache, _ = cached
    path = tree / "arch/arm64/Kconfig"
    other = tmp_path / "same-size"
    other.write_text(path.read_text().replace(UNGUARDED, "#" + UNGUARDED[1:]))
    shutil.copystat(path, other)
    shutil.copy2(other, path)  # cp -p
    assert run(capsys, "check", "--cache-dir", str(cache), str(path)).code == 0


def test_failed_cache_write_leaves_no_temporary_file(capsys, tmp_path, monkeypatch):
    tree, cache = demo(tmp_path, "before"), tmp_path / "cache"
    import tempfile

    real = tempfile.mkstemp

    def unwritable(*args, **kwargs):  # the temporary file is made, writing it fails
        fd, name = real(*args, **kwargs)
        os.close(fd)
        return os.open(name, os.O_RDONLY), name
    monkeypatch.setattr(tempfile, "mkstemp", unwritable)
    for _ in range(2):
        assert run(capsys, "check", "--cache-dir", str(cache), str(tree / "arch/arm64/Kconfig")).code == 1
    assert list((cache / f"v{SCHEMA}").iterdir()) == []
