"""From a satisfying assignment to a witness the kernel's conf tool replays.

The assignment is first made small: a core-guided loop keeps as many user
symbols off as it can (a short .config fragment), and tool versions as high
as it can (so the witness holds for today's toolchains, not only old ones).
"""

from __future__ import annotations

import weakref
from typing import Callable

from kltolint import toolchain
from kltolint.findings import Witness
from kltolint.logic import Assignment, Encoder, Query
from kltolint.model import ArchModel

MAX_ROUNDS = 400


def minimise(query: Query, goal: list[int]) -> Assignment | None:
    """A model of `goal` with preferred literals kept where possible."""
    enc = query.enc
    soft = _soft_literals(enc)
    rank = {lit: i for i, lit in enumerate(soft)}
    for _ in range(MAX_ROUNDS):
        found = query.solve(goal + soft)
        if found is not None:
            return found
        core = [lit for lit in (query.solver.get_core() or []) if lit in rank]
        if not core:
            return query.solve(goal)
        worst = max(core, key=rank.__getitem__)
        soft = [lit for lit in soft if lit != worst]
        rank.pop(worst)
    return query.solve(goal)


def _soft_literals(enc: Encoder) -> list[int]:
    """Preferences, most important first."""
    versions = [lit for key, chain in enc.inputs.ge_chains.items() if not key.startswith("#")
                for _, lit in chain]
    users = [s.user.m for s in enc.syms.values() if s.user is not None]
    probes = [v for v in enc.inputs.prefer_true if v not in set(versions)]
    return list(dict.fromkeys([*versions, *(-u for u in users), *sorted(probes)]))


def build(query: Query, goal: list[int], found: Assignment, model: ArchModel,
          line_text: Callable[[str, int], str]) -> Witness:
    enc = query.enc
    return Witness(
        config=_fragment(enc, found, model),
        make=toolchain.make_variables(_facts(enc, found, model)),
        assumptions=tuple(_versions(enc, found) + _probes(query, goal, found, model, line_text)),
    )


_ORDER: "weakref.WeakKeyDictionary[ArchModel, dict[str, int]]" = weakref.WeakKeyDictionary()


def _order(model: ArchModel) -> dict[str, int]:
    """Each symbol's rank in the model (the order of the lines), built once a model."""
    order = _ORDER.get(model)
    if order is None:
        order = _ORDER[model] = {name: i for i, name in enumerate(model.symbols)}
    return order


def _fragment(enc: Encoder, found: Assignment, model: ArchModel) -> str:
    lines: list[tuple[int, str]] = []
    order = _order(model)
    for name, sym in enc.syms.items():
        if not found(sym.vis.m):
            continue
        if sym.user is None:  # choice member: the picked one
            if found(sym.value.m):
                lines.append((order[name], f"CONFIG_{name}=y"))
            continue
        chosen = found.tri(sym.value) if found(sym.user.m) else "n"
        if chosen != "n":
            lines.append((order[name], f"CONFIG_{name}={chosen}"))
        elif found.tri(sym.default) != "n":
            lines.append((order[name], f"# CONFIG_{name} is not set"))
    for name, vis in enc.int_visible.items():
        if found(vis):
            value = _int_value(enc.int_thresholds[name], found)
            if value is not None:
                text = hex(value) if model.symbols[name].type == "hex" else str(value)
                lines.append((order[name], f"CONFIG_{name}={text}"))
    return "".join(text + "\n" for _, text in sorted(lines))


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
            if name in enc._values and name in model.symbols:
                facts[name] = found(enc._values[name].m)
    return facts


def _versions(enc: Encoder, found: Assignment) -> list[str]:
    out = []
    for name in toolchain.VERSIONS:
        cuts = sorted((c, found(lit)) for (sym, c), lit in enc._ge.items() if sym == name)
        low = max((c for c, ok in cuts if ok and c > 0), default=None)
        high = min((c for c, ok in cuts if not ok), default=None)
        if low is not None:
            out.append(f"{name} >= {low}" + (f" and < {high}" if high is not None else ""))
    return out


def _probes(query: Query, goal: list[int], found: Assignment, model: ArchModel,
            line_text: Callable[[str, int], str]) -> list[str]:
    """Capability probes the combination relies on (toolchain identity aside):
    those whose other answer would make it unreachable."""
    enc = query.enc
    identity = set()
    for name in [m for g in toolchain.GROUPS for m in g.members] + list(toolchain.VERSIONS):
        sym = model.symbols.get(name)
        if sym:
            identity.update(v.name for v, _ in sym.defaults if hasattr(v, "name"))
    out = []
    for name, probe in model.probes.items():
        if name in identity or name not in enc._values:
            continue
        lit = enc._values[name].m
        if query.solve(goal + [-lit if found(lit) else lit]) is not None:
            continue  # either answer will do
        answer = "succeeds" if found(lit) else "fails"
        text = line_text(probe.loc.file, probe.loc.line).strip()
        out.append(f"probe {answer}: {probe.loc}: {text}")
    return out
