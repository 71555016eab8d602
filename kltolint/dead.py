"""KDEAD: dangling references and dead options.

Two checks, each first per arch, then across the arches of a run:

- KDEAD001 (dangling-reference): a `depends on`, `select`, `imply`, `if`,
  `default`, `range` or `visible if` line names a symbol. Per arch, every such
  name the arch does not define is a candidate; across arches, a candidate is
  kept only when no Kconfig file of the tree defines the name (a textual scan,
  which over-approximates "defined", so nothing defined somewhere is ever
  reported). One finding per line and name, whatever the number of arches.
- KDEAD002 (dead-option): a prompted bool/tristate symbol that can be
  neither y nor m. Per arch, a "can it be on?" over-approximation is computed
  as a least fixpoint (each symbol flips to possible at most once, so the cost
  is linear in the model); what it finds dead is then proven by the solver
  (unsatisfiable `value >= m` on the full encoding of its cone), so a bug in
  the approximation can only hide a dead option, never invent one. Across
  arches, a symbol is reported only when it is dead on every arch of the run
  that reads a file defining it, and every arch that may read those files is
  in the run. The explanation is a minimal set of the symbol's dependency
  conjuncts that are unsatisfiable together (deletion over the conjuncts),
  each mapped to its `file:line` through the lossless source layer.

Precision first: both rules are off by default (`--dead`).
"""

from __future__ import annotations

from collections import deque

import re
import weakref
from dataclasses import replace
from typing import TYPE_CHECKING
from collections.abc import Iterable, Iterator, Sequence

from kltolint import expr as E
from kltolint.findings import Finding, Stats, Step, Witness
from kltolint.model import BOOL_TYPES, EDGE_KINDS, ArchModel, Symbol
from kltolint.rulekind import RuleKind, no_region
from kltolint.rules import Rule, RuleKindName
from kltolint.source import PROMPT_KEYWORDS, Logical, SourceFile, Sources

if TYPE_CHECKING:  # the solver loads only when dead options are checked
    from kltolint.logic import Query
    from kltolint.tree import Tree

DANGLING: RuleKindName = "dangling-reference"
DEAD: RuleKindName = "dead-option"
KINDS = (DANGLING, DEAD)
NO_FIX = "no fix: whether to delete the option or restore what it needs is a maintainer's decision"
NO_WITNESS = Witness("", "")
BROKEN_NOTE = "BROKEN marks it as disabled on purpose"

# Property keywords whose text names symbols; the prompt-like ones only in their `if`.
_REF_KEYWORDS = frozenset({"depends", "select", "imply", "default", "def_bool", "def_tristate", "range",
                           "visible", "if"})
_SKIP_WORDS = frozenset({"depends", "on", "select", "imply", "default", "def_bool", "def_tristate", "range",
                         "visible", "if", "y", "m", "n"})
_WORD = re.compile(r"[A-Za-z0-9_]+")
_NUMBER = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|[0-9]+)")
_SPECIAL = re.compile(r"[\"'#$]")
_DEFINITION = re.compile(r"^[ \t]*(?:menu)?config[ \t]+([A-Za-z0-9_]+)", re.MULTILINE)


def is_dead_rule(rule: Rule) -> bool:
    return rule.kind in KINDS


def split(rules: Iterable[Rule]) -> tuple[list[Rule], list[Rule]]:
    rules = list(rules)
    return [r for r in rules if not is_dead_rule(r)], [r for r in rules if is_dead_rule(r)]


def check(model: ArchModel, rules: Sequence[Rule], sources: Sources) -> list[Finding]:
    """Per-arch candidates of every KDEAD rule (see `across_arches`)."""
    return [f for kind in (DANGLING_KIND, DEAD_KIND)
            for f in kind.check(model, [r for r in rules if r.kind == kind.name], sources, None, None)]


def _check_dangling(model: ArchModel, rules: Sequence[Rule], sources: Sources, stats: Stats | None,
                    scope: set[str] | None) -> list[Finding]:
    # A fix's re-check (`scope`) skips both KDEAD kinds: they offer no fix.
    return [f for rule in rules for f in dangling(model, rule, sources)] if scope is None else []


def _check_dead(model: ArchModel, rules: Sequence[Rule], sources: Sources, stats: Stats | None,
                scope: set[str] | None) -> list[Finding]:
    return [f for rule in rules for f in dead_options(model, rule, sources)] if scope is None else []


# -- dangling references ------------------------------------------------------------------

def references(line: Logical) -> Iterator[str]:
    """Symbol names a logical line reads (macros, strings and comments left out)."""
    keyword = line.keyword
    if line.kind == "entry" and keyword != "if":
        return
    code = _code(line.text)
    if keyword in PROMPT_KEYWORDS:
        at = re.search(r"\bif\b", code)
        if at is None:
            return
        code = code[at.end():]
    elif keyword not in _REF_KEYWORDS:
        return
    for word in _WORD.findall(code):
        if word not in _SKIP_WORDS and not _NUMBER.fullmatch(word):
            yield word


def _code(text: str) -> str:
    """The text without comments, quoted strings and `$(...)` macros."""
    if not _SPECIAL.search(text):
        return text
    out, depth, quote, i = [], 0, "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        elif ch in "\"'":
            quote = ch
            out.append(" ")
        elif text.startswith("$(", i):
            depth, i = 1, i + 1
            out.append(" ")
        elif ch == "#":
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def dangling(model: ArchModel, rule: Rule, sources: Sources) -> list[Finding]:
    defined = defined_in(sources)  # a name another arch defines is not dangling
    out = []
    for rel in model.files:
        source = sources.file(rel)
        for line in source.logical:
            if line.kind not in ("entry", "property"):
                continue
            for name in dict.fromkeys(references(line)):
                if name in model.symbols or model.is_probe(name) or name in defined:
                    continue
                out.append(Finding(
                    rule=rule.id, name=rule.name, arch=model.arch, file=rel, line=line.lineno,
                    message=f"`{line.text.strip()}` names {name}, which no Kconfig file of the tree defines",
                    witness=NO_WITNESS,
                    notes=(f"no fix: define {name} or drop the reference (it reads as n)",)))
    return out


def defined_anywhere(tree: Tree) -> set[str]:
    """Every name a `config`/`menuconfig` line of any Kconfig file defines
    (textual, all arches at once; the overlay of a patch included)."""
    names: set[str] = set()
    for rel in tree.kconfig_files():
        if rel not in tree.overlay:
            names.update(_definitions(tree, rel))
    for text in tree.overlay.values():
        if text is not None:
            names.update(_DEFINITION.findall(text))
    return names


_DEFINED: weakref.WeakKeyDictionary[Sources, frozenset[str]] = weakref.WeakKeyDictionary()


def defined_in(sources: Sources) -> frozenset[str]:
    """`defined_anywhere` of the sources' tree, once per Sources (a session's
    workers inherit it from `prepare`)."""
    names = _DEFINED.get(sources)
    if names is None:
        names = _DEFINED[sources] = frozenset(defined_anywhere(sources.tree))
    return names


def prepare(sources: Sources) -> None:
    """Before forking one worker per arch: parse every Kconfig file and find
    the names defined anywhere once, here, instead of once in every worker."""
    sources.preload()
    defined_in(sources)


def _definitions(tree: Tree, rel: str) -> list[str]:
    try:
        return _DEFINITION.findall(tree.read(rel))
    except Exception:  # unreadable or refused (symlink out of the tree): defines nothing we can see
        return []


# -- dead options -------------------------------------------------------------------------

class Possible:
    """Can an expression be on (y or m) / off in some configuration? An
    over-approximation, ignoring how values correlate: `possible(e)` False is
    a proof that e is never on; True proves nothing."""

    def __init__(self, model: ArchModel) -> None:
        self.model = model
        self.on: set[str] = set()
        self.always = {name for name in model.symbols if _always_y(model.symbols[name])}
        self._solve()

    def can(self, expr: E.Expr, want: bool = True) -> bool:
        if isinstance(expr, E.Sym):
            name = expr.name
            if self.model.is_probe(name):
                return True
            if want:
                return name in self.on
            return name not in self.always
        if isinstance(expr, E.Const):
            if expr.value == "m":
                return "MODULES" in self.on if want else True
            return (expr.value in ("y", "m")) == want if expr.value in ("y", "m", "n") else not want
        if isinstance(expr, E.Not):
            return self.can(expr.arg, not want)
        if isinstance(expr, E.And):
            return all(self.can(a, want) for a in expr.args) if want else any(self.can(a, False) for a in expr.args)
        if isinstance(expr, E.Or):
            return any(self.can(a, want) for a in expr.args) if want else all(self.can(a, False) for a in expr.args)
        if isinstance(expr, E.Cmp):
            return self._cmp(expr, want)
        return True  # <choice>

    def _cmp(self, cmp: E.Cmp, want: bool) -> bool:
        left, right, op = cmp.left, cmp.right, cmp.op
        if isinstance(left, E.Const):
            left, right = right, left
        tri = (isinstance(left, E.Sym) and left.name in self.model.symbols
               and self.model.symbols[left.name].type in BOOL_TYPES)
        if tri and isinstance(right, E.Const) and right.value in ("y", "m", "n") and op in ("=", "!="):
            eq = op == "="
            if right.value == "n":  # `X = n` is "X is off", `X != n` "X is on"
                return self.can(left, want != eq)
            if eq == want:  # `X = y` (or m) on, or `X != y` off: X is on
                return self.can(left, True)
        return True

    def _solve(self) -> None:
        users = self._users()
        todo = list(self.model.symbols)
        while todo:
            name = todo.pop()
            if name in self.on or not self._can_be_on(self.model.symbols[name]):
                continue
            self.on.add(name)
            todo.extend(u for u in users.get(name, ()) if u not in self.on)

    def _users(self) -> dict[str, set[str]]:
        users: dict[str, set[str]] = {}
        for sym in self.model.symbols.values():
            for name in _read_by(sym):
                users.setdefault(name, set()).add(sym.name)
            if sym.choice is not None:  # a member also reads its choice's conditions (_can_be_on)
                choice = self.model.choices[sym.choice]
                for name in {n for e in (*choice.prompts, choice.direct_dep) for n in E.symbols(e)}:
                    users.setdefault(name, set()).add(sym.name)
            for kind in EDGE_KINDS:
                for edge in self.model.incoming(kind, sym.name):
                    for name in (edge.source, *E.symbols(edge.cond)):
                        users.setdefault(name, set()).add(sym.name)
        users.setdefault("MODULES", set()).update(self.model.symbols)  # `m` reads it everywhere
        return users

    def _can_be_on(self, sym: Symbol) -> bool:
        if sym.type not in BOOL_TYPES:
            return False
        if sym.choice is not None:
            choice = self.model.choices[sym.choice]
            active = any(self.can(p) for p in (choice.prompts or (choice.direct_dep,)))
            if active and any(self.can(p) for p in sym.prompts):
                return True
        elif any(self.can(p) for p in sym.prompts):
            return True
        if any(self.can(v) and self.can(c) for v, c in sym.defaults):
            return True
        if any(self.can(E.Sym(e.source)) and self.can(e.cond) for e in self.model.incoming("select", sym.name)):
            return True
        return self.can(sym.direct_dep) and any(
            self.can(E.Sym(e.source)) and self.can(e.cond) for e in self.model.incoming("imply", sym.name))


def _always_y(sym: Symbol) -> bool:
    """def_bool y with no condition and no prompt: on in every configuration."""
    return (sym.type in BOOL_TYPES and not sym.prompts and sym.choice is None and bool(sym.defaults)
            and sym.defaults[0] == (E.Y, E.Y))


def _read_by(sym: Symbol) -> set[str]:
    exprs = [sym.direct_dep, *sym.prompts, *(v for v, _ in sym.defaults), *(c for _, c in sym.defaults)]
    return {n for e in exprs for n in E.symbols(e)}


def dead_options(model: ArchModel, rule: Rule, sources: Sources) -> list[Finding]:
    from kltolint.logic import FALSE, Encoder, Query, Sat

    possible = Possible(model)
    prompted = [name for name, sym in model.symbols.items() if sym.prompts and sym.type in BOOL_TYPES]
    suspects = [name for name in prompted if name not in possible.on]
    # Correlations the fixpoint cannot see (A && !A, through a chain of
    # dependencies): only where a name is read both ways is the solver asked.
    suspects += [name for name in prompted if name in possible.on and _both_ways(model, model.symbols[name])]
    if not suspects:
        return []
    enc = Encoder(model)
    lits = {name: enc.value(name).m for name in suspects}
    enc.close()
    out = []
    with Query(enc) as query:
        for name in suspects:
            if lits[name] != FALSE and isinstance(query.find([lits[name]]), Sat):
                continue  # the approximation was too coarse: it can be on
            sym = model.symbols[name]
            never = _never(possible, sym)
            parts = never[:1] or minimal_conflict(query, sym)
            out.append(_dead_finding(model, rule, sources, possible, sym, parts, never[1:]))
    return out


CHAIN_DEPTH = 3  # how far down the dependencies a contradiction is looked for


def _both_ways(model: ArchModel, sym: Symbol) -> bool:
    """Does the symbol's dependency chain read some name as on and as off?"""
    # Breadth first: each name is expanded at its least depth, so what is
    # looked at does not depend on the order of an expression's operands.
    signs: dict[str, set[bool]] = {}
    todo, seen = deque([(sym.direct_dep, True, 0)]), set()
    while todo:
        expr, positive, depth = todo.popleft()
        for name, sign in _polarities(expr, positive):
            signs.setdefault(name, set()).add(sign)
            dep = model.symbols.get(name)
            if sign and dep is not None and depth < CHAIN_DEPTH and name not in seen:
                seen.add(name)
                todo.append((dep.direct_dep, True, depth + 1))
    return any(len(s) == 2 for s in signs.values())


def _polarities(expr: E.Expr, positive: bool) -> Iterator[tuple[str, bool]]:
    if isinstance(expr, E.Sym):
        yield expr.name, positive
    elif isinstance(expr, E.Not):
        yield from _polarities(expr.arg, not positive)
    elif isinstance(expr, E.And):
        for arg in expr.args:
            yield from _polarities(arg, positive)


def _never(possible: Possible, sym: Symbol) -> list[E.Expr]:
    """The dependency conjuncts that can never hold: each alone a minimal conflict."""
    return [c for c in conjuncts(sym.direct_dep) if not possible.can(c)]


def _dead_finding(model: ArchModel, rule: Rule, sources: Sources, possible: Possible, sym: Symbol,
                  parts: list[E.Expr], others: Sequence[E.Expr] = ()) -> Finding:
    """`others`: further conjuncts that each kill it alone (an arch-neutral
    one among them is what `across_arches` reports)."""
    loc = sym.locs[0]
    steps = []
    for part in [*parts, *others]:
        file, line = line_of(sources, sym, part)
        steps.append(Step(file, line, f"{sym.name} needs {E.to_str(part)}, {_why(model, possible, part)}"))
    first = steps[0] if steps else Step(loc.file, loc.line, f"{sym.name}: no prompt can be visible")
    deliberate = (BROKEN_NOTE,) if any("BROKEN" in E.symbols(p) for p in parts) else ()
    return Finding(
        rule=rule.id, name=rule.name, arch=model.arch, file=first.file, line=first.line,
        message=_message(sym.name, [E.to_str(p) for p in parts]),
        witness=NO_WITNESS,
        chain=tuple([Step(l.file, l.line, f"{sym.name} is defined here") for l in sym.locs] + steps),
        notes=(NO_FIX, *deliberate))


def _message(name: str, parts: list[str]) -> str:
    what = " and ".join(f"`{p}`" for p in parts) or "its prompt's condition"
    return f"{name} can never be enabled: it needs {what}, which no configuration gives"


def _why(model: ArchModel, possible: Possible, part: E.Expr) -> str:
    names = list(E.symbols(part))
    undefined = [n for n in names if n not in model.symbols and not model.is_probe(n)]
    if undefined:
        return f"and {', '.join(undefined)} {'is' if len(undefined) == 1 else 'are'} not defined"
    never = [n for n in names if n not in possible.on and n in model.symbols]
    if never:
        return f"and {', '.join(never)} can never be on"
    return "which the rest of its dependencies contradict"


def conjuncts(expr: E.Expr) -> list[E.Expr]:
    return list(expr.args) if isinstance(expr, E.And) else [expr]


def minimal_conflict(query: Query, sym: Symbol) -> list[E.Expr]:
    """A minimal set of the symbol's dependency conjuncts that no configuration
    meets together (deletion: drop each one the others still contradict)."""
    from kltolint.logic import Sat, Unsat

    enc = query.enc
    parts = conjuncts(sym.direct_dep)
    lits = [enc.expr(p).m for p in parts]
    if isinstance(query.find(lits), Sat):
        # Its dependencies can hold: then no prompt condition can.
        parts = [E.or_(*sym.prompts)] if sym.prompts else []
        return parts
    keep = list(range(len(parts)))
    for index in list(keep):
        trial = [i for i in keep if i != index]
        if isinstance(query.find([lits[i] for i in trial]), Unsat):
            keep = trial
    return [parts[i] for i in keep]


def line_of(sources: Sources, sym: Symbol, part: E.Expr) -> tuple[str, int]:
    """The line that adds `part` to the symbol's dependencies: its own
    `depends on`/prompt `if`, else the nearest enclosing `if` or menu
    `depends on` above it in the same file, else its `config` line."""
    names = set(E.symbols(part)) or {E.to_str(part)}
    for loc in sym.locs:
        source = sources.file(loc.file)
        entry = source.entry_at(loc.line)
        own = entry.props if entry else []
        for line in own:
            if names <= set(references(line)):
                return loc.file, line.lineno
        for line in _above(source, loc.line):
            if names <= set(references(line)):
                return loc.file, line.lineno
    return sym.locs[0].file, sym.locs[0].line


def _above(source: SourceFile, lineno: int) -> Iterator[Logical]:
    """`if` lines and menu/choice `depends on` lines above a line, nearest first."""
    owner = {id(p): e for e in source.entries for p in e.props}
    for line in reversed([l for l in source.logical if l.last < lineno - 1]):
        if line.kind == "entry" and line.keyword == "if":
            yield line
        elif line.keyword == "depends":
            entry = owner.get(id(line))
            if entry is not None and entry.keyword in ("menu", "choice"):
                yield line


# -- across arches ------------------------------------------------------------------------

def across_arches(tree: Tree, findings: Sequence[Finding], arches: Sequence[str], rules: Sequence[Rule]) -> list[Finding]:
    """Keep the KDEAD candidates that hold for the whole tree (see the module doc)."""
    ids = {r.id: r.kind for r in rules if is_dead_rule(r)}
    if not ids or not any(f.rule in ids for f in findings):
        return list(findings)
    defined = defined_anywhere(tree) if DANGLING in ids.values() else set()
    run = set(arches)
    dead_on: dict[str, set[str]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for f in findings:
        if ids.get(f.rule) == DEAD:
            dead_on.setdefault(_subject(f), set()).add(f.arch)
            counts = reasons.setdefault(_subject(f), {})
            counts[f.message] = counts.get(f.message, 0) + 1
    # The tree's explanation: one that holds on every arch (alpha may blame
    # `depends on X86` where x86 itself blames `depends on BROKEN`).
    common: dict[str, set[str] | None] = {}
    for f in findings:
        if ids.get(f.rule) == DEAD:
            have = set(_single_reasons(f))
            before = common.get(_subject(f))
            common[_subject(f)] = have if before is None else before & have
    # Without a shared reason: one that names no symbol undefined on its arch
    # (that arch's own reason, not "X86 is not defined" seen from alpha).
    local = {f.message for f in findings if ids.get(f.rule) == DEAD
             and not any(s.text.endswith(" not defined") for s in f.chain)}
    best = {subject: max(counts, key=lambda m: (m in local, counts[m])) for subject, counts in reasons.items()}
    out, reported = [], set()
    for f in findings:
        kind = ids.get(f.rule)
        if kind == DANGLING and _named(f) in defined:
            continue
        if kind == DEAD:
            subject = _subject(f)
            needed = {a for step in _definitions_of(f) for a in tree.arches_reading(step.file)}
            if subject in reported or not needed <= run or not needed <= dead_on[subject]:
                continue
            explained = _explained(f, common.get(subject) or set(), best[subject])
            if explained is None:
                continue
            reported.add(subject)  # once per tree: the first arch's explanation
            f = replace(explained, notes=(*explained.notes, f"dead on every arch that defines it: {', '.join(sorted(needed))}"))
        out.append(f)
    return out


def _single_reasons(finding: Finding) -> dict[str, Step]:
    """conjunct text -> its step, for each conjunct that alone kills it."""
    subject = _subject(finding)
    out = {}
    for step in finding.chain:
        match = re.fullmatch(rf"{re.escape(subject)} needs (.*?), (?:and |which ).*", step.text)
        if match:
            out[match.group(1)] = step
    singles = [s for s in out if f"`{s}` and" not in finding.message and f"and `{s}`" not in finding.message]
    return {s: out[s] for s in singles}


def _explained(finding: Finding, common: set[str], best: str) -> Finding | None:
    """The finding told with a reason every arch shares; else only the
    finding that carries the most frequent message."""
    reasons = _single_reasons(finding)
    shared = [c for c in reasons if c in common]
    if shared:
        step = reasons[shared[0]]
        notes = tuple(n for n in finding.notes if n != BROKEN_NOTE)
        notes += (BROKEN_NOTE,) if "BROKEN" in re.findall(r"\w+", shared[0]) else ()
        return replace(finding, message=_message(_subject(finding), [shared[0]]), file=step.file, line=step.line,
                       chain=tuple(s for s in finding.chain if s is step or s.text.endswith(" is defined here")),
                       notes=notes)
    return finding if finding.message == best else None


def _subject(finding: Finding) -> str:
    return finding.message.split(" ", 1)[0]


def _named(finding: Finding) -> str:
    return finding.message.rsplit(" names ", 1)[1].split(",", 1)[0]


def _definitions_of(finding: Finding) -> list[Step]:
    return [s for s in finding.chain if s.text.endswith(" is defined here")]


DANGLING_KIND = RuleKind(
    name=DANGLING, check=_check_dangling, forbidden_region=no_region,
    finds=lambda rule: "dependency lines naming a symbol that no Kconfig file of the tree defines.",
    how_fixed=lambda rule: "none automatic: define the symbol or drop the reference",
    fix="never", flag="--dead", prepare=prepare)
DEAD_KIND = RuleKind(
    name=DEAD, check=_check_dead, forbidden_region=no_region,
    finds=lambda rule: "prompted options that no configuration of any arch defining them can enable.",
    how_fixed=lambda rule: "none automatic: delete the option or restore what it needs (the report names the lines)",
    fix="never", flag="--dead", prepare=prepare)
