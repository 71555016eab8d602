"""The pre-commit hooks, used the way a kernel developer would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, TREES

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def kernel_repo(tmp_path: Path, tree: str) -> Path:
    repo = tmp_path / "linux"
    shutil.copytree(TREES / tree, repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "D", "GIT_AUTHOR_EMAIL": "d@e", "GIT_COMMITTER_NAME": "D",
           "GIT_COMMITTER_EMAIL": "d@e"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def try_repo(repo: Path, hook: str, *files: str) -> subprocess.CompletedProcess:
    if not PRE_COMMIT.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(ROOT), hook, "--files", *files],
                          cwd=repo, capture_output=True, text=True, timeout=900)


def test_hook_manifest():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "id: kltolint\n" in text and "id: kltolint-fix\n" in text


def test_check_hook(tmp_path):
    repo = kernel_repo(tmp_path, "arm64-big-endian/after")
    assert try_repo(repo, "kltolint", "arch/arm64/Kconfig").returncode == 0
    kconfig = repo / "arch/arm64/Kconfig"
    kconfig.write_text(kconfig.read_text().replace(" if CPU_LITTLE_ENDIAN", ""))
    result = try_repo(repo, "kltolint", "arch/arm64/Kconfig")
    assert result.returncode == 1 and "[KLTO001]" in result.stdout


def test_finding_the_change_causes_elsewhere(tmp_path):
    """arm64 starts to claim LTO; the hole it opens is in arch/Kconfig."""
    repo = kernel_repo(tmp_path, "ld-bfd")
    kconfig = repo / "arch/arm64/Kconfig"
    kconfig.write_text(kconfig.read_text().replace("\tselect ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN\n", ""))
    git(repo, "commit", "-qam", "no LTO on arm64")
    assert try_repo(repo, "kltolint", "arch/arm64/Kconfig").returncode == 0
    git(repo, "revert", "--no-edit", "HEAD")
    result = try_repo(repo, "kltolint", "arch/arm64/Kconfig")
    assert result.returncode == 1
    assert "arch/Kconfig:" in result.stdout and "[KLTO002]" in result.stdout


def test_fix_hook(tmp_path):
    repo = kernel_repo(tmp_path, "arm64-big-endian/before")
    result = try_repo(repo, "kltolint-fix", "arch/arm64/Kconfig")
    assert result.returncode == 1  # pre-commit fails a hook that changed files
    assert (repo / "arch/arm64/Kconfig").read_text() == (TREES / "arm64-big-endian/after/arch/arm64/Kconfig").read_text()
    assert try_repo(repo, "kltolint-fix", "arch/arm64/Kconfig").returncode == 0


def test_review_hook_reports_what_the_change_introduces(tmp_path):
    repo = kernel_repo(tmp_path, "arm64-big-endian/after")
    assert "id: kltolint-review\n" in (ROOT / ".pre-commit-hooks.yaml").read_text()
    kconfig = repo / "arch/arm64/Kconfig"
    kconfig.write_text(kconfig.read_text().replace(" if CPU_LITTLE_ENDIAN", ""))
    result = try_repo(repo, "kltolint-review", "arch/arm64/Kconfig")
    assert result.returncode == 1 and "[KLTO001]" in result.stdout and "1 introduced" in result.stdout
