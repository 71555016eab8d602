#!/usr/bin/env python3
"""kltolint's speed, measured side by side in one run on linux-source-6.12.

    python bench/bench.py [--tree DIR] [--repeat N] [--only NAME]... [--before DIR] [--no-conformance]

Baseline: a bare kconfiglib load of arm64, run the way kconfiglib users run
it, with its probes ($(shell,...) runs the host's gcc, ld, as). kconfiglib
14.1 cannot read Linux >= 5.13 at all (the bare `modules` property), so the
baseline gets that one line rewritten, and on 7.x also `transitional` dropped
and `depends on A if B` read as `depends on (A) || !(B)`; nothing else. A
baseline that fails is an error, not a figure.

Every figure is the median wall time of whole processes (interpreter start
included), so the ratios compare what a user waits for, next to the CPU time
of all the run's processes (user + system: what the shared machine's load
distorts least); each ratio divides by the baseline measured in the same run (the machine is shared: only ratios
measured side by side compare). Peak memory is the largest sum of the
resident sizes of a run's process tree, and the largest single process,
sampled from /proc. Nothing here is asserted: the goals are printed next to
the figures.

The cases with a finding run on copies of the tree (hard links, the one
changed file written fresh):
  seed    arm64 with its endian guard dropped (`select ARCH_SUPPORTS_LTO_CLANG`)
  ld.bfd  `LD_IS_LLD` dropped from HAS_LTO_CLANG in arch/Kconfig (every arch reads it)

Last, the throughput of the conformance tier (python -m kltolint.conformance,
arm64 with clang-19; needs the conf tool's build dependencies; skip it with
--no-conformance).
"""

from __future__ import annotations

import argparse
import difflib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from collections.abc import Callable

KERNELS = Path(os.environ.get("KLTOLINT_KERNELS",
                              Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kltolint" / "kernels"))

BASELINE = r"""
import io, re, sys, kconfiglib
class K(kconfiglib.Kconfig):
    def _open(self, filename, mode):  # the rewrites Linux >= 5.13 (and 7.x) need
        with open(filename, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"^(\s+)modules\s*$", r"\1option modules", text, flags=re.M)
        text = re.sub(r"^[ \t]+transitional[ \t]*$", "", text, flags=re.M)  # 7.x
        text = re.sub(r"^([ \t]+)depends on ([^#\n]*?)[ \t]+if[ \t]+([^#\n]*?)[ \t]*(#.*)?$",
                      r"\1depends on (\2) || !(\3)", text, flags=re.M)  # 7.x: `depends on A if B`
        return io.StringIO(text)
K("Kconfig", warn=False)
"""

SEED = ("arch/arm64/Kconfig", "\tselect ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN\n",
        "\tselect ARCH_SUPPORTS_LTO_CLANG\n")
# 7.x makes big-endian arm64 depend on BROKEN: there the seed patch also makes
# it buildable again (as tests/realtree does), or there is nothing to find.
ALSO = {SEED: ('\tbool "Build big-endian kernel"\n\tdepends on BROKEN\n',
               '\tbool "Build big-endian kernel"\n\tdepends on AS_IS_GNU || AS_VERSION >= 150000\n')}
# A select past its target's dependencies: the review with the sweep reports
# it and verifies its fix, the review without the sweep sees nothing.
UNMET_SELECT = ("arch/arm64/Kconfig", "config ARM64\n\tdef_bool y\n",
                "config ARM64\n\tdef_bool y\n\tselect FB_IOMEM_HELPERS\n")
LD_BFD = ("arch/Kconfig", "\tdepends on CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM\n",
          "\tdepends on CC_IS_CLANG && AS_IS_LLVM\n")

# The commonest shape of a real patch to a file every arch reads: a new
# driver's entry (the review loads all 21 arches before and after it).
NEW_DRIVER = ("drivers/mailbox/Kconfig", "config IMX_MBOX\n",
              'config DEMO_MBOX\n\ttristate "Demo mailbox"\n\tdepends on ARCH_ASPEED || COMPILE_TEST\n\n'
              "config IMX_MBOX\n")


def new_file_patch(scratch: Path, rel: str, text: str) -> Path:
    """A patch adding `rel` (a file that nothing sources yet)."""
    lines = text.splitlines(keepends=True)
    path = scratch / (rel.replace("/", "_") + ".patch")
    path.write_text(f"diff --git a/{rel} b/{rel}\nnew file mode 100644\n--- /dev/null\n+++ b/{rel}\n"
                    f"@@ -0,0 +1,{len(lines)} @@\n" + "".join("+" + line for line in lines))
    return path


class PeakRSS:
    """Largest total resident set of a process and its descendants, and
    the largest single process among them."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.single, self._stop = pid, 0, 0, threading.Event()
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
            sizes = [self._rss(p) for p in self._tree(self.pid)]
            self.peak = max(self.peak, sum(sizes))
            self.single = max(self.single, max(sizes, default=0))
            time.sleep(0.02)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self._thread.join()
        return self.peak, self.single


Run = tuple[float, int, int, float]  # wall seconds, peak RSS of the tree, of the largest process, CPU seconds


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, env: dict[str, str], stdin: Path | None = None,
          ok: tuple[int, ...] = (0, 1)) -> Run:
    """One run of `command`; an exit status outside `ok` (kltolint: 0 clean,
    1 findings; the baseline: 0 only, or it timed an error) ends the bench."""
    cpu = _children_cpu()  # the run's processes, once waited for (one run at a time)
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as given:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=given, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        meter = PeakRSS(proc.pid)
        _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    peak, single = meter.stop()
    if proc.returncode not in ok:
        sys.exit(f"bench: {' '.join(command)} failed:\n{err.decode()[-2000:]}")
    return elapsed, peak, single, cpu


def median(runs: list[Run]) -> Run:
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs), max(r[2] for r in runs),
            statistics.median(r[3] for r in runs))


def broken_copy(tree: Path, scratch: Path, name: str, change: tuple[str, str, str]) -> Path:
    """A copy of `tree` (hard links) with one file changed (`changed`)."""
    rel = change[0]
    dest = scratch / name
    shutil.copytree(tree, dest, copy_function=os.link)
    text = (tree / rel).read_text()
    (dest / rel).unlink()
    (dest / rel).write_text(changed(text, change))
    return dest


def changed(text: str, change: tuple[str, str, str]) -> str:
    """`text` with the change's line replaced (and what it also needs on this kernel)."""
    rel, old, new = change
    assert text.count(old) == 1, f"{rel}: the line to change is not there once"
    out = text.replace(old, new)
    also = ALSO.get(change)
    return out.replace(*also) if also else out


def patch_file(tree: Path, scratch: Path, change: tuple[str, str, str]) -> Path:
    rel = change[0]
    text = (tree / rel).read_text()
    diff = difflib.unified_diff(text.splitlines(keepends=True), changed(text, change).splitlines(keepends=True),
                                f"a/{rel}", f"b/{rel}")
    path = scratch / (rel.replace("/", "_") + ".patch")
    path.write_text("".join(diff))
    return path


def many_findings_tree(scratch: Path, n: int) -> Path:
    """A small tree whose one arch file has `n` selects past unmet dependencies."""
    root = scratch / f"sweep-{n}"
    (root / "arch/demo").mkdir(parents=True)
    (root / "Kconfig").write_text('source "arch/$(SRCARCH)/Kconfig"\n')
    entries = []
    for i in range(n):
        entries.append(f"config DEP{i}\n\tbool \"dep {i}\"\nconfig HELPER{i}\n\tbool\n\tdepends on DEP{i}\n"
                       f"config USER{i}\n\tbool \"user {i}\"\n\tselect HELPER{i}\n")
    (root / "arch/demo/Kconfig").write_text("".join(entries))
    return root


def compiled(*packages: Path) -> str:
    """Compile kltolint's modules to bytecode before they are timed, as `pip
    install` does: an editable checkout run with PYTHONDONTWRITEBYTECODE set
    (as on these machines) would otherwise compile every module again in
    every run (about 0.07 s of CPU), which the baseline's installed
    kconfiglib never does. Returns the line the bench prints about it."""
    import compileall

    for package in packages:
        if not compileall.compile_dir(package, quiet=1):
            sys.exit(f"bench: {package} does not compile")
    return f"kltolint compiled to bytecode first, as pip install does ({', '.join(map(str, packages))})"


def package_dir(checkout: Path | None = None) -> Path:
    """The kltolint package a run imports: the installed one, or a checkout's."""
    if checkout is not None:
        return checkout.resolve() / "kltolint"
    import kltolint

    return Path(kltolint.__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=KERNELS / "linux-source-6.12")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only the cases whose label contains NAME (repeatable; the baseline always runs)")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also run each case with the kltolint package found in DIR (an older checkout), "
                             "right after the current one, for ratios measured side by side")
    parser.add_argument("--no-conformance", dest="conformance", action="store_false",
                        help="skip the conformance throughput (it runs the conf tool, ~2 min)")
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
    arches = sum((p / "Kconfig").is_file() for p in (tree / "arch").iterdir())

    def fresh_cache() -> str:
        return tempfile.mkdtemp(dir=scratch)

    print(f"tree: {tree}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(compiled(package_dir(), *([package_dir(args.before)] if args.before else [])) + "\n")
    if args.new_checks:
        return _new_checks(tree, kltolint, env, scratch, args.repeat)
    rows: list[tuple[str, Run, float | None, str, Run | None]] = []
    older = {**env, "PYTHONPATH": str(args.before.resolve())} if args.before else None
    baseline = median([timed([python, "-c", BASELINE], tree, env, ok=(0,)) for _ in range(args.repeat)])
    rows.append(("bare kconfiglib load, arm64 (with probes)", baseline, None, "", None))
    seed = broken_copy(tree, scratch, "seed", SEED)
    ld_bfd = broken_copy(tree, scratch, "ld-bfd", LD_BFD)

    current: list[dict[str, str]] = [env]  # the environment the cases run in (PYTHONPATH: which kltolint)

    def case(label: str, goal: str, once: Callable[[], Run], repeat: int | None = None,
             ratio: bool = True) -> None:
        if args.only and not any(word in label for word in args.only):
            return
        runs, old_runs = [], []
        for _ in range(repeat or args.repeat):
            runs.append(once())
            if older is not None:
                current[0] = older
                try:
                    old_runs.append(once())
                finally:
                    current[0] = env
        result = median(runs)
        rows.append((label, result, result[0] / baseline[0] if ratio else None, goal,
                     median(old_runs) if old_runs else None))

    def check(where: Path, *argv: str, cache: str | None = None) -> Callable[[], Run]:
        return lambda: timed([*kltolint, "check", "-q", "--cache-dir", cache or fresh_cache(), *argv], where,
                             current[0])

    def warm(where: Path, *argv: str) -> Callable[[], Run]:
        caches: dict[str, str] = {}  # one primed cache per kltolint version

        def once() -> Run:
            key = current[0].get("PYTHONPATH", "")
            if key not in caches:
                caches[key] = fresh_cache()
                check(where, *argv, cache=caches[key])()
            return check(where, *argv, cache=caches[key])()
        return once

    def review(patch: Path) -> Callable[[], Run]:
        return lambda: timed([*kltolint, "review", "-q", str(patch)], tree, current[0])

    case("check arch/arm64/Kconfig, clean tree, cold", "goal <= 0.6x", check(tree, "arch/arm64/Kconfig"))
    case("check arch/arm64/Kconfig, clean tree, warm", "goal <= 0.15x", warm(tree, "arch/arm64/Kconfig"))
    case("seed case: check --arch arm64 --format json, cold", "goal <= 1.0x",
         check(seed, "--arch", "arm64", "--format", "json"))
    case("seed case, warm (findings and fixes from the cache)", "goal <= 0.15x",
         warm(seed, "--arch", "arm64", "--format", "json"))
    case("ld.bfd case: check --arch arm64, cold", "goal <= 5x, < 512 MiB", check(ld_bfd, "--arch", "arm64"),
         repeat=1)
    case("review of the seed patch (arch/arm64/Kconfig)", "goal <= 1.5x", review(patch_file(tree, scratch, SEED)))
    case("review of the ld.bfd patch (arch/Kconfig)", "goal <= 5x", review(patch_file(tree, scratch, LD_BFD)),
         repeat=1)
    case("review of a new driver's entry (drivers/mailbox/Kconfig: every arch)", "",
         review(patch_file(tree, scratch, NEW_DRIVER)), repeat=1)
    case("review of a new Kconfig file nothing sources yet", "",
         review(new_file_patch(scratch, "drivers/mailbox/demo/Kconfig", NEW_DRIVER[2].replace("IMX_MBOX", "DEMO_2"))),
         repeat=1)
    case(f"check, all {arches} arches, all rules, cold", "goal < 60 s, < 1 GiB", check(tree), repeat=1)
    case("check --sweep --arch arm64, cold", "goal <= 1.5x", check(tree, "--sweep", "--arch", "arm64"), repeat=1)
    case(f"check --sweep, all {arches} arches, cold", "goal <= 8x", check(tree, "--sweep"), repeat=1)
    growth = []
    for n in (500, 2000):
        small = many_findings_tree(scratch, n)
        label = f"sweep of one file with {n} findings"
        case(label, "goal: linear", lambda s=small: timed([*kltolint, "check", "-q", "--no-cache", "--rule", "KSEL001",
                                                             "--tree", str(s)], s, current[0]),
             repeat=1, ratio=False)
        growth += [(r[1][0], r[4][0] if r[4] else None) for r in rows if r[0] == label]

    conformance = []
    if args.conformance:
        import json
        result = subprocess.run([python, "-m", "kltolint.conformance", str(tree), "arm64", "--toolchain", "llvm",
                                 "--samples", "3", "--seeds", "3", "--json", "--work", tempfile.mkdtemp(dir=scratch)],
                                cwd=tree, env=env, capture_output=True, text=True)
        for line in result.stdout.splitlines():
            run = json.loads(line)
            kinds = [o["direction"] for o in run["outcomes"]]
            secs = run["seconds"]
            bad = sum(1 for o in run["outcomes"] if o["disagreement"] or o["error"])
            conformance.append(
                f"{run['arch']} {run['toolchain']}: setup (load, encode every symbol, run the probes) "
                f"{secs['setup']:.1f} s; soundness {kinds.count('soundness')} conf configurations in "
                f"{secs['soundness']:.1f} s ({secs['soundness'] / max(1, kinds.count('soundness')):.1f} s each); "
                f"precision {kinds.count('precision')} model samples in {secs['precision']:.1f} s "
                f"({secs['precision'] / max(1, kinds.count('precision')):.1f} s each); {bad} disagreements")

    width = max(len(r[0]) for r in rows)
    then = f"  {'before':>8}  {'ratio':>6}  {'cpu':>7}  {'largest':>8}" if older else ""
    print(f"{'run':<{width}}  {'wall':>8}  {'ratio':>6}  {'cpu':>7}  {'peak RSS':>9}  {'largest':>8}{then}  goal")
    for label, (seconds, peak, single, cpu), ratio, goal, old in rows:
        ratio_text = f"{ratio:5.2f}x" if ratio is not None else ""
        memory = f"{peak / 2**20:7.0f}MB" if peak else ""
        largest = f"{single / 2**20:6.0f}MB" if single else ""
        before = ""
        if old is not None:
            old_ratio = f"{old[0] / baseline[0]:5.2f}x" if ratio is not None else ""
            before = f"  {old[0]:7.2f}s  {old_ratio:>6}  {old[3]:6.1f}s  {old[2] / 2**20:6.0f}MB"
        elif older:
            before = " " * len(then)
        print(f"{label:<{width}}  {seconds:7.2f}s  {ratio_text:>6}  {cpu:6.1f}s  {memory:>9}  {largest:>8}{before}  {goal}")
    if len(growth) == 2:
        print(f"\n4x the findings took {growth[1][0] / growth[0][0]:.1f}x the time (linear: about 4x, quadratic: 16x)"
              + (f"; before: {growth[1][1] / growth[0][1]:.1f}x" if growth[0][1] else ""))
    if conformance:
        print("\nconformance with the conf tool (python -m kltolint.conformance):")
        for line in conformance:
            print(f"  {line}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


NEW_RULES = ("KDEAD001", "KDEAD002", "KRED001")


def _new_checks(tree: Path, kltolint: list[str], env: dict[str, str], scratch: Path, repeat: int) -> int:
    """The checks of issue 15: dead options, dangling references and redundant
    toolchain conditions on every arch (cold, one command), and the cost of
    the select sweep in a review (the arm64 seed patch, with and without it)."""
    rows = []
    rules = [w for rule in NEW_RULES for w in ("--rule", rule)]
    arches = sum((p / "Kconfig").is_file() for p in (tree / "arch").iterdir())
    every = timed([*kltolint, "check", "-q", "--no-cache", *rules], tree, env)
    rows.append((f"KDEAD001+KDEAD002+KRED001, all {arches} arches, cold", every, "goal < 120 s"))
    for change, what in ((SEED, "the arm64 seed patch"), (UNMET_SELECT, "a patch adding an unmet select (a finding)")):
        if change[1] not in (tree / change[0]).read_text():
            continue
        patch = patch_file(tree, scratch, change)
        runs: dict[bool, Run] = {}
        for sweep in (False, True):  # side by side, each with an empty findings cache
            flags = [] if sweep else ["--no-sweep"]
            runs[sweep] = median([timed([*kltolint, "review", "-q", *flags, str(patch)], tree,
                                        {**env, "KLTOLINT_CACHE_DIR": tempfile.mkdtemp(dir=scratch)})
                                  for _ in range(repeat)])
        rows.append((f"review of {what}, --no-sweep", runs[False], ""))
        rows.append((f"review of {what}, with the sweep", runs[True],
                     f"{runs[True][0] / runs[False][0]:.2f}x the review without it; goal <= 2x"))
    width = max(len(r[0]) for r in rows)
    print(f"{'run':<{width}}  {'wall':>8}  {'peak RSS':>9}  goal")
    for label, run, goal in rows:
        print(f"{label:<{width}}  {run[0]:7.2f}s  {run[1] / 2**20:7.0f}MB  {goal}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
