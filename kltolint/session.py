"""One tree, one rule set: findings per arch, from the cache or computed,
several arches in parallel.

Workers are forked processes that each check one arch and exit, so the
memory of a kconfiglib load goes back to the system after every arch. Output order never depends on which worker
finishes first.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
import os
import time
from pathlib import Path
from typing import Callable, Sequence

from kltolint.cache import Cache, rules_digest
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

    def findings(self, arch: str) -> list[Finding]:
        if arch not in self._findings:
            hit = self.cache.get(self.tree, arch, self._rules_digest) if self.cache else None
            if hit is None:
                stats = self.stats[arch] = Stats()
                started = time.perf_counter()
                model = self.model(self.tree, arch)
                stats.parse = time.perf_counter() - started
                from kltolint import analysis

                found = analysis.check(model, self.rules, self.sources, stats)
                if self.cache:
                    self.cache.put(self.tree, arch, self._rules_digest, model, found)
                hit = (found, list(model.files), list(model.suppressions))
            self._findings[arch], _, self.suppressions[arch] = hit
        return self._findings[arch]

    def run(self, arches: Sequence[str], done: Callable[[str], None] = lambda _: None) -> list[Finding]:
        """Findings of every arch, in arch order; misses computed in parallel."""
        todo = []
        for arch in arches:
            hit = self.cache.get(self.tree, arch, self._rules_digest) if self.cache else None
            if hit is None:
                todo.append(arch)
            else:
                self._findings[arch], _, self.suppressions[arch] = hit
                done(arch)
        if len(todo) > 1 and self.jobs > 1 and self._default_load and not self.tree.overlay:
            self._parallel(todo, done)
        for arch in todo:
            if arch not in self._findings:
                self.findings(arch)
                done(arch)
        return [f for arch in arches for f in self._findings[arch]]

    def _parallel(self, arches: list[str], done: Callable[[str], None]) -> None:
        context = multiprocessing.get_context("fork")
        jobs = [(str(self.tree.root), arch, self.rules) for arch in arches]
        with context.Pool(min(self.jobs, len(arches)), maxtasksperchild=1) as pool:
            for arch, found, manifest, stats in pool.imap_unordered(_check_one, jobs):
                self._findings[arch] = found
                self.suppressions[arch] = list(manifest.suppressions)
                self.stats[arch] = stats
                if self.cache:
                    self.cache.put(self.tree, arch, self._rules_digest, manifest, found)
                done(arch)


def _check_one(job: tuple[str, str, list[Rule]]):  # runs in a worker
    from kltolint import analysis
    from kltolint.load import load_arch

    root, arch, rules = job
    tree = Tree(Path(root))
    stats = Stats()
    started = time.perf_counter()
    model = load_arch(tree, arch)
    stats.parse = time.perf_counter() - started
    found = analysis.check(model, rules, analysis.Sources(tree), stats)
    # What the cache needs of the model, as plain data (the model is lazy).
    manifest = Manifest(model.files, model.globs, model.suppressions)
    return arch, found, manifest, stats


@dataclass(frozen=True)
class Manifest:
    files: tuple[str, ...]
    globs: tuple
    suppressions: tuple
