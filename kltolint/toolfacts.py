"""`--toolchain` facts: what the user fixes about the toolchain, as Kconfig.

The model leaves the toolchain free (see `toolchain`); a question "with gcc"
fixes part of it. Each fact becomes an expression over the toolchain's
symbols (or over the tree's probes, for `probe:TEXT=y|n`), asserted as its
own assumption so an unsatisfiable core can name the facts involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kltolint import expr as E
from kltolint import toolchain
from kltolint.errors import UserError
from kltolint.model import ArchModel

_LLVM = "CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM"
_WORDS = {
    "gcc": "CC_IS_GCC", "clang": "CC_IS_CLANG", "llvm": _LLVM,
    "LLVM=1": _LLVM, "LLVM_IAS=0": "AS_IS_GNU", "LLVM_IAS=1": "AS_IS_LLVM",
    "LD=ld": "LD_IS_BFD", "LD=ld.bfd": "LD_IS_BFD", "LD=ld.lld": "LD_IS_LLD",
    "CC=gcc": "CC_IS_GCC", "CC=clang": "CC_IS_CLANG",
    "AS=as": "AS_IS_GNU", "ld.bfd": "LD_IS_BFD", "ld.lld": "LD_IS_LLD",
}
_VERSIONED = re.compile(r"(?:CC=)?(gcc|clang)-(\d+)|LLVM=-(\d+)|LD=ld\.lld-(\d+)")
_PROBE = re.compile(r"probe:(.+)=([yn])")
_TOOL_SYMBOLS = frozenset({m for g in toolchain.GROUPS for m in g.members} | set(toolchain.VERSIONS))
HELP = ("gcc, clang, gcc-N, clang-N, LLVM=1, LLVM=-N, LLVM_IAS=0|1, LD=ld.bfd, LD=ld.lld, CC=..., "
        "a condition on toolchain symbols (CLANG_VERSION >= 170000), or probe:TEXT=y|n")


@dataclass(frozen=True)
class Fact:
    """A `--toolchain` fact as the user wrote it, and what it means for a model."""

    text: str  # as the user wrote it
    expr: E.Expr | None  # over toolchain symbols; None for a probe fact
    probe: tuple[str, bool] | None = None  # (text in the command, answer)

    def on(self, model: ArchModel) -> E.Expr:
        """The fact as an expression of this arch's model."""
        if self.probe is None:
            assert self.expr is not None
            return self.expr
        text, answer = self.probe
        hits = [E.Sym(p.name) for p in model.probes.values() if text in p.command]
        if not hits:
            return E.Y  # no probe of this arch asks it: nothing to fix
        return E.and_(*(hits if answer else [E.not_(h) for h in hits]))


def _major(symbol: str, major: str) -> str:
    low = int(major) * 10000
    return f"{symbol} >= {low} && {symbol} < {low + 10000}"


def parse_fact(text: str) -> Fact:
    word = text.strip()
    if word in _WORDS:
        return Fact(word, E.parse(_WORDS[word]))
    match = _VERSIONED.fullmatch(word)
    if match:
        tool, major, llvm, lld = match.groups()
        if tool == "gcc":
            return Fact(word, E.parse("CC_IS_GCC && " + _major("GCC_VERSION", major)))
        if tool == "clang":
            return Fact(word, E.parse("CC_IS_CLANG && " + _major("CLANG_VERSION", major)))
        if llvm:
            return Fact(word, E.parse(f"{_LLVM} && " + _major("CLANG_VERSION", llvm)))
        return Fact(word, E.parse("LD_IS_LLD && " + _major("LLD_VERSION", lld)))
    match = _PROBE.fullmatch(word)
    if match:
        return Fact(word, None, (match.group(1), match.group(2) == "y"))
    try:
        parsed = E.parse(word)
    except (E.ExprSyntaxError, RecursionError):
        parsed = None
    if parsed is not None and set(E.symbols(parsed)) and set(E.symbols(parsed)) <= _TOOL_SYMBOLS:
        return Fact(word, parsed)
    raise UserError(f"unknown toolchain fact {text!r} (expected {HELP})")


def parse_facts(texts: list[str]) -> list[Fact]:
    """Facts from repeated and comma-separated `--toolchain` values."""
    parts = [part for text in texts for part in ([text] if text.startswith("probe:") else text.split(","))]
    return [parse_fact(part) for part in parts if part.strip()]
