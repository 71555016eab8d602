"""Saved models on Debian's 6.12 tree: arm64 saved once, then query and
explain answer from it exactly as from a fresh load (to_data, structurally),
without parsing the tree."""

from __future__ import annotations

import io
import json

import pytest

from kltolint import explain as X
from kltolint import load as L
from kltolint import query as Q
from kltolint.provenance import Nodes
from kltolint.saved import Models
from kltolint.source import Sources
from kltolint.toolfacts import parse_facts
from kltolint.tree import Tree
from tests.conftest import real_tree, run_make_config

pytestmark = pytest.mark.realtree

QUESTIONS = [
    ("LTO_CLANG_THIN && KASAN", ["clang"]),  # reachable
    ("LTO_CLANG_THIN && KASAN", ["gcc"]),  # unreachable, with its core
    ("KASAN && !KCOV", []),
    ("CPU_BIG_ENDIAN && LTO_CLANG_FULL", ["LLVM=1"]),
]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The 6.12 tree and a reader of its saved arm64 model."""
    root = real_tree("6.12")
    cache = tmp_path_factory.mktemp("saved-cache")
    tree = Tree(root)
    first = Models(cache)
    first.load(tree, "arm64")
    first.save_pending()
    return tree, Models(cache)


@pytest.mark.parametrize("text, facts", QUESTIONS)
def test_answers_from_the_saved_model_are_the_fresh_ones(saved, text, facts, monkeypatch):
    tree, models = saved
    goal = Q.parse_goal(text)
    fresh = Q.answer(Q.prepare(tree, "arm64", goal, parse_facts(facts)), Sources(tree))
    monkeypatch.setattr(L, "load_kconfig", lambda *_a, **_k: pytest.fail("the tree was parsed"))
    asked = Q.prepare(tree, "arm64", goal, parse_facts(facts), models.load)
    assert isinstance(asked.kconf, Nodes)
    again = Q.answer(asked, Sources(tree))
    assert json.dumps(Q.to_data(text, facts, [again])) == json.dumps(Q.to_data(text, facts, [fresh]))


@pytest.mark.conf
@pytest.mark.parametrize("target", ["LTO_CLANG_FULL", "KASAN_SW_TAGS", "ARM64_64K_PAGES"])
def test_explanations_from_the_saved_model_are_the_fresh_ones(saved, target, tmp_path):
    tree, models = saved
    _, text = run_make_config(tree.root, "arm64", "", "defconfig", tmp_path)
    path = tmp_path / "explained.config"
    path.write_text(text)
    outputs = []
    for load in (Q.load_fresh, models.load):
        out = io.StringIO()
        X.run(target, path, ["arm64"], [], "json", tree, out, [], load)
        outputs.append(json.loads(out.getvalue()))
    assert outputs[0] == outputs[1] and outputs[0]["reasons"]
