"""Toolchain facts as variables.

kltolint never asks the host's compiler anything: the symbols the kernel
derives from its toolchain probes are free in the model, tied together only
by what holds for every real toolchain. This table says which. It also turns
a toolchain chosen by the solver back into the make variables that build
with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Mapping

# Tool variables the Makefile exports to Kconfig. kltolint reads each as a
# placeholder standing for itself ("<NM>"), so two probes that differ only in
# the tool stay two probes, and the host's values never leak into a result.
TOOL_VARIABLES = ("CC", "LD", "AR", "NM", "OBJCOPY", "OBJDUMP", "READELF", "STRIP", "AS",
                  "HOSTCC", "HOSTCXX", "RUSTC", "BINDGEN", "PAHOLE", "CLANG_FLAGS", "LLVM",
                  "CC_VERSION_TEXT", "RUSTC_VERSION_TEXT", "PYTHON3",
                  # 7.x computes it in the Makefile (scripts/pahole-version.sh)
                  "PAHOLE_VERSION")
_PLACEHOLDER = re.compile("<(?:" + "|".join(TOOL_VARIABLES) + ")>")


def from_environment(text: str) -> bool:
    """Whether a Kconfig string constant was made from a tool variable (for
    example `default "$(CC_VERSION_TEXT)"`): its real text is the toolchain's,
    so it is a free input of the model, not a constant."""
    return _PLACEHOLDER.search(text) is not None


@dataclass(frozen=True)
class Group:
    """Exactly one of `members` holds (when any of them is defined)."""

    what: str
    members: tuple[str, ...]


GROUPS = (
    Group("compiler", ("CC_IS_GCC", "CC_IS_CLANG")),
    Group("linker", ("LD_IS_BFD", "LD_IS_LLD")),
    Group("assembler", ("AS_IS_GNU", "AS_IS_LLVM")),
)

# (if, then): the integrated assembler is clang's, so it implies clang.
IMPLICATIONS = (("AS_IS_LLVM", "CC_IS_CLANG"),)

# Version symbols, as the witness reports them.
VERSIONS = ("GCC_VERSION", "CLANG_VERSION", "LD_VERSION", "LLD_VERSION", "AS_VERSION", "RUSTC_VERSION")

# A version probe answers with a real version number only where the tool it
# measures is there: `$(cc-version)` of a gcc when CC_IS_GCC. Elsewhere 0 is a
# true answer (`$(as-version)` of clang's integrated assembler, or
# `$(rustc-version)` on a machine without rustc), so no floor applies.
PRESENT_WHEN = {
    "GCC_VERSION": "CC_IS_GCC",
    "CLANG_VERSION": "CC_IS_CLANG",
    "LD_VERSION": "LD_IS_BFD",
    "LLD_VERSION": "LD_IS_LLD",
    "AS_VERSION": "AS_IS_GNU",
}
MIN_VERSION = 10000


TOOL_NAMES = {"GCC_VERSION": "gcc", "CLANG_VERSION": "clang", "LD_VERSION": "GNU ld", "LLD_VERSION": "ld.lld",
              "AS_VERSION": "the assembler", "RUSTC_VERSION": "rustc"}


def version_text(number: int) -> str:
    """150000 -> 15.0; 23502 -> 2.35.2 (the kernel's MAJOR*10000 + MINOR*100 + PATCH)."""
    major, minor, patch = number // 10000, number // 100 % 100, number % 100
    return f"{major}.{minor}" + (f".{patch}" if patch else "")


def version_window(name: str, low: int | None, high: int | None) -> str:
    """A version bound in words, with the Kconfig test it stands for:
    `gcc 6.0 to 9.0, 9.0 excluded (GCC_VERSION >= 60000 and < 90000)`."""
    tool = TOOL_NAMES.get(name, name)
    if low is not None and high is not None:
        words = f"{tool} {version_text(low)} to {version_text(high)}, {version_text(high)} excluded"
        test = f"{name} >= {low} and < {high}"
    elif low is not None:
        words, test = f"{tool} {version_text(low)} or newer", f"{name} >= {low}"
    else:
        assert high is not None
        words, test = f"{tool} older than {version_text(high)}", f"{name} < {high}"
    return f"{words} ({test})"


def make_variables(facts: Mapping[str, bool]) -> str:
    """The make variables that select a toolchain with these facts.

    clang with its integrated assembler and lld is `LLVM=1`; each departure
    from it overrides one tool, as Documentation/kbuild/llvm.rst describes.
    """
    if not facts.get("CC_IS_CLANG"):
        return "LD=ld.lld" if facts.get("LD_IS_LLD") else ""
    words = ["LLVM=1"]
    if facts.get("AS_IS_GNU"):
        words.append("LLVM_IAS=0")
    if facts.get("LD_IS_BFD"):
        words.append("LD=ld.bfd")
    return " ".join(words)
