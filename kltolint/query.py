"""`kltolint query EXPR`: can any valid configuration make EXPR hold?

Per arch the answer is either *reachable*, with a minimal witness built
exactly as a finding's (witness.minimise/build: replay it with the kernel's
conf tool), or *unreachable*, with the reason: a minimal set of Kconfig
lines that together rule it out, whatever the rest of the tree says. The
set is an unsatisfiable core over the deletable lines of `provenance`,
shrunk by deletion until dropping any one line makes EXPR reachable, and it
names the `--toolchain` facts it needs. Only the symbols its proof needs
get deletable lines; the rest of the cone is free or as written, by an
assumption (`unsat_core`). `reachable_without` checks a core on the model
with every line deletable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar, overload

from kltolint import expr as E
from kltolint import toolchain
from kltolint import witness as W
from kltolint.errors import UserError
from kltolint.findings import Witness
from kltolint.logic import Encoder, InputKey, Query, Sat, Unsat
from kltolint.model import ArchModel, Edge, Loc, Probe, Symbol
from kltolint.provenance import LINE_PREFIX, Line, Lined, Provenance
from kltolint.source import Sources
from kltolint.toolfacts import Fact
from kltolint.tree import LoadRecord, Tree

# ARCH values the kernel's Makefile maps onto an arch folder, with what they fix.
ALIASES = {
    "i386": ("x86", "!64BIT"), "x86_64": ("x86", "64BIT"),
    "sparc32": ("sparc", "!64BIT"), "sparc64": ("sparc", "64BIT"),
    "parisc64": ("parisc", "64BIT"),
}
_T = TypeVar("_T")
_TOOL_SYMBOLS = [m for g in toolchain.GROUPS for m in g.members] + list(toolchain.VERSIONS)


@dataclass(frozen=True)
class Answer:
    """The answer for one arch: reachable with a witness, or unreachable with a minimal core of lines."""

    arch: str  # as asked (ARCH=...)
    reachable: bool
    witness: Witness | None = None
    core: tuple[Line, ...] = ()  # unreachable: lines that rule it out
    facts: tuple[str, ...] = ()  # unreachable: the --toolchain facts the core needs
    needs: tuple[str, ...] = ()  # "CC_IS_CLANG: arch/Kconfig:753"
    undefined: tuple[str, ...] = ()  # symbols of EXPR this arch does not define
    fixed: tuple[str, ...] = ()  # what the arch alias fixes (i386: !64BIT)
    never_set: tuple[str, ...] = ()  # core symbols nothing on this arch can turn on


@dataclass
class Asked:
    """One question on one arch: the model and what is assumed."""

    arch: str
    srcarch: str
    model: ArchModel
    kconf: object  # what provenance reads the menu nodes from (ArchLoad)
    record: LoadRecord  # what the load read (the answers cache keeps it)
    goal: E.Expr
    facts: list[tuple[str, E.Expr]] = field(default_factory=list)


def resolve_arch(tree: Tree, arch: str) -> tuple[str, E.Expr | None]:
    """The arch folder for an ARCH value, and what the alias fixes."""
    if arch in ALIASES and arch not in tree.arches():
        folder, fixed = ALIASES[arch]
        return folder, E.parse(fixed)
    return arch, None


def parse_goal(text: str) -> E.Expr:
    if any(c in text for c in "\n\r\0"):  # a Kconfig line, and a .config string, is one line
        raise UserError("bad expression: a line break or NUL in it")
    try:
        return E.parse(text)
    except E.ExprSyntaxError as err:
        raise UserError(f"bad expression: {err}") from None
    except RecursionError:
        raise UserError("bad expression: nested too deeply") from None


# An arch folder's model, its menu nodes (what provenance reads: a
# kconfiglib.Kconfig or a provenance.Nodes) and the load's record.
ArchLoad = Callable[[Tree, str], tuple[ArchModel, object, LoadRecord]]


def load_fresh(tree: Tree, srcarch: str) -> tuple[ArchModel, object, LoadRecord]:
    from kltolint.load import LASTING, convert

    kconf, record = LASTING.kconfig(tree, srcarch)
    return convert(kconf, srcarch), kconf, record


def prepare(tree: Tree, arch: str, goal: E.Expr, facts: list[Fact], load: ArchLoad = load_fresh) -> Asked:
    srcarch, fixed = resolve_arch(tree, arch)
    model, kconf, record = load(tree, srcarch)
    asked = Asked(arch, srcarch, model, kconf, record, goal)
    if fixed is not None:
        asked.facts.append((f"ARCH={arch}: {E.to_str(fixed)}", fixed))
    asked.facts += [(f.text, f.on(model)) for f in facts]
    return asked


def undefined(model: ArchModel, goal: E.Expr) -> tuple[str, ...]:
    return tuple(sorted({n for n in E.symbols(goal) if n not in model.symbols and not model.is_probe(n)}))


def answer(asked: Asked, sources: Sources) -> Answer:
    model = asked.model
    enc = Encoder(model)
    goal = [enc.expr(asked.goal).m] + [enc.expr(e).m for _, e in asked.facts]
    fixed = tuple(text for text, _ in asked.facts if text.startswith("ARCH="))
    with Query(enc) as query:
        found = W.minimise(query, goal)
        if isinstance(found, Sat):
            proof = W.build(query, goal, found.model, model, sources.line_text)
            return Answer(asked.arch, True, witness=proof, fixed=fixed)
    return ruled_out(asked, sources)


def ruled_out(asked: Asked, sources: Sources) -> Answer:
    """The answer for a goal the solver has found unreachable under the
    question's facts (`answer`, or explain's change search): its core."""
    core, facts = unsat_core(asked, sources)
    model = asked.model
    fixed = tuple(text for text, _ in asked.facts if text.startswith("ARCH="))
    return Answer(asked.arch, False, core=core, facts=facts, needs=_needs(core),
                  undefined=undefined(model, asked.goal), fixed=fixed, never_set=_never_set(model, core))


def _relaxable(asked: Asked, sources: Sources) -> tuple[Encoder, int, dict[int, object]]:
    """The lined encoding of a question: goal literal, and assumption
    literals named by their fact (text) or line."""
    lined = Lined(Provenance(asked.kconf, asked.model, sources))
    enc = Encoder(lined.model)
    goal = enc.expr(asked.goal).m
    named: dict[int, object] = {}
    for text, fact in asked.facts:
        named.setdefault(enc.expr(fact).m, text)
    enc.close()
    for name, line in lined.lines.items():
        var = enc.inputs.vars.get(InputKey("probe", lined.model.probes[name].command))
        if var is not None:
            named.setdefault(var, line)
    return enc, goal, named


def reachable_without(asked: Asked, sources: Sources, keep: list[Line], facts: tuple[str, ...]) -> bool:
    """Is the goal reachable when only `keep` (and `facts`) must hold as
    written, every other line of the tree relaxed? (`keep` = a core minus
    one line: True for each line of a minimal core.)"""
    enc, goal, named = _relaxable(asked, sources)
    wanted = {(l.file, l.line) for l in keep}
    lits = [lit for lit, what in named.items()
            if (isinstance(what, Line) and (what.file, what.line) in wanted) or what in facts]
    with Query(enc) as query:
        return isinstance(query.find([goal, *lits]), Sat)


def unsat_core(asked: Asked, sources: Sources) -> tuple[tuple[Line, ...], tuple[str, ...]]:
    """A minimal set of lines (and facts) that keep the goal unreachable:
    deletion-based shrinking of the solver's core, each line left needed.

    Only the symbols the proof needs get deletable lines (`_Partial`: at
    first the goal's, the facts' and those their dependencies read, two
    deep); every other symbol of the cone can be free or as written, by an
    assumption.
    Free, a set of lines that rules the goal out rules it out with every
    other line of the tree relaxed too (the core shrinks); as written, a set
    that lets the goal hold lets it hold with the other lines relaxed too
    (the line left out is needed). When the two disagree, the symbols whose
    written definitions rule the goal out get their lines, and the search
    goes on where it stopped: the core is as minimal as on the whole lined
    model (`reachable_without`)."""
    partial = _Partial(asked, sources)
    partial.guess()
    core: list[Line | str] | None = None
    index = 0
    while True:
        enc, goal, named, guards = partial.encode()
        lit_of = {what: lit for lit, what in named.items()}
        with Query(enc) as query:
            if core is None:
                outcome = query.find([goal, *named])
                if isinstance(outcome, Sat):  # the free symbols let it hold
                    partial.grow(query.find([goal, *named, *guards]), guards)
                    continue
                core = [named[lit] for lit in outcome.core if lit in named]
            while index < len(core):
                trial = core[:index] + core[index + 1:]
                outcome = query.find([goal, *(lit_of[w] for w in trial)])
                if isinstance(outcome, Unsat):
                    smaller = set(outcome.core)
                    core = [w for w in trial if lit_of[w] in smaller]
                    continue
                written = query.find([goal, *(lit_of[w] for w in trial), *guards])
                if isinstance(written, Sat):
                    index += 1
                    continue
                partial.grow(written, guards)
                break
            else:
                break
    lines = tuple(sorted((what for what in core if isinstance(what, Line)), key=lambda l: (l.file, l.line)))
    facts = tuple(what for what in core if isinstance(what, str))
    return lines, facts


class _Partial:
    """The lined model (provenance.Lined) on the symbols in `lined` and the
    choices' members; every other symbol gets a guard: assumed, the symbol
    is as written (no deletable line); not assumed, its value is free (a
    prompt that shows while the guard is off, selects and implies that
    fire only while it is on)."""

    def __init__(self, asked: Asked, sources: Sources) -> None:
        self.asked = asked
        self.lines = Lined(Provenance(asked.kconf, asked.model, sources))
        self.lined: set[str] = set()
        self._guards: dict[str, E.Sym] = {}
        self._probes: dict[str, Probe] = {}
        # symbols and edges as written, behind their guards (the same in every encoding)
        self._as_written: dict[str, Symbol] = {}
        self._edges: dict[tuple[str, str], tuple[Edge, ...]] = {}

    def guess(self, depth: int = 2) -> None:
        """Lines, to begin with, for the symbols of the goal and the facts and
        those their definitions read, `depth` deep: where a proof usually
        lies (the search grows the set when it does not)."""
        model = self.asked.model
        found: set[str] = set()
        layer = {n for e in (self.asked.goal, *(f for _, f in self.asked.facts)) for n in E.symbols(e)}
        for _ in range(depth + 1):
            layer = {n for n in layer if n in model.symbols} - found
            found |= layer
            nxt: set[str] = set()
            for name in layer:
                sym = model.symbols[name]
                for expr in (sym.direct_dep, *sym.prompts):
                    nxt.update(E.symbols(expr))
            layer = nxt
        self.lined = found

    def grow(self, written: Sat | Unsat, guards: dict[int, str]) -> None:
        """Lines for the symbols whose written definitions rule the goal out."""
        if isinstance(written, Sat):
            raise AssertionError("the model as written must rule out what it ruled out before")
        more = {guards[lit] for lit in written.core if lit in guards} - self.lined
        if not more:
            raise AssertionError("a guard must be in the core when the free model differs")
        self.lined |= more

    def encode(self) -> tuple[Encoder, int, dict[int, Line | str], dict[int, str]]:
        """An encoding: goal literal, the assumption literals named by their
        fact (text) or line, and the guards' literals with their symbols."""
        base, lined = self.asked.model, self.lines.model
        model = ArchModel(
            arch=base.arch, symbols=_Mixed(self), choices=lined.choices, edges=(),
            probes=_Both(self._probes, lined.probes), files=base.files, kernel=lined.kernel,
            incoming_source=self._incoming)
        enc = Encoder(model)
        goal = enc.expr(self.asked.goal).m
        named: dict[int, Line | str] = {}
        for text, fact in self.asked.facts:
            named.setdefault(enc.expr(fact).m, text)
        enc.close()
        for name, line in self.lines.lines.items():
            var = enc.inputs.vars.get(InputKey("probe", lined.probes[name].command))
            if var is not None:
                named.setdefault(var, line)
        guards = {}
        for name, guard in self._guards.items():
            var = enc.inputs.vars.get(InputKey("probe", self._probes[guard.name].command))
            if var is not None and name not in self.lined:
                guards[var] = name
        return enc, goal, named, guards

    def is_lined(self, name: str) -> bool:
        sym = self.asked.model.symbols.get(name)
        return name in self.lined or (sym is not None and sym.choice is not None)

    def guard(self, name: str) -> E.Sym:
        guard = self._guards.get(name)
        if guard is None:
            guard = self._guards[name] = E.Sym(f"{LINE_PREFIX}as_written_{len(self._guards)}")
            loc = self.asked.model.symbols[name].locs[0] if self.asked.model.symbols[name].locs else Loc("", 0)
            self._probes[guard.name] = Probe(guard.name, f"#as written {name}", loc)
        return guard

    def symbol(self, name: str) -> Symbol:
        if self.is_lined(name):
            return self.lines.model.symbols[name]
        done = self._as_written.get(name)
        if done is None:
            sym = self.asked.model.symbols[name]
            done = self._as_written[name] = replace(sym, prompts=(*sym.prompts, E.not_(self.guard(name))))
        return done

    def _incoming(self, kind: str, target: str) -> tuple[Edge, ...]:
        if self.is_lined(target):
            return self.lines.model.incoming(kind, target)
        done = self._edges.get((kind, target))
        if done is None:
            guard = self.guard(target)
            done = self._edges[(kind, target)] = tuple(
                replace(e, cond=E.and_(e.cond, guard)) for e in self.asked.model.incoming(kind, target))
        return done


class _Both(Mapping[str, Probe]):
    """Two growing tables of probes read as one."""

    def __init__(self, first: Mapping[str, Probe], second: Mapping[str, Probe]) -> None:
        self._first, self._second = first, second

    def __getitem__(self, name: str) -> Probe:
        found = self._first.get(name)
        return found if found is not None else self._second[name]

    def __contains__(self, name: object) -> bool:
        return name in self._first or name in self._second

    def __iter__(self) -> Iterator[str]:
        yield from self._first
        yield from self._second

    def __len__(self) -> int:
        return len(self._first) + len(self._second)


class _Mixed(Mapping[str, Symbol]):
    """A `_Partial`'s symbols (each made once per encoding)."""

    def __init__(self, partial: _Partial) -> None:
        self._partial = partial
        self._done: dict[str, Symbol] = {}

    def __getitem__(self, name: str) -> Symbol:
        done = self._done.get(name)
        if done is None:
            done = self._done[name] = self._partial.symbol(name)
        return done

    def __contains__(self, name: object) -> bool:
        return name in self._partial.asked.model.symbols

    @overload
    def get(self, name: str, /) -> Symbol | None: ...

    @overload
    def get(self, name: str, /, default: Symbol | _T) -> Symbol | _T: ...

    def get(self, name: str, /, default: object = None) -> object:
        """Mapping.get without its KeyError for a guard or a line input (the
        encoder asks for each of them by name too)."""
        done = self._done.get(name)
        if done is not None:
            return done
        return self[name] if name in self._partial.asked.model.symbols else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._partial.asked.model.symbols)

    def __len__(self) -> int:
        return len(self._partial.asked.model.symbols)


def _never_set(model: ArchModel, core: tuple[Line, ...]) -> tuple[str, ...]:
    """Symbols a core line reads that have no prompt, no default and no
    select on this arch: the absence no line shows."""
    out = []
    for line in core:
        for name in re.findall(r"[A-Za-z0-9_]+", line.text):
            sym = model.symbols.get(name)
            if (sym is not None and not sym.prompts and not sym.defaults
                    and not model.incoming("select", name)):
                out.append(name)
    return tuple(dict.fromkeys(out))


def _needs(core: tuple[Line, ...]) -> tuple[str, ...]:
    out = []
    for line in core:
        words = set(re.findall(r"[A-Za-z0-9_]+", line.text))
        out += [f"{name}: {line.file}:{line.line}" for name in _TOOL_SYMBOLS if name in words]
    return tuple(dict.fromkeys(out))


def make_command(answer: Answer) -> str:
    assert answer.witness is not None
    make = f" {answer.witness.make}" if answer.witness.make else ""
    return f"make ARCH={answer.arch}{make} KCONFIG_ALLCONFIG=witness.config allnoconfig"


# -- output --------------------------------------------------------------------------

def render_text(expr: str, answers: list[Answer]) -> str:
    out = []
    for a in answers:
        if a.reachable:
            assert a.witness is not None
            out.append(f"{a.arch}: reachable: {expr}")
            out.append(f"    witness: {make_command(a)}")
            out += [f"    assuming {x}" for x in a.witness.assumptions]
            out.append("    witness.config:")
            out += [f"    | {line}" for line in a.witness.config.splitlines()]
            continue
        out.append(f"{a.arch}: unreachable: {expr}")
        out += [f"    {name} is not defined on {a.arch}" for name in a.undefined]
        out += [f"{line.file}:{line.line}: note: {line.owner}: {line.text}" for line in a.core]
        out += [f"    with {fact}" for fact in a.facts]
        out += [f"    nothing on {a.arch} sets {name} (no prompt, default or select)" for name in a.never_set]
        out += [f"    needs {need}" for need in a.needs]
        if not a.core and not a.facts and not a.undefined:
            out.append("    the expression contradicts itself (or the toolchain's own rules)")
    return "".join(line + "\n" for line in out)


def to_data(expr: str, toolchain_facts: list[str], answers: list[Answer]) -> dict[str, object]:
    arches = []
    for a in answers:
        item: dict[str, object] = {"arch": a.arch, "reachable": a.reachable, "fixed": list(a.fixed)}
        if a.witness is not None:
            item["witness"] = {"config": a.witness.config, "make": a.witness.make,
                               "assumptions": list(a.witness.assumptions), "command": make_command(a)}
        else:
            item["core"] = [{"file": l.file, "line": l.line, "text": l.text, "symbol": l.owner} for l in a.core]
            item["facts"] = list(a.facts)
            item["needs"] = list(a.needs)
            item["undefined"] = list(a.undefined)
            item["never_set"] = list(a.never_set)
        arches.append(item)
    return {"version": 1, "tool": "kltolint", "query": expr, "toolchain": toolchain_facts, "arches": arches,
            "reachable": all(a.reachable for a in answers)}
