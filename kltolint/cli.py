"""Command line: `main(argv) -> int`, the command registry and the exit statuses.

Each command lives in its own module under `kltolint.commands` (its
arguments, its frozen options, its run); this module builds the parser from
the registry, parses the command line once, runs the command with stdout and
stderr guarded (`streams`), and maps what escapes it to an exit status
(`ExitCode`): bad input is one line and 2, a bug in kltolint one line, a hint
to report it and 3 (never 1, which means findings).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from kltolint import __version__, streams
from kltolint.commands import Command, ExitCode, ask, check, review, rules
from kltolint.errors import UserError

# In `kltolint --help` order. Without a command (or with options only), `check` runs.
COMMANDS: dict[str, Command[Any]] = {
    "check": check.COMMAND,
    "review": review.COMMAND,
    "query": ask.QUERY,
    "explain": ask.EXPLAIN,
    "rules": rules.LIST,
    "rule": rules.EXPLAIN,
}
DEFAULT_COMMAND = "check"

DESCRIPTION = """\
Find Kconfig combinations that can never build, prove each with a witness
configuration, and name the Kconfig line that lets it through.

Nothing from the tree is executed: $(shell,...) and every toolchain probe
become variables, so a finding holds for some real toolchain (its make
variables are part of the witness), not for whatever compiler is installed.
"""


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """`kltolint` and one subparser per registered command. With `only`,
    just that command's subparser gets its arguments (the others their
    line in --help): the command line names its command first (`main`), and
    another command's arguments may need modules this one never uses."""
    top = argparse.ArgumentParser(
        prog="kltolint", description=DESCRIPTION, epilog=check.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"kltolint {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=command.help)
            continue
        command.add_arguments(sub.add_parser(
            name, help=command.help, description=command.description, epilog=command.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter))
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 clean, 1 findings, 2 bad input (one line), 3 a bug in kltolint
    (one line; `--debug`, anywhere, adds the traceback), 130 interrupted."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if not args or (args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version")):
        args = [DEFAULT_COMMAND, *args]
    saved = sys.stdout, sys.stderr
    sys.stdout = streams.Guarded(saved[0], "stdout")
    sys.stderr = streams.Guarded(saved[1] if saved[1] is not None else saved[0], "stderr")
    try:
        code = _run(args)
        sys.stdout.flush()
        return int(code)
    except UserError as err:
        _report(f"kltolint: error: {err}")
        return int(ExitCode.BAD_INPUT)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    except Exception as err:  # a bug: never exit 1, which means "findings"
        if debug:
            _report(traceback.format_exc().rstrip("\n"))
        what = " ".join(f"{type(err).__name__}: {err}".split())[:300]
        _report(f"kltolint: internal error: {what} (a bug in kltolint: please report it, "
                f"with the command; --debug shows the traceback)")
        return int(ExitCode.INTERNAL_ERROR)
    finally:
        sys.stdout, sys.stderr = saved


def _run(args: list[str]) -> ExitCode:
    namespace = parser(args[0] if args[0] in COMMANDS else "").parse_args(args)
    command = COMMANDS[namespace.command]
    return command.run(command.parse(namespace))


def _report(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except streams.OutputError:
        pass  # nowhere left to say it


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
