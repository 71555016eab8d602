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
for the responsible line starts.
"""

from __future__ import annotations

import os
import stat
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from kltolint import expr as E
from kltolint.errors import UserError

STRATEGIES = ("guard-select", "add-depends", "narrow-default")
KINDS = ("forbid", "unmet-select", "dangling-reference", "dead-option", "redundant-toolchain")
_KEYS = {"id", "name", "kind", "forbid", "message", "rationale", "reference", "fix", "subject",
         "valid", "invalid", "enabled"}
_REQUIRED = ("id", "name", "message", "rationale", "fix")
_FIX_KEYS = {"strategy", "guard"}


@dataclass(frozen=True)
class Fix:
    strategy: str
    guards: tuple[E.Expr, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    forbid: E.Expr
    subject: str
    message: str
    rationale: str
    reference: str
    fix: Fix
    valid: tuple[str, ...]
    invalid: tuple[str, ...]
    source: str  # file the rule came from
    enabled: bool = True
    kind: str = "forbid"  # or "unmet-select": the select sweep (sweep.py); KDEAD: dead.py; KRED: redundant.py


def builtin_dir() -> Path:
    """The shipped rule packs: inside the wheel, or rules/ in a checkout."""
    packaged = Path(__file__).parent / "_rules"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


def load_dir(directory: Path) -> list[Rule]:
    if not directory.is_dir():
        raise UserError("not a directory of rule files", str(directory))
    rules: list[Rule] = []
    for path in sorted(directory.glob("*.toml")):
        rules.extend(load_file(path))
    return rules


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
    try:
        data = tomllib.loads(_read(path))
    except OSError as err:
        raise UserError(f"cannot read: {err.strerror}", str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"not valid TOML: {err}", str(path)) from None
    unknown = set(data) - {"rule"}
    if unknown:
        raise UserError(f"unknown key {sorted(unknown)[0]!r} (expected [[rule]] tables)", str(path))
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise UserError("'rule' must be an array of tables ([[rule]])", str(path))
    return [_rule(table, path) for table in tables]


def _rule(table: dict[str, Any], path: Path) -> Rule:
    where = f"{path} [rule {table.get('id', '?')}]"
    for key in table:
        if key not in _KEYS:
            raise UserError(f"unknown key {key!r}", where)
    for key in _REQUIRED:
        if key not in table:
            raise UserError(f"missing key {key!r}", where)
    kind = table.get("kind", "forbid")
    if kind not in KINDS:
        raise UserError(f"kind must be one of {', '.join(KINDS)}", where)
    if kind == "forbid" and "forbid" not in table:
        raise UserError("missing key 'forbid'", where)
    forbid = _parse(table.get("forbid", "n"), where, "forbid")
    fix = table["fix"]
    if not isinstance(fix, dict):
        raise UserError("'fix' must be a table", where)
    for key in fix:
        if key not in _FIX_KEYS:
            raise UserError(f"unknown key 'fix.{key}'", where)
    strategy = fix.get("strategy")
    if strategy not in STRATEGIES:
        raise UserError(f"fix.strategy must be one of {', '.join(STRATEGIES)}", where)
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
        fix=Fix(strategy, guards),
        valid=_examples(table, "valid", where),
        invalid=_examples(table, "invalid", where),
        source=str(path),
        enabled=_typed(table, "enabled", bool, True, where),
        kind=kind,
    )


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


def check_unique(rules: list[Rule]) -> None:
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise UserError(f"rule id {rule.id} is defined twice (also in {seen[rule.id]})", rule.source)
        seen[rule.id] = rule.source


# -- the docs `kltolint rules` and `kltolint rule ID` print ------------------------------

def listing(rules: list[Rule]) -> str:
    """One line a rule: id, name, message, and whether it is off by default."""
    ids = max((len(rule.id) for rule in rules), default=0)
    names = max((len(rule.name) for rule in rules), default=0)
    lines = []
    for rule in rules:
        state = "" if rule.enabled else "  (off by default)"
        lines.append(f"{rule.id:<{ids}}  {rule.name:<{names}}  {rule.message}{state}\n")
    return "".join(lines)


def explanation(rule: Rule) -> str:
    """What a rule finds, why it is bad, how it is fixed, with an example of each kind."""
    out = [f"{rule.id} {rule.name}\n\n",
           f"What it finds:  {_finds(rule, E.to_str(rule.forbid))}\n",
           f"Message:        {rule.message}\n\n",
           "Why it is bad:\n" + textwrap.indent(textwrap.fill(rule.rationale, 76), "  ") + "\n"]
    if rule.reference:
        out.append(f"\nReference: {rule.reference}\n")
    guards = " or ".join(f"`{E.to_str(g)}`" for g in rule.fix.guards)
    how = NO_AUTOFIX.get(rule.kind) or {"guard-select": f"guard the select that lets it through with {guards} (`select X if ...`)",
           "add-depends": f"add `depends on` {guards} to the entry that lets it through"}[rule.fix.strategy]
    out.append(f"\nFix: {how}.\n")
    for title, examples in (("Flagged", rule.invalid), ("Accepted", rule.valid)):
        for example in examples[:1]:
            out.append(f"\n{title} example:\n" + textwrap.indent(example.strip("\n"), "    ") + "\n")
    out.append(f"\nDefined in {rule.source}\n")
    return "".join(out)


RULE_KIND_FINDS = {
    "unmet-select": "selects whose target's own dependencies can be unmet while the select fires.",
    "dangling-reference": "dependency lines naming a symbol that no Kconfig file of the tree defines.",
    "dead-option": "prompted options that no configuration of any arch defining them can enable.",
    "redundant-toolchain": "toolchain conditions that change nothing, given the tree's minimum tool versions.",
}
NO_AUTOFIX = {
    "redundant-toolchain": "delete the term (re-simplifying the line), or the line with the comment lines "
                           "directly above it; verified like every fix",
    "dangling-reference": "none automatic: define the symbol or drop the reference",
    "dead-option": "none automatic: delete the option or restore what it needs (the report names the lines)",
}


def _finds(rule: Rule, forbid: str) -> str:
    return RULE_KIND_FINDS.get(rule.kind) or f"configurations where `{forbid}` holds."
