"""From a satisfying assignment to a witness the kernel's conf tool replays.

The assignment is first made small: a core-guided loop keeps as many user
symbols off as it can (a short .config fragment), and tool versions as high
as it can (so the witness holds for today's toolchains, not only old ones).

Where the toolchain catalogue covers the tree (`catalogue`), the witness is
looked for with a real toolchain first, named in the witness instead of its
probe answers; a combination that needs probe answers no catalogued
toolchain gives together is marked `unknown_toolchain` (a warning, not an
error) and lists those answers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from kltolint import catalogue, toolchain
from kltolint.findings import Witness
from kltolint.logic import Assignment, Encoder, InputKey, Query, Sat, Unsat
from kltolint.model import ArchModel

MAX_ROUNDS = 400


def minimise(query: Query, goal: list[int]) -> Sat | Unsat:
    """A model of `goal` with preferred literals kept where possible (Unsat
    when `goal` has none)."""
    enc = query.enc
    goal = goal + _catalogue_goal(query, goal)
    soft = _soft_literals(enc)
    rank = {lit: i for i, lit in enumerate(soft)}
    for _ in range(MAX_ROUNDS):
        found = query.find(goal + soft)
        if isinstance(found, Sat):
            return found
        core = [lit for lit in found.core if lit in rank]
        if not core:
            return query.find(goal)
        worst = max(core, key=rank.__getitem__)
        soft = [lit for lit in soft if lit != worst]
        rank.pop(worst)
    return query.find(goal)


def _catalogue_goal(query: Query, goal: list[int]) -> list[int]:
    """The selector of the first catalogued toolchain, in order of
    preference, that gives the combination ([] if none does)."""
    cons = catalogue.attach(query.enc)
    if cons is None or not query.satisfiable(goal + [cons.known]):
        return []
    return next(([lit] for _, lit in cons.preferred() if query.satisfiable(goal + [lit])), [cons.known])


def _soft_literals(enc: Encoder) -> list[int]:
    """Preferences, most important first."""
    versions = [lit for key, chain in enc.inputs.ge_chains.items() if not key.is_user_choice()
                for _, lit in chain]
    users = [s.user.m for s in enc.syms.values() if s.user is not None]
    probes = [v for v in enc.inputs.prefer_true if v not in set(versions)]
    return list(dict.fromkeys([*versions, *(-u for u in users), *sorted(probes)]))


def build(query: Query, goal: list[int], found: Assignment, model: ArchModel,
          line_text: Callable[[str, int], str]) -> Witness:
    enc = query.enc
    cons = catalogue.attached(enc)
    picked = [lit for _, lit in cons.selectors if found(lit)] if cons is not None else []
    base_goal, goal = goal, goal + picked  # the catalogued toolchain, if any, stays
    found = _with_choices(query, goal, found, model)
    if model.choices_6_11:
        found = _default_picks(query, goal, found, model)
    found = _with_choices(query, goal, _one_minimal(query, goal, found), model)
    fixed = [_pin(var, found) for var in _user_inputs(enc)]
    any_toolchain = _any_toolchain(query, base_goal, found, fixed, model)
    if not any_toolchain:
        found = _plain_toolchain(query, goal, found, fixed, model)
    make = "" if any_toolchain else toolchain.make_variables(_facts(enc, found, model))
    named = cons.named(found) if cons is not None and not any_toolchain else ""
    unknown = cons is not None and not any_toolchain and not named
    assumptions: list[str] = []
    if not any_toolchain:
        # bounds as the model has them: a named toolchain fixes every version
        assumptions = _versions(query, base_goal, found, fixed, model)
        if named:
            assumptions.append(f"toolchain: {named} (from kltolint's catalogue of real toolchains)")
        else:
            assumptions += _probes(query, goal + fixed, found, model, line_text)
        if unknown:
            assumptions.append("a toolchain kltolint's catalogue does not have (no catalogued "
                               "toolchain gives these probe answers together)")
    return Witness(
        config=_fragment(enc, found, model),
        # gcc needs no variables; `CC=gcc` says that the toolchain matters
        make=make if any_toolchain or make else "CC=gcc",
        assumptions=tuple(assumptions),
        toolchain=named,
        unknown_toolchain=unknown,
    )


_ORDER: weakref.WeakKeyDictionary[ArchModel, dict[str, int]] = weakref.WeakKeyDictionary()


def _order(model: ArchModel) -> dict[str, int]:
    """Each symbol's rank in the model (the order of the lines), built once a model."""
    order = _ORDER.get(model)
    if order is None:
        order = _ORDER[model] = {name: i for i, name in enumerate(model.symbols)}
    return order


def _any_toolchain(query: Query, goal: list[int], found: Assignment, fixed: list[int], model: ArchModel) -> bool:
    """Whether the combination holds with the fragment for every toolchain
    and probe answer. A pick in the model is always effective; a pick line in
    a fragment is a request, honoured where its member is visible, and a
    choice the fragment does not name gets some visible member: so picks are
    free here, except that a requested member, when visible, is picked."""
    enc = query.enc
    picks = {var for key, var in enc.inputs.vars.items() if key.kind == "pick"}
    requests = [enc.any_of((-sym.vis.m, pick)) for name, sym in enc.syms.items()
                if sym.user is None and (pick := enc.pick_input(name)) is not None and found(sym.value.m)]
    enc.close()
    return isinstance(query.find([lit for lit in fixed if abs(lit) not in picks] + requests + [-enc.all_of(goal)]),
                      Unsat)


# The toolchains a witness can name with the fewest make variables: the
# default one (gcc, GNU ld, GNU as: none) and LLVM=1 (clang, ld.lld, clang's
# integrated assembler).
PLAIN_TOOLCHAINS = (
    {"CC_IS_GCC": True, "LD_IS_BFD": True, "AS_IS_GNU": True},
    {"CC_IS_CLANG": True, "LD_IS_LLD": True, "AS_IS_LLVM": True},
)


def _plain_toolchain(query: Query, goal: list[int], found: Assignment, fixed: list[int],
                     model: ArchModel) -> Assignment:
    """The witness on a plain toolchain where the fragment allows one."""
    enc = query.enc
    facts = _facts(enc, found, model)
    if toolchain.make_variables(facts) in ("", "LLVM=1"):
        return found
    for plain in PLAIN_TOOLCHAINS:
        lits = [enc.value(name).m if value else -enc.value(name).m
                for name, value in plain.items() if name in model.symbols]
        again = query.find(goal + fixed + lits)
        if isinstance(again, Sat):
            return again.model
    return found


# -- the fragment, as `make allnoconfig KCONFIG_ALLCONFIG=...` replays it --------------
#
# allnoconfig gives every prompted symbol the fragment leaves out the value n,
# and leaves choices to their default pick. With every free input of the
# model fixed, the model is as deterministic as conf: a line can go when the
# combination still holds with that symbol's input at n.

def _user_inputs(enc: Encoder) -> set[int]:
    return {var for key, var in enc.inputs.vars.items() if key.is_user_choice()}


def _pin(var: int, found: Assignment) -> int:
    return var if found(var) else -var


def _one_minimal(query: Query, goal: list[int], found: Assignment) -> Assignment:
    """The witness with no fragment line that can be dropped (1-minimal)."""
    enc = query.enc
    users = _user_inputs(enc)
    others = [_pin(var, found) for var in enc.inputs.vars.values() if var not in users]
    state = {var: _pin(var, found) for var in users}
    for sym in list(enc.syms.values()):
        if sym.user is None or not found(sym.vis.m) or not found(sym.user.m):
            continue
        trial = {**state, sym.user.m: -sym.user.m, sym.user.y: -sym.user.y}
        again = query.find(goal + others + list(trial.values()))
        if isinstance(again, Sat):
            state, found = trial, again.model
    return found


def _default_picks(query: Query, goal: list[int], found: Assignment, model: ArchModel) -> Assignment:
    """The witness with each choice left to conf's own pick where the
    combination allows it (one line fewer each)."""
    enc = query.enc
    indexes = {model.symbols[n].choice for n, sym in enc.syms.items() if sym.user is None and found(sym.value.m)}
    for index in sorted(i for i in indexes if i is not None):
        inputs = {m: pick for m in dict.fromkeys(model.choices[index].members)
                  if (pick := enc.pick_input(m)) is not None}
        default = _default_pick(enc, found, model, index)
        if default is None or default not in inputs or found(inputs[default]):
            continue
        picks = set(inputs.values())
        pins = [_pin(var, found) for var in enc.inputs.vars.values() if var not in picks]
        again = query.find(goal + pins + [pick if m == default else -pick for m, pick in inputs.items()])
        if isinstance(again, Sat):
            found = again.model
    return found


def _with_choices(query: Query, goal: list[int], found: Assignment, model: ArchModel) -> Assignment:
    """The witness with the choices it picks in encoded whole (every member,
    every default), to tell which picks conf makes on its own. Symbols new to
    the encoding get no line: their user inputs are n, as allnoconfig has them."""
    enc = query.enc
    before = dict(enc.inputs.vars)
    for name, sym in list(enc.syms.items()):
        index = model.symbols[name].choice
        if sym.user is None and index is not None and found(sym.value.m):
            for member in model.choices[index].members:
                enc.value(member)
            for _, cond in model.choices[index].defaults:
                enc.expr(cond)
    enc.close()
    if enc.inputs.vars.keys() == before.keys() and query.is_fed():
        return found
    new_users = [-var for key, var in enc.inputs.vars.items()
                 if key not in before and key.kind in ("user", "user-y")]
    again = query.find(goal + [_pin(var, found) for var in before.values()] + new_users)
    return again.model if isinstance(again, Sat) else found


def _default_pick(enc: Encoder, found: Assignment, model: ArchModel, index: int) -> str | None:
    """What conf picks in choice `index` when the fragment names no member:
    its first active default that is visible, else its first visible member
    (sym_choice_default). Only for 6.11+ rules, where allnoconfig leaves
    choices alone."""
    choice = model.choices[index]
    visible = [m for m in dict.fromkeys(choice.members) if m in enc.syms and found(enc.syms[m].vis.m)]
    for member, cond in choice.defaults:
        if member in visible and found(enc.expr(cond).m):
            return member
    return visible[0] if visible else None


def _fragment(enc: Encoder, found: Assignment, model: ArchModel) -> str:
    lines: list[tuple[int, str]] = []
    order = _order(model)
    for name, sym in enc.syms.items():
        if not found(sym.vis.m):
            continue
        if sym.user is None:  # choice member: the picked one, unless conf picks it anyway
            index = model.symbols[name].choice
            if found(sym.value.m) and not (model.choices_6_11 and index is not None
                                           and _default_pick(enc, found, model, index) == name):
                lines.append((order[name], f"CONFIG_{name}=y"))
            continue
        chosen = found.tri(sym.value) if found(sym.user.m) else "n"
        if chosen != "n":
            lines.append((order[name], f"CONFIG_{name}={chosen}"))
    for name, vis in enc.int_visible.items():
        if found(vis):
            value = _int_value(enc.int_thresholds[name], found)
            if value is not None:
                text = hex(value) if model.symbols[name].type == "hex" else str(value)
                lines.append((order[name], f"CONFIG_{name}={text}"))
    lines += [(order[name], line) for name, line in _strings(enc, found, model)]
    return "".join(text + "\n" for _, text in sorted(lines))


def _strings(enc: Encoder, found: Assignment, model: ArchModel) -> list[tuple[str, str]]:
    """The user's value of each string symbol the goal's cone compares: the
    text the solver chose, or, where it chose none of the texts compared, one
    that is none of them (unwritten, allnoconfig would leave the default)."""
    tested: dict[str, list[str]] = {}
    for (name, text), _lit in enc.encoded_string_tests():
        sym = model.symbols.get(name)
        if sym is not None and sym.type == "string" and sym.prompts:
            tested.setdefault(name, []).append(text)
    out = []
    for name, texts in tested.items():
        chosen = [t for t in texts if (lit := enc.inputs.vars.get(InputKey("user-str", name, t))) is not None
                  and found(lit)]
        if chosen:
            value = chosen[0]
        else:
            value = "x"
            while value in texts:
                value += "x"
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        out.append((name, f'CONFIG_{name}="{escaped}"'))
    return out


def _int_value(thresholds: dict[int, int], found: Assignment) -> int | None:
    above = [c for c, lit in thresholds.items() if found(lit)]
    below = [c for c, lit in thresholds.items() if not found(lit)]
    if above:
        return max(above)
    return min(below) - 1 if below else None


def _facts(enc: Encoder, found: Assignment, model: ArchModel) -> dict[str, bool]:
    facts = {}
    for group in toolchain.GROUPS:
        for name in group.members:
            tri = enc.encoded(name)
            if tri is not None and name in model.symbols:
                facts[name] = found(tri.m)
    return facts


def _versions(query: Query, goal: list[int], found: Assignment, fixed: list[int], model: ArchModel) -> list[str]:
    """The version bounds the witness needs, in words: a bound is left out
    when the combination holds past it with the same fragment and the same
    answers from every other probe."""
    enc = query.enc
    out = []
    for name in toolchain.VERSIONS:
        present = toolchain.PRESENT_WHEN.get(name)
        tool = enc.encoded(present) if present is not None else None
        if tool is not None and present in model.symbols and not found(tool.m):
            continue  # not this toolchain's tool: its version is 0, and says nothing
        llvm_as = enc.encoded("AS_IS_LLVM")
        if name == "AS_VERSION" and llvm_as is not None and found(llvm_as.m):
            continue  # the integrated assembler's version is clang's
        cuts = sorted((c, found(lit)) for (sym, c), lit in enc.encoded_thresholds() if sym == name)
        if not cuts:
            continue
        same = fixed + _other_answers(enc, found, _version_probes(model, name))
        # The highest lower bound and the lowest upper bound it cannot go past.
        low = next((c for c, ok in reversed(cuts) if ok and c > 0
                    and isinstance(query.find(goal + same + [-enc.ge(name, c)]), Unsat)), None)
        high = next((c for c, ok in cuts if not ok and c > 0
                     and isinstance(query.find(goal + same + [enc.ge(name, c)]), Unsat)), None)
        if low is not None or high is not None:
            out.append(toolchain.version_window(name, low, high))
    return out


def _version_probes(model: ArchModel, name: str) -> set[str]:
    """The probe commands a version symbol reads (through other versions too)."""
    out: set[str] = set()
    todo, seen = [name], set()
    while todo:
        sym = model.symbols.get(todo.pop())
        if sym is None or sym.name in seen:
            continue
        seen.add(sym.name)
        for value, _ in sym.defaults:
            what = getattr(value, "name", None)
            if what is not None and model.is_probe(what):
                out.add(model.probes[what].command)
            elif what is not None:
                todo.append(what)
    return out


def _other_answers(enc: Encoder, found: Assignment, free: set[str]) -> list[int]:
    """Every probe answer of the witness, except those of the `free` commands."""
    return [_pin(var, found) for key, var in enc.inputs.vars.items() if key.is_answer() and key.what not in free]


def _probes(query: Query, goal: list[int], found: Assignment, model: ArchModel,
            line_text: Callable[[str, int], str]) -> list[str]:
    """Capability probes the combination relies on (toolchain identity aside):
    those whose other answer would make it unreachable."""
    enc = query.enc
    identity: set[str] = set()
    for name in [m for g in toolchain.GROUPS for m in g.members] + list(toolchain.VERSIONS):
        sym = model.symbols.get(name)
        if sym:
            identity.update(v.name for v, _ in sym.defaults if hasattr(v, "name"))
    out = []
    for name, probe in model.probes.items():
        tri = enc.encoded(name)
        if name in identity or tri is None:
            continue
        lit = tri.m
        if isinstance(query.find(goal + [-lit if found(lit) else lit]), Sat):
            continue  # either answer will do
        answer = "succeeds" if found(lit) else "fails"
        text = line_text(probe.loc.file, probe.loc.line).strip()
        out.append(f"probe {answer}: {probe.loc}: {text}")
    return out
