#!/usr/bin/env python3
"""How fast `kltolint query` and `explain` answer, side by side with a bare
kconfiglib load (bench.py's baseline), on linux-source-6.12 arm64.

    python bench/bench_query.py [--tree DIR] [--repeat N] [--baseline-runs N] [--before DIR]

Cold: a fresh cache (the tree is loaded, the question encoded and solved);
the command ends with its answer, and a detached process then saves the
arch's model: the row after it is the time until that model is written.
Warm, same question: answered from the answer cache.
Warm, new question: the arch's model saved by another question (a query of
KASAN) on the unchanged tree, so this one is encoded and solved on the
saved model, without parsing the tree (saved.py); the answer cache is
emptied before each run, the saved model kept.

The baseline (a bare kconfiglib load with its probes, some 40 compiler
processes) moves more with the machine's load than kltolint's runs do, so
it is not measured once up front: it runs `--baseline-runs` times before
the cases, between the questions and after them, and every ratio divides by
the median of all those samples (issue 16 item 4: a question's wall time
over a bare kconfiglib load's). The samples are printed, with their spread,
and each row's ratio against the fastest sample too (the ratio the row
would have on the quickest baseline this run saw).

Whole processes, medians of wall and of CPU time (user + sys of the
command and the children it waits for); the machine's load average is
printed before and after (it is shared: only ratios measured side by side
compare, and CPU ratios move less with the load than wall ones). A cold
run's peak RSS includes the saving process forked from it (their shared
pages counted twice). A tree other jobs hard-link (copies made with
`cp -al`, as bench.py's are) has every file's ctime moved by each link: a
saved model is then confirmed by hashing its files, until it is saved again
with their identities as found (saved.py); `--tree` a private copy (`cp -a`)
measures an unchanged tree. With `--before DIR`, each kltolint run is followed
by the same run with the kltolint package found in DIR (an older checkout:
its own saved models), for a before/after measured side by side. Nothing
is asserted, the goals are printed next to the figures.
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
from collections.abc import Callable
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


def forget_answers(cache: Path) -> None:
    """Empty the answer cache, keep the saved models: the next run is a new question."""
    for entry in cache.glob("answers-v*"):
        shutil.rmtree(entry)


PRIMER = ["query", "KASAN", "--arch", "arm64"]  # saves arm64's model


class Baseline:
    """The bare kconfiglib load, sampled at several points of the run."""

    def __init__(self, command: Callable[[], Timed], runs: int) -> None:
        self._command, self._runs = command, runs
        self.samples: list[tuple[str, Timed]] = []

    def sample(self, when: str) -> None:
        for _ in range(self._runs):
            self.samples.append((when, self._command()))

    def median(self) -> Timed:
        return median([t for _, t in self.samples])

    def fastest(self) -> float:
        return min(t[0] for _, t in self.samples)

    def report(self) -> str:
        walls = [t[0] for _, t in self.samples]
        mid = statistics.median(walls)
        lines = [f"baseline: {len(walls)} samples, median {mid:.2f} s, min {min(walls):.2f} s, "
                 f"max {max(walls):.2f} s (spread {(max(walls) - min(walls)) / mid:.0%} of the median); "
                 f"CPU median {self.median()[2]:.2f} s"]
        lines += [f"  {when:<{max(len(w) for w, _ in self.samples)}}  {t[0]:6.2f} s  CPU {t[2]:5.2f} s"
                  for when, t in self.samples]
        return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=KERNELS / "linux-source-6.12")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kltolint case (median)")
    parser.add_argument("--baseline-runs", type=int, default=2,
                        help="baseline runs at each point: before the cases, after each question (default 2)")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also run each kltolint case with the package found in DIR (an older checkout)")
    args = parser.parse_args()
    tree = args.tree.resolve()
    if not (tree / "Kconfig").is_file():
        sys.exit(f"bench: no kernel tree at {tree} (run scripts/fetch-kernels)")
    python = sys.executable
    scratch = Path(tempfile.mkdtemp(prefix="kltolint-bench-query-"))
    env = {**os.environ, "srctree": str(tree), "ARCH": "arm64", "SRCARCH": "arm64",
           "CC": os.environ.get("CC", "gcc"), "LD": os.environ.get("LD", "ld"),
           "XDG_STATE_HOME": str(scratch / "state")}  # the saved models' key: the bench's own
    versions = [("", env)]
    if args.before is not None:
        versions.append(("before", {**env, "PYTHONPATH": str(args.before.resolve())}))
    # A real .config to explain: arm64 defconfig by the kernel's conf tool (host gcc).
    out = scratch / "defconfig"
    subprocess.run(["make", "-s", f"O={out}", "ARCH=arm64", "defconfig"], cwd=tree, check=True,
                   capture_output=True)
    questions = [*QUESTIONS, ("explain LTO_CLANG_FULL (gcc defconfig)",
                              ["explain", "LTO_CLANG_FULL", "--config", str(out / ".config"), "--arch", "arm64"])]

    print(f"tree: {tree}\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.2f} before\n"
          f"{compiled(package_dir(), *([package_dir(args.before)] if args.before else []))}\n")
    baseline = Baseline(lambda: run([python, "-c", BASELINE], tree, env), args.baseline_runs)
    baseline.sample("before the cases")
    # label -> version -> (result, goal); rows in order
    rows: list[tuple[str, dict[str, Timed], str]] = []

    def kltolint(argv: list[str], cache: str, version: dict[str, str]) -> Timed:
        return run([python, "-m", "kltolint", *argv, "--tree", str(tree), "--cache-dir", cache], tree, version)

    def primed(argv: list[str], version: dict[str, str]) -> Path:
        """A cache holding arm64's saved model (another question saved it)."""
        cache = Path(tempfile.mkdtemp(dir=scratch))
        kltolint(argv, str(cache), version)
        saved_after(cache)
        forget_answers(cache)
        return cache

    for label, argv in questions:
        colds: dict[str, list[Timed]] = {name: [] for name, _ in versions}
        stored: dict[str, list[Timed]] = {name: [] for name, _ in versions}
        warm: dict[str, list[Timed]] = {name: [] for name, _ in versions}
        new: dict[str, list[Timed]] = {name: [] for name, _ in versions}
        same = {name: primed(argv, version) for name, version in versions}  # its answer is cached once run
        model = {name: primed(PRIMER, version) for name, version in versions}
        for name, version in versions:
            kltolint(argv, str(same[name]), version)  # the answer, cached
        for _ in range(args.repeat):
            for name, version in versions:  # interleaved: the versions see the same load
                started = time.perf_counter()
                fresh = Path(tempfile.mkdtemp(dir=scratch))
                colds[name].append(kltolint(argv, str(fresh), version))
                stored[name].append((saved_after(fresh) - started, 0, 0.0))
                warm[name].append(kltolint(argv, str(same[name]), version))
                forget_answers(model[name])
                new[name].append(kltolint(argv, str(model[name]), version))
        rows.append((f"{label}, cold", {n: median(r) for n, r in colds.items()}, "goal < 1.5x"))
        rows.append((f"{label}, cold, until its model is saved (detached)",
                     {n: median(r) for n, r in stored.items()}, ""))
        rows.append((f"{label}, warm, same question", {n: median(r) for n, r in warm.items()}, "goal < 0.3x"))
        rows.append((f"{label}, warm, new question (saved model)", {n: median(r) for n, r in new.items()},
                     "goal < 0.3x"))
        baseline.sample(f"after {label.split(' (')[0]}")

    base = baseline.median()
    fastest = baseline.fastest()
    print(baseline.report() + "\n")
    width = max(len(r[0]) for r in rows)
    head = f"{'wall':>8}  {'ratio':>6}  {'fastest':>7}  {'CPU':>7}  {'ratio':>6}  {'peak RSS':>9}"
    print(f"{'run':<{width}}  {head}" + (f"  | before: {head}" if len(versions) > 1 else "") + "  goal")
    print(f"{'bare kconfiglib load, arm64 (with probes), median':<{width}}  {base[0]:7.2f}s  {'1x':>6}  "
          f"{fastest / base[0]:6.2f}x  {base[2]:6.2f}s  {'1x':>6}")

    def cells(result: Timed) -> str:
        seconds, peak, cpu = result
        cpu_text, cpu_ratio = (f"{cpu:6.2f}s", f"{cpu / base[2]:5.2f}x") if cpu else ("", "")
        peak_text = f"{peak / 2**20:7.0f}MB" if peak else ""
        return (f"{seconds:7.2f}s  {seconds / base[0]:5.2f}x  {seconds / fastest:6.2f}x  {cpu_text:>7}  "
                f"{cpu_ratio:>6}  {peak_text:>9}")

    for label, results, goal in rows:
        before = f"  | before: {cells(results['before'])}" if "before" in results else ""
        print(f"{label:<{width}}  {cells(results[''])}{before}  {goal}")
    print(f"\nratio: wall over the baseline's median; fastest: wall over its fastest sample ({fastest:.2f} s)")
    print(f"load average {os.getloadavg()[0]:.2f} after")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
