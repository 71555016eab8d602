"""--fix on the real tree: back to the original, byte for byte."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kltolint import edited, fix
from kltolint import expr as E
from kltolint.cli import main
from kltolint.load import load_changed
from kltolint.session import Session
from kltolint.tree import Tree
from tests.conftest import need, real_tree, tree_with
from tests.realtree.test_linux import GUARDED, RULES, UNGUARDED
from tests.test_edited import semantics

pytestmark = pytest.mark.realtree


def broken_arm64(tmp_path):
    base = real_tree("6.12")
    original = (base / "arch/arm64/Kconfig").read_bytes()
    changed = original.replace(f"\t{GUARDED}\n".encode(), f"\t{UNGUARDED}\n".encode())
    assert changed != original
    root = tree_with(base, tmp_path, {"arch/arm64/Kconfig": changed.decode()})
    return root, original


def test_fix_restores_the_original_file(tmp_path, capsys):
    root, original = broken_arm64(tmp_path)
    assert main(["--fix", str(root / "arch/arm64/Kconfig")]) == 0
    err = capsys.readouterr().err
    assert "fixed" in err and "KLTO001, safe" in err
    assert (root / "arch/arm64/Kconfig").read_bytes() == original
    assert main(["check", str(root / "arch/arm64/Kconfig")]) == 0


@pytest.mark.conf
@pytest.mark.parametrize("target", ["allnoconfig", "defconfig", "allyesconfig"])
def test_safe_fix_keeps_standard_configs(tmp_path, target):
    """The issue's example of a safe fix: these .configs do not change."""
    need(shutil.which("clang-19") is not None, "clang-19 needed for the conf tool")
    root, original = broken_arm64(tmp_path)
    configs = []
    for label in ("broken", "fixed"):
        if label == "fixed":
            assert main(["--fix", str(root / "arch/arm64/Kconfig")]) == 0
        out = tmp_path / label
        subprocess.run(["make", "-s", f"O={out}", "ARCH=arm64", "LLVM=-19", target], cwd=root,
                       check=True, capture_output=True, timeout=900)
        configs.append([l for l in (out / ".config").read_text().splitlines() if l.startswith(("CONFIG_", "# CONFIG_"))])
    assert configs[0] == configs[1]


def ld_bfd_tree(tmp_path):
    base = real_tree("6.12")
    original = (base / "arch/Kconfig").read_text()
    changed = original.replace("\tdepends on CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM\n",
                               "\tdepends on CC_IS_CLANG && AS_IS_LLVM\n")
    assert changed != original
    return tree_with(base, tmp_path, {"arch/Kconfig": changed})


def _job(tree, finding_arch="arm64", jobs=1):
    session = Session(tree, RULES, jobs=jobs)
    (finding,) = session.findings(finding_arch)
    source = session.sources.file(finding.point.file)
    new = fix.apply_edits(source.render(), fix.edits_for(finding.point, finding.guard, source))
    job = fix.Verification(tree, session.sources, session.loaded, load_changed, RULES, finding,
                           finding.point, {finding.point.file: new}, session.findings)
    patched = Tree(tree.root, overlay={finding.point.file: new})
    return session, finding, job, patched


@pytest.mark.parametrize("case, arches", [("seed", ["arm64"]), ("ld.bfd", ["arm64", "x86", "alpha", "um"])])
def test_edit_applied_to_the_model_is_the_reloaded_model(tmp_path, case, arches):
    """What verification uses instead of a reload is what the reload gives."""
    root = broken_arm64(tmp_path)[0] if case == "seed" else ld_bfd_tree(tmp_path)
    session, finding, _, patched = _job(Tree(root))
    for arch in arches:
        direct = edited.apply(session.model(arch), finding.point, E.parse(finding.guard))
        assert direct is not None
        assert semantics(direct) == semantics(load_changed(patched, arch))


def test_arch_kconfig_fix_is_verified_on_every_arch(tmp_path):
    tree = Tree(ld_bfd_tree(tmp_path))
    _, finding, job, _ = _job(tree, jobs=2)
    verdict = fix.verify(job, tree.arches_reading(finding.point.file), jobs=2)
    assert verdict.applicability == "safe"
    assert verdict.arches == tuple(tree.arches()) and len(verdict.arches) == 21
