"""`kltolint check`: the rules on a tree's arches, then report, --diff or --fix.

The pipeline in named steps: pick the rules, open the tree and its arches,
run the session (cache or forked workers) and the across-arch passes,
apply suppressions and the baseline, attach verified fixes, and emit the
report, the fixes as a patch, or the fixes written into the files.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from kltolint import output  # light: the formats (CheckOptions.format's type)
from kltolint.commands import (Command, ExitCode, add_rule_pack_arguments, add_text_proofs_argument, load_rules,
                               open_tree, use_text_proofs)
from kltolint.errors import UserError

# What checking uses is imported when a check runs: `kltolint query` and
# `kltolint --help` never load it (cli builds only the parser of the command run).
if TYPE_CHECKING:
    from kltolint import rules as rules_mod
    from kltolint.cache import Cache
    from kltolint.findings import Finding
    from kltolint.session import Session
    from kltolint.suppress import Suppression
    from kltolint.tree import Tree

DESCRIPTION = "Check Kconfig trees against the rules."

# Also the main parser's epilog: check is the default command.
EPILOG = """\
examples:
  kltolint check arch/arm64/Kconfig       check arm64 (arch from the path)
  kltolint check --tree ~/linux           check every arch of a tree
  kltolint check --arch x86 --arch riscv  check two arches (tree: cwd)
  kltolint check --format json ...        machine-readable findings
  kltolint check --sweep --arch x86       also check every select of x86 for unmet dependencies
  kltolint --fix arch/arm64/Kconfig       fix arm64's findings in that file, in place
  kltolint check --diff > fix.patch       the fixes as a patch (git apply fix.patch)
  kltolint review 0001-foo.patch --format mail   a review reply for a patch (or mbox, or -)
  kltolint rules                          list the rules
  kltolint rule KLTO001                   explain one rule

A witness replays with the kernel's own conf tool:
  make ARCH=arm64 LLVM=1 KCONFIG_ALLCONFIG=witness.config allnoconfig

exit status: 0 no findings, 1 findings, 2 error (bad input, bad rule file),
3 internal error (a bug: --debug, anywhere on the line, shows the traceback)
"""


@dataclass(frozen=True)
class CheckOptions:
    """`kltolint check`'s options, parsed once."""

    paths: tuple[str, ...]
    tree: str | None
    arch: tuple[str, ...]
    rule_dirs: tuple[str, ...]
    no_builtin_rules: bool
    rule: tuple[str, ...]
    sweep: bool
    dead: bool
    redundant: bool
    baseline: str | None
    stats: bool
    format: output.Format
    fix: bool
    unsafe_fixes: bool
    fixes: bool
    diff: bool
    quiet: bool
    jobs: int | None
    no_cache: bool
    cache_dir: str | None
    no_text_proofs: bool


def add_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files or directories in the kernel tree; arch/<arch>/... picks that arch")
    check.add_argument("--tree", metavar="DIR", help="kernel tree root (default: found from PATHs or cwd)")
    check.add_argument("--arch", action="append", default=[], metavar="NAME",
                       help="arch to check, as named under arch/ (repeatable; default: from PATHs, else all)")
    add_rule_pack_arguments(check)
    check.add_argument("--rule", action="append", default=[], metavar="ID",
                       help="check only this rule (id or name; repeatable; also turns on a rule that is off)")
    check.add_argument("--sweep", action="store_true",
                       help="also check every select of the arch for unmet dependencies (rule KSEL001, off by default)")
    check.add_argument("--dead", action="store_true",
                       help="also report dangling references and dead options, once per tree "
                            "(rules KDEAD001, KDEAD002, off by default)")
    check.add_argument("--redundant", action="store_true",
                       help="also report toolchain conditions the tree's minimum tool versions make always "
                            "true (rule KRED001, off by default)")
    check.add_argument("--baseline", metavar="FILE",
                       help="accept the findings in FILE (written with the current ones if missing): report only new ones")
    check.add_argument("--stats", action="store_true",
                       help="print the sweep's figures per arch on stderr (edges, findings, time split)")
    check.add_argument("--format", choices=output.FORMATS, default="text", help="output format (default: text)")
    fixing = check.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true",
                        help="write the safe fixes into the files (only into the PATHs given, if any)")
    fixing.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix or --diff: also apply fixes that change more than the forbidden configurations")
    fixing.add_argument("--fixes", action="store_true",
                        help="also verify fixes for select-sweep findings when only reporting (slower)")
    fixing.add_argument("--diff", action="store_true",
                        help="print the fixes as a unified diff (for git apply / patch -p1) instead of findings")
    check.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_text_proofs_argument(check)
    check.add_argument("-j", "--jobs", type=int, metavar="N",
                       help="arches checked in parallel (default: number of CPUs)")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the findings cache")
    check.add_argument("--cache-dir", metavar="DIR",
                       help="cache location (default: $KLTOLINT_CACHE_DIR, else $XDG_CACHE_HOME/kltolint, else ~/.cache/kltolint)")


def run(opts: CheckOptions) -> ExitCode:
    from kltolint.session import Session

    _refuse_conflicts(opts)
    use_text_proofs(not opts.no_text_proofs)
    rules = _select_rules(opts)
    tree = open_tree(opts.tree, opts.paths)
    arches = _arches(tree, opts)
    session = Session(tree, rules, None, _cache(opts), opts.jobs)
    findings, unused = _findings(opts, session, arches)
    for s in unused:  # gcc style; kept out of machine formats' stdout
        print(f"{s.file}:{s.line}: warning: unused suppression for {', '.join(s.rules)} [unused-suppression]",
              file=sys.stdout if opts.format == "text" else sys.stderr)
    from kltolint import fix  # the fixer, and the solver behind it, only when needed

    if findings:
        findings = fix.Fixer(session).attach(findings, sweep_fixes=opts.fix or opts.diff or opts.fixes)
    chosen = _to_apply(opts, tree, findings)
    if opts.diff:
        return _print_diff(session, chosen)
    if opts.fix:
        return _write_fixes(opts, session, findings, chosen, arches)
    sys.stdout.write(output.render(opts.format, findings, str(tree.root), arches, rules))
    return ExitCode.found(bool(findings or unused))


def _refuse_conflicts(opts: CheckOptions) -> None:
    if opts.diff and opts.fix:
        raise UserError("--fix and --diff exclude each other (--diff prints the fixes, --fix writes them)")
    if opts.diff and opts.format != "text":
        raise UserError("--diff prints a patch: it takes no --format")


def _select_rules(opts: CheckOptions) -> list[rules_mod.Rule]:
    """The rules asked for (--rule, else those on by default), plus the
    off-by-default families their switches turn on."""
    from kltolint import rules as rules_mod

    everything = load_rules(opts.rule_dirs, opts.no_builtin_rules)
    rules = rules_mod.select(everything, list(opts.rule))
    switches = [flag for flag, on in (("--sweep", opts.sweep), ("--dead", opts.dead),
                                      ("--redundant", opts.redundant)) if on]
    if switches:
        from kltolint.analysis import RULE_KINDS  # the solver loads only when a family is asked for

        for flag in switches:  # each family's rules, in the registry's words: RuleKind.flag
            rules += [r for r in everything if RULE_KINDS[r.kind].flag == flag and r not in rules]
    return rules


def _arches(tree: Tree, opts: CheckOptions) -> list[str]:
    """--arch as given, else the arches the PATHs are under, else all."""
    known = tree.arches()
    for arch in opts.arch:
        if arch not in known:
            raise UserError(f"unknown arch {arch!r} (this tree has: {', '.join(known)})")
    if opts.arch:
        return list(dict.fromkeys(opts.arch))
    from_paths = {tree.arch_of(p) for p in opts.paths}
    if from_paths and None not in from_paths:
        return sorted(a for a in from_paths if a)
    return known


def _cache(opts: CheckOptions) -> Cache | None:
    from kltolint.cache import Cache, location

    if opts.no_cache:
        return None
    return Cache(location(opts.cache_dir))


def _findings(opts: CheckOptions, session: Session,
              arches: list[str]) -> tuple[list[Finding], list[Suppression]]:
    """Every arch's findings, the across-arch passes, then inline suppressions
    and the baseline: (the findings to report, the suppressions that matched none)."""
    from kltolint import dead, redundant, suppress
    from kltolint.progress import ArchCounter

    progress = ArchCounter(len(arches), enabled=not opts.quiet and sys.stderr.isatty())
    findings: list[Finding] = session.run(arches, progress.step)
    progress.done()
    tree, rules = session.tree, session.rules
    findings = dead.across_arches(tree, findings, arches, rules)
    findings = redundant.across_arches(tree, findings, arches, rules)
    if opts.stats:
        for arch in arches:
            if arch in session.stats:
                print(f"kltolint: {session.stats[arch].line(arch)}", file=sys.stderr)
    findings, unused = suppress.apply_inline(
        findings, [s for arch in arches for s in session.suppressions.get(arch, ())],
        lambda file, line: _entry_header(session, file, line), {r.id for r in rules})
    if opts.baseline:
        findings, note = suppress.baseline(findings, Path(opts.baseline))
        print(f"kltolint: {note}", file=sys.stderr)
    return findings, unused


def _entry_header(session: Session, file: str, line: int) -> int:
    """The line of the entry holding `line` (where a suppression comment may sit)."""
    try:
        entry = session.sources.file(file).entry_holding(line)
    except UserError:
        return line
    return entry.header.lineno if entry else line


def _to_apply(opts: CheckOptions, tree: Tree, findings: list[Finding]) -> list[Finding]:
    """The fixes --fix or --diff would apply; --fix with PATHs writes only into those files."""
    from kltolint import fix

    allowed = {tree.confined(tree.relpath(p)) for p in opts.paths if Path(p).is_file()}
    chosen = fix.applicable(findings, opts.unsafe_fixes)
    if not (opts.fix and allowed):
        return chosen
    return [f for f in chosen if f.fix and tree.confined(f.fix.edits[0].file) in allowed]  # through symlinks


def _print_diff(session: Session, chosen: list[Finding]) -> ExitCode:
    from kltolint import fix

    changes = fix.combined(session.sources, chosen)
    _write_exact("".join(fix.unified_diff(p, old, new) for p, (old, new) in sorted(changes.items())))
    return ExitCode.found(bool(changes))


def _write_exact(text: str) -> None:
    """Bytes as in the files (a patch must apply), not escaped for a terminal."""
    from kltolint import streams

    if isinstance(sys.stdout, streams.Guarded):
        sys.stdout.write_bytes(text)
    else:
        sys.stdout.write(text)


def _write_fixes(opts: CheckOptions, session: Session, findings: list[Finding], chosen: list[Finding],
                 arches: list[str]) -> ExitCode:
    from kltolint import fix

    tree = session.tree
    changes = fix.combined(session.sources, chosen)
    for path, (old, new) in sorted(changes.items()):
        fix.write_atomic(tree, path, old, new)
    fixed_edits = {f.fix.edits for f in chosen if f.fix}
    for finding in chosen:
        if finding.fix is None:
            continue  # never: applicable() keeps only findings with a fix
        edit = finding.fix.edits[0]
        print(f"{edit.file}:{edit.first}: fixed: {edit.text.strip()} [{finding.rule}, {finding.fix.applicability}]",
              file=sys.stderr)
    remaining = [f for f in findings if not (f.fix and f.fix.edits in fixed_edits)]
    if remaining:
        sys.stdout.write(output.render(opts.format, remaining, str(tree.root), arches, session.rules))
    else:
        print(f"kltolint: fixed {len(chosen)} finding{'s' if len(chosen) != 1 else ''}"
              f" in {len(changes)} file{'s' if len(changes) != 1 else ''}", file=sys.stderr)
    return ExitCode.found(bool(remaining))


COMMAND = Command(help="prove forbidden combinations reachable (the default)", add_arguments=add_arguments,
                  options=CheckOptions, run=run, description=DESCRIPTION, epilog=EPILOG)
