"""Fixes: edits on the lossless source layer, verified before they are offered.

A fix is offered only if, on the patched tree in memory, the finding is gone
and no new finding appears on any arch that reads the edited file. It is
`safe` when it removes only forbidden configurations: no configuration where
the rule's combination does not hold changes the value of any symbol a user
can set (checked by a SAT miter: original and patched tree encoded over the
same free inputs). Otherwise it is `unsafe`, with a sentence on what else
changes.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from kltolint import analysis, compat, inert, redundant, workers
from kltolint import edited as edited_model
from kltolint import expr as E
from kltolint.cache import Manifest
from kltolint.errors import UserError
from kltolint.findings import Applicability, Edit, EditKind, EditPoint, Finding, FixInfo, unreachable
from kltolint.load import Loaded, load_changed
from kltolint.logic import MITER_CONFLICTS, Unknown, Unsat, collateral_change, same_values
from kltolint.model import BOOL_TYPES, ArchModel
from kltolint.rulekind import Region
from kltolint.rules import Rule
from kltolint.session import Session
from kltolint.source import PROMPT_KEYWORDS, Entry, Logical, SourceFile, Sources, split_lines
from kltolint.tree import Tree

_HEAD_KEYWORDS = PROMPT_KEYWORDS | {"def_bool", "def_tristate"}  # the lines a new `depends on` goes after


class CannotFix(Exception):
    """No edit can be made at the edit point (the text is not as expected)."""


# -- edits ---------------------------------------------------------------------------

def edits_for(point: EditPoint, guard: str, source: SourceFile) -> tuple[Edit, ...]:
    """The one-line edit that adds `guard` at `point` (KRED: deletes the term `guard`)."""
    return TEXT_EDITS[point.kind](point, guard, source)


def _guard_select(point: EditPoint, guard: str, source: SourceFile) -> tuple[Edit, ...]:
    line = source.select_line(point.entry_line, "select", point.symbol, point.nth)
    if line is None:
        raise CannotFix(f"no `select {point.symbol}` line in the entry at line {point.entry_line}")
    return (Edit(point.file, line.first + 1, line.last + 1, "replace", _add_condition(line, guard)),)


def _narrow_default(point: EditPoint, guard: str, source: SourceFile) -> tuple[Edit, ...]:
    lines = analysis.default_lines(source, point.entry_line)
    if point.nth >= len(lines):
        raise CannotFix(f"no default line #{point.nth + 1} in the entry at line {point.entry_line}")
    line = lines[point.nth]
    return (Edit(point.file, line.first + 1, line.last + 1, "replace", _add_condition(line, guard)),)


def _add_depends(point: EditPoint, guard: str, source: SourceFile) -> tuple[Edit, ...]:
    entry = source.entry_at(point.entry_line)
    if entry is None:
        raise CannotFix(f"no entry at line {point.entry_line}")
    anchor = _depends_anchor(entry)
    indent = _indent(anchor.text) if anchor is not entry.header else "\t"
    return (Edit(point.file, anchor.first + 1, anchor.last + 1, "insert", f"{indent}depends on {guard}"),)


# The text edit for each kind of edit point (findings.EditKind).
TEXT_EDITS: Mapping[EditKind, Callable[[EditPoint, str, SourceFile], tuple[Edit, ...]]] = {
    "select": _guard_select, "depends": _add_depends, "default": _narrow_default,
    "redundant-true": redundant.edits, "redundant-false": redundant.edits,
}


def _depends_anchor(entry: Entry) -> Logical:
    """After the last `depends on`; else after the type and prompt lines."""
    depends = entry.lines("depends")
    if depends:
        return depends[-1]
    anchor = entry.header
    for prop in entry.props:
        if prop.keyword not in _HEAD_KEYWORDS:
            break
        anchor = prop
    return anchor


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def _unquoted(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, char, paren depth) for each character outside quotes."""
    quote, depth = "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        else:
            depth += (ch == "(") - (ch == ")")
            yield i, ch, depth


def split_comment(text: str) -> tuple[str, str]:
    """`code  # comment` -> ('code', '  # comment'), quotes respected."""
    for i, ch, _ in _unquoted(text):
        if ch == "#":
            code = text[:i].rstrip()
            return code, text[len(code):]
    return text.rstrip(), ""


def split_if(code: str) -> tuple[str, str | None]:
    """`select X if A` -> ('select X', 'A'): the `if` at depth 0, outside quotes."""
    for i, _, depth in _unquoted(code):
        if (depth == 0 and code.startswith("if", i) and i > 0 and code[i - 1] in " \t"
                and (i + 2 == len(code) or code[i + 2] in " \t(!")):
            return code[:i].rstrip(), code[i + 2:].strip()
    return code, None


def _wrap(text: str) -> str:
    return f"({text})" if isinstance(E.parse(text), E.Or) else text


def _add_condition(line: Logical, guard: str) -> str:
    """`KW VALUE [if C]` -> `KW VALUE if C && GUARD` (parenthesised as needed)."""
    code, comment = split_comment(line.text)
    head, cond = split_if(code)
    new_cond = guard if cond is None else f"{_wrap(cond)} && {_wrap(guard)}"
    return f"{head} if {new_cond}{comment}"


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits to one file's text, bottom-up so line numbers hold."""
    source = SourceFile(text)
    for edit in sorted(edits, key=lambda e: e.last, reverse=True):
        logical = next((l for l in source.logical if l.first == edit.first - 1 and l.last == edit.last - 1), None)
        if logical is None:
            raise CannotFix(f"{edit.file}:{edit.first}: the line moved")
        if edit.action == "replace":
            source.replace(logical, edit.text)
        elif edit.action == "delete":
            source.delete(logical)
        else:
            source.insert_after(logical, edit.text)
    return source.render()


def unified_diff(path: str, old: str, new: str) -> str:
    """A diff `git apply` and `patch -p1` accept (marks a missing final newline)."""
    out = []
    for line in difflib.unified_diff(split_lines(old), split_lines(new),
                                     f"a/{path}", f"b/{path}"):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# -- verification ------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """What verification of one edit found: whether it removes the finding and adds none, safe or unsafe,
    on which arches.
    """

    ok: bool
    applicability: Applicability
    note: str
    arches: tuple[str, ...] = ()  # where it was verified (the arches that read the file)
    manifests: tuple[Manifest, ...] = ()  # what each arch's load read (the arches that may read it)


ModelFor = Callable[[Tree, str], ArchModel]
# (rule, the finding's point, guard, the point tried, arch, the finding's key on its own arch)
VerdictKey = tuple[str, EditPoint | None, str, EditPoint, str, tuple[str, str, str, str] | None]


@dataclass(frozen=True)
class ArchVerdict:
    """One arch's part of a verification (plain data: it comes back from workers)."""

    arch: str
    ok: bool
    note: str = ""  # ok: what else the edit changes ('' if nothing); else why it fails
    reads: bool = True  # False: the arch does not read the edited file (nothing verified)
    manifest: Manifest | None = None  # what the arch's load read: the verdict holds while it is unchanged


@dataclass(frozen=True)
class Verification:
    """One edit, to be verified on every arch that reads the edited file."""

    tree: Tree
    sources: Sources
    loaded_for: Callable[[str], Loaded]  # an arch of `tree` as loaded (model and record)
    reload: ModelFor  # the patched tree, where the edit cannot be applied to the model
    rules: Sequence[Rule]
    finding: Finding
    point: EditPoint
    new_texts: dict[str, str]
    before: Callable[[str], list[Finding] | None]  # None: not at hand, computed within the scope
    # Findings of the other arches where the session has them (a review's
    # patched tree, a check of every arch); None where it has not.
    known: Callable[[str], list[Finding] | None] = lambda _arch: None
    # Verdicts computed already where the arch was loaded (a review's pass), by `key_on`.
    ready: Mapping[VerdictKey, ArchVerdict] = field(default_factory=dict)

    def key_on(self, arch: str, own: bool | None = None) -> VerdictKey:
        """What this verification's verdict on `arch` depends on: the edit
        (rule, the finding's point and guard, the point tried) and, on the
        finding's own arch only, the finding (elsewhere that it is another
        arch's is all `_verdict` reads of it). `own`: as `arch`'s."""
        mine = arch == self.finding.arch if own is None else own
        return (self.finding.rule, self.finding.point, self.finding.guard, self.point, arch,
                self.finding.key() if mine else None)

    def arch(self, arch: str, own: bool | None = None) -> ArchVerdict:
        """The verdict on one arch, with the manifest of its load. `own`:
        whether it is the finding's own arch (by default: its arch is);
        False gives the verdict as the fix of the same finding on another
        arch (a review's worker does not know yet which arch's finding
        `attach` verifies the fix with)."""
        original = self.loaded_for(arch)
        verdict = self._verdict(arch, original.model, arch == self.finding.arch if own is None else own)
        # Only a tree as it is on disk is cached (cache.py).
        return replace(verdict, manifest=None if self.tree.overlay else Manifest.of(original.record))

    def _verdict(self, arch: str, original: ArchModel, own: bool) -> ArchVerdict:
        if not set(self.new_texts) & set(original.files):
            return ArchVerdict(arch, True, reads=False)
        # The edit applied to the model directly (edited.py); a reload of the
        # patched tree only where that is not exact. Either way findings are
        # compared by key, which holds no line number.
        sources = self.sources
        edited = edited_model.apply(original, self.point, E.parse(self.finding.guard))
        direct = edited is not None
        if edited is None:
            patched = Tree(self.tree.root, overlay={**self.tree.overlay, **self.new_texts})
            sources = Sources(patched)
            try:
                edited = self.reload(patched, arch)
            except UserError as err:
                return ArchVerdict(arch, False, f"the patched tree does not load on {arch}: {err}")
        changed = self.point.symbol
        scope = analysis.blast_radius(original).cone(changed) | analysis.blast_radius(edited).cone(changed)
        same = self._inert(arch, original, edited, own) if direct else None
        after = [] if same else analysis.check(edited, self.rules, sources, scope=scope)
        if own and self.finding.key() in {f.key() for f in after}:
            return ArchVerdict(arch, False, "the edit does not remove the finding")
        if after:
            # Before and after within the same scope: nothing outside it can change.
            old = self.before(arch) if own else None
            if old is None:
                old = analysis.check(original, self.rules, self.sources, scope=scope)
            old_keys = {f.key() for f in old}
            new = [f for f in after if f.key() not in old_keys]
            if new:
                return ArchVerdict(arch, False, f"the edit causes a new finding on {arch}: "
                                                f"{new[0].file}:{new[0].line}: {new[0].message} [{new[0].rule}]")
        rule = next(r for r in self.rules if r.id == self.finding.rule)
        kind = analysis.RULE_KINDS[rule.kind]
        forbidden = kind.forbidden_region(original, rule, self.finding)
        if kind.reproven is not None:  # the kind's own proof (KRED: nothing may change)
            change = kind.reproven(original, edited, changed, self.tree, arch)
        else:
            change = (collateral(original, edited, forbidden, changed, self.point if direct else None, same)
                      if forbidden is not None else "")
        return ArchVerdict(arch, True, f"on {arch}, {change}" if change else "")

    def proven_unchanged(self, arch: str) -> ArchVerdict | None:
        """The verdict on another arch where the edited entry can never be on,
        proven from the texts the arch reads (inert.py) without loading it:
        the edit only narrows that entry, so every value, and every finding
        of a forbid rule, stays as it is; the edit closes no dependency loop
        there. None: not proven (the arch is loaded and verified)."""
        if (not inert.SWITCH.on or arch == self.finding.arch
                or any(analysis.RULE_KINDS[r.kind] is not analysis.FORBID for r in self.rules)):
            return None
        point = self.point
        if point.kind not in ("select", "default", "depends"):
            return None
        entry = self.sources.file(point.file).entry_at(point.entry_line)
        walked = inert.walk(self.tree, arch)
        if entry is None or not entry.name or walked is None:
            return None
        manifest = None if self.tree.overlay else Manifest.of(walked.record)
        if not set(self.new_texts) & set(walked.record.names):
            return ArchVerdict(arch, True, reads=False, manifest=manifest)
        facts = inert.Facts(walked)
        # Who reads the guard after the edit: the select's target, or the
        # entry (and, for a `depends on`, each symbol the entry selects).
        gaining = {point.symbol}
        if point.kind == "depends":
            gaining |= {p.words()[1] for p in entry.props if p.keyword in ("select", "imply") and len(p.words()) > 1}
        if (facts.may_be_on(entry.name) or facts.numeric(entry.name) or facts.in_choice(entry.name)
                or facts.may_reach(E.symbols(E.parse(self.finding.guard)), gaining)):
            return None
        return ArchVerdict(arch, True, "", manifest=manifest)

    def _inert(self, arch: str, original: ArchModel, edited: ArchModel, own: bool) -> bool | None:
        """On an arch with no finding at all whose findings are at hand, does
        the edit change no value (`_changes_no_value`)? Then the edited arch
        is the original one in every configuration: no forbidden combination
        becomes reachable, and its re-check is skipped. None: not asked (the
        re-check runs; for other rule kinds it reads more than values)."""
        if own or any(analysis.RULE_KINDS[r.kind] is not analysis.FORBID for r in self.rules):
            return None
        if self.known(arch) != []:
            return None
        return _changes_no_value(original, edited, self.point)


def verify(job: Verification, arches: Sequence[str], jobs: int = 1) -> Verdict:
    """Re-analyse the patched tree on every arch that reads the edited files.

    A verdict computed already where the arch was loaded (`job.ready`, a
    review's pass) is taken as it is. The finding's own arch is verified
    here (its model is loaded); with
    `jobs` > 1 the others in forked workers, one arch each, so that no
    process holds more than one other arch in memory. The verdict is the
    same whatever the order: the first failing arch in `arches` order."""
    results = {arch: job.ready[key] for arch in arches if (key := job.key_on(arch)) in job.ready}
    for arch in arches:  # no load where the texts prove the edit changes nothing
        if arch not in results and (proven := job.proven_unchanged(arch)) is not None:
            results[arch] = proven
    others = [a for a in arches if a != job.finding.arch and a not in results]

    def here() -> None:
        for arch in arches:
            if arch == job.finding.arch and arch not in results:
                results[arch] = job.arch(arch)

    if jobs > 1 and len(others) > 1:
        results.update(_in_workers(job, others, jobs, meanwhile=here))
    for arch in arches:
        if arch not in results:
            results[arch] = job.arch(arch)
        if not results[arch].ok:
            break
    unsafe: list[str] = []
    verified = tuple(a for a in arches if a in results and results[a].reads)
    manifests = tuple(v.manifest for v in results.values() if v.manifest is not None)
    for arch in verified:
        if not results[arch].ok:
            return Verdict(False, "none", results[arch].note, verified, manifests)
        if results[arch].note:
            unsafe.append(results[arch].note)
    if unsafe:
        return Verdict(True, "unsafe", "also changes configurations that are not broken: " + "; ".join(unsafe[:3]),
                       verified, manifests)
    return Verdict(True, "safe", "removes only configurations where the forbidden combination holds",
                   verified, manifests)


def _in_workers(job: Verification, arches: list[str], jobs: int,
                meanwhile: Callable[[], None]) -> dict[str, ArchVerdict]:
    """`arches` verified in forked workers, while this process runs `meanwhile`."""
    results: dict[str, ArchVerdict] = {}
    workers.forked(lambda index: _verify_one(job, arches[index]), len(arches), min(jobs, len(arches)),
                   lambda index, verdict: results.__setitem__(arches[index], verdict), meanwhile)
    return results


def _verify_one(job: Verification, arch: str) -> ArchVerdict:  # runs in a worker
    compat.RUNTIME.one_arch_process()
    return job.arch(arch)


def collateral(before: ArchModel, after: ArchModel, forbid: Region, changed: str,
               point: EditPoint | None = None, no_value_changes: bool | None = None) -> str:
    """'' when the edit changes no user-settable symbol outside the forbidden
    configurations (`forbid`, the rule kind's region); else a sentence naming
    one it changes, and how.

    `point`: `after` is `before` with the edit at `point` applied to the
    model (edited.py), so the two differ only there; `no_value_changes`:
    what `_changes_no_value` gave for it already (None: not asked yet)."""
    cone = analysis.blast_radius(before).cone(changed) | analysis.blast_radius(after).cone(changed)
    if point is not None:
        if no_value_changes is None:
            no_value_changes = _changes_no_value(before, after, point)
        if no_value_changes:
            return ""
    order = analysis.blast_radius(before).ordered_cone(changed)  # the miter keeps what is in `cone`
    change = collateral_change(before, after, cone, forbid, MITER_CONFLICTS, order)
    if isinstance(change, Unsat):
        return ""
    if isinstance(change, Unknown):  # not proven: never called safe
        return "the solver could not prove within its budget that nothing else changes"
    return f"{change.name} becomes {change.now} where it was {change.was}"


def _changes_no_value(before: ArchModel, after: ArchModel, point: EditPoint) -> bool:
    """Is every value the edit touches the same in both models, in every
    configuration? Then no symbol's value changes anywhere, and the miter
    below could only agree: a much smaller miter, over the edited symbol's
    own inputs rather than over everything its forward cone reads (on an
    arch where the edited entry is inert, e.g. one without LTO support).

    What the edit touches: the edited symbol's value and, for an added
    `depends on`, the select/imply edges of its entry. A choice member's
    visibility also constrains its choice, so choices take the full miter."""
    name = point.symbol
    old_sym, new_sym = before.symbols.get(name), after.symbols.get(name)
    if old_sym is None or new_sym is None or old_sym.type not in BOOL_TYPES or old_sym.choice is not None:
        return False
    pairs = []
    kind = point.kind
    match kind:
        case "depends":  # the entry's select/imply edges gain the condition too
            if before.facts is None:
                return False
            for edge in before.facts.edges_from(name):
                if edge.kind == "select" and before.symbols.get(edge.target, old_sym).choice is not None:
                    return False
                twin = next((e for e in after.incoming(edge.kind, edge.target)
                             if (e.source, e.entry, e.nth) == (edge.source, edge.entry, edge.nth)), None)
                if twin is None:
                    return False
                pairs.append((edge, twin))
        case "select" | "default":
            pass  # the edited symbol's own value is all it touches
        case "redundant-true" | "redundant-false":
            return False  # a deleted term has a proof of its own (redundant.reproven)
        case _:
            unreachable(kind)
    return isinstance(same_values(before, after, name, pairs, MITER_CONFLICTS), Unsat)


# -- planning ----------------------------------------------------------------------------


class Fixer:
    """Proposes and verifies one fix per distinct finding (shared across arches)."""

    def __init__(self, session: Session, ready: Mapping[VerdictKey, ArchVerdict] | None = None) -> None:
        self.tree = session.tree
        self.ready = ready or {}  # verdicts computed where the arch was loaded (`verdicts_on`)
        self.rules = session.rules
        self.loaded_for = session.loaded
        self.findings_for: Callable[[str], list[Finding] | None] = session.findings  # None: not at hand
        self.known: Callable[[str], list[Finding] | None] = session.computed  # other arches', where at hand
        self.sources = session.sources
        self.jobs = session.jobs
        self.cache, self.rules_digest = session.cache, session.rules_digest
        # Rules whose fixes are verified only on request (each reloads every arch reading the file).
        self._sweep_ids = {r.id for r in session.rules if analysis.RULE_KINDS[r.kind].fix_from_tree}

    def attach(self, findings: Sequence[Finding], sweep_fixes: bool = True) -> list[Finding]:
        """The findings, each with its FixInfo. Without `sweep_fixes`, select
        sweep findings get none (each costs a re-check of the arch)."""
        verdicts: dict[tuple[object, ...], FixInfo] = {}
        out = []
        for finding in findings:
            if not sweep_fixes and finding.rule in self._sweep_ids:
                out.append(finding)
                continue
            # Without an edit point the verdict is the finding's own (its first note).
            key = (finding.rule, finding.point, finding.guard) if finding.point else finding.key()
            if key not in verdicts:
                verdicts[key] = self._fix(finding)
            out.append(replace(finding, fix=verdicts[key]))
        return out

    def _fix(self, finding: Finding) -> FixInfo:
        """The finding's fix, from the cache when every file its verification
        read is unchanged; else verified now, and cached."""
        cached = self.cache.get_fix(self.tree, self.rules_digest, finding) if self.cache else None
        if cached is not None:
            cached = self._rederived(finding, cached)
        if cached is not None:
            return cached
        info, manifests = self._verified(finding)
        if self.cache:
            self.cache.put_fix(self.tree, self.rules_digest, finding, info, manifests)
        return info

    def _verified(self, finding: Finding) -> tuple[FixInfo, list[Manifest]]:
        """The first safe fix among the finding's edit points, else the first
        verified one, else why there is none; and what the verifications read."""
        points = [p for p in (finding.point, *finding.alternatives) if p is not None]
        if not points:
            return FixInfo("none", "", finding.notes[0] if finding.notes else "no edit point was found"), []
        tried: list[FixInfo] = []
        manifests: list[Manifest] = []
        for point in points:
            info, read = self._try(finding, point)
            tried.append(info)
            manifests.extend(read)
            if info.applicability == "safe":
                return info, manifests
        return next((info for info in tried if info.applicability == "unsafe"), tried[0]), manifests

    def _guard_ok(self, finding: Finding) -> bool:
        """The guard is written into the tree: it must be an expression, and a
        rule's own guard where the rule names it (a cached finding is re-checked)."""
        rule = next((r for r in self.rules if r.id == finding.rule), None)
        if rule is None or not E.is_canonical(finding.guard):
            return False
        kind = analysis.RULE_KINDS[rule.kind]
        if not kind.takes_strategy:
            return kind.fix_from_tree  # a guard derived from the tree (none: no fix to write)
        return finding.guard in {E.to_str(g) for g in rule.fix.guards}

    def _rederived(self, finding: Finding, cached: FixInfo) -> FixInfo | None:
        """A cached fix only if its edits are exactly what the finding's guard
        gives at one of its edit points; its diff is made again from them. A
        cache entry is never a way to write other text into the tree (F3)."""
        if cached.applicability == "none":
            return cached
        if not self._guard_ok(finding):
            return None
        for point in (finding.point, *finding.alternatives):
            if point is None:
                continue
            try:
                source = self.sources.file(point.file)
                edits = edits_for(point, finding.guard, source)
            except (CannotFix, E.ExprSyntaxError, UserError):
                continue
            if edits == cached.edits:
                old = source.render()
                return replace(cached, diff=unified_diff(point.file, old, apply_edits(old, edits)))
        return None

    def _job(self, finding: Finding, point: EditPoint) -> tuple[Verification, str, tuple[Edit, ...]] | FixInfo:
        """The verification of the edit at `point` (with the file's text as
        analysed and the edits); or why there is none to verify. The guard
        is checked first (`_guard_ok`)."""
        path = point.file
        try:
            old = self.sources.file(path).render()
            edits = edits_for(point, finding.guard, self.sources.file(path))
            new = apply_edits(old, edits)
        except (CannotFix, E.ExprSyntaxError) as err:
            return FixInfo("none", "", str(err))
        job = Verification(self.tree, self.sources, self.loaded_for, load_changed, self.rules, finding, point,
                           {path: new}, self.findings_for, self.known, self.ready)
        return job, old, edits

    def _try(self, finding: Finding, point: EditPoint) -> tuple[FixInfo, tuple[Manifest, ...]]:
        path = point.file
        if not self._guard_ok(finding):
            return FixInfo("none", "", "the finding's guard is not one its rule gives"), ()
        made = self._job(finding, point)
        if isinstance(made, FixInfo):
            return made, (Manifest.of_files(self.tree, [path]),)
        job, old, edits = made
        verdict = verify(job, self.tree.arches_reading(path), self.jobs)
        if not verdict.ok:
            return FixInfo("none", "", verdict.note), verdict.manifests
        new = job.new_texts[path]
        return FixInfo(verdict.applicability, unified_diff(path, old, new), verdict.note, edits), verdict.manifests

    def verdicts_on(self, arch: str, asked: Iterable[tuple[Finding, bool]]) -> dict[VerdictKey, ArchVerdict]:
        """The verdicts `attach` would compute on `arch` for the fixes of
        the findings asked, computed here, where the arch is loaded (a
        review's pass: the arch is not loaded again to verify). Each is
        asked with whether `attach` is to verify the fix with that finding
        on its own arch (True) or with another arch's (False, the same for
        any: `Verification.key_on`). A finding's edit points are tried in
        `_verified`'s order while this arch calls them unsafe or failed;
        `attach` computes whatever else it needs."""
        out: dict[VerdictKey, ArchVerdict] = {}
        for finding, own in asked:
            if not self._guard_ok(finding):
                continue
            for point in (p for p in (finding.point, *finding.alternatives) if p is not None):
                made = self._job(finding, point)
                if isinstance(made, FixInfo) or arch not in self.tree.arches_reading(point.file):
                    break
                job = made[0]
                key = job.key_on(arch, own)
                if key not in out:
                    out[key] = job.arch(arch, own)
                if out[key].ok and not out[key].note:  # safe here: the next point is tried only if another arch objects
                    break
        return out


def applicable(findings: Iterable[Finding], unsafe: bool) -> list[Finding]:
    """Findings whose fix `--fix` applies (one per distinct fix)."""
    wanted = ("safe", "unsafe") if unsafe else ("safe",)
    seen, out = set(), []
    for finding in findings:
        fix = finding.fix
        if fix and fix.applicability in wanted and fix.edits not in seen:
            seen.add(fix.edits)
            out.append(finding)
    return out


def combined(sources: Sources, findings: Sequence[Finding]) -> dict[str, tuple[str, str]]:
    """file -> (text as analysed, new text) with every chosen fix applied."""
    by_file: dict[str, list[Edit]] = {}
    for finding in findings:
        assert finding.fix is not None
        for edit in finding.fix.edits:
            if edit not in by_file.setdefault(edit.file, []):
                by_file[edit.file].append(edit)
    out = {}
    for path, edits in by_file.items():
        old = sources.file(path).render()
        out[path] = (old, apply_edits(old, edits))
    return out


# -- writing -------------------------------------------------------------------------------

def write_atomic(tree: Tree, rel: str, expected: str, new: str) -> None:
    """Replace a file's text: never partly written, mode, owner and extended
    attributes kept, and only if nobody changed it since it was analysed:
    the disk must hold what the load read (`tree.identities`) and what the
    edit was made on, checked before the write and again just before the
    rename (a concurrent `--fix` or editor refuses, never merges)."""
    path = tree.confined(rel)
    try:
        st = path.stat()
    except OSError as err:
        raise UserError(f"cannot write: {err.strerror}", rel) from None
    if not st.st_mode & stat.S_IWUSR:
        raise UserError("file is read-only; not changed", rel)
    _unchanged(tree, rel, path, expected)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".kltolint")
        with os.fdopen(fd, "wb") as handle:
            handle.write(new.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        _keep_attributes(path, tmp, st)
        _unchanged(tree, rel, path, expected)
        os.replace(tmp, path)
        tmp = ""
    except OSError as err:
        raise UserError(f"cannot write: {err.strerror}; not changed", rel) from None
    finally:
        if tmp:  # any failure, ^C included: no temporary file left in the tree
            Path(tmp).unlink(missing_ok=True)


def _unchanged(tree: Tree, rel: str, path: Path, expected: str) -> None:
    data = path.read_bytes()
    known = tree.identities.get(rel)
    if data.decode("utf-8", "surrogateescape") != expected or (
            known is not None and hashlib.sha256(data).hexdigest() != known[-1]):
        raise UserError("file changed on disk since it was analysed; not changed", rel)


def _keep_attributes(path: Path, tmp: str, st: os.stat_result) -> None:
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
        os.chmod(tmp, stat.S_IMODE(st.st_mode))  # chown clears setgid
    except PermissionError:
        pass  # not ours to give away: the file is then the caller's, as an editor would leave it
    for name in _xattrs(path):
        try:
            os.setxattr(tmp, name, os.getxattr(path, name))
        except OSError:
            pass


def _xattrs(path: Path) -> list[str]:
    try:
        return os.listxattr(path)
    except (OSError, AttributeError):
        return []
