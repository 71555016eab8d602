"""Rules are data: `rules/*.toml`, one or more `[[rule]]` tables a file.

    [[rule]]
    id = "KLTO001"                      # stable, never reused
    name = "lto-with-big-endian-cpu"    # the bad pattern, not the fix
    forbid = "LTO_CLANG && CPU_BIG_ENDIAN"
    message = "..."                     # what is wrong, one sentence
    rationale = "..."                   # why it is bad
    reference = "https://..."
    fix = { strategy = "guard-select", guard = ["CPU_LITTLE_ENDIAN", "!CPU_BIG_ENDIAN"] }
    valid = ['''<Kconfig>''']           # examples the test suite runs
    invalid = ['''<Kconfig>''']

`guard` lists alternatives: the first whose symbols all exist on an arch is
used. `subject` (default: the first symbol of `forbid`) is where the search
for the responsible line starts. `kind` (default "forbid") and
`fix.strategy` must name an entry of their registry (analysis.RULE_KINDS,
strategies.STRATEGIES); anything else is an error when the file loads. Only
the kinds of STRATEGY_KINDS use `fix`: the others find their fix in the tree.

An invalid example is a snippet, or a table that also says where the finding
must be and, where the rule's fix applies, the file after the fix (Fixit's
`Invalid(..., expected_replacement=...)`), both checked by `kltolint rules
--test` and the test suite:

    [[rule.invalid]]
    kconfig = '''<Kconfig>'''
    at = "Kconfig:5"                    # the example is the tree's top Kconfig
    fixed = '''<Kconfig after --fix>'''

An id once shipped is never reused: a retired rule stays listed in a
`[[retired]]` table (id, name, reason), and a rule with that id is refused.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

from kltolint import expr as E
from kltolint import strategies
from kltolint.errors import UserError
from kltolint.strategies import StrategyName

# Every kind has its entry in analysis.RULE_KINDS (a test ties the two).
RuleKindName = Literal["forbid", "unmet-select", "dangling-reference", "dead-option", "redundant-toolchain"]
KINDS: tuple[RuleKindName, ...] = get_args(RuleKindName)
# Kinds whose fix is the pack's own: its `fix.strategy` and `fix.guard` decide
# it. The other kinds derive a fix, where they have one, from the tree; their
# `fix` table is checked when the file loads, and not used. (RuleKind.takes_strategy
# says the same in the registry; a test ties the two, as for KINDS.)
STRATEGY_KINDS: frozenset[RuleKindName] = frozenset({"forbid"})
_KEYS = {"id", "name", "kind", "forbid", "message", "rationale", "reference", "fix", "subject",
         "valid", "invalid", "enabled"}
_REQUIRED = ("id", "name", "message", "rationale", "fix")
_FIX_KEYS = {"strategy", "guard"}
_EXAMPLE_KEYS = {"kconfig", "at", "fixed"}
_RETIRED_KEYS = {"id", "name", "reason"}
EXAMPLE_FILE = "Kconfig"  # an example is the top-level Kconfig of a one-arch tree


@dataclass(frozen=True)
class Fix:
    """A rule's fix: the strategy and the guards it may add."""

    strategy: StrategyName
    guards: tuple[E.Expr, ...]


@dataclass(frozen=True)
class Example:
    """A Kconfig snippet; for an invalid one, optionally where the finding
    is and the text after its fix."""

    kconfig: str
    at: tuple[str, int] | None = None  # (file, line) of the finding
    fixed: str | None = None  # the file after the fix


@dataclass(frozen=True)
class Retired:
    """A rule id that is no longer shipped, and never reused."""

    id: str
    name: str
    reason: str
    source: str  # file the entry came from


@dataclass(frozen=True)
class Pack:
    """What rule files hold: rules and retired ids."""

    rules: tuple[Rule, ...]
    retired: tuple[Retired, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule of a pack: a forbidden combination, its message, rationale, examples and fix."""

    id: str
    name: str
    forbid: E.Expr
    subject: str
    message: str
    rationale: str
    reference: str
    fix: Fix
    valid: tuple[str, ...]
    invalid: tuple[Example, ...]
    source: str  # file the rule came from
    enabled: bool = True
    kind: RuleKindName = "forbid"  # how it is checked: analysis.RULE_KINDS

    @property
    def takes_strategy(self) -> bool:
        """Do the rule's `fix.strategy` and `fix.guard` decide its fixes (STRATEGY_KINDS)?"""
        return self.kind in STRATEGY_KINDS


def builtin_dir() -> Path:
    """The shipped rule packs: inside the wheel, or rules/ in a checkout."""
    packaged = Path(__file__).parent / "_rules"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


def load_dir(directory: Path) -> list[Rule]:
    return list(load_pack(directory).rules)


def load_pack(directory: Path) -> Pack:
    """Every *.toml file of `directory`, in name order."""
    if not directory.is_dir():
        raise UserError("not a directory of rule files", str(directory))
    packs = [_load(path) for path in sorted(directory.glob("*.toml"))]
    return Pack(tuple(r for p in packs for r in p.rules), tuple(r for p in packs for r in p.retired))


def load_all(builtin: bool, directories: Iterable[Path]) -> Pack:
    """The shipped packs (unless not `builtin`) and the user's, checked
    together: no id twice, no retired id reused."""
    packs = ([load_pack(builtin_dir())] if builtin else []) + [load_pack(d) for d in directories]
    pack = Pack(tuple(r for p in packs for r in p.rules), tuple(r for p in packs for r in p.retired))
    check_unique(pack.rules, pack.retired)
    return pack


MAX_RULE_FILE_BYTES = 16 * 1024 * 1024


def _read(path: Path) -> str:
    """A rule file's text: a regular file, bounded (not /dev/zero, not a FIFO)."""
    with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UserError("not a regular file", str(path))
        data = handle.read(MAX_RULE_FILE_BYTES + 1)
    if len(data) > MAX_RULE_FILE_BYTES:
        raise UserError(f"file is larger than {MAX_RULE_FILE_BYTES} bytes", str(path))
    return data.decode("utf-8")


def load_file(path: Path) -> list[Rule]:
    return list(_load(path).rules)


def _load(path: Path) -> Pack:
    try:
        data = tomllib.loads(_read(path))
    except OSError as err:
        raise UserError(f"cannot read: {err.strerror}", str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"not valid TOML: {err}", str(path)) from None
    unknown = set(data) - {"rule", "retired"}
    if unknown:
        raise UserError(f"unknown key {sorted(unknown)[0]!r} (expected [[rule]] tables)", str(path))
    rules = [_rule(table, path) for table in _tables(data, "rule", str(path))]
    return Pack(tuple(rules), tuple(_retired(table, path) for table in _tables(data, "retired", str(path))))


def _tables(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    tables = data.get(key, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise UserError(f"{key!r} must be an array of tables ([[{key}]])", where)
    return tables


def _retired(table: dict[str, Any], path: Path) -> Retired:
    where = f"{path} [retired {table.get('id', '?')}]"
    for key in table:
        if key not in _RETIRED_KEYS:
            raise UserError(f"unknown key {key!r}", where)
    return Retired(_text(table, "id", where), _text(table, "name", where), _text(table, "reason", where),
                   str(path))


def _rule(table: dict[str, Any], path: Path) -> Rule:
    where = f"{path} [rule {table.get('id', '?')}]"
    for key in table:
        if key not in _KEYS:
            raise UserError(f"unknown key {key!r}", where)
    for key in _REQUIRED:
        if key not in table:
            raise UserError(f"missing key {key!r}", where)
    kind = next((k for k in KINDS if k == table.get("kind", "forbid")), None)
    if kind is None:
        raise UserError(f"unknown kind {table.get('kind')!r} (known: {', '.join(KINDS)})", where)
    if kind == "forbid" and "forbid" not in table:
        raise UserError("missing key 'forbid'", where)
    forbid = _parse(table.get("forbid", "n"), where, "forbid")
    fix = table["fix"]
    if not isinstance(fix, dict):
        raise UserError("'fix' must be a table", where)
    for key in fix:
        if key not in _FIX_KEYS:
            raise UserError(f"unknown key 'fix.{key}'", where)
    strategy = strategies.named(fix.get("strategy"))
    if strategy is None:
        raise UserError(f"unknown fix.strategy {fix.get('strategy')!r} "
                        f"(known: {', '.join(strategies.STRATEGIES)})", where)
    guards_raw = fix.get("guard", [])
    if isinstance(guards_raw, str):
        guards_raw = [guards_raw]
    guards = tuple(_parse(g, where, "fix.guard") for g in guards_raw) or (_default_guard(forbid),)
    names = list(E.symbols(forbid))
    if kind == "forbid" and not names:
        raise UserError("'forbid' names no symbol", where)
    subject = table.get("subject", names[0] if names else "")
    if kind == "forbid" and subject not in names:
        raise UserError(f"'subject' {subject!r} does not occur in 'forbid'", where)
    return Rule(
        id=_text(table, "id", where),
        name=_text(table, "name", where),
        forbid=forbid,
        subject=subject,
        message=_text(table, "message", where),
        rationale=_text(table, "rationale", where),
        reference=_typed(table, "reference", str, "", where),
        fix=Fix(strategy.name, guards),
        valid=_examples(table, "valid", where),
        invalid=tuple(_invalid(item, f"{where} invalid #{i + 1}") for i, item in enumerate(_list(table, where))),
        source=str(path),
        enabled=_typed(table, "enabled", bool, True, where),
        kind=kind,
    )


def _list(table: dict[str, Any], where: str) -> list[Any]:
    value = table.get("invalid", [])
    if not isinstance(value, list):
        raise UserError("'invalid' must be a list of Kconfig snippets or [[rule.invalid]] tables", where)
    return value


def _invalid(item: object, where: str) -> Example:
    """A snippet, or a table: kconfig, optional at = "FILE:LINE", optional fixed."""
    if isinstance(item, str):
        return Example(item)
    if not isinstance(item, dict):
        raise UserError("'invalid' must be a list of Kconfig snippets or [[rule.invalid]] tables", where)
    for key in item:
        if key not in _EXAMPLE_KEYS:
            raise UserError(f"unknown key {key!r}", where)
    kconfig, fixed = item.get("kconfig"), item.get("fixed")
    if not isinstance(kconfig, str):
        raise UserError("'kconfig' must be a Kconfig snippet (a string)", where)
    if fixed is not None and not isinstance(fixed, str):
        raise UserError("'fixed' must be the fixed Kconfig (a string)", where)
    return Example(kconfig, _at(item.get("at"), where), fixed)


def _at(value: object, where: str) -> tuple[str, int] | None:
    if value is None:
        return None
    file, _, line = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if file != EXAMPLE_FILE or not (line.isascii() and line.isdigit()) or not 0 < int(line) < 10**9:
        raise UserError(f"'at' must be \"{EXAMPLE_FILE}:LINE\" (the example is the tree's top Kconfig)", where)
    return file, int(line)


def _typed(table: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    value = table.get(key, default)
    if type(value) is not kind:
        raise UserError(f"{key!r} must be a {'boolean' if kind is bool else 'string'}", where)
    return value


def _examples(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{key!r} must be a list of Kconfig snippets (strings)", where)
    return tuple(value)


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{key!r} must be a non-empty string", where)
    return value.strip()


def _parse(text: Any, where: str, key: str) -> E.Expr:
    if not isinstance(text, str):
        raise UserError(f"{key!r} must be a Kconfig expression string", where)
    try:
        return E.parse(text)
    except E.ExprSyntaxError as err:
        raise UserError(f"bad expression in {key!r}: {err}", where) from None


def _default_guard(forbid: E.Expr) -> E.Expr:
    """Without a guard: forbid the rest of the combination (`A && B` -> `!B`)."""
    parts = forbid.args if isinstance(forbid, E.And) else (forbid,)
    rest = parts[1:] or parts
    return E.not_(E.and_(*rest))


def select(rules: list[Rule], ids: list[str] | None) -> list[Rule]:
    """Rules named by id or name (all enabled ones when `ids` is empty)."""
    if not ids:
        return [r for r in rules if r.enabled]
    by_key = {r.id: r for r in rules} | {r.name: r for r in rules}
    missing = [i for i in ids if i not in by_key]
    if missing:
        raise UserError(f"unknown rule {missing[0]!r} (see 'kltolint rules')")
    return list(dict.fromkeys(by_key[i] for i in ids))


def check_unique(rules: Sequence[Rule], retired: Sequence[Retired] = ()) -> None:
    """Each id once, and never one that was retired (ids are stable)."""
    gone: Mapping[str, Retired] = {r.id: r for r in retired}
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise UserError(f"rule id {rule.id} is defined twice (also in {seen[rule.id]})", rule.source)
        if rule.id in gone:
            raise UserError(f"rule id {rule.id} is retired ({gone[rule.id].reason}; {gone[rule.id].source}): "
                            "a new rule takes a new id", rule.source)
        seen[rule.id] = rule.source


# -- the docs `kltolint rules` and `kltolint rule ID` print ------------------------------
