"""The select sweep (KSEL001) in a review, limited to what the patch touches.

A patch can make a select unmet in two ways: it adds or changes the select
(or the selecting entry), or it changes the dependencies of the selected
symbol. Both are caught by sweeping only the select edges that read a symbol
the patch touches, or one whose value can depend on it (sweep.check's
`scope`, closed under the users index: `closed`): the `config` entries whose
lines it adds or removes, the targets of the select and imply lines it
changes, and every name on a changed line outside an entry (`if`, menu and
choice lines, which the entries in their blocks inherit), and the entries
of the files an arch reads on one side only or under other blocks
(`_sourced`); `_names_at` says why that is enough. The sweep runs on the
arch before and
after the patch, on the models the review loaded anyway; the difference is
what the patch introduces or removes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kltolint import analysis, inert, sweep
from kltolint import expr as E
from kltolint.dead import references
from kltolint.findings import Finding
from kltolint.model import EDGE_KINDS, ArchModel
from kltolint.patch import Hunk, Patch, is_kconfig
from kltolint.rules import Rule
from kltolint.session import Session
from kltolint.source import SourceFile, Sources
from kltolint.tree import Tree


@dataclass(frozen=True)
class ScopedSweep:
    """The sweep of the select edges that read a name in `scope`; a session
    runs it where it loads each arch (Session.extra)."""

    rules: tuple[Rule, ...]
    scope: frozenset[str]

    def __call__(self, model: ArchModel, sources: Sources) -> list[Finding]:
        return [f for rule in self.rules for f in sweep.check(model, rule, sources, scope=closed(model, self.scope))]


def closed(model: ArchModel, scope: Iterable[str]) -> set[str]:
    """`scope` and every symbol whose value can depend on a name in it (its
    forward cone, analysis.BlastRadius): a changed entry bounds a select
    through its selector's defaults or prompt conditions, or through a
    dependency of a dependency, which sweep._touches (one step from the
    edge) does not follow. The cone is the same on both sides of the patch
    for the edges it can change (the first changed entry on a path from an
    edge back to a change is in scope on both), so the two sweeps compare.

    The users index has no choices: where the cone holds a name a choice's
    lines read, or a member that is not in `scope` itself, every member is
    in scope too (a member bounds the others). A member in `scope` does not
    count: it may be one on this side only (added to a choice from another
    file), and the two sides would differ; _Shapes puts the others of a
    choice in the same file in `scope`."""
    radius = analysis.blast_radius(model)
    scope = set(scope)
    choices = [(set(c.members), {n for e in (c.direct_dep, *c.prompts, *(cond for _, cond in c.defaults))
                                 for n in E.symbols(e)}) for c in model.choices]
    out: set[str] = set()
    todo = set(scope)
    while todo:
        for name in todo:
            out |= radius.cone(name)
        todo = {m for members, reads in choices if (reads | (members - scope)) & out for m in members - out}
    return out


def touched_symbols(before: Tree, after: Tree, patch: Patch, arches: Sequence[str] = ()) -> set[str]:
    """The names in scope (see `_names_at`): by the lines a patch changes,
    by the entries it changes, compared whole (`_Shapes`), and by the files
    `arches` read on one side only or under other blocks (`_sourced`,
    walked only where a file's `_layout` changes: most patches change
    entries only, and a walk of an arch costs a second)."""
    names: set[str] = set()
    relaid = False
    for fp in patch.files:
        if not is_kconfig(fp.path):
            continue
        old_lines, new_lines = changed_lines(fp.hunks)
        old = new = None
        if fp.old_path is not None and before.exists(fp.old_path):
            old = SourceFile(before.read(fp.old_path))
            names |= _names_at(old, old_lines)
        if fp.new_path is not None and after.exists(fp.new_path):
            new = SourceFile(after.read(fp.new_path))
            names |= _names_at(new, new_lines)
        names |= _Shapes(old).changed(_Shapes(new))
        relaid = relaid or old is None or new is None or fp.old_path != fp.new_path or _layout(old) != _layout(new)
    return names | (_sourced(before, after, arches) if relaid else set())


def _layout(source: SourceFile) -> list[str]:
    """What decides which files a file makes an arch read, and under which
    blocks: its lines but those of `config`, `menuconfig` and `comment`
    entries (its `source` lines and its blocks, with a menu's or a choice's
    own lines), and every variable assignment. A help text that swallows a
    `source` line, or one that lets it go, changes it too."""
    out = []
    for entry in source.entries:
        lines = (entry.header, *entry.props)
        if entry.keyword in _ENTRIES_READ_IN_PLACE:
            out += [line.text for line in lines if _ASSIGNMENT.match(line.text)]
        else:
            out += [line.text for line in lines]
    first = source.entries[0].header.first if source.entries else None
    return out + [line.text for line in source.logical  # the lines before the first entry
                  if line.kind == "property" and (first is None or line.first < first)]


_ENTRIES_READ_IN_PLACE = ("config", "menuconfig", "comment")
_ASSIGNMENT = re.compile(r"\s*[A-Za-z0-9_$()-]+\s*(?::=|\+=|=)")


def _sourced(before: Tree, after: Tree, arches: Sequence[str]) -> set[str]:
    """The entries of the files an arch reads before the patch or after it
    only, or under other blocks (`if`, menu lines around the `source` lines
    that read them, inert.walk): a `source` line added or removed, or moved
    across an `endif`, changes every entry of the file it reads, and no line
    of those files. An arch the walk cannot follow adds nothing."""
    names: set[str] = set()
    for arch in arches:
        old, new = inert.walk(before, arch), inert.walk(after, arch)
        if old is None or new is None:
            continue
        for rel in old.inherited.keys() | new.inherited.keys():
            if old.inherited.get(rel) != new.inherited.get(rel):
                for walked in (old, new):
                    if rel in walked.files:
                        names.update(walked.files[rel].facts.definitions)
    return names


class _Shapes:
    """Each `config` entry of a file as the sweep's scope compares it: the
    blocks around it (their lines), its own lines but its select and imply
    lines, and those apart; and the members of each choice. A line alone does
    not tell every entry it changes: an `endif` moved, or a `config` header
    removed (its lines then belong to the entry before), changes entries
    whose lines are the same."""

    def __init__(self, source: SourceFile | None) -> None:
        self.entries: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        self.edges: Counter[tuple[str, str]] = Counter()
        self.choices: list[set[str]] = []
        blocks: list[tuple[str, int | None]] = []  # (the block's lines, its choice's index)
        for entry in source.entries if source is not None else ():
            if entry.keyword in _BLOCKS:
                at = len(self.choices) if entry.keyword == "choice" else None
                if at is not None:
                    self.choices.append(set())
                blocks.append(("\n".join(line.text for line in (entry.header, *entry.props)), at))
            elif entry.keyword in _BLOCK_ENDS:
                if blocks:
                    blocks.pop()
            elif entry.keyword in _SYMBOL_ENTRIES and entry.name:
                own = tuple(line.text for line in (entry.header, *entry.props) if line.keyword not in EDGE_KINDS)
                self.entries.setdefault(entry.name, []).append((tuple(text for text, _ in blocks), own))
                self.edges.update((entry.name, line.text) for line in entry.props if line.keyword in EDGE_KINDS)
                choice = next((at for _, at in reversed(blocks) if at is not None), None)
                if choice is not None:
                    self.choices[choice].add(entry.name)

    def changed(self, other: _Shapes) -> set[str]:
        """The entries that differ, the targets of the select and imply lines
        that differ, and every member of a choice one of them is in (a
        member's value bounds the others')."""
        out = {name for name in self.entries.keys() | other.entries.keys()
               if self.entries.get(name) != other.entries.get(name)}
        for _, text in (self.edges - other.edges) + (other.edges - self.edges):
            out.update(text.split("#", 1)[0].split()[1:2])
        for members in self.choices + other.choices:
            if members & out:
                out |= members
        return out


_BLOCKS = ("if", "menu", "choice")
_BLOCK_ENDS = ("endif", "endmenu", "endchoice")


def changed_lines(hunks: Sequence[Hunk]) -> tuple[set[int], set[int]]:
    """1-based numbers of removed (old file) and added (new file) lines."""
    old: set[int] = set()
    new: set[int] = set()
    for hunk in hunks:
        o, n = hunk.old_start, hunk.new_start
        for line in hunk.lines:
            kind = line[:1]
            if kind == "-":
                old.add(o)
                o += 1
            elif kind == "+":
                new.add(n)
                n += 1
            elif kind == " ":
                o, n = o + 1, n + 1
    return old, new


def _names_at(source: SourceFile, lines: Iterable[int]) -> set[str]:
    """The names whose values or dependencies the changed `lines` change.

    A line of a `config` entry changes that entry only: a dependency, a
    default or a prompt bounds the entry by the names it reads and never
    bounds those names back, so `depends on PCI` puts the entry in scope,
    not PCI (which thousands of edges read); what the entry bounds in turn
    (a selector whose default reads it, an entry that depends on one that
    depends on it) is its forward cone, which `closed` adds. A select or imply line adds or
    removes its own edge, in scope by its target, and leaves its entry's
    value as it was, so the entry's other selects cannot change. A line
    outside an entry (`if`, a menu's or a choice's) is inherited by every
    entry in its block, so its names stay in scope: edges into those entries
    read them."""
    names: set[str] = set()
    wanted = set(lines)
    in_choice = _choice_lines(source)
    for logical in source.logical:
        if not wanted & set(range(logical.first + 1, logical.last + 2)):
            continue
        entry = source.entry_holding(logical.lineno)
        if entry is None or not entry.name or entry.keyword not in _SYMBOL_ENTRIES or logical.first in in_choice:
            names.update(references(logical))
        elif logical.keyword in EDGE_KINDS:
            names.update(logical.words()[1:2])
        else:
            names.add(entry.name)
        if logical.kind == "entry" and logical.keyword in _SYMBOL_ENTRIES:
            names.update(logical.words()[1:2])
    return names


_SYMBOL_ENTRIES = ("config", "menuconfig")


def _choice_lines(source: SourceFile) -> set[int]:
    """The (0-based) lines inside a choice block: a member's line bounds the
    other members, and through them what reads them (names the scope cannot
    follow), so all the names such a line reads stay in scope."""
    out: set[int] = set()
    depth, start = 0, 0
    for entry in source.entries:
        if entry.keyword == "choice":
            depth, start = depth + 1, entry.header.first if depth == 0 else start
        elif entry.keyword == "endchoice" and depth:
            depth -= 1
            if depth == 0:
                out.update(range(start, entry.header.first + 1))
    return out


def diff(before: Session, after: Session, arch: str, job: ScopedSweep) -> tuple[list[Finding], list[Finding]]:
    """(introduced, removed) sweep findings on one arch; `before`/`after` are
    the review's sessions: what `job` found where they loaded the arch, else
    run here on their models."""
    if not job.scope or not job.rules:
        return [], []
    old = {f.key(): f for f in _swept(before, arch, job)}
    new = {f.key(): f for f in _swept(after, arch, job)}
    return [f for k, f in new.items() if k not in old], [f for k, f in old.items() if k not in new]


def _swept(session: Session, arch: str, job: ScopedSweep) -> list[Finding]:
    done = session.extra_findings(arch) if session.extra == job else None
    return done if done is not None else job(session.model(arch), session.sources)
