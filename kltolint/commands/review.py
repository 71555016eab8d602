"""`kltolint review`: what a patch (series), or a checkout's uncommitted
Kconfig changes, change in the findings; reported per patch, as a mail
reply, or in the machine formats with the removed findings alongside.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kltolint.commands import (Command, ExitCode, add_rule_pack_arguments, add_text_proofs_argument, load_rules,
                               open_tree, use_text_proofs)
from kltolint.errors import UserError
from kltolint.tree import Tree

# What reviewing uses is imported when a review runs (cli builds only the parser of the command run).
if TYPE_CHECKING:
    from kltolint import rules as rules_mod
    from kltolint.patch import Patch
    from kltolint.review import PatchReview

ReviewFormat = Literal["text", "mail", "json", "sarif", "rdjson", "github"]
REVIEW_FORMATS: tuple[ReviewFormat, ...] = ("text", "mail", "json", "sarif", "rdjson", "github")

DESCRIPTION = ("Apply a patch in memory (the working tree is never written) and report only the findings it "
               "introduces or removes. A series is judged patch by patch, each on top of the ones before it.")
EPILOG = """\
examples:
  kltolint review 0001-foo.patch                      what one patch changes
  git format-patch -3 --stdout | kltolint review -    a series, patch by patch
  kltolint review series.mbox --format mail > replies.mbox   review replies, one a patch
  kltolint review --worktree                          uncommitted Kconfig changes (pre-commit)

formats:
  text    gcc-style findings per patch        mail    a reply for the mailing list
  sarif   SARIF 2.1.0 (code scanning)          rdjson  reviewdog, with suggestions
  github  GitHub Actions annotations           json    docs/json.md, plus "removed"

exit status: 0 the patches add no finding (or touch no Kconfig file), 1 they
add findings, 2 error (patch does not apply, binary, malformed)
"""


@dataclass(frozen=True)
class ReviewOptions:
    """`kltolint review`'s options, parsed once."""

    patch: str | None
    worktree: bool
    tree: str | None
    rule_dirs: tuple[str, ...]
    no_builtin_rules: bool
    rule: tuple[str, ...]
    no_sweep: bool
    format: ReviewFormat
    max_patches: int
    quiet: bool
    no_text_proofs: bool


def add_arguments(rev: argparse.ArgumentParser) -> None:
    rev.add_argument("patch", metavar="PATCH", nargs="?",
                     help="a git format-patch mail, an mbox series, a plain diff, or - for stdin")
    rev.add_argument("--worktree", action="store_true",
                     help="review the changes of a git checkout's Kconfig files against HEAD instead of a PATCH "
                          "(the pre-commit hook kltolint-review)")
    rev.add_argument("--tree", metavar="DIR", help="kernel tree the patch applies to (default: cwd)")
    add_rule_pack_arguments(rev)
    rev.add_argument("--rule", action="append", default=[], metavar="ID", help="check only this rule (repeatable)")
    rev.add_argument("--no-sweep", action="store_true",
                     help="do not check the selects the patch adds or changes, or whose targets' "
                          "dependencies it changes, for unmet dependencies (KSEL001)")
    rev.add_argument("--format", choices=REVIEW_FORMATS, default="text", help="output format (default: text)")
    rev.add_argument("--max-patches", type=int, default=50, metavar="N",
                     help="refuse a series with more than N patches that change Kconfig files "
                          "(default 50; each costs a load of every arch it touches)")
    rev.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_text_proofs_argument(rev)


def run(opts: ReviewOptions) -> ExitCode:
    from kltolint import review as review_mod
    from kltolint.load import load_arch
    from kltolint.progress import StatusLine

    use_text_proofs(not opts.no_text_proofs)
    rules = _select_rules(opts)
    root = open_tree(opts.tree).root
    base, patches = _patches(opts, root)
    progress = StatusLine(enabled=not opts.quiet and sys.stderr.isatty())
    reviews = review_mod.review(base, patches, rules, load_arch, progress.label)
    progress.done()
    for r in reviews:
        if r.note:
            print(f"kltolint: patch {r.patch.index}{_subject(r.patch)}: {r.note}", file=sys.stderr)
    sys.stdout.write(_render(opts.format, reviews, str(root), rules))
    return ExitCode.found(any(r.introduced for r in reviews))


def _select_rules(opts: ReviewOptions) -> list[rules_mod.Rule]:
    from kltolint import rules as rules_mod
    from kltolint.analysis import RULE_KINDS

    everything = load_rules(opts.rule_dirs, opts.no_builtin_rules)
    rules = rules_mod.select(everything, list(opts.rule))
    if not opts.rule and not opts.no_sweep:  # patch-scoped: only the selects the patch touches
        rules += [r for r in everything if RULE_KINDS[r.kind].flag == "--sweep" and r not in rules]
    return rules


def _patches(opts: ReviewOptions, root: Path) -> tuple[Tree, list[Patch]]:
    """(the tree the patches apply to, the patches), at most --max-patches touching Kconfig."""
    from kltolint import patch as patch_mod

    if opts.worktree and opts.patch is None:
        from kltolint import worktree

        base, text = worktree.changes(root)
        name = "git diff HEAD"
        patches = patch_mod.parse(text, name) if text.strip() else []
    elif opts.patch is not None and not opts.worktree:
        base = Tree(root)
        name = "<stdin>" if opts.patch == "-" else opts.patch
        patches = patch_mod.parse(patch_mod.read_input(opts.patch), name)
    else:
        raise UserError("review needs a PATCH or --worktree (not both)")
    if len([p for p in patches if p.touches_kconfig]) > opts.max_patches:
        raise UserError(f"the series has more than {opts.max_patches} patches that change Kconfig files "
                        "(--max-patches raises the limit)", name)
    return base, patches


def _render(fmt: ReviewFormat, reviews: list[PatchReview], root: str, rules: list[rules_mod.Rule]) -> str:
    from kltolint import output

    if fmt == "mail":
        from kltolint import mail

        return mail.render_mail(reviews)
    if fmt == "text":
        return _render_text(reviews)
    introduced = [f for r in reviews for f in r.introduced]
    removed = [f for r in reviews for f in r.removed]
    arches = sorted({f.arch for f in [*introduced, *removed]})
    return output.render(fmt, introduced, root, arches, rules, removed)


def _render_text(reviews: list[PatchReview]) -> str:
    from kltolint import output

    out: list[str] = []
    for r in reviews:
        out.append(f"patch {r.patch.index}{_subject(r.patch)}: "
                   f"{len(r.introduced)} introduced, {len(r.removed)} removed\n")
        if r.introduced:
            out.append(output.render_text(r.introduced, sorted({f.arch for f in r.introduced})))
        out += [f"{f.file}:{f.line}: note: removed: {f.message} [{f.rule}] ({f.arch})\n" for f in r.removed]
    return "".join(out)


def _subject(patch: Patch) -> str:
    return f" ({patch.subject})" if patch.subject else ""


COMMAND = Command(help="report what a patch (series) changes in the findings", add_arguments=add_arguments,
                  options=ReviewOptions, run=run, description=DESCRIPTION, epilog=EPILOG)
