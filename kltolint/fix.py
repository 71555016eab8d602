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
import os
import stat
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from kltolint import analysis, redundant, sweep
from kltolint import expr as E
from kltolint.errors import UserError
from kltolint.findings import Edit, EditPoint, Finding, FixInfo
from kltolint.load import load_changed
from kltolint.logic import Encoder, Inputs, Query
from kltolint.model import BOOL_TYPES, ArchModel
from kltolint.rules import Rule
from kltolint.session import Session
from kltolint.source import Logical, SourceFile
from kltolint.tree import Tree

TYPE_KEYWORDS = ("bool", "tristate", "int", "hex", "string", "def_bool", "def_tristate", "prompt")


class CannotFix(Exception):
    """No edit can be made at the edit point (the text is not as expected)."""


# -- edits ---------------------------------------------------------------------------

def edits_for(point: EditPoint, guard: str, source: SourceFile) -> tuple[Edit, ...]:
    """The one-line edit that adds `guard` at `point`."""
    if point.kind in redundant.EDIT_KINDS:  # KRED: `guard` is the term to delete
        return redundant.edits(point, guard, source)
    if point.kind == "select":
        line = source.select_line(point.entry_line, "select", point.symbol, point.nth)
        if line is None:
            raise CannotFix(f"no `select {point.symbol}` line in the entry at line {point.entry_line}")
        return (Edit(point.file, line.first + 1, line.last + 1, "replace", _add_condition(line, guard)),)
    if point.kind == "default":
        lines = analysis.default_lines(source, point.entry_line)
        if point.nth >= len(lines):
            raise CannotFix(f"no default line #{point.nth + 1} in the entry at line {point.entry_line}")
        line = lines[point.nth]
        return (Edit(point.file, line.first + 1, line.last + 1, "replace", _add_condition(line, guard)),)
    entry = source.entry_at(point.entry_line)
    if entry is None:
        raise CannotFix(f"no entry at line {point.entry_line}")
    anchor = _depends_anchor(entry)
    indent = _indent(anchor.text) if anchor is not entry.header else "\t"
    return (Edit(point.file, anchor.first + 1, anchor.last + 1, "insert", f"{indent}depends on {guard}"),)


def _depends_anchor(entry) -> Logical:
    """After the last `depends on`; else after the type and prompt lines."""
    depends = entry.lines("depends")
    if depends:
        return depends[-1]
    anchor = entry.header
    for prop in entry.props:
        if prop.keyword not in TYPE_KEYWORDS:
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


def _split_comment(text: str) -> tuple[str, str]:
    """`code  # comment` -> ('code', '  # comment'), quotes respected."""
    for i, ch, _ in _unquoted(text):
        if ch == "#":
            code = text[:i].rstrip()
            return code, text[len(code):]
    return text.rstrip(), ""


def _split_if(code: str) -> tuple[str, str | None]:
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
    code, comment = _split_comment(line.text)
    head, cond = _split_if(code)
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
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     f"a/{path}", f"b/{path}"):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# -- verification ------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    ok: bool
    applicability: str  # safe / unsafe / none
    note: str


ModelFor = Callable[[Tree, str], ArchModel]


def verify(tree: Tree, sources: "analysis.Sources", arches: Sequence[str], model_for: ModelFor,
           rules: Sequence[Rule], finding: Finding, new_texts: dict[str, str],
           before: Callable[[str], list[Finding] | None], changed: str) -> Verdict:
    """Re-analyse the patched tree on every arch that reads the edited files.

    `changed` is the symbol the edit changes; the select sweep re-checks only
    the edges in its forward cone (no other edge can have changed)."""
    patched = Tree(tree.root, overlay={**tree.overlay, **new_texts})
    patched_sources = analysis.Sources(patched)
    rule = next(r for r in rules if r.id == finding.rule)
    unsafe: list[str] = []
    # The lasting loads first, so that no temporary one is frozen with them (load.py).
    originals = {arch: model_for(tree, arch) for arch in arches}
    for arch, original in originals.items():
        if not set(new_texts) & set(original.files):
            continue
        try:
            edited = model_for(patched, arch)
        except UserError as err:
            return Verdict(False, "none", f"the patched tree does not load on {arch}: {err}")
        scope = analysis.blast_radius(original).cone(changed) | analysis.blast_radius(edited).cone(changed)
        after = analysis.check(edited, rules, patched_sources, scope=scope)
        # Before and after within the same scope: nothing outside it can change.
        old = before(arch) if arch == finding.arch else None  # None: not at hand, computed within the scope
        if old is None:
            old = analysis.check(original, rules, sources, scope=scope)
        old_keys = {f.key() for f in old}
        if arch == finding.arch and finding.key() in {f.key() for f in after}:
            return Verdict(False, "none", "the edit does not remove the finding")
        new = [f for f in after if f.key() not in old_keys]
        if new:
            return Verdict(False, "none", f"the edit causes a new finding on {arch}: "
                                          f"{new[0].file}:{new[0].line}: {new[0].message} [{new[0].rule}]")
        forbidden = _forbidden(original, rule, finding)
        if redundant.is_redundant_rule(rule):  # re-proven on the reloaded tree: nothing may change
            change = redundant.reproven(original, edited, changed, tree, arch)
        else:
            change = collateral(original, edited, forbidden, changed) if forbidden is not None else ""
        if change:
            unsafe.append(f"on {arch}, {change}")
    if unsafe:
        return Verdict(True, "unsafe", "also changes configurations that are not broken: " + "; ".join(unsafe[:3]))
    return Verdict(True, "safe", "removes only configurations where the forbidden combination holds")


def _forbidden(model: ArchModel, rule: Rule, finding: Finding) -> E.Expr | None:
    """The configurations the finding is about, on this arch."""
    if not sweep.is_sweep(rule):
        return rule.forbid if analysis.applies(rule, model) else None
    point = finding.point
    if point is None or point.symbol not in model.symbols:
        return None
    target = model.symbols[point.symbol]
    for edge in model.incoming("select", point.symbol):
        if (edge.entry.file, edge.entry.line, edge.nth) == (point.file, point.entry_line, point.nth):
            return E.and_(E.Sym(edge.source), edge.cond, E.not_(target.direct_dep))
    return None


MITER_CONFLICTS = 50_000  # beyond this, safety is not proven: the fix is unsafe
MITER_MAX_CONE = 400  # an edit that can change more symbols is not proven safe


def collateral(before: ArchModel, after: ArchModel, forbid: E.Expr, changed: str) -> str:
    """'' when the edit changes no user-settable symbol outside the forbidden
    configurations; else a sentence naming one it changes, and how."""
    cone = analysis.blast_radius(before).cone(changed) | analysis.blast_radius(after).cone(changed)
    if len(cone) > MITER_MAX_CONE:
        return f"it can change {len(cone)} symbols, too many to prove that nothing else changes"
    inputs = Inputs()
    old = Encoder(before, inputs=inputs)
    new = Encoder(after, inputs=inputs, base=old, same=lambda name: name not in cone)
    g = inputs.g
    forbidden = old.expr(forbid).m
    diffs = {}
    for name in sorted(cone):
        if _settable(before, name) or _settable(after, name):
            a, b = old.expr(E.Sym(name)), new.expr(E.Sym(name))
            diffs[name] = g.or_((-g.iff(a.m, b.m), -g.iff(a.y, b.y)))
    if not diffs:
        return ""
    new.close()
    with Query(new) as query:
        found = query.solve_within([-forbidden, g.or_(diffs.values())], MITER_CONFLICTS)
        if found is None:
            return ""
        if found is True:
            return "the solver could not prove within its budget that nothing else changes"
        name = next(n for n, lit in diffs.items() if found(lit))
        was, now = found.tri(old.value(name)), found.tri(new.value(name))
        return f"{name} becomes {now} where it was {was}"


def _settable(model: ArchModel, name: str) -> bool:
    sym = model.symbols.get(name)
    return sym is not None and sym.type in BOOL_TYPES and bool(sym.prompts)


# -- planning ----------------------------------------------------------------------------

class Fixer:
    """Proposes and verifies one fix per distinct finding (shared across arches)."""

    def __init__(self, session: "Session") -> None:
        self.tree = session.tree
        self.rules = session.rules
        # Patched trees load with the dependency-loop check on.
        self.model_for: ModelFor = lambda t, a: session.model(t, a) if t is session.tree else load_changed(t, a)
        self.findings_for = session.findings
        self.sources = session.sources
        # Rules whose fixes are verified only on request (each reloads every arch reading the file).
        self._sweep_ids = {r.id for r in session.rules if sweep.is_sweep(r) or redundant.is_redundant_rule(r)}

    def attach(self, findings: Sequence[Finding], sweep_fixes: bool = True) -> list[Finding]:
        """The findings, each with its FixInfo. Without `sweep_fixes`, select
        sweep findings get none (each costs a re-check of the arch)."""
        verdicts: dict[tuple, FixInfo] = {}
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
        """The first safe fix among the finding's edit points, else the first
        verified one, else why there is none."""
        points = [p for p in (finding.point, *finding.alternatives) if p is not None]
        if not points:
            return FixInfo("none", "", finding.notes[0] if finding.notes else "no edit point was found")
        tried = []
        for point in points:
            tried.append(self._try(finding, point))
            if tried[-1].applicability == "safe":
                return tried[-1]
        return next((info for info in tried if info.applicability == "unsafe"), tried[0])

    def _try(self, finding: Finding, point: EditPoint) -> FixInfo:
        path = point.file
        try:
            old = self.sources.file(path).render()
            edits = edits_for(point, finding.guard, self.sources.file(path))
            new = apply_edits(old, edits)
        except (CannotFix, E.ExprSyntaxError) as err:
            return FixInfo("none", "", str(err))
        verdict = verify(self.tree, self.sources, self.tree.arches_reading(path), self.model_for, self.rules,
                         finding, {path: new}, self.findings_for, point.symbol)
        if not verdict.ok:
            return FixInfo("none", "", verdict.note)
        return FixInfo(verdict.applicability, unified_diff(path, old, new), verdict.note, edits)


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


def combined(sources: "analysis.Sources", findings: Sequence[Finding]) -> dict[str, tuple[str, str]]:
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
    """Replace a file's text: never partly written, permissions kept, and
    only if nobody changed it since it was analysed."""
    path = tree.confined(rel)
    try:
        mode = path.stat().st_mode
    except OSError as err:
        raise UserError(f"cannot write: {err.strerror}", rel) from None
    if not mode & stat.S_IWUSR:
        raise UserError("file is read-only; not changed", rel)
    if path.read_bytes().decode("utf-8", "surrogateescape") != expected:
        raise UserError("file changed on disk since it was analysed; not changed", rel)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".kltolint")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(mode))
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"cannot write: {err.strerror}; not changed", rel) from None
