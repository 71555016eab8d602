"""The select sweep on linux-source-6.12 and 7.3: real findings, confirmed by conf."""

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


# (version, arch): one arch per tree, each with findings to replay.
SWEPT = [("6.12", "arm64"), ("7.3", "arm64")]


@pytest.fixture(scope="module", params=SWEPT, ids=[f"{v}-{a}" for v, a in SWEPT])
def swept(request):
    version, arch = request.param
    root = real_tree(version)
    tree = Tree(root)
    return root, arch, analysis.check(load_arch(tree, arch), SWEEP, analysis.Sources(tree))


def test_sweep_finds_something_and_not_everything(swept):
    _, _, findings = swept
    assert 0 < len(findings) < 50
    assert len({(f.file, f.line) for f in findings}) == len(findings)  # one per selector/selectee pair


@pytest.mark.parametrize("index", range(SAMPLE))
def test_conf_tool_warns_for_the_witness(swept, index, tmp_path):
    root, arch, findings = swept
    if index >= len(findings):
        pytest.skip("fewer findings than the sample")
    finding = findings[index]
    target = finding.message.split()[2].rstrip(",")
    _, printed = run_conf_full(root, arch, finding.witness.make, finding.witness.config, tmp_path)
    assert f"unmet direct dependencies detected for {target}" in printed, finding.message
