"""The select sweep on the real trees: every distinct finding of every arch,
replayed through conf, which must print its warning; witnesses are short."""

from __future__ import annotations

import statistics
from functools import cache

import pytest

from kltolint import analysis
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from kltolint.tree import Tree
from tests.conftest import kernels_dir, real_tree, run_conf_full

pytestmark = [pytest.mark.realtree, pytest.mark.conf]
SWEEP = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]
VERSIONS = ("6.12", "7.3")
MAX_DISTINCT = 60  # parametrised ahead of the sweep; more findings fail the count test


@cache
def distinct(version: str) -> tuple:
    """(arch, finding) for each distinct finding, on the first arch that has it
    (mips and um last: their Makefiles need files the extracted trees lack)."""
    tree = Tree(real_tree(version))
    seen = {}
    for arch in sorted(tree.arches(), key=lambda a: (a in ("mips", "um"), a)):
        model = load_arch(tree, arch)
        for finding in analysis.check(model, SWEEP, analysis.Sources(tree)):
            seen.setdefault((finding.file, finding.line, finding.message), (arch, finding))
    return tuple(seen.values())


@pytest.mark.parametrize("version", VERSIONS)
def test_sweep_finds_something_and_not_everything(version):
    found = distinct(version)
    assert 0 < len(found) <= MAX_DISTINCT


@pytest.mark.parametrize("version", VERSIONS)
def test_witnesses_are_short(version):
    lines = [len(f.witness.config.splitlines()) for _, f in distinct(version)]
    assert statistics.median(lines) <= 6, lines
    assert not any("is not set" in f.witness.config for _, f in distinct(version))


@pytest.mark.parametrize("version, index", [(v, i) for v in VERSIONS for i in range(MAX_DISTINCT)])
def test_conf_tool_warns_for_every_witness(version, index, tmp_path):
    if not (kernels_dir() / f"linux-source-{version}" / ".complete").exists():
        real_tree(version)  # skips, or fails under KLTOLINT_REQUIRE_REALTREE
    found = distinct(version)
    if index >= len(found):
        pytest.skip("fewer findings")
    arch, finding = found[index]
    target = finding.message.split()[2].rstrip(",")
    _, printed = run_conf_full(real_tree(version), arch, finding.witness.make, finding.witness.config, tmp_path)
    if f"unmet direct dependencies detected for {target}" not in printed:
        # Only a witness that spells out what it assumes of the toolchain (a
        # version window, probe answers) may need another one than those
        # replayed here (clang-19, or the host's gcc 12).
        assert finding.witness.assumptions, (arch, finding.message, finding.witness)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("arch", ["arm64", "x86", "s390"])
def test_the_bound_settles_nothing_the_exact_encoding_would_find(version, arch):
    """The sweep asks the exact encoding only what logic.BoundEncoder leaves
    open: on real arches that is the same set of selects as asking it all,
    and the bound leaves few open."""
    from kltolint import sweep
    from kltolint.findings import Stats
    from kltolint.logic import BoundEncoder, Encoder

    model = load_arch(Tree(real_tree(version)), arch)
    candidates = sweep._candidates(model, None, Stats())
    open_ = sweep._not_refuted(BoundEncoder(model), candidates)
    assert sweep._not_refuted(Encoder(model), open_) == sweep._not_refuted(Encoder(model), candidates)
    assert len(open_) < len(candidates) / 10, (len(open_), len(candidates))
