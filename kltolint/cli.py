"""Command line: `main(argv) -> int`. Exit 0 clean, 1 findings, 2 errors."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from collections.abc import Sequence

from kltolint import __version__, dead, output, redundant, rules as rules_mod, streams, suppress
from kltolint.errors import UserError
from kltolint.findings import Finding
from kltolint.cache import Cache, default_dir
from kltolint.session import Session
from kltolint.tree import Tree, find_root

COMMANDS = ("check", "review", "rules", "rule", "query", "explain")

DESCRIPTION = """\
Find Kconfig combinations that can never build, prove each with a witness
configuration, and name the Kconfig line that lets it through.

Nothing from the tree is executed: $(shell,...) and every toolchain probe
become variables, so a finding holds for some real toolchain (its make
variables are part of the witness), not for whatever compiler is installed.
"""

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kltolint", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"kltolint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="prove forbidden combinations reachable (the default)",
                           description="Check Kconfig trees against the rules.",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files or directories in the kernel tree; arch/<arch>/... picks that arch")
    check.add_argument("--tree", metavar="DIR", help="kernel tree root (default: found from PATHs or cwd)")
    check.add_argument("--arch", action="append", default=[], metavar="NAME",
                       help="arch to check, as named under arch/ (repeatable; default: from PATHs, else all)")
    _rule_options(check)
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
    check.add_argument("-j", "--jobs", type=int, metavar="N",
                       help="arches checked in parallel (default: number of CPUs)")
    check.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the findings cache")
    check.add_argument("--cache-dir", metavar="DIR",
                       help="cache location (default: $KLTOLINT_CACHE_DIR, else $XDG_CACHE_HOME/kltolint)")

    rev = sub.add_parser("review", help="report what a patch (series) changes in the findings",
                         description="Apply a patch in memory (the working tree is never written) and report "
                                     "only the findings it introduces or removes. A series is judged patch by "
                                     "patch, each on top of the ones before it.",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=REVIEW_EPILOG)
    rev.add_argument("patch", metavar="PATCH", nargs="?",
                     help="a git format-patch mail, an mbox series, a plain diff, or - for stdin")
    rev.add_argument("--worktree", action="store_true",
                     help="review the changes of a git checkout's Kconfig files against HEAD instead of a PATCH "
                          "(the pre-commit hook kltolint-review)")
    rev.add_argument("--tree", metavar="DIR", help="kernel tree the patch applies to (default: cwd)")
    _rule_options(rev)
    rev.add_argument("--rule", action="append", default=[], metavar="ID", help="check only this rule (repeatable)")
    rev.add_argument("--no-sweep", action="store_true",
                     help="do not check the selects the patch adds or changes, or whose targets' "
                          "dependencies it changes, for unmet dependencies (KSEL001)")
    rev.add_argument("--format", choices=REVIEW_FORMATS, default="text", help="output format (default: text)")
    rev.add_argument("--max-patches", type=int, default=50, metavar="N",
                     help="refuse a series with more than N patches that change Kconfig files "
                          "(default 50; each costs a load of every arch it touches)")
    rev.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    from kltolint import ask  # query and explain

    ask.add_parsers(sub)
    listing = sub.add_parser("rules", help="list the rules")
    _rule_options(listing)
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    listing.add_argument("--test", metavar="DIR", help="run the examples of the rule pack in DIR instead: exit 0 "
                                                       "all pass, 1 an example fails (one line each), 2 bad pack")
    explain = sub.add_parser("rule", help="explain one rule")
    explain.add_argument("id", metavar="ID", help="rule id or name")
    _rule_options(explain)
    explain.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


REVIEW_FORMATS = ("text", "mail", "json", "sarif", "rdjson", "github")
REVIEW_EPILOG = """\
formats:
  text    gcc-style findings per patch        mail    a reply for the mailing list
  sarif   SARIF 2.1.0 (code scanning)          rdjson  reviewdog, with suggestions
  github  GitHub Actions annotations           json    docs/json.md, plus "removed"

exit status: 0 the patches add no finding (or touch no Kconfig file), 1 they
add findings, 2 error (patch does not apply, binary, malformed)
"""


def _rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], metavar="DIR",
                        help="also load every *.toml rule file in DIR (repeatable)")
    parser.add_argument("--no-builtin-rules", action="store_true", help="do not load the shipped rules")


def load_rules(args: argparse.Namespace) -> list[rules_mod.Rule]:
    return list(rules_mod.load_all(not args.no_builtin_rules, map(Path, args.rules)).rules)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 clean, 1 findings, 2 bad input (one line), 3 a bug in kltolint
    (one line; `--debug`, anywhere, adds the traceback), 130 interrupted."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["check", *argv]
    saved = sys.stdout, sys.stderr
    sys.stdout = streams.Guarded(saved[0], "stdout")
    sys.stderr = streams.Guarded(saved[1] if saved[1] is not None else saved[0], "stderr")
    try:
        code = _dispatch(_parser().parse_args(argv))
        sys.stdout.flush()
        return code
    except UserError as err:
        _report(f"kltolint: error: {err}")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug: never exit 1, which means "findings"
        if debug:
            _report(traceback.format_exc().rstrip("\n"))
        what = " ".join(f"{type(err).__name__}: {err}".split())[:300]
        _report(f"kltolint: internal error: {what} (a bug in kltolint: please report it, "
                f"with the command; --debug shows the traceback)")
        return 3
    finally:
        sys.stdout, sys.stderr = saved


def _report(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except streams.OutputError:
        pass  # nowhere left to say it


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "rules":
        return cmd_rules(args)
    if args.command == "rule":
        return cmd_rule(args)
    if args.command == "review":
        return cmd_review(args)
    if args.command in ("query", "explain"):
        from kltolint import ask

        return ask.run(args)
    return cmd_check(args)


def _write_exact(text: str) -> None:
    """Bytes as in the files (a patch must apply), not escaped for a terminal."""
    if isinstance(sys.stdout, streams.Guarded):
        sys.stdout.write_bytes(text)
    else:
        sys.stdout.write(text)


def cmd_rules(args: argparse.Namespace) -> int:
    from kltolint import ruledocs

    if args.test:
        results = ruledocs.run_examples(rules_mod.load_all(False, [Path(args.test)]).rules)
        sys.stdout.write(json.dumps(ruledocs.results_data(results), indent=2) + "\n" if args.format == "json"
                         else ruledocs.render_results(results))
        return 1 if any(r.failure for r in results) else 0
    pack = rules_mod.load_all(not args.no_builtin_rules, map(Path, args.rules))
    sys.stdout.write(json.dumps(ruledocs.listing_data(pack), indent=2) + "\n" if args.format == "json"
                     else ruledocs.render_listing(pack))
    return 0


def cmd_rule(args: argparse.Namespace) -> int:
    from kltolint import ruledocs

    rule = rules_mod.select(load_rules(args), [args.id])[0]
    sys.stdout.write(json.dumps(ruledocs.rule_data(rule), indent=2) + "\n" if args.format == "json"
                     else ruledocs.render_rule(rule))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    if args.diff and args.fix:
        raise UserError("--fix and --diff exclude each other (--diff prints the fixes, --fix writes them)")
    if args.diff and args.format != "text":
        raise UserError("--diff prints a patch: it takes no --format")
    everything = load_rules(args)
    rules = rules_mod.select(everything, args.rule)
    if args.sweep:
        rules += [r for r in everything if r.kind == "unmet-select" and r not in rules]
    if args.dead:
        rules += [r for r in everything if dead.is_dead_rule(r) and r not in rules]
    if args.redundant:
        rules += [r for r in everything if redundant.is_redundant_rule(r) and r not in rules]
    root = Path(args.tree).resolve() if args.tree else find_root(args.paths)
    if args.tree and not (root / "Kconfig").is_file():
        raise UserError("not a kernel tree (no Kconfig file)", str(root))
    tree = Tree(root)
    arches = _arches(tree, args)
    allowed = {tree.confined(tree.relpath(p)) for p in args.paths if Path(p).is_file()}
    store = None if args.no_cache else Cache(Path(args.cache_dir) if args.cache_dir else default_dir())
    session = Session(tree, rules, None, store, args.jobs)
    progress = Progress(len(arches), enabled=not args.quiet and sys.stderr.isatty())
    findings: list[Finding] = session.run(arches, progress.step)
    progress.done()
    findings = dead.across_arches(tree, findings, arches, rules)
    findings = redundant.across_arches(tree, findings, arches, rules)
    if args.stats:
        for arch in arches:
            if arch in session.stats:
                print(f"kltolint: {session.stats[arch].line(arch)}", file=sys.stderr)
    findings, unused = suppress.apply_inline(
        findings, [s for arch in arches for s in session.suppressions.get(arch, ())],
        lambda file, line: _entry_header(session, file, line), {r.id for r in rules})
    if args.baseline:
        findings, note = suppress.baseline(findings, Path(args.baseline))
        print(f"kltolint: {note}", file=sys.stderr)
    for s in unused:  # gcc style; kept out of machine formats' stdout
        print(f"{s.file}:{s.line}: warning: unused suppression for {', '.join(s.rules)} [unused-suppression]",
              file=sys.stdout if args.format == "text" else sys.stderr)
    from kltolint import fix  # the fixer, and the solver behind it, only when needed

    if findings:
        findings = fix.Fixer(session).attach(findings, sweep_fixes=args.fix or args.diff or args.fixes)
    chosen = [f for f in fix.applicable(findings, args.unsafe_fixes)
              if not (args.fix and allowed)
              or tree.confined(f.fix.edits[0].file) in allowed]  # type: ignore[union-attr]  # through symlinks
    if args.diff:
        changes = fix.combined(session.sources, chosen)
        _write_exact("".join(fix.unified_diff(p, old, new) for p, (old, new) in sorted(changes.items())))
        return 1 if changes else 0
    if args.fix:
        return _write_fixes(tree, session, findings, chosen, args, arches)
    sys.stdout.write(output.render(args.format, findings, str(root), arches, rules))
    return 1 if findings or unused else 0


def _entry_header(session: Session, file: str, line: int) -> int:
    try:
        entry = session.sources.file(file).entry_holding(line)
    except UserError:
        return line
    return entry.header.lineno if entry else line


def _write_fixes(tree: Tree, session: Session, findings: list[Finding], chosen: list[Finding],
                 args: argparse.Namespace, arches: list[str]) -> int:
    from kltolint import fix

    changes = fix.combined(session.sources, chosen)
    for path, (old, new) in sorted(changes.items()):
        fix.write_atomic(tree, path, old, new)
    fixed_edits = {f.fix.edits for f in chosen if f.fix}
    for finding in chosen:
        assert finding.fix is not None
        edit = finding.fix.edits[0]
        print(f"{edit.file}:{edit.first}: fixed: {edit.text.strip()} [{finding.rule}, {finding.fix.applicability}]",
              file=sys.stderr)
    remaining = [f for f in findings if not (f.fix and f.fix.edits in fixed_edits)]
    if remaining:
        sys.stdout.write(output.render(args.format, remaining, str(tree.root), arches, session.rules))
    else:
        print(f"kltolint: fixed {len(chosen)} finding{'s' if len(chosen) != 1 else ''}"
              f" in {len(changes)} file{'s' if len(changes) != 1 else ''}", file=sys.stderr)
    return 1 if remaining else 0


def cmd_review(args: argparse.Namespace) -> int:
    from kltolint import mail, patch as patch_mod, review as review_mod
    from kltolint.load import load_arch

    everything = load_rules(args)
    rules = rules_mod.select(everything, args.rule)
    if not args.rule and not args.no_sweep:  # patch-scoped: only the selects the patch touches
        rules += [r for r in everything if r.kind == "unmet-select" and r not in rules]
    root = Path(args.tree).resolve() if args.tree else find_root([])
    if not (root / "Kconfig").is_file():
        raise UserError("not a kernel tree (no Kconfig file)", str(root))
    if args.worktree == (args.patch is not None):
        raise UserError("review needs a PATCH or --worktree (not both)")
    base = Tree(root)
    if args.worktree:
        from kltolint import worktree

        base, text = worktree.changes(root)
        name = "git diff HEAD"
        patches = patch_mod.parse(text, name) if text.strip() else []
    else:
        name = "<stdin>" if args.patch == "-" else args.patch
        patches = patch_mod.parse(patch_mod.read_input(args.patch), name)
    if len([p for p in patches if p.touches_kconfig]) > args.max_patches:
        raise UserError(f"the series has more than {args.max_patches} patches that change Kconfig files "
                        "(--max-patches raises the limit)", name)
    progress = Progress(0, enabled=not args.quiet and sys.stderr.isatty())
    reviews = review_mod.review(base, patches, rules, load_arch, progress.label)
    progress.done()
    introduced = [f for r in reviews for f in r.introduced]
    removed = [f for r in reviews for f in r.removed]
    for r in reviews:
        if r.note:
            print(f"kltolint: patch {r.patch.index}{_subject(r.patch)}: {r.note}", file=sys.stderr)
    if args.format == "mail":
        sys.stdout.write(mail.render_mail(reviews))
    elif args.format == "text":
        for r in reviews:
            print(f"patch {r.patch.index}{_subject(r.patch)}: {len(r.introduced)} introduced, {len(r.removed)} removed")
            if r.introduced:
                sys.stdout.write(output.render_text(r.introduced, sorted({f.arch for f in r.introduced})))
            for f in r.removed:
                print(f"{f.file}:{f.line}: note: removed: {f.message} [{f.rule}] ({f.arch})")
    else:
        arches = sorted({f.arch for f in [*introduced, *removed]})
        sys.stdout.write(output.render(args.format, introduced, str(root), arches, rules, removed))
    return 1 if introduced else 0


def _subject(patch) -> str:
    return f" ({patch.subject})" if patch.subject else ""


def _arches(tree: Tree, args: argparse.Namespace) -> list[str]:
    known = tree.arches()
    for arch in args.arch:
        if arch not in known:
            raise UserError(f"unknown arch {arch!r} (this tree has: {', '.join(known)})")
    if args.arch:
        return list(dict.fromkeys(args.arch))
    from_paths = {tree.arch_of(p) for p in args.paths}
    if from_paths and None not in from_paths:
        return sorted(a for a in from_paths if a)
    return known


def _raw_err():  # type: ignore[no-untyped-def]
    """stderr without escaping: the progress line's own \\r and ESC[K."""
    return getattr(sys.stderr, "raw", sys.stderr)


class Progress:
    """`arches done of total` on a terminal's stderr, erased when done."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.count = total, enabled and total > 1, 0
        self._tty = enabled

    def step(self, label: str) -> None:
        if self.enabled:
            self.count += 1
            _raw_err().write(f"\rkltolint: {self.count}/{self.total} arches done ({streams.printable(label)})\x1b[K")
            _raw_err().flush()

    def label(self, text: str) -> None:
        if self.enabled or (self.total == 0 and self._tty):
            _raw_err().write(f"\rkltolint: {streams.printable(text)}\x1b[K")
            _raw_err().flush()

    def done(self) -> None:
        if self.enabled or self._tty:
            _raw_err().write("\r\x1b[K")
            _raw_err().flush()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
