"""The parse's fast paths (compat.py): each one exact, and each one there."""

import fnmatch
import gc
import os
from pathlib import Path

import kconfiglib
import pytest

from kltolint import compat
from kltolint.compat import RUNTIME, TreeReader
from kltolint.errors import UserError
from kltolint.load import LASTING, TEMPORARY, environment
from kltolint import tree as tree_module
from kltolint.tree import Tree
from tests.conftest import make_tree
from tests.helpers import fresh_collector


def _gen0_collections(during):
    """Sizes of the youngest generation at each of its collections while `during` runs."""
    sizes: list[int] = []

    def callback(phase, info):
        if phase == "start" and info["generation"] == 0:
            sizes.append(len(gc.get_objects(generation=0)))

    gc.callbacks.append(callback)
    try:
        result = during()
        [object() for _ in range(2000)]  # allocations: the collector's turn comes
    finally:
        gc.callbacks.remove(callback)
    return result, sizes


def _many_symbols(tmp_path: Path) -> Tree:
    entries = "".join(f'config S{i}\n\tbool "s {i}"\n\tdepends on S{i - 1}\n\tdefault y\n' for i in range(1, 3000))
    return Tree(make_tree(tmp_path, {"Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\nconfig S0\n\tbool\n',
                                     "arch/demo/Kconfig": entries}))


def test_a_lasting_parse_is_frozen_before_the_collector_scans_it(tmp_path):
    """The GC is off while kconfiglib parses; were it back on before the
    freeze, its first collection would scan every object the parse made."""
    tree = _many_symbols(tmp_path)
    fresh_collector()
    frozen = gc.get_freeze_count()
    kconf, sizes = _gen0_collections(lambda: LASTING.kconfig(tree, "demo")[0])
    assert gc.get_freeze_count() > frozen + 30_000
    assert "S2999" in kconf.syms
    assert max(sizes, default=0) < 5_000, sizes


def test_a_temporary_parse_is_scanned_as_before(tmp_path):
    """A temporary parse is not frozen (it would never be freed): the
    collector meets it (the test above sees a real difference)."""
    tree = _many_symbols(tmp_path)
    kconf, sizes = _gen0_collections(lambda: TEMPORARY.kconfig(tree, "demo")[0])
    assert "S2999" in kconf.syms
    assert sizes and max(sizes) > 30_000, sizes


# -- `source` paths: the plain-path shortcut of TreeReader gives what
# relpath and Tree.glob give ------------------------------------------------

def _load(tree: Tree, shortcuts: bool):
    """What one parse gives: the symbols in order with their locations and
    the LoadRecord, or the error it raised."""
    reader = TreeReader(tree, shortcuts=shortcuts)
    try:
        kconf = RUNTIME.parse(reader, environment(tree, "demo"), "temporary")
    except (UserError, kconfiglib.KconfigError) as err:
        return "error", str(err)
    return ([(s.name, [(n.filename, n.linenr) for n in s.nodes]) for s in kconf.unique_defined_syms],
            reader.record())


def _source_tree(tmp_path: Path, sources: str) -> Tree:
    root = make_tree(tmp_path / "tree", {
        "Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n',
        "arch/demo/Kconfig": sources,
        "arch/demo/Kconfig.sub": "config SUB\n\tbool\n",
        "real/Kconfig": "config REAL\n\tbool\n",
        ".hidden/Kconfig": "config HIDDEN\n\tbool\n",
        "afile": "not a directory\n",
        "outside/Kconfig": "config OUT\n\tbool\n",
    })
    (root / "linked").symlink_to("real")
    (root / "dangling").symlink_to("nowhere")
    return Tree(root)


SOURCES = {
    "plain": 'source "real/Kconfig"\n',
    "relative": 'rsource "Kconfig.sub"\n',
    "through a symlinked directory": 'source "linked/Kconfig"\n',
    "hidden directory": 'source ".hidden/Kconfig"\n',
    "missing, optional": 'osource "real/Nope"\nosource "nope/Kconfig"\n',
    "a file for a directory": 'osource "afile/Kconfig"\n',
    "dangling symlink": 'osource "dangling"\n',
    "dot part": 'source "arch/demo/./Kconfig.sub"\nosource "real/../real/Kconfig"\n',
    "double slash": 'source "real//Kconfig"\n',
    "glob": 'source "rea*/Kconfig"\nosource "*/Kconfig"\n',
    "missing": 'source "real/Nope"\n',
}


@pytest.mark.parametrize("case", SOURCES)
def test_source_shortcut_reads_what_glob_reads(tmp_path, case):
    tree = _source_tree(tmp_path, SOURCES[case])
    assert _load(tree, shortcuts=True) == _load(tree, shortcuts=False)


def test_source_shortcut_sees_the_tree(tmp_path):
    """The cases above are not all alike: some load, some fail."""
    outcomes = {case: _load(_source_tree(tmp_path / case.replace(" ", "_"), text), shortcuts=True)
                for case, text in SOURCES.items()}
    # Named by its real path, as a patch names it (TreeReader._unlinked).
    assert outcomes["through a symlinked directory"][0] == [("REAL", [("real/Kconfig", 1)])]
    assert outcomes["hidden directory"][0] == [("HIDDEN", [(".hidden/Kconfig", 1)])]
    assert outcomes["missing, optional"][0] == []
    assert outcomes["a file for a directory"][0] == []
    assert outcomes["dangling symlink"][0] == "error"
    assert outcomes["missing"][0] == "error"
    assert [name for name, _ in outcomes["dot part"][0]] == ["SUB", "REAL"]
    assert [f for f in outcomes["dot part"][1].names if f.endswith(".sub")] == ["arch/demo/Kconfig.sub"]


def test_source_leaving_the_tree_is_refused_either_way(tmp_path):
    tree = _source_tree(tmp_path, 'source "out/Kconfig"\n')
    (tree.root / "out").symlink_to(tmp_path / "tree" / ".." / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "Kconfig").write_text("config ESCAPED\n\tbool\n")
    fast, plain = _load(tree, shortcuts=True), _load(tree, shortcuts=False)
    assert fast == plain
    assert fast[0] == "error" and "outside the tree" in fast[1]


# -- Tree.read_bytes reads a file sized to it, and all of it ------------------

def _shrunk_fstat(monkeypatch, by: int):
    """os.fstat as if the file had grown by `by` bytes since."""
    real = os.fstat

    def fstat(fd):
        st = real(fd)
        return os.stat_result((*st[:6], max(0, st.st_size - by), *st[7:]))
    monkeypatch.setattr(tree_module.os, "fstat", fstat)


@pytest.mark.parametrize("by", [1, 100, 5000])
def test_a_file_grown_since_its_fstat_is_read_whole(tmp_path, monkeypatch, by):
    text = "".join(f"config GROWN{i}\n\tbool\n" for i in range(400))  # ~7 KB
    tree = Tree(make_tree(tmp_path, {"Kconfig": text}))
    _shrunk_fstat(monkeypatch, by)
    _, data = tree.read_bytes("Kconfig")
    assert data == text.encode()


def test_a_file_past_the_bound_is_refused_even_grown_since_its_fstat(tmp_path, monkeypatch):
    tree = Tree(make_tree(tmp_path, {"Kconfig": ""}))
    (tmp_path / "Kconfig").write_bytes(b"#" * (tree_module.MAX_FILE_BYTES + 10))
    with pytest.raises(UserError, match="larger than"):
        tree.read_bytes("Kconfig")
    _shrunk_fstat(monkeypatch, 20)
    with pytest.raises(UserError, match="larger than"):
        tree.read_bytes("Kconfig")


# -- a patched tree (overlay): a plain `source` path matches only itself --------------

OVERLAYS = {
    "a new file, plain": ({"new/Kconfig": "config NEW\n\tbool\n"}, 'source "new/Kconfig"\n'),
    "a new file, by a glob": ({"new/Kconfig": "config NEW\n\tbool\n"}, 'source "ne*/Kconfig"\n'),
    "a deleted file, plain": ({"real/Kconfig": None}, 'osource "real/Kconfig"\n'),
    "a deleted file, by a glob": ({"real/Kconfig": None}, 'osource "re?l/Kconfig"\n'),
    "a changed file": ({"real/Kconfig": "config CHANGED\n\tbool\n"}, 'source "real/Kconfig"\n'),
    "a name that only a glob would match": ({"real/Kconfig2": "config TWO\n\tbool\n"}, 'source "real/Kconfig"\n'),
    "brackets": ({"new/K[1]": "config BRACKET\n\tbool\n", "new/K1": "config ONE\n\tbool\n"},
                 'source "new/K[1]"\n'),
}


@pytest.mark.parametrize("case", OVERLAYS)
def test_overlay_files_are_sourced_as_fnmatch_matches_them(tmp_path, case, monkeypatch):
    overlay, text = OVERLAYS[case]
    base = _source_tree(tmp_path, text)
    tree = Tree(base.root, overlay=overlay)
    fast = _load(tree, shortcuts=True)
    monkeypatch.setattr(compat.glob, "has_magic", lambda _pattern: True)  # every pattern to fnmatch, as before
    assert fast == _load(tree, shortcuts=True)
    monkeypatch.undo()
    names = [name for name, _ in fast[0]] if fast[0] != "error" else fast
    assert names == {"a new file, plain": ["NEW"], "a new file, by a glob": ["NEW"], "a deleted file, plain": [],
                     "a deleted file, by a glob": [], "a changed file": ["CHANGED"],
                     "a name that only a glob would match": ["REAL"], "brackets": ["ONE"]}[case]
    calls = []
    real = fnmatch.fnmatchcase
    monkeypatch.setattr(fnmatch, "fnmatchcase", lambda *a: calls.append(a) or real(*a))
    _load(tree, shortcuts=True)
    assert bool(calls) == any(c in text for c in "*?[")  # fnmatch only for a glob
