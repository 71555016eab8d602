"""The project's own tooling: ruff (lint) is clean on the whole checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    # The configuration is pyproject.toml's [tool.ruff]: a new warning fails here.
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "kltolint", "tests", "bench", "scripts"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
