"""The select sweep on linux-source-6.12: real findings, confirmed by conf."""

from __future__ import annotations

import pytest

from kltolint import analysis
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from kltolint.tree import Tree
from tests.conftest import real_tree, run_conf_full

pytestmark = [pytest.mark.realtree, pytest.mark.conf]
SWEEP = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]
SAMPLE = 3


@pytest.fixture(scope="module")
def arm64_sweep():
    root = real_tree("6.12")
    tree = Tree(root)
    return root, analysis.check(load_arch(tree, "arm64"), SWEEP, analysis.Sources(tree))


def test_sweep_finds_something_and_not_everything(arm64_sweep):
    _, findings = arm64_sweep
    assert 0 < len(findings) < 50
    assert len({(f.file, f.line) for f in findings}) == len(findings)  # one per selector/selectee pair


@pytest.mark.parametrize("index", range(SAMPLE))
def test_conf_tool_warns_for_the_witness(arm64_sweep, index, tmp_path):
    root, findings = arm64_sweep
    if index >= len(findings):
        pytest.skip("fewer findings than the sample")
    finding = findings[index]
    target = finding.message.split()[2].rstrip(",")
    _, printed = run_conf_full(root, "arm64", finding.witness.make, finding.witness.config, tmp_path)
    assert f"unmet direct dependencies detected for {target}" in printed, finding.message
