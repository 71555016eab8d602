"""KDEAD on linux-source-6.12: real dangling references, and dead options the
kernel's own conf tool cannot enable either (allyesconfig with the option
requested leaves it unset)."""

from __future__ import annotations

import pytest

from kltolint import analysis, dead
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir
from kltolint.tree import Tree
from tests.conftest import real_tree, run_conf_full

pytestmark = [pytest.mark.realtree]
RULES = {r.id: r for r in load_dir(builtin_dir())}
SAMPLE = 6


@pytest.fixture(scope="module")
def x86():
    root = real_tree("6.12")
    tree = Tree(root)
    model = load_arch(tree, "x86")
    sources = analysis.Sources(tree)
    return root, tree, model, sources


def test_dangling_references_at_their_lines(x86):
    root, tree, model, sources = x86
    found = dead.dangling(model, RULES["KDEAD001"], sources)
    by_text = {(f.file, sources.line_text(f.file, f.line).strip(), dead._named(f)) for f in found}
    # two known ones of 6.12: an upper-case `N` and a `CONFIG_` prefix, both read as n
    assert ("drivers/ras/amd/atl/Kconfig", "default N", "N") in by_text
    assert ("drivers/hwtracing/stm/Kconfig", "default CONFIG_STM", "CONFIG_STM") in by_text
    # nothing another arch defines (X86 is defined, ARM64 is defined on arm64)
    assert not [f for f in found if dead._named(f) in ("ARM64", "PPC64", "X86_64", "MIPS")]
    assert 0 < len(found) < 200


def test_dead_options_stay_unset_for_the_conf_tool(x86, tmp_path):
    root, tree, model, sources = x86
    found = dead.dead_options(model, RULES["KDEAD002"], sources)
    names = sorted(dead._subject(f) for f in found)
    assert len(names) > SAMPLE
    step = len(names) // SAMPLE
    # a spread over x86's dead options, and ones dead on every arch of the tree
    # (BROKEN, an undefined DEPRECATED / MTK_DVFSRC, a never-on IRQ_TIMINGS)
    tree_wide = ["EDAC_I5000", "BT_CMTP", "INTERCONNECT_MTK_DVFSRC_EMI", "TEST_IRQ_TIMINGS", "NTSYNC"]
    assert set(tree_wide) <= set(names)
    sample = names[::step][:SAMPLE] + tree_wide
    fragment = "".join(f"CONFIG_{name}=y\n" for name in sample)
    config, _ = run_conf_full(root, "x86", "LLVM=1", fragment, tmp_path / "conf", target="allyesconfig")
    assert config.get("X86_64") == "y" and len(config) > 5000  # allyesconfig did run
    assert {name: config.get(name) for name in sample} == {name: None for name in sample}


def test_alive_options_are_not_reported(x86):
    root, tree, model, sources = x86
    found = {dead._subject(f) for f in dead.dead_options(model, RULES["KDEAD002"], sources)}
    assert not found & {"X86_64", "PCI", "EDAC", "KASAN", "LTO_CLANG_THIN", "DRM_I915"}


# Dead on every arch of 6.12, each for a reason only its own arch shows: the
# model proves it (the solver), KDEAD reports it where its candidate search
# reaches it, and the conf tool, pushed towards the option (allyesconfig, the
# option and what it needs requested), leaves it unset.
TREE_WIDE = [
    # 8xx has CPM1 but no PCI, so no HAS_IOPORT for the HFC driver: a
    # contradiction through choices (PPC_8xx excludes PCI), which KDEAD's
    # over-approximation cannot see and its candidate search (a name read both
    # ways within three levels) does not reach: a known miss.
    ("powerpc", "MISDN_HFCMULTI_8xx", False,
     "# CONFIG_PPC64 is not set\nCONFIG_PPC_8xx=y\nCONFIG_ISDN=y\nCONFIG_MISDN=y\nCONFIG_MISDN_HFCMULTI=y\n"),
    ("arm", "DEBUG_VEXPRESS_UART0_CRX", True, "CONFIG_ARCH_VEXPRESS=y\n# CONFIG_MMU is not set\n"),  # a contradiction
    ("arm64", "ARM64_ERRATUM_4193714", True, "CONFIG_ARM64_SME=y\n"),  # ARM64_SME depends on BROKEN
]


@pytest.mark.parametrize("arch, name, detected, push", TREE_WIDE, ids=[c[1] for c in TREE_WIDE])
def test_tree_wide_dead_options_stay_unset(arch, name, detected, push, tmp_path):
    from kltolint.logic import Encoder, Query

    root = real_tree("6.12")
    tree = Tree(root)
    model = load_arch(tree, arch)
    enc = Encoder(model)
    lit = enc.value(name).m
    with Query(enc) as query:
        assert query.solve([lit]) is None  # the model: never y or m
    found = dead.dead_options(model, RULES["KDEAD002"], analysis.Sources(tree))
    assert (name in {dead._subject(f) for f in found}) == detected
    config, _ = run_conf_full(root, arch, "LLVM=1", push + f"CONFIG_{name}=y\n", tmp_path / "conf",
                              target="allyesconfig")
    assert len(config) > 1000 and config.get(name) is None
