"""Helpers for the adversarial battery: hostile input must end in a correct
result, or one line naming the file (and line) with exit 2; never a
traceback, a hang, or attacker text where it does not belong."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


from kltolint.cli import main
from tests.conftest import ROOT, TREES

DEMO = TREES / "arm64-big-endian"
GUARDED = "\tselect ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN\n"
UNGUARDED = "\tselect ARCH_SUPPORTS_LTO_CLANG\n"
# Terminal control: ESC, BEL, other C0/C1 controls (tab and newline excepted).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def error(self) -> str:
        """The one error line (exit 2)."""
        lines = [l for l in self.err.splitlines() if l.startswith("kltolint: error:")]
        assert len(lines) == 1, self.err
        return lines[0]


def contract(result: Result) -> Result:
    """What holds for any input: exit 0/1/2 (130 on ^C), no traceback, one error line."""
    assert result.code in (0, 1, 2, 130), result
    assert "Traceback" not in result.err + result.out
    if result.code == 2:
        assert result.error  # exactly one
    return result


def run(capsys, *argv: str) -> Result:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return contract(Result(code, out, err))


def demo(tmp_path: Path, side: str = "after", name: str = "tree") -> Path:
    """A private copy of the demo tree ('after' has the endian guard)."""
    dest = tmp_path / name
    shutil.copytree(DEMO / side, dest)
    return dest


def write_patch(tmp_path: Path, text: str, name: str = "p.patch") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return str(path)


def new_file_diff(rel: str, text: str) -> str:
    lines = text.splitlines(keepends=True)
    body = "".join("+" + l for l in lines)
    return (f"diff --git a/{rel} b/{rel}\nnew file mode 100644\n--- /dev/null\n+++ b/{rel}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n{body}")


def change_diff(rel: str, old: str, new: str, old_name: str | None = None, new_name: str | None = None) -> str:
    """A plain unified diff of one file (names overridable, to lie)."""
    import difflib

    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{old_name or rel}", f"b/{new_name or rel}"))


def kltolint(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None,
             stdin: bytes | None = None, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """kltolint in its own process (for exit paths main() cannot show)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "kltolint", *argv], cwd=cwd, env=full_env, input=stdin,
                          stderr=subprocess.PIPE, timeout=timeout, **kw)


def proc_contract(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in (0, 1, 2), (proc.returncode, err[-2000:])
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
    if proc.returncode == 2:
        assert len([l for l in err.splitlines() if l.startswith("kltolint: error:")]) == 1, err
    return proc
