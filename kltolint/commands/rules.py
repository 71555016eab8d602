"""`kltolint rules` and `kltolint rule ID`: thin wrappers over the rule docs
and example runner of `ruledocs` (text or JSON)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kltolint.commands import Command, ExitCode, add_rule_pack_arguments, load_rules


LIST_EPILOG = """\
examples:
  kltolint rules                        every rule, those off by default marked
  kltolint rules --rules ./my-rules     with a rule pack of your own
  kltolint rules --test ./my-rules      run the examples of your pack
  kltolint rules --format json          status (on, or the flag that turns it on) and fix availability as data

exit status: 0, or 2 for a bad rule file; with --test, 1 when an example fails
"""
EXPLAIN_EPILOG = """\
examples:
  kltolint rule KLTO001                      by id
  kltolint rule lto-with-big-endian-cpu      or by name
  kltolint rule MY001 --rules ./my-rules     a rule of your own pack

exit status: 0, or 2 for an unknown rule or a bad rule file
"""


DocFormat = Literal["text", "json"]


@dataclass(frozen=True)
class ListOptions:
    """`kltolint rules`'s options, parsed once."""

    rule_dirs: tuple[str, ...]
    no_builtin_rules: bool
    format: DocFormat
    test: str | None


@dataclass(frozen=True)
class ExplainOptions:
    """`kltolint rule`'s options, parsed once."""

    id: str
    rule_dirs: tuple[str, ...]
    no_builtin_rules: bool
    format: DocFormat


def _format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    add_rule_pack_arguments(parser)
    _format_argument(parser)
    parser.add_argument("--test", metavar="DIR", help="run the examples of the rule pack in DIR instead: exit 0 "
                                                     "all pass, 1 an example fails (one line each), 2 bad pack")


def add_explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="rule id or name")
    add_rule_pack_arguments(parser)
    _format_argument(parser)


def _write(data: object, text: str, fmt: DocFormat) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n" if fmt == "json" else text)


def run_list(opts: ListOptions) -> ExitCode:
    from kltolint import ruledocs  # the rules' documentation runs the analysis: only when asked
    from kltolint import rules as rules_mod

    if opts.test:
        results = ruledocs.run_examples(rules_mod.load_all(False, [Path(opts.test)]).rules)
        _write(ruledocs.results_data(results), ruledocs.render_results(results), opts.format)
        return ExitCode.FINDINGS if any(r.failure for r in results) else ExitCode.CLEAN
    pack = rules_mod.load_all(not opts.no_builtin_rules, map(Path, opts.rule_dirs))
    _write(ruledocs.listing_data(pack), ruledocs.render_listing(pack), opts.format)
    return ExitCode.CLEAN


def run_explain(opts: ExplainOptions) -> ExitCode:
    from kltolint import ruledocs
    from kltolint import rules as rules_mod

    (rule,) = rules_mod.select(load_rules(opts.rule_dirs, opts.no_builtin_rules), [opts.id])
    _write(ruledocs.rule_data(rule), ruledocs.render_rule(rule), opts.format)
    return ExitCode.CLEAN


LIST = Command(help="list the rules", add_arguments=add_list_arguments, options=ListOptions, run=run_list,
               epilog=LIST_EPILOG)
EXPLAIN = Command(help="explain one rule", add_arguments=add_explain_arguments, options=ExplainOptions,
                  run=run_explain, epilog=EXPLAIN_EPILOG)
