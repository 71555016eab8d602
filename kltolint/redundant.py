"""KRED: toolchain conditions the tree's minimum tool versions made always true.

For every `depends on` line, and every `if` of a select/imply/default/prompt
line, of a bool or tristate entry, whose text names toolchain facts
(`CC_IS_*`, `LD_IS_*`, `AS_IS_*`, `*_VERSION`): each term made only of such
facts is tried, largest first. The term is replaced by y (and, as a disjunct,
by n) in the entry's model, and a miter - the original and the edited entry
encoded over the same free inputs, with the floors of
scripts/min-tool-version.sh as constraints (mintool) - asks whether the
entry's value, or the value of anything it selects or implies, differs in any
configuration. Unsatisfiable: the term changes nothing and is reported; the
fix deletes it (re-simplifying the line, or deleting the line with the
comment lines directly above it). Per arch first; then a finding stands only
when every arch that reads the file reports it (`across_arches`).

Never reported: a condition that is not always true (`CLANG_VERSION >= N`
without `!CC_IS_CLANG ||` also excludes gcc; a floor above the minimum), a
term the solver cannot settle within its budget, a line with a probe.
"""

from __future__ import annotations

import re
from dataclasses import replace
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from kltolint import expr as E
from kltolint import mintool
from kltolint.findings import Edit, EditKind, EditPoint, Finding, Stats, Step, Witness
from kltolint.model import BOOL_TYPES, EDGE_KINDS, ArchModel, Edge, Symbol
from kltolint.rulekind import RuleKind, no_region
from kltolint.rules import Rule, RuleKindName
from kltolint.source import Entry, Logical, SourceFile, Sources

if TYPE_CHECKING:
    from kltolint.tree import Tree

KIND: RuleKindName = "redundant-toolchain"
# An edit point's kind says what the term is replaced by.
TERM_VALUES: Mapping[EditKind, E.Const] = {"redundant-true": E.Y, "redundant-false": E.N}
EDIT_KINDS: tuple[EditKind, ...] = tuple(TERM_VALUES)
TOOLCHAIN_PREFIXES = ("CC_IS_", "LD_IS_", "AS_IS_")
TOOLCHAIN_VERSIONS = ("GCC_VERSION", "CLANG_VERSION", "LD_VERSION", "LLD_VERSION", "AS_VERSION")
_MENTION = re.compile(r"\b(?:(?:CC|LD|AS)_IS_[A-Z0-9_]+|(?:GCC|CLANG|LD|LLD|AS)_VERSION)\b")
_COND_KEYWORDS = frozenset({"select", "imply", "default", "def_bool", "def_tristate", "bool", "tristate",
                            "prompt"})


def is_redundant_rule(rule: Rule) -> bool:
    return rule.kind == KIND


def split(rules: Iterable[Rule]) -> tuple[list[Rule], list[Rule]]:
    listed = list(rules)
    return [r for r in listed if not is_redundant_rule(r)], [r for r in listed if is_redundant_rule(r)]


def is_toolchain(name: str) -> bool:
    return name.startswith(TOOLCHAIN_PREFIXES) or name in TOOLCHAIN_VERSIONS


# -- expressions -------------------------------------------------------------------------------



def substitute(expr: E.Expr, old: E.Expr, new: E.Expr) -> E.Expr:
    if expr == old:
        return new
    if isinstance(expr, E.And):
        return E.and_(*(substitute(a, old, new) for a in expr.args))
    if isinstance(expr, E.Or):
        return E.or_(*(substitute(a, old, new) for a in expr.args))
    if isinstance(expr, E.Not):
        inner = substitute(expr.arg, old, new)
        return E.not_(inner) if inner in (E.Y, E.N) else E.Not(inner)
    return expr


def terms(expr: E.Expr, parent: type | None = None) -> Iterator[tuple[E.Expr, E.Expr]]:
    """(term, value that removes it) for each term made only of toolchain
    facts, largest first: y for a conjunct or a whole condition, y and n for
    a disjunct (always true: the disjunction goes; always false: it goes)."""
    names = list(E.symbols(expr))
    # Only terms that read a version: `CC_IS_CLANG` next to `AS_IS_LLVM` is
    # implied too, but says what the entry is for, and no minimum changes it.
    if (names and all(is_toolchain(n) for n in names) and any(n in TOOLCHAIN_VERSIONS for n in names)
            and not any(isinstance(a, E.ChoiceRef) for a in E.atoms(expr))):
        yield expr, E.Y
        if parent is E.Or:
            yield expr, E.N
    if isinstance(expr, (E.And, E.Or)):
        for arg in expr.args:
            yield from terms(arg, type(expr))
    elif isinstance(expr, E.Not):
        yield from terms(expr.arg, None)


# -- candidate lines -----------------------------------------------------------------------------

def condition(line: Logical) -> tuple[str, str] | None:
    """(head, condition text) of a line with a condition, or None."""
    from kltolint.fix import split_comment, split_if

    code, _ = split_comment(line.text)
    if line.keyword == "depends":
        match = re.match(r"\s*depends\s+on\s+(.*)$", code)
        if match is None or re.search(r"\bif\b", match.group(1)):
            return None  # 7.x `depends on X if Y`: not rewritten here
        return code[: match.start(1)].rstrip(), match.group(1)
    if line.keyword in _COND_KEYWORDS:
        head, cond = split_if(code)
        return (head, cond) if cond else None
    return None


def candidates(model: ArchModel, sources: Sources,
               scope: set[str] | None = None) -> Iterator[tuple[str, Entry, int, Symbol, E.Expr]]:
    """(file, entry, index of the line in entry.props, symbol, parsed condition)."""
    for rel in model.files:
        source = sources.file(rel)
        if not _MENTION.search("".join(source.lines)):
            continue
        for entry in source.entries:
            if entry.keyword not in ("config", "menuconfig") or entry.name not in model.symbols:
                continue
            if scope is not None and entry.name not in scope:
                continue
            sym = model.symbols[entry.name]
            if sym.type not in BOOL_TYPES or sym.choice is not None:
                continue
            for index, prop in enumerate(entry.props):
                if not _MENTION.search(prop.text) or "$(" in prop.text:
                    continue
                split = condition(prop)
                if split is None:
                    continue
                try:
                    parsed = E.flattened(E.parse(split[1]))
                except E.ExprSyntaxError:
                    continue
                yield rel, entry, index, sym, parsed


# -- the proof ---------------------------------------------------------------------------------

class _Symbols(Mapping[str, Symbol]):
    """The model's symbols with one replaced."""

    def __init__(self, base: Mapping[str, Symbol], changed: Symbol) -> None:
        self.base, self.changed = base, changed

    def __getitem__(self, name: str) -> Symbol:
        return self.changed if name == self.changed.name else self.base[name]

    def __contains__(self, name: object) -> bool:
        return name in self.base

    def __iter__(self) -> Iterator[str]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


def edited_model(model: ArchModel, sym: Symbol, entry: Entry, line: Logical, old: E.Expr,
                 new: E.Expr) -> tuple[ArchModel, set[str]] | None:
    """The model with `old` replaced by `new` where `line` puts it, and the
    symbols whose definitions that changes; None when it matches nothing."""
    edges: dict[Edge, Edge] = {}
    changed = sym
    if line.keyword in EDGE_KINDS:
        target = line.words()[1] if len(line.words()) > 1 else ""
        nth = [p for p in entry.props if p.keyword == line.keyword and p.words()[1:2] == [target]].index(line)
        for edge in model.incoming(line.keyword, target):
            if edge.source == sym.name and edge.entry.line == entry.header.lineno and edge.nth == nth:
                edges[edge] = replace(edge, cond=substitute(edge.cond, old, new))
    else:
        changed = replace(
            sym, direct_dep=substitute(sym.direct_dep, old, new) if line.keyword == "depends" else sym.direct_dep,
            prompts=tuple(substitute(p, old, new) for p in sym.prompts),
            defaults=tuple((v, substitute(c, old, new)) for v, c in sym.defaults))
        if line.keyword == "depends":  # the entry's dependencies are part of its selects' conditions
            for kind, target in _outgoing(entry):
                for edge in model.incoming(kind, target):
                    if edge.source == sym.name:
                        edges[edge] = replace(edge, cond=substitute(edge.cond, old, new))
    edges = {a: b for a, b in edges.items() if a != b}
    if changed == sym and not edges:
        return None

    def incoming(kind: str, target: str) -> tuple[Edge, ...]:
        return tuple(edges.get(e, e) for e in model.incoming(kind, target))

    view = ArchModel(arch=model.arch, symbols=_Symbols(model.symbols, changed), choices=model.choices,
                     edges=(), probes=model.probes, files=model.files, kernel=model.kernel,
                     incoming_source=incoming)
    return view, {sym.name} | {e.target for e in edges}


def _outgoing(entry: Entry) -> list[tuple[str, str]]:
    return list(dict.fromkeys((p.keyword, p.words()[1]) for p in entry.props
                              if p.keyword in EDGE_KINDS and len(p.words()) > 1))


def unchanged(model: ArchModel, view: ArchModel, names: set[str], floors: Mapping[str, int]) -> bool:
    """Do `names` take the same value in both models in every configuration
    (the fixer's miter), given the tool floors?"""
    from kltolint.logic import Miter, Unsat

    miter = Miter(model, view, lambda name: name not in names)
    mintool.constrain(miter.old, floors)
    diffs = []
    for name in sorted(names):
        sym = model.symbols.get(name)
        if sym is None or sym.type not in BOOL_TYPES:
            continue
        diffs.append(miter.differ(miter.old.value(name), miter.new.value(name)))
    return isinstance(miter.decide(diffs), Unsat)


def can_be_on(model: ArchModel, name: str, floors: Mapping[str, int]) -> bool:
    """Is the entry ever y or m? Of a dead entry every condition "changes
    nothing"; that is KDEAD's business, not a tautology."""
    from kltolint.logic import Encoder, Query, Sat

    enc = Encoder(model)
    mintool.constrain(enc, floors)
    lit = enc.value(name).m
    with Query(enc) as query:
        return isinstance(query.find([lit]), Sat)


# -- findings ------------------------------------------------------------------------------------

def check(model: ArchModel, rules: Sequence[Rule], sources: Sources, scope: set[str] | None = None) -> list[Finding]:
    out: list[Finding] = []
    if not rules:
        return out
    floors = mintool.read(sources.tree, model.arch)
    alive: dict[str, bool] = {}
    for rel, entry, index, sym, parsed in candidates(model, sources, scope):
        line = entry.props[index]
        if sym.name not in alive:
            alive[sym.name] = can_be_on(model, sym.name, floors)
        if not alive[sym.name]:
            continue
        for term, value in terms(parsed):
            edited = edited_model(model, sym, entry, line, term, value)
            if edited is None or not unchanged(model, *edited, floors):
                continue
            for rule in rules:
                out.append(_finding(model, rule, rel, entry, index, sym, parsed, term, value, floors))
            break  # one term a line: the fix of the next is judged after this one
    return out


def _finding(model: ArchModel, rule: Rule, rel: str, entry: Entry, index: int, sym: Symbol, parsed: E.Expr,
             term: E.Expr, value: E.Expr, floors: Mapping[str, int]) -> Finding:
    line = entry.props[index]
    after = substitute(parsed, term, value)
    always = "always true" if value == E.Y else "always false"
    what = (f"the whole condition `{E.to_str(parsed)}`" if after in (E.Y, E.N) and term == parsed
            else f"`{E.to_str(term)}`")
    message = (f"{sym.name}: {what} is {always} wherever it is read (the entry's other conditions "
               f"and the minimum tool versions imply it): it changes nothing")
    minimums = ", ".join(f"{tool} {v // 10000}.{v // 100 % 100}.{v % 100}" for tool, v in sorted(floors.items())
                         if tool in ("gcc", "llvm", "binutils"))
    kind = EDIT_KINDS[0] if value == E.Y else EDIT_KINDS[1]
    return Finding(
        rule=rule.id, name=rule.name, arch=model.arch, file=rel, line=line.lineno, message=message,
        witness=Witness("", ""),
        chain=(Step(rel, entry.header.lineno, f"{sym.name} is defined here"),),
        point=EditPoint(kind, rel, entry.header.lineno, sym.name, index), guard=E.to_str(term),
        notes=(f"minimum tool versions ({mintool.SCRIPT}): {minimums}" if minimums else
               "the tree states no minimum tool versions",))


# -- the fix -------------------------------------------------------------------------------------

def edits(point: EditPoint, term_text: str, source: SourceFile) -> tuple[Edit, ...]:
    """Delete the term (re-simplified), or the whole line with its comment lines."""
    from kltolint.fix import CannotFix, split_comment

    entry = source.entry_at(point.entry_line)
    if entry is None or point.nth >= len(entry.props):
        raise CannotFix(f"no line #{point.nth + 1} in the entry at line {point.entry_line}")
    line = entry.props[point.nth]
    split = condition(line)
    if split is None:
        raise CannotFix(f"{point.file}:{line.lineno}: no condition on this line")
    head, cond = split
    value = TERM_VALUES.get(point.kind)
    if value is None:
        raise CannotFix(f"a {point.kind} edit point deletes no term")
    after = substitute(E.flattened(E.parse(cond)), E.flattened(E.parse(term_text)), value)
    _, comment = split_comment(line.text)
    if after == E.N:
        raise CannotFix("the condition would become n")
    if after != E.Y:
        return (Edit(point.file, line.first + 1, line.last + 1, "replace",
                     f"{head} {E.to_str(after)}{comment}" if line.keyword == "depends"
                     else f"{head} if {E.to_str(after)}{comment}"),)
    if line.keyword != "depends":
        return (Edit(point.file, line.first + 1, line.last + 1, "replace", f"{head}{comment}"),)
    # A deletion keeps the deleted text, for the reports.
    out = [Edit(point.file, line.first + 1, line.last + 1, "delete", line.text)]
    at = source.logical.index(line)
    while at > 0 and source.logical[at - 1].kind == "comment":
        at -= 1
        above = source.logical[at]
        out.append(Edit(point.file, above.first + 1, above.last + 1, "delete", above.text))
    return tuple(out)


def reproven(before: ArchModel, after: ArchModel, name: str, tree: Tree, arch: str) -> str:
    """The fixer's verdict on a KRED edit, on the reloaded tree: '' when the
    entry and every symbol that reads it directly (its select and imply
    targets among them) take the same value in every configuration, given
    the tool floors; else why not."""
    from kltolint import analysis

    names = {name} | analysis.blast_radius(before).users.get(name, set()) \
        | analysis.blast_radius(after).users.get(name, set())
    names = {n for n in names if n in before.symbols and n in after.symbols}
    if unchanged(before, after, names, mintool.read(tree, arch)):
        return ""
    return f"{name} or a symbol reading it can change (not proven unchanged)"


# -- across arches -------------------------------------------------------------------------------

def across_arches(tree: Tree, findings: Sequence[Finding], arches: Sequence[str], rules: Sequence[Rule]) -> list[Finding]:
    """A tautology stands only if every arch that may read its file shows it."""
    ids = {r.id for r in rules if is_redundant_rule(r)}
    if not ids:
        return list(findings)
    seen: dict[tuple[str, str, int, str], set[str]] = {}
    for f in findings:
        if f.rule in ids:
            seen.setdefault((f.rule, f.file, f.line, f.message), set()).add(f.arch)
    run = set(arches)
    out = []
    for f in findings:
        if f.rule in ids:
            needed = set(tree.arches_reading(f.file))
            if not needed <= run or not needed <= seen[(f.rule, f.file, f.line, f.message)]:
                continue
        out.append(f)
    return out


def _check(model: ArchModel, rules: Sequence[Rule], sources: Sources, stats: Stats | None,
           scope: set[str] | None) -> list[Finding]:
    return check(model, rules, sources, scope)


# Its fixes are judged by `reproven` (nothing may change), not by a region.
RULE_KIND = RuleKind(
    name=KIND, check=_check, forbidden_region=no_region,
    finds=lambda rule: "toolchain conditions that change nothing, given the tree's minimum tool versions.",
    how_fixed=lambda rule: ("delete the term (re-simplifying the line), or the line with the comment lines "
                            "directly above it; verified like every fix"),
    fix="sometimes", flag="--redundant", reproven=reproven,
    prepare=Sources.preload)
