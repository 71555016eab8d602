#!/usr/bin/env python3
"""kltolint's speed, measured side by side in one run on linux-source-6.12.

    python bench/bench.py [--tree DIR] [--repeat N]

Baseline: a bare kconfiglib load of arm64, run the way kconfiglib users run
it, with its probes ($(shell,...) runs the host's gcc, ld, as). kconfiglib
14.1 cannot read Linux >= 5.13 at all (the bare `modules` property), so the
baseline gets that one line rewritten and nothing else.

Every figure is the median wall time of whole processes (interpreter start
included), so the ratios compare what a user waits for. Peak memory is the
largest sum of the resident sizes of a run's process tree, sampled from /proc.
Nothing here is asserted: the goals are printed next to the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

KERNELS = Path(os.environ.get("KLTOLINT_KERNELS",
                              Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kltolint" / "kernels"))

BASELINE = r"""
import io, re, sys, kconfiglib
class K(kconfiglib.Kconfig):
    def _open(self, filename, mode):  # the one rewrite Linux >= 5.13 needs
        with open(filename, encoding="utf-8") as f:
            text = f.read()
        return io.StringIO(re.sub(r"^(\s+)modules\s*$", r"\1option modules", text, flags=re.M))
K("Kconfig", warn=False)
"""


class PeakRSS:
    """Largest total resident set of a process and its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        out = [pid]
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    for child in f.read().split():
                        out += self._tree(int(child))
        except OSError:
            pass
        return out

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree(self.pid)))
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    meter = PeakRSS(proc.pid)
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    peak = meter.stop()
    if proc.returncode not in (0, 1):
        sys.exit(f"bench: {' '.join(command)} failed:\n{err.decode()[-2000:]}")
    return elapsed, peak


def median(runs: list[tuple[float, int]]) -> tuple[float, int]:
    return statistics.median(t for t, _ in runs), max(m for _, m in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=KERNELS / "linux-source-6.12")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--new-checks", action="store_true",
                        help="only the KDEAD/KRED checks on all arches and the review with and without the sweep")
    args = parser.parse_args()
    tree = args.tree.resolve()
    if not (tree / "Kconfig").is_file():
        sys.exit(f"bench: no kernel tree at {tree} (run scripts/fetch-kernels)")
    python = sys.executable
    kltolint = [python, "-m", "kltolint"]
    scratch = Path(tempfile.mkdtemp(prefix="kltolint-bench-"))
    env = {**os.environ, "srctree": str(tree), "ARCH": "arm64", "SRCARCH": "arm64",
           "CC": os.environ.get("CC", "gcc"), "LD": os.environ.get("LD", "ld")}

    def fresh_cache() -> str:
        return tempfile.mkdtemp(dir=scratch)

    print(f"tree: {tree}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    rows = []
    if args.new_checks:
        return _new_checks(tree, kltolint, env, scratch, args.repeat)
    baseline = median([timed([python, "-c", BASELINE], tree, env) for _ in range(args.repeat)])
    rows.append(("bare kconfiglib load, arm64 (with probes)", baseline, None, ""))

    cold = median([timed([*kltolint, "check", "-q", "--cache-dir", fresh_cache(), "arch/arm64/Kconfig"], tree, env)
                   for _ in range(args.repeat)])
    rows.append(("kltolint check arch/arm64/Kconfig, cold", cold, cold[0] / baseline[0], "goal <= 0.6x"))

    warm_dir = fresh_cache()
    timed([*kltolint, "check", "-q", "--cache-dir", warm_dir, "arch/arm64/Kconfig"], tree, env)
    warm = median([timed([*kltolint, "check", "-q", "--cache-dir", warm_dir, "arch/arm64/Kconfig"], tree, env)
                   for _ in range(args.repeat)])
    rows.append(("kltolint check arch/arm64/Kconfig, warm", warm, warm[0] / baseline[0], "goal <= 0.15x"))

    every = timed([*kltolint, "check", "-q", "--cache-dir", fresh_cache()], tree, env)
    arches = sum((p / "Kconfig").is_file() for p in (tree / "arch").iterdir())
    rows.append((f"kltolint check, all {arches} arches, all rules, cold", every, None,
                 "goal < 60 s, < 1 GiB"))

    sweeps = []
    for arch in ("arm64", "x86"):
        started = time.perf_counter()
        result = subprocess.run([*kltolint, "check", "-q", "--no-cache", "--rule", "KSEL001", "--stats",
                                 "--arch", arch], cwd=tree, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        stats = next((l for l in result.stderr.splitlines() if "select edges" in l), "(no figures)")
        rows.append((f"select sweep (KSEL001) of {arch}, cold", (elapsed, 0), None, "goal < 60 s"))
        sweeps.append(stats.removeprefix("kltolint: "))

    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  {'wall':>8}  {'ratio':>6}  {'peak RSS':>9}  goal")
    for label, (seconds, peak), ratio, goal in rows:
        ratio_text = f"{ratio:5.2f}x" if ratio is not None else ""
        memory = f"{peak / 2**20:7.0f}MB" if peak else ""
        print(f"{label:<{width}}  {seconds:7.2f}s  {ratio_text:>6}  {memory:>9}  {goal}")
    print("\nselect sweep figures:")
    for line in sweeps:
        print(f"  {line}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


NEW_RULES = ("KDEAD001", "KDEAD002", "KRED001")
SEED = ("select ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN", "select ARCH_SUPPORTS_LTO_CLANG")


def _new_checks(tree: Path, kltolint: list[str], env: dict[str, str], scratch: Path, repeat: int) -> int:
    """The checks of issue 15: dead options, dangling references and redundant
    toolchain conditions on every arch (cold, one command), and the cost of
    the select sweep in a review (the arm64 seed patch, with and without it)."""
    import difflib

    rows = []
    rules = [w for rule in NEW_RULES for w in ("--rule", rule)]
    arches = sum((p / "Kconfig").is_file() for p in (tree / "arch").iterdir())
    every = timed([*kltolint, "check", "-q", "--no-cache", *rules], tree, env)
    rows.append((f"KDEAD001+KDEAD002+KRED001, all {arches} arches, cold", every, "goal < 120 s"))
    text = (tree / "arch/arm64/Kconfig").read_text()
    if SEED[0] in text:
        patch = scratch / "seed.patch"
        patch.write_text("".join(difflib.unified_diff(
            text.splitlines(keepends=True), text.replace(SEED[0], SEED[1]).splitlines(keepends=True),
            "a/arch/arm64/Kconfig", "b/arch/arm64/Kconfig")))
        without = median([timed([*kltolint, "review", "-q", "--no-sweep", str(patch)], tree, env)
                          for _ in range(repeat)])
        with_sweep = median([timed([*kltolint, "review", "-q", str(patch)], tree, env) for _ in range(repeat)])
        rows.append(("review of the arm64 seed patch, --no-sweep", without, ""))
        rows.append(("review of the arm64 seed patch, with the sweep", with_sweep,
                     f"{with_sweep[0] / without[0]:.2f}x the review without it; goal <= 2x"))
    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  {'wall':>8}  {'peak RSS':>9}  goal")
    for label, (seconds, peak), goal in rows:
        print(f"{label:<{width}}  {seconds:7.2f}s  {peak / 2**20:7.0f}MB  {goal}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
