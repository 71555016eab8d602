"""Findings -> text (gcc style) or JSON. Formatters add prefixes; rules don't.

JSON schema (version 1), documented in docs/json.md:

    {"version": 1, "tool": "kltolint", "tree": str, "arches": [str],
     "findings": [{"rule", "name", "file", "line", "arch", "message",
                   "chain": [{"file", "line", "text"}],
                   "witness": {"config", "make", "assumptions": [str]},
                   "notes": [str]}],
     "summary": {"findings": int, "arches": int}}
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Sequence

from kltolint.findings import Finding

FORMATS = ("text", "json")


def render(fmt: str, findings: Sequence[Finding], tree: str, arches: Sequence[str]) -> str:
    if fmt == "json":
        return render_json(findings, tree, arches)
    return render_text(findings, arches)


def witness_command(finding: Finding, fragment: str = "witness.config") -> str:
    make = f" {finding.witness.make}" if finding.witness.make else ""
    return f"make ARCH={finding.arch}{make} KCONFIG_ALLCONFIG={fragment} allnoconfig"


def render_text(findings: Sequence[Finding], arches: Sequence[str]) -> str:
    """One `file:line: error:` per distinct problem; arches sharing it are listed."""
    groups: OrderedDict[tuple[str, str, int, str], list[Finding]] = OrderedDict()
    for finding in findings:
        groups.setdefault((finding.rule, finding.file, finding.line, finding.message), []).append(finding)
    out: list[str] = []
    for (rule, file, line, message), same in groups.items():
        first = same[0]
        out.append(f"{file}:{line}: error: {message} [{rule}]")
        for step in first.chain:
            out.append(f"{step.file}:{step.line}: note: {step.text}")
        where = ", ".join(f.arch for f in same)
        out.append(f"{file}:{line}: note: reachable on {where}; witness for {first.arch}: {witness_command(first)}")
        for assumption in first.witness.assumptions:
            out.append(f"    assuming {assumption}")
        out.append("    witness.config:")
        out.extend(f"    | {text}" for text in first.witness.config.splitlines())
        for note in first.notes:
            out.append(f"{file}:{line}: note: {note}")
        out.extend(_fix_lines(first))
    problems = len(groups)
    out.append(f"kltolint: {problems} finding{'s' if problems != 1 else ''} "
               f"({len(findings)} across arches) on {len(arches)} arch{'es' if len(arches) != 1 else ''}"
               if findings else f"kltolint: no findings on {len(arches)} arch{'es' if len(arches) != 1 else ''}")
    return "\n".join(out) + "\n"


def _fix_lines(finding: Finding) -> list[str]:
    fix = finding.fix
    if fix is None:
        return []
    if fix.applicability == "none":
        return [f"{finding.file}:{finding.line}: note: no fix offered: {fix.note}"]
    how = "--fix applies it" if fix.applicability == "safe" else f"unsafe, {fix.note}; --unsafe-fixes applies it"
    out = []
    for edit in fix.edits:
        verb = "becomes" if edit.action == "replace" else "add after it"
        out.append(f"{edit.file}:{edit.first if edit.action == 'replace' else edit.last}: note: "
                   f"fix ({fix.applicability}): {verb}: {edit.text.strip()}")
    out.append(f"    ({how})")
    return out


def finding_dict(finding: Finding) -> dict[str, object]:
    return {
        "rule": finding.rule,
        "name": finding.name,
        "file": finding.file,
        "line": finding.line,
        "arch": finding.arch,
        "message": finding.message,
        "chain": [{"file": s.file, "line": s.line, "text": s.text} for s in finding.chain],
        "witness": {
            "config": finding.witness.config,
            "make": finding.witness.make,
            "assumptions": list(finding.witness.assumptions),
        },
        "notes": list(finding.notes),
        "fix": None if finding.fix is None else {
            "applicability": finding.fix.applicability,
            "diff": finding.fix.diff,
            "note": finding.fix.note,
        },
    }


def render_json(findings: Sequence[Finding], tree: str, arches: Sequence[str]) -> str:
    doc = {
        "version": 1,
        "tool": "kltolint",
        "tree": tree,
        "arches": list(arches),
        "findings": [finding_dict(f) for f in findings],
        "summary": {"findings": len(findings), "arches": len(arches)},
    }
    return json.dumps(doc, indent=2) + "\n"
