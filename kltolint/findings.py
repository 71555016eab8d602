"""What an analysis reports: findings with their proof."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Witness:
    """A configuration that shows the combination.

    `make ARCH=<arch> <make> KCONFIG_ALLCONFIG=<config> allnoconfig` gives it,
    for a toolchain that meets `assumptions`.
    """

    config: str  # .config fragment
    make: str  # toolchain make variables ('' = any toolchain)
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One line of the chain that makes the combination reachable."""

    file: str
    line: int
    text: str


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    arch: str
    file: str
    line: int
    message: str
    witness: Witness
    chain: tuple[Step, ...] = ()
    # What the fixer needs: the edit point found by the blame search.
    strategy: str = ""
    target: str = ""  # symbol whose select is guarded / entry that gets a depends
    guard: str = ""  # condition to add, Kconfig syntax
    notes: tuple[str, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line, self.rule, self.arch)
