"""What an analysis reports: findings with their proof."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


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
class EditPoint:
    """Where the fix goes: found by the blame search, resolved to a line."""

    kind: str  # "select" (guard it), "depends" (add to the entry), "default" (narrow it)
    file: str
    entry_line: int  # the entry's `config` line
    symbol: str  # select: its target; otherwise the entry's symbol
    nth: int = 0  # select: which `select SYMBOL` of the entry; default: which default line


@dataclass(frozen=True)
class Edit:
    """One line changed on the lossless source layer (1-based physical lines)."""

    file: str
    first: int
    last: int
    action: str  # "replace" lines first..last, "insert" after line `last`, or "delete" them
    text: str  # new line, without its line end


@dataclass(frozen=True)
class FixInfo:
    applicability: str  # "safe", "unsafe", or "none" (no verified fix)
    diff: str  # unified diff, a/ b/ paths relative to the tree root
    note: str  # for unsafe: what else changes; for none: why
    edits: tuple[Edit, ...] = ()


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
    point: EditPoint | None = None
    guard: str = ""  # condition to add, Kconfig syntax
    notes: tuple[str, ...] = field(default=())
    fix: FixInfo | None = None  # attached by the fixer
    alternatives: tuple[EditPoint, ...] = ()  # other edit points, tried in order after `point`

    @property
    def target(self) -> str:
        return self.point.symbol if self.point else ""

    @property
    def strategy(self) -> str:
        return self.point.kind if self.point else ""

    def key(self) -> tuple[str, str, str, str]:
        """Identity across edits (line numbers move, messages do not)."""
        return (self.rule, self.arch, self.file, self.message)

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line, self.rule, self.arch)


@dataclass
class Stats:
    """What a sweep did, for --stats and bench/."""

    edges: int = 0  # select edges on the arch
    solved: int = 0  # edges that needed the solver
    findings: int = 0
    parse: float = 0.0
    encode: float = 0.0
    solve: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def line(self, arch: str) -> str:
        return (f"{arch}: {self.edges} select edges, {self.solved} solved, {self.findings} findings; "
                f"parse {self.parse:.2f} s, encode {self.encode:.2f} s, solve {self.solve:.2f} s")


def to_data(finding: Finding) -> dict:
    """A JSON-able dict of everything but the fix (fixes are computed fresh)."""
    data = asdict(replace(finding, fix=None))
    data.pop("fix")
    return data


def from_data(data: dict) -> Finding:
    point = data.get("point")
    return Finding(
        rule=data["rule"], name=data["name"], arch=data["arch"], file=data["file"], line=data["line"],
        message=data["message"],
        witness=Witness(data["witness"]["config"], data["witness"]["make"], tuple(data["witness"]["assumptions"])),
        chain=tuple(Step(**step) for step in data["chain"]),
        point=EditPoint(**point) if point else None,
        guard=data["guard"], notes=tuple(data["notes"]),
        alternatives=tuple(EditPoint(**p) for p in data.get("alternatives", ())),
    )
