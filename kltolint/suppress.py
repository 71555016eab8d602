"""Accepting known findings: a baseline file, and inline suppressions.

`--baseline FILE`: when FILE does not exist it is written with the current
findings; when it does, findings in it are not reported, so CI fails only on
new ones. Entries are keyed by rule, arch, file and message (no line
numbers: an edit elsewhere in the file does not break the baseline).

`# kltolint: ignore[RULE, ...]` on the line a finding names, or on the
header line of its entry (`config X  # kltolint: ignore[KSEL001]`),
suppresses it. A suppression that suppressed nothing, for a rule that ran,
is reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Iterable, Sequence

from kltolint.errors import UserError
from kltolint.findings import Finding
from kltolint.tree import LoadRecord

_IGNORE = re.compile(r"#.*?kltolint:\s*ignore\[([A-Za-z0-9_, -]+)\]")


@dataclass(frozen=True)
class Suppression:
    """A `# kltolint: ignore[RULE]` comment: the rules it silences at one line."""

    file: str
    line: int
    rules: tuple[str, ...]


def scan(text: str, file: str) -> list[Suppression]:
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        match = _IGNORE.search(line)
        if match:
            rules = tuple(r.strip() for r in match.group(1).split(",") if r.strip())
            out.append(Suppression(file, number, rules))
    return out


def apply_inline(findings: Sequence[Finding], suppressions: Iterable[Suppression],
                 entry_header: Callable[[str, int], int],
                 ran: set[str]) -> tuple[list[Finding], list[Suppression]]:
    """Findings not suppressed inline, and the unused suppressions.

    `entry_header(file, line)` gives the header line of the entry holding
    `line`; `ran` are the ids of the rules that ran."""
    found = {(s.file, s.line): s for s in suppressions}
    used: set[tuple[str, int]] = set()
    kept = []
    for finding in findings:
        spots = [(finding.file, finding.line), (finding.file, entry_header(finding.file, finding.line))]
        hit = next((spot for spot in spots if spot in found and finding.rule in found[spot].rules), None)
        if hit is None:
            kept.append(finding)
        else:
            used.add(hit)
    unused = [s for key, s in sorted(found.items()) if key not in used and set(s.rules) & ran]
    return kept, unused


def baseline(findings: Sequence[Finding], path: Path) -> tuple[list[Finding], str]:
    """Findings not in the baseline (writing it if missing), and a note."""
    keys = [list(f.key()) for f in findings]
    if not path.exists():
        try:
            path.write_text(json.dumps({"version": 1, "findings": sorted(keys)}, indent=1) + "\n")
        except OSError as err:
            raise UserError(f"cannot write the baseline: {err.strerror}", str(path)) from None
        return [], f"wrote the baseline with {len(keys)} finding{'s' if len(keys) != 1 else ''}"
    try:
        data = json.loads(path.read_text())
        known = {tuple(k) for k in data["findings"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError("not a kltolint baseline file", str(path)) from None
    new = [f for f in findings if f.key() not in known]
    gone = len(known - {f.key() for f in findings})
    note = f"{len(findings) - len(new)} known finding{'s' if len(findings) - len(new) != 1 else ''} in the baseline"
    if gone:
        note += f"; {gone} baseline entr{'ies are' if gone != 1 else 'y is'} fixed (delete the file to refresh it)"
    return new, note


def in_record(record: LoadRecord) -> tuple[Suppression, ...]:
    """The suppressions in the files a load read (its record keeps the text
    of each file with a `kltolint:` comment, as the load read it)."""
    return tuple(s for rel, text in record.marked for s in scan(text, rel))
