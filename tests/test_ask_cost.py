"""What keeps `query` and `explain` interactive (issue 16 item 4): the
collector paused while an arch is answered, and imports limited to what
the command uses."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kltolint import explain as X
from kltolint import query as Q
from kltolint.saved import SCHEMA
from tests.helpers import cli
from tests.test_explain import CLANG
from tests.test_query import DEMO, _tree


def test_the_collector_is_paused_while_an_arch_is_answered_only(capsys, monkeypatch, tmp_path):
    seen: list[bool] = []
    for module, name in ((Q, "answer"), (Q, "prepare"), (X, "explain")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, **k: seen.append(gc.isenabled()) or _real(*a, **k))
    assert gc.isenabled()
    code, _, _ = cli(capsys, "query", "LTO_CLANG_FULL", "--tree", DEMO, "--arch", "arm64", "--no-cache")
    assert code == 0 and seen == [False, False] and gc.isenabled()
    tree = _tree(tmp_path / "tree")
    config = tmp_path / ".config"
    config.write_text(CLANG)
    code, _, _ = cli(capsys, "explain", "KNOB", "--tree", tree.root, "--config", config, "--arch", "demo", "--no-cache")
    assert code == 0 and seen[2:] == [False, False] and gc.isenabled()


# -- imports: each command loads what it uses ----------------------------------------------

MODULES_AFTER = """\
import json, sys
from kltolint.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exit_:  # --help
    code = exit_.code
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
sys.exit(code)
"""
PARSER = {"kconfiglib", "kltolint.compat", "kltolint.load"}  # a fresh load of the tree
SOLVER = {"pysat", "kltolint.logic", "kltolint.query", "kltolint.explain", "kltolint.saved"}
CHECKING = {"kltolint.session", "kltolint.fix", "kltolint.review", "kltolint.ruledocs", "kltolint.patch"}


def modules_after(tmp_path: Path, *argv: object) -> tuple[int, set[str]]:
    """Exit status of `kltolint ARGV` in a fresh process, and every module it imported."""
    listing = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", MODULES_AFTER, listing, *map(str, argv)],
                          capture_output=True, text=True, timeout=120)
    assert done.stderr == "", done.stderr
    return done.returncode, set(json.loads(listing.read_text()))


def wait_for_model(cache: Path) -> None:
    deadline = time.monotonic() + 60
    while not list(cache.glob(f"models-v{SCHEMA}/*.model")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(cache.glob(f"models-v{SCHEMA}/*.model"))


@pytest.mark.parametrize("argv", [["--help"], ["query", "--help"], ["rules", "--help"], ["--version"]])
def test_help_loads_neither_the_parser_nor_the_solver_nor_the_checks(tmp_path, argv):
    code, modules = modules_after(tmp_path, *argv)
    assert code == 0 and not modules & (PARSER | SOLVER | CHECKING | {"kltolint.analysis"})


def test_an_answer_from_the_cache_or_a_saved_model_never_loads_the_parser(tmp_path):
    root, cache, config = tmp_path / "tree", tmp_path / "cache", tmp_path / ".config"
    shutil.copytree(DEMO, root)
    config.write_text("CONFIG_ARM64=y\n# CONFIG_LTO_CLANG_FULL is not set\nCONFIG_CC_IS_GCC=y\n")
    argv = ["--tree", root, "--arch", "arm64", "--cache-dir", cache]
    code, modules = modules_after(tmp_path, "query", "LTO_CLANG_FULL", *argv)
    assert code == 0 and modules >= PARSER  # the first question loads the tree
    wait_for_model(cache)
    code, modules = modules_after(tmp_path, "query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv)
    assert code == 1 and not modules & (PARSER | CHECKING) and "pysat" in modules  # the saved model, solved
    code, modules = modules_after(tmp_path, "explain", "LTO_CLANG_FULL", "--config", config, *argv)
    assert code == 1 and not modules & (PARSER | CHECKING)
    code, modules = modules_after(tmp_path, "query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv)
    assert code == 1 and not modules & (PARSER | SOLVER | CHECKING)  # the same question: the answer cache
    code, modules = modules_after(tmp_path, "explain", "LTO_CLANG_FULL", "--config", config, *argv)
    assert code == 1 and not modules & (PARSER | SOLVER | CHECKING)
