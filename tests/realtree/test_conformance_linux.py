"""The conformance tier: the model and the kernel's conf tool agree, in both
directions, on a rotating sample of arches of every supported tree.

Soundness: conf's own .config files (allnoconfig, allyesconfig, alldefconfig,
a defconfig, a randconfig) satisfy the model with every symbol fixed and the
probes given the toolchain's real answers. Precision: random model samples,
written as full fragments, come back from conf unchanged.

The sample rotates with the UTC day (KLTOLINT_CONFORMANCE_SEED overrides it);
the test ids name the arches and toolchains. `python -m kltolint.conformance`
runs the same on any tree and arch, with more samples.
"""

from __future__ import annotations

import datetime
import os
import random
import shutil

import pytest

from kltolint import conformance
from kltolint.tree import Tree
from tests.conftest import kernels_dir, need, real_tree

pytestmark = [pytest.mark.realtree, pytest.mark.conf]
VERSIONS = ("6.1", "6.12", "7.3")
PER_TREE = 2
SKIP = ("mips", "um")  # their Makefiles include files the extracted trees lack
SEED = int(os.environ.get("KLTOLINT_CONFORMANCE_SEED", datetime.datetime.now(datetime.timezone.utc).toordinal()))


def rotation(version: str) -> list[tuple[str, str, str]]:
    path = kernels_dir() / f"linux-source-{version}"
    if not (path / ".complete").exists():
        return [(version, "(tree missing)", "gcc")]
    rnd = random.Random(f"{SEED}-{version}")
    arches = rnd.sample([a for a in Tree(path).arches() if a not in SKIP], PER_TREE)
    return [(version, arch, rnd.choice(("llvm", "gcc")) if arch in conformance.LLVM_ARCHES else "gcc")
            for arch in arches]


@pytest.mark.parametrize("version, arch, toolchain", [r for v in VERSIONS for r in rotation(v)])
def test_model_and_conf_agree(version, arch, toolchain, tmp_path):
    root = real_tree(version)
    need(shutil.which("make") is not None and shutil.which(f"clang{conformance.LLVM_SUFFIX}") is not None,
         "make and clang-19 needed for the conf tool")
    report = conformance.run(root, arch, toolchain, samples=2, seeds=1, work=tmp_path, seed0=SEED % 1000)
    assert len(report.outcomes) >= 6
    assert not report.disagreements, conformance.render(report)
