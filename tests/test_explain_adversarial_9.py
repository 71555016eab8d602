"""Adversarial round 9: `kltolint explain` and `kltolint query` on hostile
input (a .config from a stranger, odd SYMBOL arguments and expressions),
and explain's change set checked against kconfiglib (olddefconfig of the
.config with the change appended, and brute force over a tiny tree's user
choices).

Breaks, each fixed unless marked xfail:

1. A FIFO as `--config` (no writer): the open blocked for ever (a hang).
2. A pipe as `--config` (`--config <(cat .config)`, `/dev/stdin`): the
   .config was read twice, once for the answer cache's key and once for the
   answer; the second read found the pipe drained, and explain answered for
   an empty .config (or "cannot tell the arch"), cached under the key of
   the real bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.adversarial.conftest import kltolint, proc_contract
from tests.conftest import make_tree

KCONFIG = """\
config DEMO
\tdef_bool y
config MODULES
\tbool "modules"
\toption modules
config A
\tbool "a"
config B
\ttristate "b"
\tdepends on A
"""
A_ON = "CONFIG_DEMO=y\nCONFIG_A=y\n"


def _tree(tmp_path: Path, text: str = KCONFIG) -> Path:
    return make_tree(tmp_path / "tree", {"Kconfig": text})


# -- 1, 2. A FIFO or a pipe as --config -----------------------------------------------------

def test_a_fifo_no_one_writes_to_does_not_hang(tmp_path):
    root = _tree(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    proc = proc_contract(kltolint("explain", "B", "--config", str(fifo), "--arch", "demo", "--tree", str(root),
                                  "--no-cache", timeout=60))
    assert proc.returncode == 0  # an empty .config: B wants A


@pytest.mark.parametrize("cache", [True, False])
def test_a_pipe_is_read_once(tmp_path, cache):
    root = _tree(tmp_path)
    args = ["explain", "B", "--config", "/dev/stdin", "--tree", str(root)]
    if not cache:
        args.append("--no-cache")
    proc = proc_contract(kltolint(*args, stdin=A_ON.encode(), env={"XDG_CACHE_HOME": str(tmp_path / "cache")}))
    out = proc.stdout.decode()
    assert proc.returncode == 0 and "depends on A" not in out, out  # A=y in the .config
    assert out.splitlines()[-1].strip() == "CONFIG_B=y"

