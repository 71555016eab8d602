"""`kltolint query` and `kltolint explain`: asking the model, with the answer
cache in front (the same question on an unchanged tree is answered from it)
and saved models behind it (a new question on an unchanged tree reads the
arch's saved model instead of loading it: saved.py)."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from kltolint.commands import Command, ExitCode, open_tree
from kltolint.errors import UserError
from kltolint.tree import Tree

if TYPE_CHECKING:
    from kltolint import expr as E
    from kltolint.cache import Manifest
    from kltolint.query import Answer, ArchLoad, Asked
    from kltolint.saved import Models
    from kltolint.toolfacts import Fact

QUERY_EPILOG = """\
examples:
  kltolint query 'LTO_CLANG_THIN && KASAN' --arch arm64 --toolchain gcc
  kltolint query 'HAS_LTO_CLANG && FUNCTION_TRACER' --arch i386 --toolchain LLVM=1

--toolchain facts (repeatable, or comma-separated): gcc, clang, gcc-N, clang-N,
LLVM=1, LLVM=-N, LLVM_IAS=0, LD=ld.bfd, LD=ld.lld, CC=..., a condition on the
toolchain's symbols (CLANG_VERSION >= 170000), probe:TEXT=y|n (every probe
whose command contains TEXT answers y or n).

exit status: 0 reachable on every arch asked, 1 unreachable on some, 2 bad input
"""

EXPLAIN_EPILOG = """\
examples:
  kltolint explain LTO_CLANG_FULL --config .config --arch arm64
  kltolint explain KASAN=y --config .config --arch arm64

exit status: 0 SYMBOL has VALUE (or it can be given by the change set shown),
1 no change of the user's choices gives it, 2 bad input
"""


@dataclass(frozen=True)
class QueryOptions:
    """`kltolint query`'s options, parsed once."""

    expr: str
    arch: tuple[str, ...]
    tree: str | None
    toolchain: tuple[str, ...]
    format: Literal["text", "json"]
    no_cache: bool
    cache_dir: str | None


@dataclass(frozen=True)
class ExplainOptions:
    """`kltolint explain`'s options, parsed once."""

    symbol: str
    config: str
    arch: tuple[str, ...]
    tree: str | None
    toolchain: tuple[str, ...]
    format: Literal["text", "json"]
    no_cache: bool
    cache_dir: str | None


def add_query_arguments(query: argparse.ArgumentParser) -> None:
    query.add_argument("expr", metavar="EXPR", help="a Kconfig expression, e.g. 'LTO_CLANG_THIN && KASAN'")
    _common(query)


def add_explain_arguments(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("symbol", metavar="SYMBOL[=VALUE]", help="the symbol (VALUE: y, m or n; default y)")
    explain.add_argument("--config", required=True, metavar="FILE", help="the .config to explain")
    _common(explain)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arch", action="append", default=[], metavar="A",
                        help="arch as ARCH= names it (arm64, x86, i386, ...); repeatable")
    parser.add_argument("--tree", metavar="DIR", help="kernel tree root (default: the one holding the cwd)")
    parser.add_argument("--toolchain", action="append", default=[], metavar="FACT",
                        help="fix a toolchain fact (gcc, clang, LLVM=1, LD=ld.bfd, clang-19, ...)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the answer cache and saved models")
    parser.add_argument("--cache-dir", metavar="DIR", help="cache location (as for check)")


def _arches(tree: Tree, asked: tuple[str, ...]) -> list[str]:
    from kltolint.query import ALIASES

    known = tree.arches()
    for arch in asked:
        if arch not in known and arch not in ALIASES:
            raise UserError(f"unknown arch {arch!r} (this tree has: {', '.join(known)})")
    return list(dict.fromkeys(asked)) or known


def run_query(opts: QueryOptions) -> ExitCode:
    return _answered("query", opts)


def run_explain(opts: ExplainOptions) -> ExitCode:
    return _answered("explain", opts)


def _answered(command: Literal["query", "explain"], opts: QueryOptions | ExplainOptions) -> ExitCode:
    """Answer from the cache when the tree and the question are unchanged."""
    from kltolint.answers import Answers, config_bytes
    from kltolint.cache import location

    tree = open_tree(opts.tree)
    asked = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(opts).items()}
    question: dict[str, Any] = {"command": command, **{k: v for k, v in sorted(asked.items())
                                                      if k not in ("tree", "no_cache", "cache_dir")}}
    data = None
    if isinstance(opts, ExplainOptions):  # read once: a pipe gives its bytes once, a file may change
        data = config_bytes(Path(opts.config))
        question["config_sha256"] = hashlib.sha256(data).hexdigest()
    key = json.dumps(question, sort_keys=True)
    store = None if opts.no_cache else Answers(location(opts.cache_dir))
    hit = store.get(tree, "", key) if store else None
    if hit is not None:
        output, code = hit["output"], hit["code"]
        assert isinstance(output, str) and isinstance(code, int)  # Answers.get checked both
        sys.stdout.write(output)
        return ExitCode(code)
    from kltolint.saved import Malformed  # a miss: the model is needed (and the solver)

    out = io.StringIO()
    manifests: list[Manifest] = []
    models = None if store is None else _models(opts.cache_dir)
    try:
        try:
            code = _asked(command, opts, tree, out, manifests, models, data)
        except Malformed:  # a part of a saved model, read while answering, was not as saved
            assert models is not None
            models.distrust()
            out, manifests = io.StringIO(), []
            code = _asked(command, opts, tree, out, manifests, models, data)
    except UserError:
        if models is not None:
            models.save_detached()  # a typo: the arch was loaded all the same
        raise
    sys.stdout.write(out.getvalue())
    if store:
        store.put(tree, "", key, manifests, {"output": out.getvalue(), "code": int(code)})
    if models is not None:
        models.save_detached()  # for the next question; the prompt comes back now
    return code


def _asked(command: Literal["query", "explain"], opts: QueryOptions | ExplainOptions, tree: Tree, out: TextIO,
           manifests: list[Manifest], models: Models | None, data: bytes | None = None) -> ExitCode:
    """The answer, written to `out`; models from `models` (None: loaded fresh, not saved);
    `data`: explain's .config bytes, as read for the question's key."""
    if isinstance(opts, QueryOptions):
        return _query(opts, tree, out, manifests, models)
    from kltolint import explain
    from kltolint.query import load_fresh

    with collector_paused(last=True):  # one arch
        return ExitCode(explain.run(opts.symbol, Path(opts.config), opts.arch, opts.toolchain, opts.format,
                                    tree, out, manifests, models.load if models else load_fresh, data))


@contextmanager
def collector_paused(last: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector off while one arch is answered.
    An answer builds some hundreds of thousands of objects that live until
    it is written (the model read back, the circuits) and hardly any cyclic
    garbage, and every full collection walks them all again: about a third
    of a warm answer's time. Per arch, so that a query of many arches in one
    process gives each arch's garbage back before the next.

    `last`: the command answers no other arch in this process. What the
    answer made is then frozen out of the collector (gc.freeze, as compat
    does with a lasting parse) before it is back on: all of it was made
    while the collector was off, so its next collection, and the one at
    exit, would walk every object again to find nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if last and was:
            gc.freeze()
        if was:
            gc.enable()


def _models(cache_dir: str | None) -> Models:
    from kltolint.cache import location
    from kltolint.saved import Models

    return Models(location(cache_dir))


def _known_symbols(tree: Tree, arches: list[str], goal: E.Expr, facts: list[Fact], first: Asked,
                   load: ArchLoad) -> None:
    from kltolint import query as Q

    missing = set(Q.undefined(first.model, goal))
    for arch in arches[1:]:  # only while no arch so far defines it
        if not missing:
            return
        missing &= set(Q.undefined(Q.prepare(tree, arch, goal, facts, load).model, goal))
    if missing:
        raise UserError(f"unknown symbol {sorted(missing)[0]} (defined on none of: {', '.join(arches)})")


def _answer_one(job: tuple[str, str, str, list[str], str | None]) -> tuple[Answer, Manifest]:
    """One arch's answer and the manifest of its load (runs in a worker; a
    load it made is saved there, `cache_dir` None: no saved models)."""
    from kltolint import query as Q
    from kltolint.cache import Manifest
    from kltolint.saved import Malformed
    from kltolint.source import Sources
    from kltolint.toolfacts import parse_facts

    root, arch, expr, facts, cache_dir = job
    tree = Tree(Path(root))
    models = _models(cache_dir) if cache_dir is not None else None

    def asked_and_answered() -> tuple[Asked, Answer]:
        asked = Q.prepare(tree, arch, Q.parse_goal(expr), parse_facts(facts), models.load if models else Q.load_fresh)
        return asked, Q.answer(asked, Sources(tree))
    with collector_paused():
        try:
            asked, answer = asked_and_answered()
        except Malformed:  # as in _answered: asked again on a fresh load
            assert models is not None
            models.distrust()
            asked, answer = asked_and_answered()
    if models is not None:
        models.save_pending()
    return answer, Manifest.of(asked.record)


def _query(opts: QueryOptions, tree: Tree, stdout: TextIO, manifests: list[Manifest],
           models: Models | None) -> ExitCode:
    from kltolint import query as Q
    from kltolint.cache import Manifest, location
    from kltolint.source import Sources
    from kltolint.toolfacts import parse_facts

    goal = Q.parse_goal(opts.expr)
    facts = parse_facts(list(opts.toolchain))
    arches = _arches(tree, opts.arch)
    load = models.load if models is not None else Q.load_fresh
    if len(arches) == 1:
        with collector_paused(last=True):
            asked = Q.prepare(tree, arches[0], goal, facts, load)
            _known_symbols(tree, arches, goal, facts, asked, load)
            manifests.append(Manifest.of(asked.record))
            answers = [Q.answer(asked, Sources(tree))]
    else:
        # The first arch here: a name no arch defines is a typo, reported before solving anything.
        with collector_paused():
            asked = Q.prepare(tree, arches[0], goal, facts, load)
        _known_symbols(tree, arches, goal, facts, asked, load)  # may load every arch: collected as usual
        manifests.append(Manifest.of(asked.record))
        with collector_paused():
            answers = [Q.answer(asked, Sources(tree))]
    cache_dir = None if models is None else str(location(opts.cache_dir))
    jobs = [(str(tree.root), arch, opts.expr, list(opts.toolchain), cache_dir) for arch in arches[1:]]
    workers = min(os.cpu_count() or 1, len(jobs))
    if workers > 1 and not tree.overlay:
        # Forked workers, one arch each (as check does): memory goes back after every arch.
        from kltolint.workers import forked  # only for several arches

        answered: dict[int, tuple[Answer, Manifest]] = {}
        forked(lambda index: _answer_one(jobs[index]), len(jobs), workers, answered.__setitem__)
        results = [answered[index] for index in range(len(jobs))]
    else:
        results = [_answer_one(job) for job in jobs]
    for answer, manifest in results:
        answers.append(answer)
        manifests.append(manifest)
    if opts.format == "json":
        from kltolint.output import json_text  # a byte that was not UTF-8 in a Kconfig line: no lone surrogate

        stdout.write(json_text(Q.to_data(opts.expr, list(opts.toolchain), answers)) + "\n")
    else:
        stdout.write(Q.render_text(opts.expr, answers))
    return ExitCode.found(not all(a.reachable for a in answers))


QUERY = Command(help="can any configuration make a Kconfig expression hold?", add_arguments=add_query_arguments,
                options=QueryOptions, run=run_query,
                description="Ask the model whether a Kconfig expression can hold in a valid "
                            "configuration: a minimal witness if so, the lines that rule it out if not.",
                epilog=QUERY_EPILOG)
EXPLAIN = Command(help="why a symbol has its value in a .config, and how to change it",
                  add_arguments=add_explain_arguments, options=ExplainOptions, run=run_explain,
                  description="Explain a symbol's value in a .config: the failing dependencies, "
                              "selects and defaults, back to symbols the user can set, and the "
                              "smallest change that gives it the value asked.",
                  epilog=EXPLAIN_EPILOG)
