"""Toolchain facts as variables.

kltolint never asks the host's compiler anything: the symbols the kernel
derives from its toolchain probes are free in the model, tied together only
by what holds for every real toolchain. This table says which. It also turns
a toolchain chosen by the solver back into the make variables that build
with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


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

# Version symbols; a version probe is a real, positive version number.
VERSIONS = ("GCC_VERSION", "CLANG_VERSION", "LD_VERSION", "LLD_VERSION", "AS_VERSION", "RUSTC_VERSION")
MIN_VERSION = 10000


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
