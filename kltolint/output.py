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
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from kltolint import __version__
from kltolint.findings import Edit, Finding

if TYPE_CHECKING:  # `query` and `explain` reach this module (cli, commands.check): no rule loader for them
    from kltolint.rules import Rule

Format = Literal["text", "json", "sarif", "rdjson", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif", "rdjson", "github")


def render(fmt: Format, findings: Sequence[Finding], tree: str, arches: Sequence[str],
           rules: Sequence[Rule] = (), removed: Sequence[Finding] | None = None) -> str:
    """`removed` is given in a review: findings the patches take away."""
    if fmt == "json":
        return render_json(findings, tree, arches, removed)
    if fmt == "sarif":
        return render_sarif(findings, rules, removed)
    if fmt == "rdjson":
        return render_rdjson(findings)
    if fmt == "github":
        return render_github(findings)
    return render_text(findings, arches)


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def json_text(doc: object) -> str:
    """JSON that strict parsers accept: a byte that was not UTF-8 in a
    Kconfig file (kept as a lone surrogate) is written as the text `\\xNN`."""
    return json.dumps(_clean(doc), indent=2)


def _clean(value: object) -> object:
    if isinstance(value, str):
        return _UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def grouped(findings: Sequence[Finding]) -> list[tuple[Finding, list[str]]]:
    """One entry per distinct problem (rule, line, message), with every arch
    it was found on: reports and bots speak of lines, not of arches."""
    groups: dict[tuple[str, str, int, str], tuple[Finding, list[str]]] = {}
    for finding in findings:
        key = (finding.rule, finding.file, finding.line, finding.message)
        groups.setdefault(key, (finding, []))[1].append(finding.arch)
    return list(groups.values())


def witness_command(finding: Finding, fragment: str = "witness.config") -> str:
    make = f" {finding.witness.make}" if finding.witness.make else ""
    return f"make ARCH={finding.arch}{make} KCONFIG_ALLCONFIG={fragment} allnoconfig"


def render_text(findings: Sequence[Finding], arches: Sequence[str]) -> str:
    """One `file:line: error:` (or `warning:`, for a finding only a toolchain
    outside the catalogue reaches) per distinct problem; arches sharing it are listed."""
    groups = grouped(findings)
    out: list[str] = []
    for first, arches_of in groups:
        file, line = first.file, first.line
        out.append(f"{file}:{line}: {first.severity}: {first.message} [{first.rule}]")
        for step in first.chain:
            out.append(f"{step.file}:{step.line}: note: {step.text}")
        where = ", ".join(arches_of)
        if first.witness.config:
            out.append(f"{file}:{line}: note: reachable on {where}; witness for {first.arch}: {witness_command(first)}")
            for assumption in first.witness.assumptions:
                out.append(f"    assuming {assumption}")
            out.append("    witness.config:")
            out.extend(f"    | {text}" for text in first.witness.config.splitlines())
        else:  # a fact about the tree (KDEAD), not a configuration
            out.append(f"{file}:{line}: note: seen on {where}")
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
        verb = {"replace": "becomes", "delete": "delete this line"}.get(edit.action, "add after it")
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
        "severity": finding.severity,
        "chain": [{"file": s.file, "line": s.line, "text": s.text} for s in finding.chain],
        "witness": {
            "config": finding.witness.config,
            "make": finding.witness.make,
            "assumptions": list(finding.witness.assumptions),
            "toolchain": finding.witness.toolchain,
            "unknown_toolchain": finding.witness.unknown_toolchain,
        },
        "notes": list(finding.notes),
        "fix": None if finding.fix is None else {
            "applicability": finding.fix.applicability,
            "diff": finding.fix.diff,
            "note": finding.fix.note,
        },
    }


def render_json(findings: Sequence[Finding], tree: str, arches: Sequence[str],
                removed: Sequence[Finding] | None = None) -> str:
    doc: dict[str, object] = {
        "version": 1,
        "tool": "kltolint",
        "tree": tree,
        "arches": list(arches),
        "findings": [finding_dict(f) for f in findings],
        "summary": {"findings": len(findings), "arches": len(arches)},
    }
    if removed is not None:
        doc["removed"] = [finding_dict(f) for f in removed]
    return json_text(doc) + "\n"


# -- bots -----------------------------------------------------------------------------

def _fixes(finding: Finding) -> list[Edit]:
    fix = finding.fix
    return list(fix.edits) if fix and fix.applicability in ("safe", "unsafe") else []


def render_sarif(findings: Sequence[Finding], rules: Sequence[Rule], removed: Sequence[Finding] | None = None) -> str:
    """SARIF 2.1.0. In a review, results carry baselineState: 'new' for what
    the patches introduce, 'absent' (level note) for what they remove."""
    review = removed is not None
    removed = removed or []
    used = {f.rule for f in [*findings, *removed]}
    shown = [r for r in rules if r.id in used]
    driver_rules = [{
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.message},
        "fullDescription": {"text": r.rationale},
        "help": {"text": f"{r.rationale}\nReference: {r.reference}" if r.reference else r.rationale},
        "defaultConfiguration": {"level": "error"},
    } for r in shown]
    index = {r.id: i for i, r in enumerate(shown)}
    results = [_sarif_result(f, arches, index, "new" if review else None) for f, arches in grouped(findings)]
    results += [_sarif_result(f, arches, index, "absent") for f, arches in grouped(removed)]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kltolint", "version": __version__, "rules": driver_rules}},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the kernel tree's root"}}},
            "results": results,
        }],
    }
    return json_text(doc) + "\n"


def _sarif_result(finding: Finding, arches: list[str], index: dict[str, int], state: str | None) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": finding.rule,
        "level": finding.severity if state != "absent" else "note",
        "message": {"text": finding.message},
        "locations": [_sarif_location(finding.file, finding.line)],
        "relatedLocations": [dict(_sarif_location(s.file, s.line), id=i, message={"text": s.text})
                             for i, s in enumerate(finding.chain)],
        "properties": {
            "arches": arches,
            "witness": {"config": finding.witness.config, "make": finding.witness.make,
                        "assumptions": list(finding.witness.assumptions)},
        },
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    if state:
        result["baselineState"] = state
    edits = _fixes(finding)
    if edits:
        assert finding.fix is not None
        result["fixes"] = [{
            "description": {"text": f"{finding.fix.applicability}: {finding.fix.note}"},
            "artifactChanges": [{
                "artifactLocation": {"uri": e.file, "uriBaseId": "SRCROOT"},
                "replacements": [_sarif_replacement(e)],
            } for e in edits],
        }]
    return result


def _sarif_location(file: str, line: int) -> dict[str, object]:
    return {"physicalLocation": {"artifactLocation": {"uri": file, "uriBaseId": "SRCROOT"},
                                 "region": {"startLine": line}}}


def _sarif_replacement(edit: Edit) -> dict[str, object]:
    if edit.action == "delete":  # whole lines with their line ends
        return {"deletedRegion": {"startLine": edit.first, "startColumn": 1, "endLine": edit.last + 1,
                                  "endColumn": 1}, "insertedContent": {"text": ""}}
    if edit.action == "replace":
        # Whole lines: no columns means from the line's start to its end.
        return {"deletedRegion": {"startLine": edit.first, "endLine": edit.last},
                "insertedContent": {"text": edit.text}}
    return {"deletedRegion": {"startLine": edit.last + 1, "startColumn": 1, "endColumn": 1},
            "insertedContent": {"text": edit.text + "\n"}}


def render_rdjson(findings: Sequence[Finding]) -> str:
    """reviewdog's Diagnostic Format (rdjson), with fixes as suggestions."""
    diagnostics = []
    for finding, arches in grouped(findings):
        diag: dict[str, object] = {
            "message": f"{finding.message} (on {', '.join(arches)}; "
                       f"witness: {witness_command(finding)})",
            "location": {"path": finding.file, "range": {"start": {"line": finding.line, "column": 1}}},
            "severity": finding.severity.upper(),
            "code": {"value": finding.rule},
        }
        edits = _fixes(finding)
        if edits:
            diag["suggestions"] = [_rd_suggestion(e) for e in edits]
        diagnostics.append(diag)
    doc = {"source": {"name": "kltolint"}, "severity": "ERROR", "diagnostics": diagnostics}
    return json_text(doc) + "\n"


def _rd_suggestion(edit: Edit) -> dict[str, object]:
    # Ranges are end-exclusive: whole lines first..last, or an empty range
    # at the start of the line after `last` for an insertion.
    if edit.action in ("replace", "delete"):
        return {"range": {"start": {"line": edit.first, "column": 1}, "end": {"line": edit.last + 1, "column": 1}},
                "text": edit.text + "\n" if edit.action == "replace" else ""}
    spot = {"line": edit.last + 1, "column": 1}
    return {"range": {"start": spot, "end": spot}, "text": edit.text + "\n"}


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: one ::error (or ::warning) annotation per problem."""
    out = []
    for finding, arches in grouped(findings):
        body = f"{finding.message}\non {', '.join(arches)}; witness: {witness_command(finding)}"
        body += "".join(f"\n| {line}" for line in finding.witness.config.splitlines())
        if finding.fix is not None:
            body += "".join(f"\nfix ({finding.fix.applicability}): {edit.text.strip()}" for edit in _fixes(finding))
        title = _gh_escape(f"{finding.rule} {finding.name}", prop=True)
        out.append(f"::{finding.severity} file={_gh_escape(finding.file, True)},line={finding.line},title={title}::"
                   f"{_gh_escape(body)}")
    return "".join(line + "\n" for line in out)
