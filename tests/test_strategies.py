from typing import get_args

from kltolint import analysis
from kltolint.findings import EditKind
from kltolint.load import load_arch
from kltolint.rules import load_dir
from kltolint.strategies import STRATEGIES, StrategyName, named
from kltolint.tree import Tree
from tests.conftest import FIXTURES, make_tree


def test_every_strategy_name_has_its_entry():
    assert tuple(STRATEGIES) == get_args(StrategyName)
    for name, strategy in STRATEGIES.items():
        assert strategy.name == name and strategy.edit_kind in get_args(EditKind)
        assert named(name) is strategy
    assert named("rewrite") is None and named(None) is None


def test_the_blame_search_prefers_the_strategys_edit_kind(tmp_path):
    """A narrow-default rule blames the default line (analysis.in_order reads the registry)."""
    (rule,) = load_dir(FIXTURES / "rules" / "narrow")
    root = make_tree(tmp_path, {"Kconfig": rule.invalid[0].kconfig})
    (finding,) = analysis.check(load_arch(Tree(root), "demo"), [rule], analysis.Sources(Tree(root)))
    assert finding.point is not None and finding.point.kind == STRATEGIES[rule.fix.strategy].edit_kind == "default"
