"""The commands of the command line, one module each, and what they share.

A command is a `Command`: its parser (`add_arguments`), the frozen options
value its arguments are parsed into (`options`, a dataclass whose fields are
the argument names) and `run(options) -> ExitCode`. `cli` registers them,
parses the command line once, and maps exceptions to exit statuses; a
command never sees argparse's namespace.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from kltolint.errors import UserError
from kltolint.tree import Tree, find_root, is_tree_root

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from kltolint import rules as rules_mod


class ExitCode(enum.IntEnum):
    """kltolint's exit statuses (the README's "Exit status")."""

    CLEAN = 0           # no findings; query: reachable; explain: the value can be had
    FINDINGS = 1        # findings; query: unreachable somewhere; explain: no change gives it
    BAD_INPUT = 2       # a UserError: one line naming the file (and line)
    INTERNAL_ERROR = 3  # a bug in kltolint: one line and a hint to report it
    INTERRUPTED = 130   # ^C

    @classmethod
    def found(cls, anything: bool) -> ExitCode:
        return cls.FINDINGS if anything else cls.CLEAN


Options = TypeVar("Options", bound="DataclassInstance")


@dataclass(frozen=True)
class Command(Generic[Options]):
    """One subcommand: `kltolint NAME ...`."""

    help: str  # the line in `kltolint --help`
    add_arguments: Callable[[argparse.ArgumentParser], None]
    options: type[Options]  # a frozen dataclass; its fields are the arguments' dests
    run: Callable[[Options], ExitCode]
    description: str | None = None
    epilog: str | None = None

    def parse(self, namespace: argparse.Namespace) -> Options:
        """The parsed arguments as the command's options (lists become tuples)."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(self.options):
            value = getattr(namespace, field.name)
            values[field.name] = tuple(value) if isinstance(value, list) else value
        return self.options(**values)


# -- what several commands share ----------------------------------------------------------

def add_text_proofs_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-text-proofs", action="store_true",
                        help="load and check every arch that reads a changed file, instead of proving from the "
                             "Kconfig text that the change cannot matter where what it edits can never be on "
                             "(slower; the proofs over-approximate, this is the plain way)")


def use_text_proofs(on: bool) -> None:
    """Whether this run proves arches unchanged from the text (inert.py)."""
    from kltolint import inert

    inert.SWITCH.on = on


def add_rule_pack_arguments(parser: argparse.ArgumentParser) -> None:
    """--rules DIR and --no-builtin-rules: fields `rule_dirs` and `no_builtin_rules`."""
    parser.add_argument("--rules", dest="rule_dirs", action="append", default=[], metavar="DIR",
                        help="also load every *.toml rule file in DIR (repeatable)")
    parser.add_argument("--no-builtin-rules", action="store_true", help="do not load the shipped rules")


def load_rules(rule_dirs: tuple[str, ...], no_builtin_rules: bool) -> list[rules_mod.Rule]:
    """The shipped rules (unless refused) and those of every DIR: ids unique, no retired id reused."""
    from kltolint import rules as rules_mod

    return list(rules_mod.load_all(not no_builtin_rules, map(Path, rule_dirs)).rules)


def open_tree(tree: str | None, paths: Sequence[str] = ()) -> Tree:
    """The tree --tree names, else the one holding the PATHs (or the cwd):
    one check of what a kernel tree is, for every command."""
    root = Path(tree).resolve() if tree else find_root(list(paths))
    if not is_tree_root(root):
        raise UserError("not a kernel tree (it needs a Kconfig file and an arch/ folder)", str(root))
    return Tree(root)
