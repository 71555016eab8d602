"""One tree, one rule set: findings per arch, from the cache or computed,
several arches in parallel.

Workers are forked processes that each check one arch and exit, so the
memory of a kconfiglib load goes back to the system after every arch. Output
order never depends on which worker finishes first. A session loads its tree
with one `load.Loader` (the tree as it is by default; a changed tree's
loader for a review's patched trees) and keeps each arch's load, its model
and its record, for what comes next (a fix's verification). An `extra`
check (a review's patch-scoped sweep) runs with each arch's findings, in the
process that loaded the arch, so no other process loads it again; so does a
session's `follow` (a review verifying fixes on the patched tree), whose jobs
start one by one, each given what is known when it starts.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from kltolint import expr as E, workers
from kltolint.cache import Cache, Manifest, rules_digest
from kltolint.findings import Finding, Stats
from kltolint.suppress import Suppression
from kltolint.model import ArchModel
from kltolint.rules import Rule
from kltolint.source import Sources
from kltolint.tree import Tree

if TYPE_CHECKING:  # the analysis stack (kconfiglib, the solver) is imported on a cache miss only
    from kltolint.load import Loaded, Loader


class ArchExtra(Protocol):
    """More findings from an arch's model, computed where the arch is loaded
    (kept with the extra that computed them: compared by value)."""

    def __call__(self, model: ArchModel, sources: Sources) -> list[Finding]: ...


class FollowUp:
    """More work on an arch after its check, in the worker that loaded it
    (a review verifies fixes on the patched tree there). By default its jobs
    are queued at once and given nothing; a follow-up whose jobs need what
    other arches found says so (`waits`, `ready`, `rank`, `payload`)."""

    # True: the jobs start one by one as workers free up, each with what is
    # known then; False: all are queued at once.
    waits = False

    def ready(self, arch: str) -> bool:
        """May arch's job start now (what its payload needs is known)?"""
        return True

    def rank(self, arch: str) -> int:
        """Of the jobs ready, the lowest rank starts first (then arch order)."""
        return 0

    def payload(self, arch: str) -> object:
        """What the worker that checks arch is given (plain data)."""
        return None

    def __call__(self, arch: str, found: list[Finding], payload: object) -> object:
        """The work itself, after the check found `found` (plain data back)."""
        raise NotImplementedError

    def take(self, arch: str, result: object) -> None:
        """The work's result, in this process."""
        raise NotImplementedError


class Session:
    """One tree and one rule set: each arch's findings, and its load."""

    def __init__(self, tree: Tree, rules: list[Rule], load: Loader | None = None,
                 cache: Cache | None = None, jobs: int | None = None) -> None:
        self.tree = tree
        self.rules = rules
        self.sources = Sources(tree)
        self.cache = cache if not tree.overlay else None
        self.jobs = jobs or os.cpu_count() or 1
        self._loader = load  # None: load.CHECKED, imported when first needed
        self.rules_digest = rules_digest(rules) if self.cache else ""  # the cache's key for the rule set
        self._loaded: dict[str, Loaded] = {}
        self._findings: dict[str, list[Finding]] = {}
        self.stats: dict[str, Stats] = {}  # arches computed (not cached) in this session
        self.read: dict[str, frozenset[str]] = {}  # arch -> the files its load read (arches computed here)
        self.suppressions: dict[str, list[Suppression]] = {}
        self.extra: ArchExtra | None = None  # run with each arch computed from now on
        self.follow: FollowUp | None = None  # run after each arch checked in a worker of `run_together`
        self._extra_found: dict[str, tuple[ArchExtra, list[Finding]]] = {}

    def extra_findings(self, arch: str) -> list[Finding] | None:
        """What `extra` found on arch, if it ran with the arch's findings."""
        done = self._extra_found.get(arch)
        return done[1] if done is not None and self.extra is not None and done[0] == self.extra else None

    def with_rules(self, rules: list[Rule]) -> Session:
        """A session on the same tree, sharing this one's loads and sources,
        that checks `rules` (none of its findings computed yet)."""
        other = Session(self.tree, rules, self._loader, None, self.jobs)
        other.sources = self.sources
        other._loaded = self._loaded
        return other

    def loaded(self, arch: str) -> Loaded:
        """arch's load (model and record), loaded on first request."""
        done = self._loaded.get(arch)
        if done is None:
            if self._loader is None:
                from kltolint.load import CHECKED

                self._loader = CHECKED
            done = self._loaded[arch] = self._loader.load(self.tree, arch)
        return done

    def model(self, arch: str) -> ArchModel:
        return self.loaded(arch).model

    def _hit(self, arch: str) -> tuple[list[Finding], list[Suppression]] | None:
        """A cache hit, unless a finding's rule or guard is not what the rules give."""
        hit = self.cache.get(self.tree, arch, self.rules_digest) if self.cache else None
        if hit is None:
            return None
        # Only a guard the rule pack gives can be compared: the other kinds find theirs in the tree.
        guards = {r.id: {E.to_str(g) for g in r.fix.guards} for r in self.rules if r.takes_strategy}
        by_id = {r.id for r in self.rules}
        for finding in hit[0]:
            if finding.rule not in by_id or (finding.rule in guards and finding.guard not in guards[finding.rule]):
                return None  # foreign or tampered: recompute
        return hit

    def computed(self, arch: str) -> list[Finding] | None:
        """arch's findings if this session has them already (None: they
        would have to be computed or read from the cache)."""
        return self._findings.get(arch)

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

    def prepare(self) -> None:
        """What every arch's check shares, done once here before the workers
        are forked (they inherit it): each rule kind's `prepare`."""
        from kltolint import analysis

        names = {rule.kind for rule in self.rules}
        for prepare in dict.fromkeys(kind.prepare for name, kind in analysis.RULE_KINDS.items() if name in names):
            if prepare is not None:
                prepare(self.sources)

    def _compute(self, arch: str) -> None:
        self._store(arch, *_check(self, arch))

    def _store(self, arch: str, found: list[Finding], manifest: Manifest, stats: Stats,
               extra: list[Finding] | None) -> None:
        self._findings[arch] = found
        if self.extra is not None and extra is not None:
            self._extra_found[arch] = (self.extra, extra)
        self.suppressions[arch] = list(manifest.suppressions)
        self.stats[arch] = stats
        self.read[arch] = frozenset(manifest.files)
        if not self.tree.overlay:  # what was analysed on disk (fix.write_atomic compares)
            for rel, identity in manifest.files.items():
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
    model stays loaded for what comes next (a fix's verification). The
    arches of sessions without a `follow` are queued at once; those of
    sessions with one go in order, each when its follow-up is ready and a
    worker is free, with what is known then."""
    todo = [(session, arch) for session, arches in work
            for arch in session._misses(arches, functools.partial(done, session))]
    mine = [here] if here in todo else []
    others = [job for job in todo if job not in mine]
    jobs = min((session.jobs for session, _ in todo), default=1)
    if len(todo) > 1 and jobs > 1:
        for session in dict.fromkeys(s for s, _ in others):
            session.prepare()

        _pooled(others, mine, done, _workers(jobs, len(mine), len(others)))
    for session, arch in todo:
        if arch not in session._findings:
            session._compute(arch)
            done(session, arch)


def _pooled(others: list[tuple[Session, str]], mine: list[tuple[Session, str]],
            done: Callable[[Session, str], None], processes: int) -> None:
    """`others` checked in forked workers while this process checks `mine`.
    The first error (of `mine`, of a job, or of taking its result) is raised
    once every worker has ended; after it, jobs that wait are not started."""
    waiting = [i for i, (session, _) in enumerate(others) if session.follow is not None and session.follow.waits]
    failed: Exception | None = None
    with workers.Workers(lambda index, payload: _check_one(*others[index], payload), processes) as pool:

        def start(index: int) -> None:
            session, arch = others[index]
            pool.start(index, session.follow.payload(arch) if session.follow is not None else None)

        def start_waiting() -> None:
            """Jobs that wait start when a worker is free for them (given what is known then)."""
            while waiting and pool.running < processes and failed is None:
                ready = [i for i in waiting if _follow(others[i][0]).ready(others[i][1])]
                if not ready and pool.running:
                    return
                # min keeps the first of equal ranks; with nothing ready and nothing
                # running, nothing can make one ready: it starts with what is known.
                chosen = min(ready or waiting[:1], key=lambda i: _follow(others[i][0]).rank(others[i][1]))
                waiting.remove(chosen)
                start(chosen)

        for index in range(len(others)):
            if index not in waiting:
                start(index)
        start_waiting()
        try:
            for session, arch in mine:
                session._compute(arch)
                done(session, arch)
        except Exception as error:
            failed = error
            pool.stop()
        while pool.running or (waiting and failed is None):
            start_waiting()
            try:
                ended = pool.next()
                if ended is not None and failed is None:
                    index, (checked, followed) = ended
                    session, arch = others[index]
                    session._store(arch, *checked)
                    done(session, arch)
                    if session.follow is not None and followed is not None:
                        session.follow.take(arch, followed)
            except Exception as error:
                failed = failed or error
                pool.stop()
    if failed is not None:
        raise failed


def _workers(jobs: int, mine: int, others: int) -> int:
    """How many workers check `others` while this process checks `mine`.
    This process cannot take work from the pool once its own is done: where
    the others outnumber the jobs, `jobs` workers, so that every core stays
    busy to the end (one more process than cores while `mine` is checked);
    otherwise the cores this process leaves free."""
    if others > jobs:
        return jobs
    return max(1, min(jobs - mine, others))


Checked = tuple[list[Finding], Manifest, Stats, "list[Finding] | None"]


def _check(session: Session, arch: str) -> Checked:
    """Load and check one arch: findings, the manifest of the load, figures,
    and what the session's extra check found."""
    from kltolint import analysis

    stats = Stats()
    started = time.perf_counter()
    loaded = session.loaded(arch)
    stats.parse = time.perf_counter() - started
    found = analysis.check(loaded.model, session.rules, session.sources, stats)
    extra = session.extra(loaded.model, session.sources) if session.extra is not None else None
    return found, Manifest.of(loaded.record), stats, extra


def _follow(session: Session) -> FollowUp:
    assert session.follow is not None
    return session.follow


def _check_one(session: Session, arch: str, payload: object) -> tuple[Checked, object]:  # runs in a worker
    from kltolint import compat

    compat.RUNTIME.one_arch_process()
    checked = _check(session, arch)
    if session.follow is None:
        return checked, None
    # What the follow-up asks of the session (this process then exits).
    session._findings[arch] = checked[0]
    if session.extra is not None and checked[3] is not None:
        session._extra_found[arch] = (session.extra, checked[3])
    return checked, session.follow(arch, checked[0], payload)
