"""The README's `query` and `explain` examples, run on linux-source-6.12.

Each fenced block of the section is a session: `$ ` lines are commands (a
`make ... defconfig` is run with the kernel's conf tool), the rest is what
they print, `...` standing for lines left out. Line numbers are compared as
`file:N`, since Debian's updates move them; everything else must match.
"""

from __future__ import annotations

import re
import shlex

import pytest

from kltolint.cli import main
from tests.conftest import ROOT, real_tree, run_make_config

pytestmark = [pytest.mark.realtree, pytest.mark.conf]


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Asking the model", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(\$ .*?)```", section, re.S)


def _norm(line: str) -> str:
    return re.sub(r"(\S+?):\d+\b", r"\1:N", line.rstrip())


def test_the_readme_has_the_examples():
    commands = [line for block in _blocks() for line in block.splitlines() if line.startswith("$ kltolint")]
    assert len(commands) == 5
    assert any("LTO_CLANG_THIN && KASAN" in c and "clang" in c for c in commands)
    assert any("LTO_CLANG_THIN && KASAN" in c and "gcc" in c for c in commands)
    assert any("i386" in c and "FUNCTION_TRACER" in c for c in commands)
    assert any(c.startswith("$ kltolint explain LTO_CLANG_FULL") for c in commands)


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: b.splitlines()[0][2:50])
def test_readme_example(block, tmp_path, capsys):
    root = real_tree("6.12")
    config = None
    lines = block.rstrip("\n").splitlines()
    while lines[0].startswith("$ make"):
        words = shlex.split(lines.pop(0)[2:])
        arch = next(w.split("=", 1)[1] for w in words if w.startswith("ARCH="))
        run_make_config(root, arch, "", words[-1], tmp_path)
        config = tmp_path / "out" / ".config"
    argv = shlex.split(lines.pop(0)[2:])[1:]
    if config is not None:
        argv = [str(config) if a == ".config" else a for a in argv]
    code = main([*argv, "--tree", str(root), "--no-cache"])
    out = capsys.readouterr().out.splitlines()
    expected = [_norm(l) for l in lines]
    actual = [_norm(l) for l in out]
    assert actual[0] == expected[0]
    at = 0
    for want in expected[1:]:
        if want.strip() == "...":
            continue
        assert want in actual[at:], f"{want!r} not printed (in this order)\n" + "\n".join(out)
        at = actual.index(want, at) + 1
    failing = any("unreachable" in l or "no change" in l for l in lines)
    assert code == (1 if failing else 0)
