"""Review a patch series: what each patch changes in the findings.

Each patch is applied to an in-memory overlay on top of the ones before it;
the arches that read its Kconfig files are analysed before and after it. Only
the difference is reported: findings it introduces (with their fixes,
verified on the patched tree) and findings it removes. Line numbers refer to
the patched files.

Each arch is loaded once before the patch and once after it: the fixes are
verified on the patched tree where it is loaded, in the worker that checks
the arch after the patch (`_InPass`); only what that pass could not know is
verified after it, loading the arch again.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Iterable, Sequence

from kltolint import expr as E
from kltolint import analysis, compat, dead, fix, inert, review_sweep, sweep
from kltolint.errors import UserError
from kltolint.findings import Finding
from kltolint.model import BOOL_TYPES, EDGE_KINDS, ArchModel
from kltolint.load import LASTING, Loader
from kltolint.patch import Patch, apply, is_kconfig
from kltolint.rules import Rule
from kltolint.source import SourceFile
from kltolint.session import FollowUp, Session, run_together
from kltolint.tree import Tree


@dataclass(frozen=True)
class PatchReview:
    """What one patch of a series introduces and removes."""

    patch: Patch
    introduced: tuple[Finding, ...]
    removed: tuple[Finding, ...]
    note: str = ""  # e.g. why nothing was checked


def review(tree: Tree, patches: Sequence[Patch], rules: list[Rule],
           load: Loader = LASTING,
           progress: Callable[[str], None] = lambda _: None) -> list[PatchReview]:
    rules, sweeps = sweep.split(rules)  # the sweep runs on what each patch touches only
    before_session = Session(tree, rules, load)
    # arch -> what its latest load read: an earlier patch of the series may
    # make an arch read another arch's files, which the path alone does not tell.
    reads: dict[str, frozenset[str]] = {}
    out = []
    for patch in patches:
        try:
            after_session = _after(before_session, patch, load)
            out.append(_review_patch(before_session, after_session, patch, rules, sweeps, reads, progress))
        except UserError as err:
            if len(patches) < 2:
                raise
            # Which patch a series cannot be read after (or before): it is not
            # bisectable there. The index is ours, never the mail's text.
            raise type(err)(f"{err.message} (while reviewing patch {patch.index} of {len(patches)})",
                            err.file, err.line) from None
        reads.update(after_session.read)  # the before-session's loads are of the same arches
        before_session = after_session
    return out


def _after(before: Session, patch: Patch, load: Loader) -> Session:
    """The session of the tree `patch` makes of `before`'s."""
    return Session(Tree(before.tree.root, apply(before.tree, patch)), before.rules, load.changed())


def _review_patch(before_session: Session, after_session: Session, patch: Patch, rules: list[Rule],
                  sweeps: list[Rule], reads: dict[str, frozenset[str]],
                  progress: Callable[[str], None]) -> PatchReview:
    """What `patch` introduces and removes, on the arches that read its files."""
    tree, after_tree = before_session.tree, after_session.tree
    touched = [fp.path for fp in patch.files if is_kconfig(fp.path)]
    if not touched:
        return PatchReview(patch, (), (), "touches no Kconfig file: nothing to check")
    arches = sorted({a for path in touched for a in tree.arches_reading(path)}
                    | {a for a, files in reads.items() if not files.isdisjoint(touched)})
    # Arches where the patch provably changes nothing are not loaded;
    # one arch is, in any case, so that the patched tree is parsed.
    unchanged = proven_unchanged(tree, after_tree, patch, arches, rules + sweeps)
    arches = [a for a in arches if a not in unchanged] or [_reader(after_tree, touched, arches)]
    introduced, removed = [], []
    # The sweep of what the patch touches runs where each arch is loaded.
    scoped = review_sweep.ScopedSweep(
        tuple(sweeps), frozenset(review_sweep.touched_symbols(tree, after_tree, patch, arches)))
    before_session.extra = after_session.extra = scoped if sweeps and scoped.scope else None
    verdicts = _checked(before_session, after_session, arches, scoped.scope, touched,
                        rules + sweeps if before_session.extra is not None else None, progress)
    for arch in arches:
        new, gone = changes(before_session.findings(arch), after_session.findings(arch))
        introduced += new
        removed += gone
    if introduced:
        introduced = fix.Fixer(after_session, verdicts).attach(introduced)
    if sweeps:
        swept = [review_sweep.diff(before_session, after_session, a, scoped) for a in arches]
        removed += [f for _, gone in swept for f in gone]
        added = [f for new, _ in swept for f in new]
        if added:
            introduced += _sweep_fixer(after_session, rules + sweeps, verdicts).attach(added)
    return PatchReview(patch, tuple(sorted(introduced, key=Finding.sort_key)),
                       tuple(sorted(removed, key=Finding.sort_key)))


def _reader(tree: Tree, files: Sequence[str], arches: Sequence[str]) -> str:
    """The first arch whose load reads one of `files` (the first arch if none does)."""
    for arch in arches:
        walked = inert.walk(tree, arch)
        if walked is not None and not set(files).isdisjoint(walked.record.names):
            return arch
    return arches[0]


def proven_unchanged(before: Tree, after: Tree, patch: Patch, arches: Sequence[str], rules: Sequence[Rule]) -> set[str]:
    """The arches where the patch changes nothing, proven from the texts
    (inert.py): those that read none of its files (`unread`), and those
    where it changes no value (`_never_on`)."""
    if not inert.SWITCH.on or len(arches) < 2:
        return set()  # one arch is loaded in any case
    # KDEAD001 reads every Kconfig file of the tree (dead.defined_anywhere),
    # not only those the arch's load reads: a file no arch reads still counts.
    out = set() if any(r.kind == dead.DANGLING for r in rules) else unread(before, after, arches)
    rest = [a for a in arches if a not in out]
    return out | (_never_on(before, after, patch, rest, rules) if rest else set())


def unread(before: Tree, after: Tree, arches: Sequence[str]) -> set[str]:
    """The arches whose load reads none of the files that differ between
    `before` and `after`, on either side: the same files, so the same model
    and findings, whatever the rules. The common case is a new file that
    nothing sources yet (the first patch of a new driver's series)."""
    absent = object()  # not in the overlay: the file on disk
    changed = {rel for rel in before.overlay.keys() | after.overlay.keys()
               if before.overlay.get(rel, absent) != after.overlay.get(rel, absent)}
    out = set()
    for arch in arches:
        old, new = inert.walk(before, arch), inert.walk(after, arch)
        # A file a glob comes to match (or no longer matches) is read on one side;
        # a `..` past a directory the patch adds or empties changes what a
        # `source` line matches with no file it reads changed.
        if (old is not None and new is not None and old.record.globs == new.record.globs
                and changed.isdisjoint(old.record.names) and changed.isdisjoint(new.record.names)):
            out.add(arch)
    return out


def _never_on(before: Tree, after: Tree, patch: Patch, arches: Sequence[str], rules: Sequence[Rule]) -> set[str]:
    """The arches where the patch changes no value: it changes the property
    lines of `config` entries only (inert.changed_entries), each a bool or
    tristate outside any choice that can never be on there, neither before
    nor after it, and none of them (or of the symbols they select) reads a
    name after it that it did not read before, so no loop can close. With
    rules that read values only (forbid rules, the sweep), their findings
    there are the same before and after."""
    if not all(analysis.RULE_KINDS[r.kind] is analysis.FORBID or sweep.is_sweep(r) for r in rules):
        return set()
    changed: set[str] = set()  # names of the entries changed, on either side (a removed line changes the entry after too)
    sources: list[tuple[SourceFile, SourceFile]] = []
    old_texts: dict[str, str] = {}  # the patched files before the patch
    for fp in patch.files:
        if not is_kconfig(fp.path):
            continue
        if fp.old_path is None or fp.old_path != fp.new_path or not before.exists(fp.old_path):
            return set()  # a file added, removed or renamed: `source` lines change too
        old_text, new_text = before.read(fp.old_path), after.read(fp.old_path)
        if not (inert.understood(old_text) and inert.understood(new_text)):
            return set()
        old_source, new_source = SourceFile(old_text), SourceFile(new_text)
        old_texts[fp.old_path] = compat.rewrite(old_text)
        if inert.skeleton(old_source) == inert.skeleton(new_source):
            continue  # help texts and comments only: no entry changed
        old_lines, new_lines = review_sweep.changed_lines(fp.hunks)
        old = inert.changed_entries(old_source, old_lines)
        new = inert.changed_entries(new_source, new_lines)
        if old is None or new is None:
            return set()
        changed |= old | new
        sources.append((old_source, new_source))
    # A loop the patch closes needs an entry that reads more after it (on its
    # own lines, or through a select or imply it makes): none may. Compared
    # line by line, as kconfiglib links them.
    for old_source, new_source in sources:
        for name in changed:
            (old_own, old_into), (new_own, new_into) = inert.own_reads(old_source, name), inert.own_reads(new_source, name)
            if new_own - old_own or new_into - old_into:
                return set()
    if not changed:
        return set(arches)  # the same entries, the same way: nothing to prove per arch
    out = set()
    for arch in arches:
        # No `source` line changed: the tree before reads the same files.
        new_walk = inert.walk(after, arch)
        if new_walk is None:
            continue
        old_facts = inert.Facts(new_walk, {rel: t for rel, t in old_texts.items() if rel in new_walk.files})
        new_facts = inert.Facts(new_walk)
        if not any(facts.may_be_on(n) or facts.numeric(n) or facts.in_choice(n)
                   for n in changed for facts in (old_facts, new_facts)):
            out.add(arch)  # never on (and no value that counts while off, no choice's member)
    return out


def _checked(before: Session, after: Session, arches: list[str], touched_symbols: frozenset[str],
             touched_files: list[str], sweep_rules: list[Rule] | None,
             progress: Callable[[str], None]) -> dict[fix.VerdictKey, fix.ArchVerdict]:
    """Every arch before and after the patch, side by side, in forked
    workers where there are several, while this process checks the first
    arch after the patch (its model then serves the fixes' verification).
    Each arch checked after the patch in a worker also verifies there, on
    the model it loaded, the fixes of what the patch introduces on it and
    on the arches checked by then: their verdicts (_InPass)."""
    def shown(session: Session, arch: str) -> None:
        if session is after:  # progress names the arches checked after the patch
            progress(arch)

    live = _Live(before, touched_symbols, frozenset(touched_files))
    in_pass = _InPass(before, after, arches, live, sweep_rules)
    if len(arches) > 1:  # one arch is checked here after the patch, its model kept for attach
        before.follow, after.follow = live, in_pass
    try:
        run_together([(before, arches), (after, arches)], shown, here=(after, arches[0]))
    finally:
        before.follow = after.follow = None
    return in_pass.verdicts


def changes(before: Sequence[Finding], after: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """The findings `after` adds to `before` and those it removes (by key)."""
    old = {f.key(): f for f in before}
    new = {f.key(): f for f in after}
    return [f for k, f in new.items() if k not in old], [f for k, f in old.items() if k not in new]


@dataclass(frozen=True)
class _Candidates:
    """What a worker checking an arch after the patch is given: the arch's
    findings before the patch, and a finding for each fix (rule, edit point,
    guard) introduced on the arches checked so far (`settled`); the same for
    the patch-scoped sweep (`swept_before` None: not at hand)."""

    before: tuple[Finding, ...]
    others: tuple[Finding, ...]
    swept_before: tuple[Finding, ...] | None
    swept_others: tuple[Finding, ...]
    settled: frozenset[str]
    live: frozenset[str]  # the other arches where the patch may matter (_Live), settled or not


def _fix_of(finding: Finding) -> tuple[object, ...]:
    """What `fix.Fixer.attach` verifies once for every finding that has it."""
    return (finding.rule, finding.point, finding.guard)


def _by_fix(findings: Iterable[Finding], into: dict[tuple[object, ...], Finding]) -> dict[tuple[object, ...], Finding]:
    """The first finding of each fix (those with an edit point), added to `into`."""
    for finding in findings:
        if finding.point is not None:
            into.setdefault(_fix_of(finding), finding)
    return into


class _Live(FollowUp):
    """The before-session's follow-up: may an entry the patch changes be on,
    on the arch before the patch (`may_be_on`)? Only the order of the
    after-checks reads it: arches where the patch can matter first, so that
    the fixes they introduce are known before the others are checked."""

    def __init__(self, before: Session, entries: frozenset[str], files: frozenset[str]) -> None:
        self.before, self.entries, self.files = before, entries, files
        self.live: dict[str, bool] = {}

    def __call__(self, arch: str, found: list[Finding], payload: object) -> bool:
        model = self.before.model(arch)
        names = [n for n in self.entries if n in model.symbols
                 and any(loc.file in self.files for loc in model.symbols[n].locs)]
        seen: dict[str, bool] = {}
        return any(may_be_on(model, n, seen) for n in names)

    def take(self, arch: str, result: object) -> None:
        self.live[arch] = bool(result)


def may_be_on(model: ArchModel, name: str, seen: dict[str, bool], depth: int = 0) -> bool:
    """Can symbol `name` be y or m on `model`? An over-approximation (False
    is a proof it cannot; True proves nothing): values are not correlated,
    a negation or comparison may always hold, a symbol met again on the way
    or too deep may be on."""
    if name in seen:
        return seen[name]
    if depth > 100 or model.is_probe(name):
        return True
    sym = model.symbols.get(name)
    if sym is None or sym.type not in BOOL_TYPES:
        return False
    seen[name] = True  # on the way: may be on

    def can(expr: E.Expr) -> bool:
        return E.may_hold(expr, lambda n: may_be_on(model, n, seen, depth + 1))

    on = (any(can(p) for p in sym.prompts) or any(can(v) and can(c) for v, c in sym.defaults)
          or any(can(E.Sym(e.source)) and can(e.cond) for kind in EDGE_KINDS for e in model.incoming(kind, name)))
    seen[name] = on
    return on


class _InPass(FollowUp):
    """The after-session's follow-up: fixes verified in
    the pass, where each arch is loaded, so that `attach` finds their
    verdicts (`verdicts`) instead of loading every arch again. An arch's job
    starts once the arch is checked before the patch (arches where an entry
    the patch changes may be on first, `_Live`), with what is known then: it
    verifies the fixes of what the patch introduces on it and on the arches
    checked so far. Whatever it does not have (a fix found later, a point
    tried only because another arch objected), `attach` verifies as before,
    loading the arch again."""

    waits = True

    def __init__(self, before: Session, after: Session, arches: Sequence[str], live: _Live,
                 sweep_rules: list[Rule] | None) -> None:
        self.before, self.after, self.arches, self.live = before, after, list(arches), live
        self.sweep_rules = sweep_rules  # the sweep fixer's rules, where the sweep runs (_sweep_fixer)
        self.verdicts: dict[fix.VerdictKey, fix.ArchVerdict] = {}

    def ready(self, arch: str) -> bool:
        return self.before.computed(arch) is not None

    def rank(self, arch: str) -> int:
        return 0 if self.live.live.get(arch, True) else 1

    def payload(self, arch: str) -> _Candidates:
        fixes: dict[tuple[object, ...], Finding] = {}  # from the first arch that has it
        swept: dict[tuple[object, ...], Finding] = {}
        settled = set()
        for other in self.arches:
            before, after = self.before.computed(other), self.after.computed(other)
            if other == arch or before is None or after is None:
                continue
            settled.add(other)
            _by_fix(changes(before, after)[0], fixes)
            _by_fix(changes(*self._swept(other))[0], swept)
        live = frozenset(a for a in self.arches if a != arch and self.live.live.get(a, True))
        before = self.before.computed(arch) or []
        swept_before = self.before.extra_findings(arch) if self.sweep_rules is not None else None
        return _Candidates(tuple(before), tuple(fixes.values()), None if swept_before is None else tuple(swept_before),
                           tuple(swept.values()), frozenset(settled), live)

    def _swept(self, arch: str) -> tuple[list[Finding], list[Finding]]:
        """The sweep before and after the patch, where both ran with the checks."""
        if self.sweep_rules is None:
            return [], []
        return self.before.extra_findings(arch) or [], self.after.extra_findings(arch) or []

    def __call__(self, arch: str, found: list[Finding], payload: object) -> dict[fix.VerdictKey, fix.ArchVerdict]:
        assert isinstance(payload, _Candidates)
        verdicts: dict[fix.VerdictKey, fix.ArchVerdict] = {}
        try:
            verdicts.update(fix.Fixer(self.after).verdicts_on(
                arch, self._asked(arch, payload, payload.before, found, payload.others)))
            swept = self.after.extra_findings(arch)
            if self.sweep_rules is not None and payload.swept_before is not None and swept is not None:
                asked = self._asked(arch, payload, payload.swept_before, swept, payload.swept_others)
                verdicts.update(_sweep_fixer(self.after, self.sweep_rules).verdicts_on(arch, asked))
        except Exception:  # attach verifies what is missing again, failing as it would have
            pass
        return verdicts

    def _asked(self, arch: str, payload: _Candidates, before: Sequence[Finding], after: Sequence[Finding],
               others: Sequence[Finding]) -> list[tuple[Finding, bool]]:
        """The fixes to verify on arch, each with whether as arch's own.
        attach verifies a fix with its first finding in arch order: this
        arch's own where no arch before it has the fix, with another's where
        one has. Of the arches before it not checked yet, one where the
        patch may matter is taken to have it (if not, attach verifies the
        fix on this arch again)."""
        known = {_fix_of(f): f for f in others}
        own = _by_fix(changes(before, after)[0], {})
        unsettled = [a for a in self.arches if a < arch and a not in payload.settled and a in payload.live]
        asked = [(f, False) for key, f in known.items() if key not in own or f.arch < arch]
        for key, finding in own.items():
            if not (key in known and known[key].arch < arch):
                asked.append((finding, not unsettled))
        return asked

    def take(self, arch: str, result: object) -> None:
        assert isinstance(result, dict)
        self.verdicts.update(result)


def _sweep_fixer(after: Session, rules: list[Rule],
                 ready: dict[fix.VerdictKey, fix.ArchVerdict] | None = None) -> fix.Fixer:
    """A fixer that knows the sweep, on the patched tree's loaded models. Its
    verification compares before and after within the edit's cone only (not
    the whole sweep of the arch, which the review never ran)."""
    fixer = fix.Fixer(after.with_rules(rules), ready)
    fixer.findings_for = fixer.known = lambda _arch: None
    return fixer
