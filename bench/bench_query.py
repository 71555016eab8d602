#!/usr/bin/env python3
"""How fast `kltolint query` and `explain` answer, side by side with a bare
kconfiglib load (bench.py's baseline), on linux-source-6.12 arm64.

    python bench/bench_query.py [--tree DIR] [--repeat N]

Cold: a fresh cache (the tree is loaded, the question encoded and solved);
the command ends with its answer, and a detached process then saves the
arch's model: the row after it is the time until that model is written.
Warm, same question: answered from the answer cache.
Warm, new question: the arch's model saved by another question (a query of
KASAN) on the unchanged tree, so this one is encoded and solved on the
saved model, without parsing the tree (saved.py).
Whole processes, medians of wall and of CPU time (user + sys of the
command and the children it waits for); the machine's load average is
printed before and after (it is shared: only ratios measured side by side
compare, and CPU ratios move less with the load than wall ones). A cold
run's peak RSS includes the saving process forked from it (their shared
pages counted twice). Nothing is
asserted, the goals are printed next to the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import BASELINE, KERNELS, compiled, package_dir, timed  # noqa: E402

Timed = tuple[float, int, float]  # wall seconds, peak RSS of the process tree, CPU seconds (user + sys)


def run(command: list[str], cwd: Path, env: dict[str, str]) -> Timed:
    """bench.timed: wall time, peak RSS and the CPU time the command used
    (its own and its waited-for children's; not a detached process's): on a
    shared machine, CPU time moves less with the load than wall time does."""
    wall, peak, _single, cpu = timed(command, cwd, env)
    return wall, peak, cpu


def median(runs: list[Timed]) -> Timed:
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs), statistics.median(r[2] for r in runs))

QUESTIONS = (
    ("query, reachable (ThinLTO && KASAN, clang)", ["query", "LTO_CLANG_THIN && KASAN", "--arch", "arm64", "--toolchain", "clang"]),
    ("query, unreachable + core (ThinLTO && KASAN, gcc)", ["query", "LTO_CLANG_THIN && KASAN", "--arch", "arm64", "--toolchain", "gcc"]),
)

def saved_after(cache: Path) -> float:
    """When the model a cold run saves (in a detached process) is there: the
    next run is timed only then, alone on the machine."""
    deadline = time.perf_counter() + 120
    while not list(cache.glob("models-v*/*.model")):
        if time.perf_counter() > deadline:
            sys.exit(f"bench: no model saved in {cache}")
        time.sleep(0.02)
    return time.perf_counter()


PRIMER = [sys.executable, "-m", "kltolint", "query", "KASAN", "--arch", "arm64"]  # saves arm64's model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=KERNELS / "linux-source-6.12")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tree = args.tree.resolve()
    if not (tree / "Kconfig").is_file():
        sys.exit(f"bench: no kernel tree at {tree} (run scripts/fetch-kernels)")
    python = sys.executable
    scratch = Path(tempfile.mkdtemp(prefix="kltolint-bench-query-"))
    env = {**os.environ, "srctree": str(tree), "ARCH": "arm64", "SRCARCH": "arm64",
           "CC": os.environ.get("CC", "gcc"), "LD": os.environ.get("LD", "ld"),
           "XDG_STATE_HOME": str(scratch / "state")}  # the saved models' key: the bench's own
    # A real .config to explain: arm64 defconfig by the kernel's conf tool (host gcc).
    out = scratch / "defconfig"
    subprocess.run(["make", "-s", f"O={out}", "ARCH=arm64", "defconfig"], cwd=tree, check=True,
                   capture_output=True)
    questions = [*QUESTIONS, ("explain LTO_CLANG_FULL (gcc defconfig)",
                              ["explain", "LTO_CLANG_FULL", "--config", str(out / ".config"), "--arch", "arm64"])]

    print(f"tree: {tree}\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.2f} before\n{compiled(package_dir())}\n")
    baseline = median([run([python, "-c", BASELINE], tree, env) for _ in range(args.repeat)])
    rows = [("bare kconfiglib load, arm64 (with probes)", baseline, None, "")]
    for label, argv in questions:
        command = [python, "-m", "kltolint", *argv, "--tree", str(tree)]
        colds, stored = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            colds.append(run([*command, "--cache-dir", (fresh := tempfile.mkdtemp(dir=scratch))], tree, env))
            stored.append((saved_after(Path(fresh)) - started, 0, 0.0))
        cold = median(colds)
        rows.append((f"{label}, cold", cold, cold[0] / baseline[0], "goal < 1.5x"))
        rows.append((f"{label}, cold, until its model is saved (detached)", median(stored),
                     median(stored)[0] / baseline[0], ""))
        warm_dir = tempfile.mkdtemp(dir=scratch)
        run([*command, "--cache-dir", warm_dir], tree, env)
        saved_after(Path(warm_dir))
        warm = median([run([*command, "--cache-dir", warm_dir], tree, env) for _ in range(args.repeat)])
        rows.append((f"{label}, warm, same question", warm, warm[0] / baseline[0], "goal < 0.3x"))
        saved = []
        for _ in range(args.repeat):
            primed = tempfile.mkdtemp(dir=scratch)
            run([*PRIMER, "--tree", str(tree), "--cache-dir", primed], tree, env)
            saved_after(Path(primed))
            saved.append(run([*command, "--cache-dir", primed], tree, env))
        rows.append((f"{label}, warm, new question (saved model)", median(saved), median(saved)[0] / baseline[0],
                     "goal < 0.3x"))

    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  {'wall':>8}  {'ratio':>6}  {'CPU':>7}  {'ratio':>6}  {'peak RSS':>9}  goal")
    for label, (seconds, peak, cpu), ratio, goal in rows:
        ratio_text = f"{ratio:5.2f}x" if ratio is not None else ""
        cpu_text = f"{cpu:6.2f}s" if cpu else ""
        cpu_ratio = f"{cpu / baseline[2]:5.2f}x" if cpu and ratio is not None else ""
        peak_text = f"{peak / 2**20:7.0f}MB" if peak else ""
        print(f"{label:<{width}}  {seconds:7.2f}s  {ratio_text:>6}  {cpu_text:>7}  {cpu_ratio:>6}  {peak_text:>9}  {goal}")
    print(f"\nload average {os.getloadavg()[0]:.2f} after")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
