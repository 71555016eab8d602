"""`kltolint rules` and `kltolint rule ID`: thin wrappers over the rule docs
that `rules` renders (`rules.listing`, `rules.explanation`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from kltolint import rules as rules_mod
from kltolint.commands import Command, ExitCode, add_rule_pack_arguments, load_rules


LIST_EPILOG = """\
examples:
  kltolint rules                        every rule, those off by default marked
  kltolint rules --rules ./my-rules     with a rule pack of your own

exit status: 0, or 2 for a bad rule file
"""
EXPLAIN_EPILOG = """\
examples:
  kltolint rule KLTO001                      by id
  kltolint rule lto-with-big-endian-cpu      or by name
  kltolint rule MY001 --rules ./my-rules     a rule of your own pack

exit status: 0, or 2 for an unknown rule or a bad rule file
"""


@dataclass(frozen=True)
class ListOptions:
    rule_dirs: tuple[str, ...]
    no_builtin_rules: bool


@dataclass(frozen=True)
class ExplainOptions:
    id: str
    rule_dirs: tuple[str, ...]
    no_builtin_rules: bool


def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    add_rule_pack_arguments(parser)


def add_explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="rule id or name")
    add_rule_pack_arguments(parser)


def run_list(opts: ListOptions) -> ExitCode:
    sys.stdout.write(rules_mod.listing(load_rules(opts.rule_dirs, opts.no_builtin_rules)))
    return ExitCode.CLEAN


def run_explain(opts: ExplainOptions) -> ExitCode:
    (rule,) = rules_mod.select(load_rules(opts.rule_dirs, opts.no_builtin_rules), [opts.id])
    sys.stdout.write(rules_mod.explanation(rule))
    return ExitCode.CLEAN


LIST = Command(help="list the rules", add_arguments=add_list_arguments, options=ListOptions, run=run_list,
               epilog=LIST_EPILOG)
EXPLAIN = Command(help="explain one rule", add_arguments=add_explain_arguments, options=ExplainOptions,
                  run=run_explain, epilog=EXPLAIN_EPILOG)
