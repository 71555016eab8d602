"""Linux 7.x on the real tree: its new Kconfig, modelled as conf runs it.

7.3's drivers/usb/cdns3/Kconfig has `depends on USB_GADGET if !USB`, which
the C tool reads as `USB_GADGET || USB != n`: with USB = y, USB_CDNS_SUPPORT
can be y while USB_GADGET is only m. Read as tristate algebra
(`USB_GADGET || !USB`) the same line would cap it at m.
"""

from __future__ import annotations

import pytest

from kltolint.analysis import Sources
from kltolint.load import load_arch
from kltolint.tree import Tree
from tests.conftest import real_tree, run_conf
from tests.helpers import witness_of

pytestmark = pytest.mark.realtree


@pytest.fixture(scope="module")
def x86():
    root = real_tree("7.3")
    tree = Tree(root)
    return root, tree, load_arch(tree, "x86")


def _solve(model, tree, combination: str):
    return witness_of(model, combination, Sources(tree).line_text)


@pytest.mark.conf
def test_conditional_dependency_is_conf_s(x86, tmp_path):
    root, tree, model = x86
    proof = _solve(model, tree, "USB_CDNS_SUPPORT = y && USB = y && USB_GADGET = m")
    assert proof is not None
    config = run_conf(root, "x86", proof.make, proof.config, tmp_path)
    assert (config.get("USB_CDNS_SUPPORT"), config.get("USB"), config.get("USB_GADGET")) == ("y", "y", "m")


def test_conditional_dependency_still_binds(x86):
    _, tree, model = x86
    # `depends on USB || USB_GADGET` caps it at m when USB is m and USB_GADGET n.
    assert _solve(model, tree, "USB_CDNS_SUPPORT = y && USB = m && USB_GADGET = n") is None
    # `depends on USB if !USB_GADGET`: with USB_GADGET = n, USB is required.
    assert _solve(model, tree, "USB_CDNS_SUPPORT != n && USB = n && USB_GADGET = n") is None


@pytest.mark.conf
def test_transitional_symbol_feeds_its_successor(x86, tmp_path):
    """CFI_CLANG is transitional in 7.3: a .config's CFI_CLANG=y still reaches
    CFI through `default CFI_CLANG`, as conf does."""
    root, tree, model = x86
    assert "CFI_CLANG" in model.symbols
    # kCFI needs a compiler that takes -fsanitize=kcfi: ask for clang.
    proof = _solve(model, tree, "CFI_CLANG && CFI && CC_IS_CLANG")
    assert proof is not None
    config = run_conf(root, "x86", proof.make, proof.config, tmp_path)
    assert config.get("CFI") == "y"
    assert "CFI_CLANG" not in config  # transitional: never written


def _arches() -> list[str]:
    from tests.conftest import kernels_dir

    path = kernels_dir() / "linux-source-7.3"
    return Tree(path).arches() if (path / ".complete").exists() else ["(tree missing)"]


@pytest.mark.parametrize("arch", _arches())
def test_sweep_runs_on_every_arch(arch):
    """`check --sweep` on every arch of 7.3: each finding sits on the select
    line it names (the README's table counts them)."""
    from kltolint import analysis
    from kltolint.rules import builtin_dir, load_dir

    tree = Tree(real_tree("7.3"))
    sweep = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]
    sources = Sources(tree)
    findings = analysis.check(load_arch(tree, arch), sweep, sources)
    assert len(findings) < 50
    for finding in findings:
        selector, _, target = finding.message.split()[:3]
        line = sources.line_text(finding.file, finding.line).split("#")[0].split()
        assert line[:2] == ["select", target.rstrip(",")], finding.message


def test_pahole_version_comes_from_the_toolchain(x86):
    """7.3's PAHOLE_VERSION is exported by the Makefile: 0 (no pahole) and a
    real version are both possible, as conf's randconfigs show."""
    _, tree, model = x86
    assert _solve(model, tree, "PAHOLE_VERSION = 0") is not None
    assert _solve(model, tree, "DEBUG_INFO_BTF && PAHOLE_VERSION >= 12200") is not None
