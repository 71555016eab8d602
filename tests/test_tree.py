"""The tree: which arches may read a file."""

from __future__ import annotations

from kltolint.tree import Tree
from tests.conftest import make_tree


def test_um_reads_the_x86_files_and_no_other_arch_reads_another_s(tmp_path):
    tree = Tree(make_tree(tmp_path, {"Kconfig": ""}, ("x86", "um", "arm64")))
    assert tree.arches_reading("arch/x86/um/Kconfig") == ["um", "x86"]
    assert tree.arches_reading("arch/arm64/Kconfig") == ["arm64"]
    assert tree.arches_reading("drivers/Kconfig") == ["arm64", "um", "x86"]
