"""Review replies for mailing lists, in the spirit of the kernel test robot.

One reply per patch that introduces findings: `Re:` subject and threading
headers, the patch's hunks quoted with each finding placed under the line it
names, the witness with the commands that reproduce it, and the suggested
fix as a diff.
"""

from __future__ import annotations

import email.utils
import textwrap
from collections.abc import Sequence

from kltolint.findings import Finding
from kltolint.output import grouped, witness_command
from kltolint.patch import FilePatch, new_line_numbers
from kltolint.review import PatchReview


def render_mail(reviews: Sequence[PatchReview]) -> str:
    messages = [_reply(r) for r in reviews if r.introduced]
    if not messages:
        return ""
    if len(messages) == 1:
        return messages[0]
    return "".join(f"From kltolint Thu Jan  1 00:00:00 1970\n{m}\n" for m in messages)


def _reply(review: PatchReview) -> str:
    patch = review.patch
    subject = patch.subject or "your patch"
    head = [f"Subject: Re: {subject}" if not subject.lower().startswith("re:") else f"Subject: {subject}"]
    if patch.message_id:
        head += [f"In-Reply-To: {patch.message_id}", f"References: {patch.message_id}"]
    to = _address(patch.sender)
    if to:
        head.append(f"To: {to}")
    problems = grouped(review.introduced)
    count = len(problems)
    body = [
        "Hi,",
        "",
        f"kltolint found {count} Kconfig combination{'s' if count != 1 else ''} that can never build, "
        "made reachable by this patch.",
        "",
    ]
    placed: set[int] = set()
    for fp in patch.files:
        quoted = _quote_file(fp, problems, placed)
        if quoted:
            body += quoted + [""]
    elsewhere = [problem for i, problem in enumerate(problems) if i not in placed]
    if elsewhere:
        body += ["Elsewhere, through what the patch changes:", ""]
        for finding, arches in elsewhere:
            body += _finding_lines(finding, arches) + [""]
    for finding, _ in problems:
        body += _reproduce(finding) + [""]
    for finding, _ in problems:
        body += _suggestion(finding)
    if review.removed:
        body += ["This patch also removes:", ""]
        body += [f"  {f.file}:{f.line}: {f.message} [{f.rule}]" for f, _ in grouped(review.removed)] + [""]
    body += ["-- ", "kltolint: Kconfig dependency linter (toolchain probes are never run;",
             "each finding carries a witness the kernel's conf tool replays)"]
    return "\n".join(head) + "\n\n" + "\n".join(body) + "\n"


def _address(sender: str) -> str:
    """One address: a display name holding `,` or `<...>` cannot add a recipient."""
    name, address = email.utils.parseaddr(sender)
    return email.utils.formataddr((name, address)) if "@" in address else ""


def _quote_file(fp: FilePatch, problems: list[tuple[Finding, list[str]]], placed: set[int]) -> list[str]:
    """The file's hunks, quoted, with findings inline under their line."""
    mine = {i: problem for i, problem in enumerate(problems) if problem[0].file == fp.path}
    hits = {f.line for f, _ in mine.values()}
    out: list[str] = []
    for hunk in fp.hunks:
        numbers = new_line_numbers(hunk)
        if not hits & {n for n in numbers if n is not None}:
            continue
        if not out:
            out += ["> " + line.rstrip("\r\n") for line in fp.header]
        out.append("> " + hunk.header.rstrip("\r\n"))
        for line, number in zip(hunk.lines, numbers, strict=False):
            out.append("> " + line.rstrip("\r\n"))
            if number is None or line[:1] == "\\":
                continue
            for i, (finding, arches) in mine.items():
                if finding.line == number and i not in placed:
                    placed.add(i)
                    out += [""] + _finding_lines(finding, arches) + [""]
    return out


def _finding_lines(finding: Finding, arches: list[str]) -> list[str]:
    out = [f"{finding.file}:{finding.line}: error: {finding.message} [{finding.rule}]"]
    for step in finding.chain[:-1]:
        out.append(f"  {step.file}:{step.line}: {step.text}")
    out.append(f"  (reachable on {', '.join(arches)})")
    return out


def _reproduce(finding: Finding) -> list[str]:
    what = f"Reproduce on {finding.arch}"
    what += f" (toolchain: {finding.witness.make})" if finding.witness.make else " (any toolchain)"
    out = [what + ", assuming:" if finding.witness.assumptions else what + ":"]
    for assumption in finding.witness.assumptions:
        out += textwrap.wrap(assumption, 74, initial_indent="  - ", subsequent_indent="    ")
    out += ["", "  cat > witness.config <<'EOF'"]
    out += [f"  {line}" for line in finding.witness.config.splitlines()]
    out += ["  EOF", f"  {witness_command(finding)}"]
    return out


def _suggestion(finding: Finding) -> list[str]:
    fix = finding.fix
    if fix is None:
        return []
    if fix.applicability == "none":
        return [f"No fix is suggested for {finding.rule}: {fix.note}", ""]
    out = [f"Suggested fix ({fix.applicability}: {fix.note}):", ""]
    out += [f"  {line}" if line else "" for line in fix.diff.rstrip("\n").splitlines()]
    return out + [""]
