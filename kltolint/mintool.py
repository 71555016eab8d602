"""The tree's minimum tool versions, read from scripts/min-tool-version.sh as data.

The script is never executed. It is a `case "$1" in` over tool names whose
arms `echo` a version, directly or under `if [ "$SRCARCH" = x ]` / `elif` /
`else` chains. A test of `$SRCARCH` is decided for the arch; a test of
`$ARCH` is not (several ARCH values share one arch folder: parisc and
parisc64), so every arm it guards counts, and the floor is the lowest of
them: a floor is only ever too low, which can hide a tautology but never
invent one. Anything else in the script stops with one line naming it.

The floors become constraints of the model: `cc-version.sh`, `ld-version.sh`
and `as-version.sh` refuse a tool below its minimum, so no configuration has
`0 < CLANG_VERSION < llvm minimum`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kltolint.errors import UserError

if TYPE_CHECKING:  # the solver loads only when floors are constrained
    from kltolint.logic import Encoder
    from kltolint.tree import Tree

SCRIPT = "scripts/min-tool-version.sh"


@dataclass(frozen=True)
class Floor:
    """`symbol >= version` whenever the symbol is non-zero (and `when` holds)."""

    symbol: str
    tool: str
    when: str | None = None


# Which script checks which symbol (scripts/{cc,ld,as}-version.sh): LLD and
# the integrated assembler (AS_VERSION = CLANG_VERSION) are checked as llvm.
FLOORS = (
    Floor("GCC_VERSION", "gcc"),
    Floor("CLANG_VERSION", "llvm"),
    Floor("LLD_VERSION", "llvm"),
    Floor("LD_VERSION", "binutils"),
    Floor("AS_VERSION", "binutils", when="AS_IS_GNU"),
)

_CASE = re.compile(r'case\s+"\$1"\s+in')
_ARM = re.compile(r"([A-Za-z0-9_|-]+|\*)\)")
_ECHO = re.compile(r"echo\s+([0-9]+(?:\.[0-9]+)*)")
_TEST = re.compile(r'(if|elif)\s+\[\s+"?\$(SRCARCH|ARCH)"?\s+(=|!=)\s+"?([A-Za-z0-9_]+)"?\s+\]\s*;\s*then')


def version_number(text: str) -> int:
    """`13.0.1` -> 130001, as scripts/cc-version.sh's get_canonical_version."""
    parts = [int(p) for p in text.split(".")] + [0, 0]
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def read(tree: Tree, arch: str) -> dict[str, int]:
    """tool -> minimum version number for `arch`; {} when the tree has no script."""
    if not tree.exists(SCRIPT):
        return {}
    return parse(tree.read(SCRIPT), arch)


def parse(text: str, arch: str) -> dict[str, int]:
    lines = [(n, _code(line)) for n, line in enumerate(text.splitlines(), 1)]
    start = next((i for i, (_, code) in enumerate(lines) if _CASE.fullmatch(code)), None)
    if start is None:
        raise UserError('minimum tool versions not understood: no `case "$1" in`', SCRIPT)
    out: dict[str, int] = {}
    i = start + 1
    while i < len(lines):
        lineno, code = lines[i]
        if not code:
            i += 1
            continue
        if code == "esac":
            return out
        arm = _ARM.fullmatch(code)
        if arm is None:
            raise _unknown(lineno, code)
        end = next((j for j in range(i + 1, len(lines)) if lines[j][1] == ";;"), None)
        if end is None:
            raise _unknown(lineno, code + " (no `;;`)")
        if arm.group(1) != "*":  # the catch-all arm prints an error
            version = _arm(lines[i + 1:end], arch)
            for tool in arm.group(1).split("|"):
                out[tool] = version
        i = end + 1
    raise UserError('minimum tool versions not understood: no `esac`', SCRIPT)


def _arm(body: list[tuple[int, str]], arch: str) -> int:
    """The lowest version an arm can print for `arch`."""
    versions: list[int] = []
    taken = False  # an earlier branch of this if-chain surely holds
    live = True  # the current branch may hold
    depth = 0
    for lineno, code in body:
        if not code:
            continue
        test = _TEST.fullmatch(code)
        echo = _ECHO.fullmatch(code)
        if test:
            if test.group(1) == "if":
                if depth:
                    raise _unknown(lineno, code + " (nested if)")
                depth, taken = 1, False
            elif not depth:
                raise _unknown(lineno, code)
            holds = _holds(test.group(2), test.group(3), test.group(4), arch)
            live = not taken and holds is not False
            taken = taken or holds is True
        elif code == "else" and depth:
            live = not taken
        elif code == "fi" and depth:
            depth, live = 0, True
        elif echo:
            if live:
                versions.append(version_number(echo.group(1)))
        else:
            raise _unknown(lineno, code)
    if not versions:
        raise UserError("minimum tool versions not understood: an arm prints no version", SCRIPT)
    return min(versions)


def _holds(var: str, op: str, value: str, arch: str) -> bool | None:
    """Does `[ "$var" op value ]` hold for the arch? None: cannot tell."""
    if var != "SRCARCH":
        return None
    return (value == arch) == (op == "=")


def _code(line: str) -> str:
    return line.split("#", 1)[0].strip() if not line.lstrip().startswith("#!") else ""


def _unknown(lineno: int, code: str) -> UserError:
    return UserError(f"minimum tool versions not understood: unexpected `{code}` "
                     "(kltolint reads echo, if/elif/else on $SRCARCH or $ARCH)", SCRIPT, lineno)


def constrain(enc: Encoder, floors: Mapping[str, int]) -> None:
    """Add `0 < SYMBOL < minimum` is impossible, for every floor the tree has."""
    model = enc.model
    for floor in FLOORS:
        version = floors.get(floor.tool)
        sym = model.symbols.get(floor.symbol)
        if version is None or sym is None or sym.type != "int":
            continue
        clause = [-enc.ge(floor.symbol, 1), enc.ge(floor.symbol, version)]
        if floor.when is not None:
            if floor.when not in model.symbols:
                continue
            clause.append(-enc.value(floor.when).m)
        enc.require(*clause)
