"""The parse's fast paths (compat.py): each one exact, and each one there."""

import gc
from pathlib import Path

from kltolint.load import LASTING, TEMPORARY
from kltolint.tree import Tree
from tests.conftest import make_tree


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
    gc.collect()  # no temporary parse of an earlier test alive: the lasting one is frozen
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
