"""The project's own tooling: ruff (lint) is clean on the whole checkout."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    # The configuration is pyproject.toml's [tool.ruff]: a new warning fails here.
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "kltolint", "tests", "bench", "scripts"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_strict_is_clean() -> None:
    # pyproject.toml's [tool.mypy]: strict, on the whole package, no blanket ignores.
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success" in run.stdout


def test_no_blanket_type_ignores() -> None:
    # A `type: ignore` names its error code (mypy then also reports it when unused).
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "kltolint").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if "type: ignore" in line and "type: ignore[" not in line]
    assert found == []


def test_every_curated_mutant_still_applies() -> None:
    # A curated mutant names the exact text it replaces; after a refactor it
    # must be re-anchored (or retired), or the mutation run silently skips it.
    run = subprocess.run([sys.executable, "bench/mutants.py", "curated", "--show"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert [line for line in run.stdout.splitlines() if re.match(r"\S+: stale \(", line)] == []
