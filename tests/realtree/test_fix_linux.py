"""--fix on the real tree: back to the original, byte for byte."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kltolint.cli import main
from tests.conftest import need, real_tree, tree_with
from tests.realtree.test_linux import GUARDED, UNGUARDED

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
