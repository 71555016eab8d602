"""inert.py on every arch of real trees: the walk finds exactly the files
and `source` matches a load reads, and what the text proves never on is
never on in the loaded model either (review.may_be_on, itself an
over-approximation, agrees), every select and imply edge of the model is
among the text's, and a real case is proven: LTO's entries on arches
without LTO support."""

from __future__ import annotations

import pytest

from kltolint import inert
from kltolint.load import LASTING
from kltolint.review import may_be_on
from kltolint.tree import Tree
from tests.conftest import real_tree
from tests.helpers import same_reads

pytestmark = pytest.mark.realtree


@pytest.mark.parametrize("version", ["6.1", "6.12", "7.3"])
def test_text_proofs_hold_on_every_arch(version):
    tree = Tree(real_tree(version))
    lto_off = set()
    for arch in tree.arches():
        walked = inert.walk(tree, arch)
        loaded = LASTING.load(tree, arch)
        assert walked is not None, arch
        assert same_reads(walked.record) == same_reads(loaded.record), arch
        facts, model = inert.Facts(walked), loaded.model
        seen: dict[str, bool] = {}
        text_seen: dict[str, bool] = {}
        off = [name for name in model.symbols if not facts.may_be_on(name, text_seen)]
        assert len(off) > 500, arch  # the proof proves something
        assert [name for name in off if may_be_on(model, name, seen)] == [], arch
        edges = {(e.source, e.target) for e in model.edges if e.kind in ("select", "imply")}
        assert [(s, t) for s, t in edges if s not in facts.selectors(t)] == [], arch
        # The ld.bfd fix (`depends on LD_IS_LLD` for HAS_LTO_CLANG) is proven
        # there: the entry is never on, and the guard cannot close a loop.
        if ("HAS_LTO_CLANG" in model.symbols and not facts.may_be_on("HAS_LTO_CLANG")
                and not facts.may_reach({"LD_IS_LLD"}, {"HAS_LTO_CLANG"})):
            lto_off.add(arch)
    assert {"alpha", "s390", "sparc"} <= lto_off and not {"arm64", "x86"} & lto_off
