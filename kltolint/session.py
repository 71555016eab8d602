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
from pathlib import Path
from typing import Callable, Sequence

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
        self._rules_digest = rules_digest(rules) if self.cache else ""
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
        hit = self.cache.get(self.tree, arch, self._rules_digest) if self.cache else None
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
        todo = []
        for arch in arches:
            hit = self._hit(arch)
            if hit is None:
                todo.append(arch)
            else:
                self._findings[arch], self.suppressions[arch] = hit
                done(arch)
        if len(todo) > 1 and self.jobs > 1 and self._default_load and not self.tree.overlay:
            self._parallel(todo, done)
        for arch in todo:
            if arch not in self._findings:
                self._compute(arch)
                done(arch)
        return [f for arch in arches for f in self._findings[arch]]

    def _compute(self, arch: str) -> None:
        self._store(arch, *_check(self.tree, arch, self.rules, lambda: self.model(self.tree, arch), self.sources))

    def _store(self, arch: str, found: list[Finding], manifest: Manifest, stats: Stats) -> None:
        self._findings[arch] = found
        self.suppressions[arch] = list(manifest.suppressions)
        self.stats[arch] = stats
        for rel, identity in manifest.files.items():  # what was analysed (fix.write_atomic compares)
            self.tree.identities.setdefault(rel, identity)
        if self.cache:
            self.cache.put(self.tree, arch, self._rules_digest, manifest, found)

    def _parallel(self, arches: list[str], done: Callable[[str], None]) -> None:
        context = multiprocessing.get_context("fork")
        jobs = [(str(self.tree.root), arch, self.rules) for arch in arches]
        with context.Pool(min(self.jobs, len(arches)), maxtasksperchild=1) as pool:
            for arch, result in pool.imap_unordered(_check_one, jobs):
                self._store(arch, *result)
                done(arch)


def _check(tree: Tree, arch: str, rules: list[Rule], model: Callable[[], ArchModel],
           sources: Sources) -> tuple[list[Finding], Manifest, Stats]:
    """Load and check one arch: findings, the manifest of the load, figures."""
    from kltolint import analysis

    stats = Stats()
    started = time.perf_counter()
    loaded = model()
    stats.parse = time.perf_counter() - started
    found = analysis.check(loaded, rules, sources, stats)
    return found, Manifest.of(loaded, tree), stats


def _check_one(job: tuple[str, str, list[Rule]]):  # runs in a worker
    from kltolint.load import load_arch

    root, arch, rules = job
    tree = Tree(Path(root))
    return arch, _check(tree, arch, rules, lambda: load_arch(tree, arch), Sources(tree))
