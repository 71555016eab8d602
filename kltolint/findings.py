"""What an analysis reports: findings with their proof."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, NoReturn, get_args

from kltolint import expr

# "select" (guard it), "depends" (add to the entry), "default" (narrow it);
# KRED's term replaced by y / by n (redundant.py).
GuardEditKind = Literal["select", "depends", "default"]  # where a rule's guard goes
EditKind = Literal[GuardEditKind, "redundant-true", "redundant-false"]
_EDIT_KINDS: tuple[EditKind, ...] = get_args(EditKind)
EditAction = Literal["replace", "insert", "delete"]
Applicability = Literal["safe", "unsafe", "none"]  # "none": no verified fix


Severity = Literal["error", "warning"]


def unreachable(value: NoReturn) -> NoReturn:
    """The last case of an exhaustive `match` over a Literal kind: mypy
    proves it unreachable, so a kind added to the Literal and not handled
    is a type error."""
    raise AssertionError(f"unhandled kind {value!r}")


@dataclass(frozen=True)
class Witness:
    """A configuration that shows the combination.

    `make ARCH=<arch> <make> KCONFIG_ALLCONFIG=<config> allnoconfig` gives it,
    for a toolchain that meets `assumptions`.
    """

    config: str  # .config fragment
    make: str  # toolchain make variables ('' = any toolchain)
    assumptions: tuple[str, ...] = ()
    toolchain: str = ""  # the catalogued real toolchain it holds with (catalogue.py), if named
    # True when it needs probe answers no catalogued toolchain gives together
    unknown_toolchain: bool = False


@dataclass(frozen=True)
class Step:
    """One line of the chain that makes the combination reachable."""

    file: str
    line: int
    text: str


@dataclass(frozen=True)
class EditPoint:
    """Where the fix goes: found by the blame search, resolved to a line."""

    kind: EditKind
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
    action: EditAction  # "replace" lines first..last, "insert" after line `last`, or "delete" them
    text: str  # new line, without its line end


@dataclass(frozen=True)
class FixInfo:
    """The fix offered for a finding: safe, unsafe (and what else it changes) or none (and why), with its
    diff and edits.
    """

    applicability: Applicability
    diff: str  # unified diff, a/ b/ paths relative to the tree root
    note: str  # for unsafe: what else changes; for none: why
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A proven finding on one arch: the rule, the responsible line, the chain that lets it through, a
    witness, and its fix.
    """

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
    def severity(self) -> Severity:
        """A finding that only a toolchain outside the catalogue reaches is a
        warning: it may hold for no real compiler."""
        return "warning" if self.witness.unknown_toolchain else "error"

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


def to_data(finding: Finding) -> dict[str, Any]:
    """A JSON-able dict of everything but the fix (fixes are computed fresh)."""
    data = asdict(replace(finding, fix=None))
    data.pop("fix")
    return data


def from_data(data: object) -> Finding:
    """The inverse of `to_data`, for data read back from the cache: every
    field is type-checked (TypeError/ValueError otherwise), and a guard must
    be a plain expression, since `--fix` writes it into the tree."""
    d = _dict(data, {"rule", "name", "arch", "file", "line", "message", "witness", "chain", "point",
                     "guard", "notes", "alternatives"})
    w = _dict(d["witness"], {"config", "make", "assumptions", "toolchain", "unknown_toolchain"})
    if type(w["unknown_toolchain"]) is not bool:
        raise TypeError("not a bool")
    guard = as_str(d["guard"])
    if guard and not expr.is_canonical(guard):
        raise ValueError("a guard that is not a plain expression")
    return Finding(
        rule=as_str(d["rule"]), name=as_str(d["name"]), arch=as_str(d["arch"]), file=as_str(d["file"]),
        line=_line(d["line"]), message=as_str(d["message"]),
        witness=Witness(as_str(w["config"]), as_str(w["make"]), _strs(w["assumptions"]), as_str(w["toolchain"]),
                        w["unknown_toolchain"]),
        chain=tuple(_step(s) for s in as_list(d["chain"])),
        point=None if d["point"] is None else _point(d["point"]),
        guard=guard, notes=_strs(d["notes"]),
        alternatives=tuple(_point(p) for p in as_list(d["alternatives"])),
    )


def _dict(value: object, keys: set[str]) -> dict[str, Any]:
    if type(value) is not dict or set(value) != keys:
        raise TypeError("not the expected object")
    return value


def as_list(value: object) -> list[Any]:
    """A JSON list read back from a cache, or TypeError (it is checked, not trusted)."""
    if type(value) is not list:
        raise TypeError("not a list")
    return value


def as_str(value: object) -> str:
    """A JSON string read back from a cache, or TypeError."""
    if type(value) is not str:
        raise TypeError("not a string")
    return value


def _strs(value: object) -> tuple[str, ...]:
    return tuple(as_str(v) for v in as_list(value))


def _line(value: object) -> int:
    if type(value) is not int or not 0 < value < 10**9:
        raise TypeError("not a line number")
    return value


def _step(value: object) -> Step:
    d = _dict(value, {"file", "line", "text"})
    return Step(as_str(d["file"]), _line(d["line"]), as_str(d["text"]))


def _point(value: object) -> EditPoint:
    d = _dict(value, {"kind", "file", "entry_line", "symbol", "nth"})
    if d["kind"] not in _EDIT_KINDS or type(d["nth"]) is not int or d["nth"] < 0:
        raise ValueError("bad edit point")
    return EditPoint(d["kind"], as_str(d["file"]), _line(d["entry_line"]), as_str(d["symbol"]), d["nth"])


def fix_to_data(fix: FixInfo) -> dict[str, Any]:
    return asdict(fix)


def fix_from_data(data: object) -> FixInfo:
    """A FixInfo as fix_to_data wrote it; TypeError/ValueError for anything else."""
    d = _dict(data, {"applicability", "diff", "note", "edits"})
    if d["applicability"] not in ("safe", "unsafe", "none"):
        raise ValueError("bad applicability")
    edits = []
    for item in as_list(d["edits"]):
        e = _dict(item, {"file", "first", "last", "action", "text"})
        if e["action"] not in ("replace", "insert"):
            raise ValueError("bad edit")
        edits.append(Edit(as_str(e["file"]), _line(e["first"]), _line(e["last"]), e["action"], as_str(e["text"])))
    return FixInfo(d["applicability"], as_str(d["diff"]), as_str(d["note"]), tuple(edits))
