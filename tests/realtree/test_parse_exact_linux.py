"""The parse's shortcuts (compat.py) give, on every arch of real trees,
exactly what kconfiglib's own way gives: the same files read, the same
`source` matches, the same menu tree; and on two arches (WHOLE: converting
costs seconds), the same model (saved.canonical)."""

from __future__ import annotations

import kconfiglib
import pytest

from kltolint.compat import RUNTIME, TreeReader
from kltolint.load import convert, environment
from kltolint.provenance import Nodes
from kltolint.saved import canonical
from kltolint.tree import Tree
from tests.conftest import real_tree

pytestmark = pytest.mark.realtree


def _menu_tree(kconf: kconfiglib.Kconfig) -> list[tuple[object, ...]]:
    """Every menu node in tree order: what it is, where, its prompt."""
    out: list[tuple[object, ...]] = []
    choices = {id(c): i for i, c in enumerate(kconf.unique_choices)}

    def walk(node: kconfiglib.MenuNode, depth: int) -> None:
        while node is not None:
            item = node.item
            what = (item.name if isinstance(item, kconfiglib.Symbol) else
                    f"choice {choices[id(item)]}" if isinstance(item, kconfiglib.Choice) else item)
            out.append((depth, what, node.filename, node.linenr, node.prompt[0] if node.prompt else None,
                        node.include_path))
            if node.list is not None:
                walk(node.list, depth + 1)
            node = node.next

    walk(kconf.top_node, 0)
    return out


# Converted and compared whole: um reads arch/x86/um too.
WHOLE = {"arm64", "um"}


def _load(tree: Tree, arch: str, shortcuts: bool) -> tuple[object, ...]:
    reader = TreeReader(tree, shortcuts=shortcuts)
    kconf = RUNTIME.parse(reader, environment(tree, arch), "temporary")
    record = reader.record()
    # Files in order with their identities, but for the ctime: a hard-link
    # copy of the shared tree (bench.py makes them) changes it meanwhile.
    files = [(rel, identity[:2] + identity[3:]) for rel, identity in record.files]
    model = canonical(convert(kconf, arch), Nodes.of(kconf)) if arch in WHOLE else None
    return (files, record.globs, record.marked), _menu_tree(kconf), model


@pytest.mark.parametrize("version", ["6.1", "6.12", "7.3"])
def test_every_arch_parses_the_same_with_the_shortcuts(version):
    tree = Tree(real_tree(version))
    arches = tree.arches()
    assert len(arches) > 15
    for arch in arches:
        fast, plain = _load(tree, arch, True), _load(tree, arch, False)
        assert fast[0] == plain[0], f"{version} {arch}: files or source matches differ"
        assert fast[1] == plain[1], f"{version} {arch}: menu trees differ"
        assert fast[2] == plain[2], f"{version} {arch}: models differ"
        assert len(fast[1]) > 5000, f"{version} {arch}: too small to prove anything"
        assert arch not in WHOLE or len(fast[2]["symbols"]) > 5000
