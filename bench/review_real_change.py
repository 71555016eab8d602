#!/usr/bin/env python3
"""Review of real change, as a stress test: every Kconfig file that differs
between linux-source-6.12 and 7.3 becomes a patch against 6.12 (changed,
added and removed files; one patch per file), and each goes through
`kltolint review` in its own process. Reported per patch: exit status,
seconds, the first error line; any traceback, exit status other than 0, 1
or 2, or timeout is a failure of the contract.

    python bench/review_real_change.py [--limit N] [--only-arch | --shared | --shared-sample N] [--stripe I/N] [--series]
                                       [--jobs J] [--record FILE.jsonl] [--out bench/review-real-change.md]

`--record` makes a long run resumable: each outcome is appended to the file
as one JSON line when its review ends, a patch already recorded there is not
reviewed again, and the report covers every recorded outcome (so the ~960
files outside arch/, hours of reviews, can be done in several sittings;
`--report-only` writes the report between sittings). Each outcome has the
review's CPU seconds too: wall time depends on what else ran.

`--series` also reviews all patches as one mbox (with --max-patches raised).
kltolint reads 7.3 syntax (`depends on X if Y`, `transitional`) only with the
7.3 support from main; without it many patches end in a one-line exit 2,
which still meets the contract this harness checks.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

KERNELS = Path(os.environ.get("KLTOLINT_KERNELS",
                              Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kltolint" / "kernels"))
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    rel: str
    kind: str  # changed / added / removed
    code: int | None  # None: timed out
    seconds: float
    first_line: str
    traceback: bool
    cpu: float | None = None  # CPU seconds of the review and its workers (with --jobs 1; None: not measured)

    @property
    def ok(self) -> bool:
        return self.code in (0, 1, 2) and not self.traceback


def kconfig_files(tree: Path) -> set[str]:
    return {p.relative_to(tree).as_posix() for p in tree.rglob("Kconfig*") if p.is_file()}


def differing(old: Path, new: Path) -> list[tuple[str, str]]:
    before, after = kconfig_files(old), kconfig_files(new)
    out = [(rel, "changed") for rel in sorted(before & after) if not filecmp.cmp(old / rel, new / rel, shallow=False)]
    out += [(rel, "added") for rel in sorted(after - before)]
    out += [(rel, "removed") for rel in sorted(before - after)]
    return out


def patch_for(old: Path, new: Path, rel: str, kind: str) -> str:
    """A git-style diff of one file (a/ b/ names, /dev/null for new or gone files)."""
    def read(p: Path) -> list[str]:
        return p.read_bytes().decode("utf-8", "surrogateescape").splitlines(keepends=True)

    a = read(old / rel) if kind != "added" else []
    b = read(new / rel) if kind != "removed" else []
    head = f"diff --git a/{rel} b/{rel}\n"
    head += {"added": "new file mode 100644\n", "removed": "deleted file mode 100644\n"}.get(kind, "")
    lines = []
    for line in difflib.unified_diff(a, b, "/dev/null" if kind == "added" else f"a/{rel}",
                                     "/dev/null" if kind == "removed" else f"b/{rel}"):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return head + "".join(lines)


def mail(patch: str, rel: str, index: int) -> str:
    return (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"From: bench <bench@example.org>\nSubject: [PATCH {index}] {rel}: as in 7.3\n\n---\n{patch}-- \n2.39\n\n")


def review(tree: Path, patch_file: Path, timeout: float, *extra: str
           ) -> tuple[int | None, float, str, bool, float | None]:
    """Exit status, seconds, first error line, whether a traceback was
    printed, and CPU seconds (exact only when one review runs at a time: the
    children's usage of this whole process is compared)."""
    started = time.monotonic()
    cpu_before = _children_cpu()
    try:
        proc = subprocess.run([sys.executable, "-m", "kltolint", "review", "-q", "--tree", str(tree),
                               str(patch_file), *extra], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - started, "timeout", False, None
    err = proc.stderr
    first = next((l for l in err.splitlines() if l.startswith("kltolint:")), err.strip()[:200])
    return proc.returncode, time.monotonic() - started, first, "Traceback" in err, _children_cpu() - cpu_before


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, default=KERNELS / "linux-source-6.12")
    parser.add_argument("--new", type=Path, default=KERNELS / "linux-source-7.3")
    parser.add_argument("--limit", type=int, help="only the first N patches (of the chosen kind)")
    parser.add_argument("--only-arch", action="store_true", help="only files under arch/ (one arch each: faster)")
    parser.add_argument("--shared", action="store_true", help="only files outside arch/ (each loads every arch)")
    parser.add_argument("--record", type=Path, metavar="FILE",
                        help="append each outcome to FILE (JSON lines); skip the patches already in it")
    parser.add_argument("--report-only", action="store_true",
                        help="with --record: write the report of what is recorded, review nothing")
    parser.add_argument("--shared-sample", type=int, metavar="N",
                        help="only N files outside arch/, evenly spread (each loads every arch: minutes)")
    parser.add_argument("--new-files-first", action="store_true",
                        help="review added and removed files before changed ones (most are a load or two)")
    parser.add_argument("--stripe", metavar="I/N",
                        help="only every Nth patch from the Ith (0-based): N harnesses, each on its own core and record")
    parser.add_argument("--series", action="store_true", help="also review all patches as one mbox")
    parser.add_argument("--series-only", action="store_true", help="only the mbox, not each patch alone")
    parser.add_argument("--series-chunk", type=int, metavar="K",
                        help="the series K patches a review, each on the tree the patches before it make "
                             "(resumable with --record; with --stripe, the chunks are shared out too)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "review-real-change.md")
    args = parser.parse_args()
    todo = differing(args.old, args.new)
    if args.only_arch:
        todo = [t for t in todo if t[0].startswith("arch/")]
    if args.shared:
        todo = [t for t in todo if not t[0].startswith("arch/")]
    if args.shared_sample:
        shared = [t for t in todo if not t[0].startswith("arch/")]
        step = max(len(shared) // args.shared_sample, 1)
        todo = shared[::step][:args.shared_sample]
    recorded = read_record(args.record) if args.record else {}
    if args.limit:
        todo = todo[:args.limit]
    chosen = list(todo)  # the series covers them all, recorded or not
    selected = {rel for rel, _ in todo}
    if args.new_files_first:
        todo.sort(key=lambda item: item[1] == "changed")  # stable: file order within each part
    at, every = _stripe(args)
    todo = todo[at::every]
    todo = [t for t in todo if t[0] not in recorded and not args.report_only]
    work = Path(tempfile.mkdtemp(prefix="kltolint-real-change-"))
    patches = {}
    for rel, kind in todo:
        path = work / (rel.replace("/", "_") + ".patch")
        path.write_text(patch_for(args.old, args.new, rel, kind), encoding="utf-8", errors="surrogateescape")
        patches[rel] = path
    outcomes: list[Outcome] = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(review, args.old, patches[rel], args.timeout): (rel, kind)
                   for rel, kind in ([] if args.series_only else todo)}
        for future in concurrent.futures.as_completed(futures):
            rel, kind = futures[future]
            code, seconds, first, traceback, cpu = future.result()
            outcomes.append(Outcome(rel, kind, code, seconds, first, traceback, cpu if args.jobs == 1 else None))
            o = outcomes[-1]
            _record(args, o)
            shown = f" cpu {o.cpu:6.1f}s" if o.cpu is not None else ""
            print(f"{'ok ' if o.ok else 'FAIL'} {o.code} {o.seconds:7.1f}s{shown} {rel} ({kind}) {o.first_line[:100]}",
                  flush=True)
    outcomes += [o for rel, o in recorded.items() if rel in selected]
    outcomes.sort(key=lambda o: o.rel)
    series: list[Outcome] = []
    if args.series or args.series_only:
        # Added files first, so that a changed file sourcing one finds it; then
        # scripts/ (Kconfig.include defines the macros the others call); removed last.
        order = sorted(chosen, key=lambda item: (("added", "changed", "removed").index(item[1]),
                                                 not item[0].startswith("scripts/")))
        series = review_series(args, order, work, recorded)
    write_report(args, outcomes, series, len(selected))
    return 0 if all(o.ok for o in outcomes + series) else 1


def review_series(args: argparse.Namespace, order: list[tuple[str, str]], work: Path,
                  recorded: dict[str, Outcome]) -> list[Outcome]:
    """The patches as one series, `--series-chunk` patches an mbox. Chunk j
    is reviewed on the tree the chunks before it make (6.12 with their files
    as 7.3 has them), which is the tree a review of the whole series reaches
    there: so each chunk is a run of its own (resumable, one a core). A
    review that stops at a patch whose tree cannot be read ("while reviewing
    patch k of n": a mixed tree's loop, say) goes on from the patch after it,
    on the tree with it applied: every patch is reviewed or is the one that
    stopped a review. What a chunk does not know: which arches an earlier
    chunk's patches made read another arch's files (review.py's `reads`)."""
    size = args.series_chunk or len(order)
    chunks = [order[start:start + size] for start in range(0, len(order), size)]
    at, every = _stripe(args)
    out = []
    for j, chunk in enumerate(chunks):
        if j % every != at or args.report_only:
            out += [o for key, o in recorded.items() if key.split("+")[0] == f"series/{size}/{j + 1}"]
            continue
        start = 0
        while start < len(chunk):
            key = f"series/{size}/{j + 1}" + (f"+{start}" if start else "")
            outcome = recorded.get(key) or _review_part(args, chunks[:j], chunk, start, j * size, work, key)
            out.append(outcome)
            start += _stopped_at(outcome) or len(chunk) - start
    return out


def _review_part(args: argparse.Namespace, before: list[list[tuple[str, str]]], chunk: list[tuple[str, str]],
                 start: int, first: int, work: Path, key: str) -> Outcome:
    """Patches `start`: of `chunk` as one mbox, on the tree `before` and the chunk's earlier patches make."""
    part = chunk[start:]
    base = _materialised(args.old, args.new, [t for c in before for t in c] + chunk[:start], work / "series-tree")
    mbox = work / "series.mbox"
    mbox.write_text("".join(mail(patch_for(args.old, args.new, rel, kind), rel, i)
                            for i, (rel, kind) in enumerate(part, first + start + 1)), errors="surrogateescape")
    code, seconds, first_line, traceback, cpu = review(base, mbox, args.timeout * len(part),
                                                       "--max-patches", str(len(part)))
    outcome = Outcome(key, f"{len(part)} patches", code, seconds, first_line, traceback, cpu)
    _record(args, outcome)
    stopped = _stopped_at(outcome)
    print(f"{'ok ' if outcome.ok else 'FAIL'} series {key} ({len(part)} patches"
          f"{f', stopped at {stopped}' if stopped else ''}): exit {code}, {seconds:.0f} s, cpu {cpu or 0:.0f} s "
          f"{first_line[:100]}", flush=True)
    return outcome


_APPLIED: dict[Path, list[tuple[str, str]]] = {}  # a materialised tree: the patches it has


def _materialised(old: Path, new: Path, applied: list[tuple[str, str]], dest: Path) -> Path:
    """A copy of `old` at `dest` (hard links) with the `applied` files as
    `new` has them, kept from one part to the next: where the tree there
    has a prefix of `applied`, only the rest is written (a copy of the
    kernel takes seconds; a part after a patch whose tree cannot be read
    is reviewed in seconds)."""
    done = _APPLIED.get(dest)
    if done is None or done != applied[:len(done)]:
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(old, dest, copy_function=os.link, symlinks=True)
        done = []
    _apply_files(new, applied[len(done):], dest)
    _APPLIED[dest] = list(applied)
    return dest


def _part(o: Outcome) -> tuple[int, int]:
    chunk, _, start = o.rel.split("/")[2].partition("+")
    return int(chunk), int(start or 0)


def _stopped_at(outcome: Outcome) -> int | None:
    """The patch (1-based, in the part) whose tree stopped the review; None if it ran through."""
    found = re.search(r"\(while reviewing patch (\d+) of \d+\)$", outcome.first_line)
    if found:
        return int(found.group(1))
    return 1 if outcome.code == 2 and outcome.kind == "1 patches" else None


def _apply_files(new: Path, applied: list[tuple[str, str]], dest: Path) -> None:
    for rel, kind in applied:
        target = dest / rel
        if kind != "added":
            target.unlink()  # a hard link: never written through
        if kind != "removed":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((new / rel).read_bytes())


def _stripe(args: argparse.Namespace) -> tuple[int, int]:
    if not args.stripe:
        return 0, 1
    first, every = (int(part) for part in args.stripe.split("/"))
    return first, every


def _record(args: argparse.Namespace, o: Outcome) -> None:
    if args.record:
        with args.record.open("a", encoding="utf-8") as out:
            out.write(json.dumps({**o.__dict__, "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                  "load": os.getloadavg()[0], "commit": _commit()}) + "\n")


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def read_record(path: Path) -> dict[str, Outcome]:
    """The outcomes a `--record` file holds (a later line for a file wins)."""
    out: dict[str, Outcome] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                out[data["rel"]] = Outcome(data["rel"], data["kind"], data["code"], data["seconds"],
                                           data["first_line"], data["traceback"], data.get("cpu"))
    return out


def write_report(args: argparse.Namespace, outcomes: list[Outcome], series: list[Outcome], selected: int) -> None:
    lines = [f"# review of real change: {args.old.name} -> {args.new.name}", "",
             f"{selected} patches (one per differing Kconfig file{', arch/ only' if args.only_arch else ''}"
             f"{', outside arch/' if args.shared else ''}"
             f"{f', {args.shared_sample} outside arch/, evenly spread' if args.shared_sample else ''}"
             f"{f', first {args.limit}' if args.limit else ''}); reported {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
             f"{' (each outcome records when it was measured)' if args.record else ''},"
             f" {os.cpu_count()} CPUs, {args.jobs} at a time.", ""]
    if series or args.series_only:
        lines += _series_part(args, series, selected)
    if not args.series_only:
        lines += _files_part(outcomes, selected)
    args.out.write_text("\n".join(lines) + "\n")


def _files_part(outcomes: list[Outcome], selected: int) -> list[str]:
    import statistics

    times = [o.seconds for o in outcomes]
    by_code: dict[str, int] = {}
    for o in outcomes:
        by_code[str(o.code)] = by_code.get(str(o.code), 0) + 1
    lines = [f"Each patch alone: {len(outcomes)} of {selected} reviewed.", "",
             f"- contract kept (exit 0/1/2, no traceback, no timeout): {sum(o.ok for o in outcomes)} of {len(outcomes)}",
             f"- exit statuses: {', '.join(f'{k}: {v}' for k, v in sorted(by_code.items()))}",
             f"- seconds per patch: median {statistics.median(times):.1f}, max {max(times):.1f}, total {sum(times):.0f}"
             if times else "- no patches"]
    cpus = [o.cpu for o in outcomes if o.cpu is not None]
    if cpus:  # wall time depends on what else ran; CPU time much less
        lines.append(f"- CPU seconds per patch (review and its workers; {len(cpus)} measured): "
                     f"median {statistics.median(cpus):.1f}, max {max(cpus):.1f}, total {sum(cpus):.0f}")
    lines += ["", "| file | kind | exit | seconds | CPU seconds | first line |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {o.rel} | {o.kind} | {o.code} | {o.seconds:.1f} | {'' if o.cpu is None else f'{o.cpu:.1f}'} "
              f"| {o.first_line[:120].replace('|', '/')} |" for o in outcomes]
    return lines


def _series_part(args: argparse.Namespace, series: list[Outcome], selected: int) -> list[str]:
    size = args.series_chunk or selected
    # A review that stopped at patch k covered k patches; the next part starts after it.
    patches = sum(_stopped_at(o) or int(o.kind.split()[0]) for o in series)
    stopped = sum(_stopped_at(o) is not None for o in series)
    cpu = [o.cpu for o in series if o.cpu is not None]
    lines = [f"The series, in chunks of {size}, each on the tree the chunks before it make: "
             f"{len({o.rel.split('/')[2].split('+')[0] for o in series})} of {-(-selected // size)} chunks, "
             f"{patches} of {selected} patches, in {len(series)} reviews; {stopped} of them stopped at a patch "
             f"whose tree cannot be read, and the next review (`chunk+k`) went on after it.", "",
             f"- contract kept (exit 0/1/2, no traceback, no timeout): {sum(o.ok for o in series)} of {len(series)}",
             f"- CPU seconds per patch: {sum(cpu) / max(patches, 1):.1f}" if cpu else "- CPU not measured", "",
             "| chunk(+start) | patches | exit | seconds | CPU seconds | first line |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {o.rel.split('/')[2]} | {o.kind.split()[0]} | {o.code} | {o.seconds:.1f} | "
              f"{'' if o.cpu is None else f'{o.cpu:.1f}'} | {o.first_line[:160].replace('|', '/')} |"
              for o in sorted(series, key=_part)]
    return lines + [""]


if __name__ == "__main__":
    sys.exit(main())
