"""What `kltolint rules` and `kltolint rule ID` say, and the examples run.

Everything here returns data or text; cli.py prints it. The words about a
rule's kind (what it finds, how it is fixed, whether a fix can be offered,
the option that turns it on) come from its entry in analysis.RULE_KINDS, so
the docs cannot drift from the checks.

`run_examples` runs a rule pack's examples the way the test suite runs the
shipped ones (Fixit's VALID/INVALID): a valid example must give no finding;
an invalid one must give findings of its rule only, one at its `at` line if
it names one, and, if it states `fixed`, a fix that turns the file into that
text. Each example is the top-level Kconfig of a throwaway one-arch tree.
"""

from __future__ import annotations

import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kltolint import analysis, dead, redundant
from kltolint.errors import UserError
from kltolint.findings import Finding
from kltolint.rulekind import RuleKind
from kltolint.rules import EXAMPLE_FILE, Example, Pack, Retired, Rule
from kltolint.session import Session
from kltolint.tree import Tree

EXAMPLE_ARCH = "demo"
FIX_WORDS = {"sometimes": "sometimes; each fix is verified on the patched tree and offered as safe "
                          "(it removes only the forbidden configurations) or unsafe",
             "never": "never"}
FIX_COLUMN = {"sometimes": "fix: safe/unsafe", "never": "fix: none"}


def kind_of(rule: Rule) -> RuleKind:
    return analysis.RULE_KINDS[rule.kind]


def enable_with(rule: Rule) -> tuple[str, ...]:
    """The `check` options that turn the rule on, () when it is on by default."""
    if rule.enabled:
        return ()
    flag = kind_of(rule).flag
    return (f"--rule {rule.id}", *((flag,) if flag else ()))


# -- data (--format json) -------------------------------------------------------------------------

def rule_data(rule: Rule) -> dict[str, Any]:
    kind = kind_of(rule)
    return {
        "id": rule.id, "name": rule.name, "kind": rule.kind,
        "status": "on" if rule.enabled else "off", "enable_with": list(enable_with(rule)),
        "finds": kind.finds(rule), "message": rule.message, "rationale": rule.rationale,
        "reference": rule.reference,
        "fix": {"availability": kind.fix,
                "applicability": ["safe", "unsafe"] if kind.fix == "sometimes" else [],
                "strategy": rule.fix.strategy if kind.takes_strategy else None,
                "how": kind.how_fixed(rule)},
        "examples": {"valid": list(rule.valid), "invalid": [_example_data(e) for e in rule.invalid]},
        "defined_in": rule.source,
    }


def _example_data(example: Example) -> dict[str, Any]:
    return {"kconfig": example.kconfig, "at": _at(example), "fixed": example.fixed}


def _at(example: Example) -> str | None:
    return f"{example.at[0]}:{example.at[1]}" if example.at else None


def retired_data(retired: Retired) -> dict[str, Any]:
    return {"id": retired.id, "name": retired.name, "reason": retired.reason, "defined_in": retired.source}


def listing_data(pack: Pack) -> dict[str, Any]:
    return {"rules": [rule_data(r) for r in pack.rules], "retired": [retired_data(r) for r in pack.retired]}


# -- text ---------------------------------------------------------------------------------------------

def render_listing(pack: Pack) -> str:
    """One line a rule: id, name, on/off (and the option), fix availability, message; then the retired ids."""
    rows = [(r.id, r.name, _status_word(r), FIX_COLUMN[kind_of(r).fix], r.message) for r in pack.rules]
    rows += [(r.id, r.name, "retired", "", r.reason) for r in pack.retired]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
                   + f"  {row[4]}\n" for row in rows)


def _status_word(rule: Rule) -> str:
    flag = kind_of(rule).flag
    return "on" if rule.enabled else f"off ({flag})" if flag else "off"


def render_rule(rule: Rule) -> str:
    kind = kind_of(rule)
    out = [f"{rule.id} {rule.name}\n"]
    status = "on by default" if rule.enabled else f"off by default ({' or '.join(enable_with(rule))} turns it on)"
    out.append(f"Status:         {status}")
    out.append(f"What it finds:  {kind.finds(rule)}")
    out.append(f"Message:        {rule.message}\n")
    out.append("Why it is bad:\n" + textwrap.indent(textwrap.fill(rule.rationale, 76), "  "))
    if rule.reference:
        out.append(f"\nReference: {rule.reference}")
    out.append(f"\nFix: {kind.how_fixed(rule)}.")
    if kind.fix == "sometimes":
        out.append(f"Fix availability: {FIX_WORDS[kind.fix]}.")
    out.append(f"Fix strategy: {_strategy_words(rule, kind)}.")
    for example in rule.invalid[:1]:
        where = f" ({_at(example)})" if example.at else ""
        out.append(f"\nFlagged example{where}:\n" + _block(example.kconfig))
        if example.fixed is not None:
            out.append("\nAfter the fix:\n" + _block(example.fixed))
    for text in rule.valid[:1]:
        out.append("\nAccepted example:\n" + _block(text))
    out.append(f"\nDefined in {rule.source}")
    return "\n".join(out) + "\n"


def _strategy_words(rule: Rule, kind: RuleKind) -> str:
    """What the pack's `fix.strategy` does for this rule (RuleKind.takes_strategy)."""
    if kind.takes_strategy:
        return f"{rule.fix.strategy} (the rule pack's fix.strategy, with its fix.guard)"
    return f"not used: a {rule.kind} rule's fix comes from the tree, whatever its pack's fix.strategy says"


def _block(kconfig: str) -> str:
    return textwrap.indent(kconfig.strip("\n"), "    ")


# -- running the examples -------------------------------------------------------------------------

@dataclass(frozen=True)
class ExampleResult:
    """The result of one valid or invalid example of a rule."""

    rule: str
    source: str
    label: Literal["valid", "invalid"]
    index: int  # 1-based, within its label
    failure: str  # '' passed; else why, one line

    def line(self) -> str:
        return f"{self.source}: {self.rule} {self.label} example #{self.index}: {self.failure}"


def run_examples(rules: Sequence[Rule]) -> list[ExampleResult]:
    """Every example of every rule, each checked as the module docstring says."""
    out = []
    for rule in rules:
        for i, text in enumerate(rule.valid, 1):
            out.append(ExampleResult(rule.id, rule.source, "valid", i, _valid_failure(rule, text)))
        for i, example in enumerate(rule.invalid, 1):
            out.append(ExampleResult(rule.id, rule.source, "invalid", i, _invalid_failure(rule, example)))
    return out


def results_data(results: Sequence[ExampleResult]) -> dict[str, Any]:
    return {"examples": [{"rule": r.rule, "defined_in": r.source, "label": r.label, "index": r.index,
                          "passed": not r.failure, "failure": r.failure} for r in results]}


def render_results(results: Sequence[ExampleResult]) -> str:
    failed = [r for r in results if r.failure]
    rules = len({(r.source, r.rule) for r in results})
    return "".join(r.line() + "\n" for r in failed) + (
        f"kltolint: {len(results)} example{'s' if len(results) != 1 else ''} of {rules} "
        f"rule{'s' if rules != 1 else ''}: {len(failed)} failed\n")


def _valid_failure(rule: Rule, text: str) -> str:
    try:
        with _example_session(rule, text) as (session, found):
            return f"flagged at {_where(found[0])}: {found[0].message}" if found else ""
    except UserError as err:
        return f"does not load: {err}"


def _invalid_failure(rule: Rule, example: Example) -> str:
    try:
        with _example_session(rule, example.kconfig) as (session, found):
            return _invalid_found(rule, example, session, found)
    except UserError as err:
        return f"does not load: {err}"


def _invalid_found(rule: Rule, example: Example, session: Session, found: list[Finding]) -> str:
    if not found:
        return "not flagged"
    others = sorted({f.rule for f in found} - {rule.id})
    if others:
        return f"also flagged by {', '.join(others)}"
    hit = found[0]
    if example.at is not None:
        at = [f for f in found if (f.file, f.line) == example.at]
        if not at:
            return f"expected a finding at {_at(example)}, got {', '.join(sorted({_where(f) for f in found}))}"
        hit = at[0]
    return "" if example.fixed is None else _fix_failure(session, hit, example.fixed)


def _fix_failure(session: Session, finding: Finding, expected: str) -> str:
    from kltolint import fix  # the fixer only when an example states its fix

    (finding,) = fix.Fixer(session).attach([finding])
    info = finding.fix
    if info is None or info.applicability == "none":
        return f"no fix offered ({info.note if info else 'none'})"
    got = fix.combined(session.sources, [finding]).get(EXAMPLE_FILE, ("", ""))[1]
    if got == expected:
        return ""
    pairs = zip(got.splitlines(), expected.splitlines(), strict=False)
    line = next((i for i, (a, b) in enumerate(pairs, 1) if a != b),
                min(len(got.splitlines()), len(expected.splitlines())) + 1)
    return f"the fixed text differs from 'fixed' at {EXAMPLE_FILE}:{line}"


def _where(finding: Finding) -> str:
    return f"{finding.file}:{finding.line}"


@contextmanager
def _example_session(rule: Rule, kconfig: str) -> Iterator[tuple[Session, list[Finding]]]:
    """The rule's findings on a one-arch tree whose top Kconfig is `kconfig`
    (the tree exists until the block ends: the fixer reads it)."""
    with tempfile.TemporaryDirectory(prefix="kltolint-example-") as tmp:
        root = Path(tmp)
        (root / EXAMPLE_FILE).write_text(kconfig)
        (root / "arch" / EXAMPLE_ARCH).mkdir(parents=True)
        (root / "arch" / EXAMPLE_ARCH / "Kconfig").write_text("")
        tree = Tree(root)
        session = Session(tree, [rule], None, None, jobs=1)
        found = session.run([EXAMPLE_ARCH])
        found = dead.across_arches(tree, found, [EXAMPLE_ARCH], [rule])
        found = redundant.across_arches(tree, found, [EXAMPLE_ARCH], [rule])
        yield session, found
