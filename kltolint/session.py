"""One tree, one rule set: findings per arch, from the cache or computed,
several arches in parallel.

Workers are forked processes that each check one arch and exit, so the
memory of a kconfiglib load goes back to the system after every arch. Output order never depends on which worker
finishes first.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence

from kltolint import expr as E
from kltolint.cache import Cache, Manifest, rules_digest
from kltolint.findings import Finding, Stats
from kltolint.suppress import Suppression
from kltolint.model import ArchModel
from kltolint.rules import Rule
from kltolint.source import Sources
from kltolint.tree import Tree

Loader = Callable[[Tree, str], ArchModel]


class Session:
    def __init__(self, tree: Tree, rules: list[Rule], load: Loader | None = None,
                 cache: Cache | None = None, jobs: int | None = None) -> None:
        self.tree = tree
        self.rules = rules
        self.sources = Sources(tree)
        self.cache = cache if not tree.overlay else None
        self.jobs = jobs or os.cpu_count() or 1
        # The analysis stack (kconfiglib, the solver) loads only on a cache miss.
        self._load = load
        self._default_load = load is None
        self.rules_digest = rules_digest(rules) if self.cache else ""  # the cache's key for the rule set
        self._models: dict[tuple[int, str], ArchModel] = {}
        self._findings: dict[str, list[Finding]] = {}
        self.stats: dict[str, Stats] = {}  # arches computed (not cached) in this session
        self.suppressions: dict[str, list[Suppression]] = {}

    def model(self, tree: Tree, arch: str) -> ArchModel:
        key = (id(tree), arch)
        if key not in self._models:
            if self._load is None:
                from kltolint.load import load_arch

                self._load = load_arch
            self._models[key] = self._load(tree, arch)
        return self._models[key]

    def _hit(self, arch: str) -> tuple[list[Finding], list[Suppression]] | None:
        """A cache hit, unless a finding's rule or guard is not what the rules give."""
        hit = self.cache.get(self.tree, arch, self.rules_digest) if self.cache else None
        if hit is None:
            return None
        guards = {r.id: {E.to_str(g) for g in r.fix.guards} for r in self.rules if r.kind != "unmet-select"}
        by_id = {r.id for r in self.rules}
        for finding in hit[0]:
            if finding.rule not in by_id or (finding.rule in guards and finding.guard not in guards[finding.rule]):
                return None  # foreign or tampered: recompute
        return hit

    def findings(self, arch: str) -> list[Finding]:
        if arch not in self._findings:
            hit = self._hit(arch)
            if hit is None:
                self._compute(arch)
            else:
                self._findings[arch], self.suppressions[arch] = hit
        return self._findings[arch]

    def run(self, arches: Sequence[str], done: Callable[[str], None] = lambda _: None) -> list[Finding]:
        """Findings of every arch, in arch order; misses computed in parallel."""
        run_together([(self, arches)], lambda _session, arch: done(arch))
        return [f for arch in arches for f in self._findings[arch]]

    def _misses(self, arches: Sequence[str], done: Callable[[str], None]) -> list[str]:
        """The arches neither computed nor in the cache (hits are taken)."""
        todo = []
        for arch in arches:
            if arch in self._findings:
                continue
            hit = self._hit(arch)
            if hit is None:
                todo.append(arch)
            else:
                self._findings[arch], self.suppressions[arch] = hit
                done(arch)
        return todo

    def _forkable(self) -> bool:
        """Can a forked worker load this session's arches? (A loader passed
        in by a caller other than kltolint's own may hold state of its own.)"""
        return self._default_load or getattr(self._load, "__module__", None) == "kltolint.load"

    def _compute(self, arch: str) -> None:
        self._store(arch, *_check(self.tree, arch, self.rules, lambda: self.model(self.tree, arch), self.sources))

    def _store(self, arch: str, found: list[Finding], manifest: Manifest, stats: Stats) -> None:
        self._findings[arch] = found
        self.suppressions[arch] = list(manifest.suppressions)
        self.stats[arch] = stats
        for rel, identity in manifest.files.items():  # what was analysed (fix.write_atomic compares)
            self.tree.identities.setdefault(rel, identity)
        if self.cache:
            self.cache.put(self.tree, arch, self.rules_digest, manifest, found)



def run_together(work: Sequence[tuple[Session, Sequence[str]]],
                 done: Callable[[Session, str], None] = lambda _s, _a: None,
                 here: tuple[Session, str] | None = None) -> None:
    """Findings of several sessions' arches (a review's trees before and
    after a patch): every miss computed in one pool of forked workers, one
    arch each, so the trees are checked side by side and no process holds
    more than one arch. `here` is computed in this process meanwhile, so its
    model stays loaded for what comes next (a fix's verification)."""
    global _WORK
    todo = [(session, arch) for session, arches in work
            for arch in session._misses(arches, lambda arch, s=session: done(s, arch))]
    mine = [here] if here in todo else []
    others = [job for job in todo if job not in mine]
    jobs = min((session.jobs for session, _ in todo), default=1)
    if len(todo) > 1 and jobs > 1 and all(session._forkable() for session, _ in others):
        _WORK = others
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(max(1, min(jobs - len(mine), len(others))), maxtasksperchild=1) as pool:
                results = pool.imap_unordered(_check_one, range(len(others)))
                for session, arch in mine:
                    session._compute(arch)
                    done(session, arch)
                for index, result in results:
                    session, arch = others[index]
                    session._store(arch, *result)
                    done(session, arch)
        finally:
            _WORK = []
    for session, arch in todo:
        if arch not in session._findings:
            session._compute(arch)
            done(session, arch)


_WORK: list[tuple[Session, str]] = []  # set before forking; workers inherit it


def _check(tree: Tree, arch: str, rules: list[Rule], model: Callable[[], ArchModel],
           sources: Sources) -> tuple[list[Finding], Manifest, Stats]:
    """Load and check one arch: findings, the manifest of the load, figures."""
    from kltolint import analysis

    stats = Stats()
    started = time.perf_counter()
    loaded = model()
    stats.parse = time.perf_counter() - started
    found = analysis.check(loaded, rules, sources, stats)
    # A changed tree (a patch's overlay) is never cached: its manifest keeps
    # only the suppressions (a file the patch adds is not on disk to hash).
    manifest = (Manifest({}, loaded.globs, tuple(loaded.suppressions)) if tree.overlay
                else Manifest.of(loaded, tree))
    return found, manifest, stats


def _check_one(index: int):  # runs in a worker
    session, arch = _WORK[index]
    return index, _check(session.tree, arch, session.rules, lambda: session.model(session.tree, arch),
                         session.sources)
