"""The command lines of `query` and `explain` (registered by cli)."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import sys
from pathlib import Path
from typing import TextIO

from kltolint.errors import UserError
from kltolint.tree import Tree, find_root

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


def add_parsers(sub: argparse._SubParsersAction) -> None:
    query = sub.add_parser("query", help="can any configuration make a Kconfig expression hold?",
                           description="Ask the model whether a Kconfig expression can hold in a valid "
                                       "configuration: a minimal witness if so, the lines that rule it out if not.",
                           epilog=QUERY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    query.add_argument("expr", metavar="EXPR", help="a Kconfig expression, e.g. 'LTO_CLANG_THIN && KASAN'")
    _common(query)
    explain = sub.add_parser("explain", help="why a symbol has its value in a .config, and how to change it",
                             description="Explain a symbol's value in a .config: the failing dependencies, "
                                         "selects and defaults, back to symbols the user can set, and the "
                                         "smallest change that gives it the value asked.",
                             epilog=EXPLAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the answer cache")
    parser.add_argument("--cache-dir", metavar="DIR", help="cache location (as for check)")


def _tree(args: argparse.Namespace) -> Tree:
    root = Path(args.tree).resolve() if args.tree else find_root([])
    if not (root / "Kconfig").is_file():
        raise UserError("not a kernel tree (no Kconfig file)", str(root))
    return Tree(root)


def _arches(tree: Tree, asked: list[str]) -> list[str]:
    from kltolint.query import ALIASES

    known = tree.arches()
    for arch in asked:
        if arch not in known and arch not in ALIASES:
            raise UserError(f"unknown arch {arch!r} (this tree has: {', '.join(known)})")
    return list(dict.fromkeys(asked)) or known


def run(args: argparse.Namespace) -> int:
    """Answer from the cache when the tree and the question are unchanged."""
    from kltolint.answers import Answers
    from kltolint.cache import default_dir

    tree = _tree(args)
    question = {k: v for k, v in sorted(vars(args).items()) if k not in ("tree", "no_cache", "cache_dir")}
    if args.command == "explain":
        from kltolint.explain import config_bytes

        question["config_sha256"] = hashlib.sha256(config_bytes(Path(args.config))).hexdigest()
    key = json.dumps(question, sort_keys=True)
    store = None if args.no_cache else Answers(Path(args.cache_dir) if args.cache_dir else default_dir())
    hit = store.get(tree, "", key) if store else None
    if hit is not None:
        sys.stdout.write(hit["output"])
        return int(hit["code"])
    out = io.StringIO()
    manifests: list = []
    if args.command == "query":
        code = run_query(args, tree, out, manifests)
    else:
        from kltolint import explain

        code = explain.run(args, tree, out, manifests)
    sys.stdout.write(out.getvalue())
    if store:
        store.put(tree, "", key, manifests, {"output": out.getvalue(), "code": code})
    return code


def _known_symbols(tree: Tree, arches: list[str], goal, facts, first) -> None:
    from kltolint import query as Q

    missing = set(Q.undefined(first.model, goal))
    for arch in arches[1:]:  # only while no arch so far defines it
        if not missing:
            return
        missing &= set(Q.undefined(Q.prepare(tree, arch, goal, facts).model, goal))
    if missing:
        raise UserError(f"unknown symbol {sorted(missing)[0]} (defined on none of: {', '.join(arches)})")


def _answer_one(job: tuple[str, str, str, list[str]]):
    """One arch's answer and the manifest of its load (runs in a worker)."""
    from kltolint import query as Q
    from kltolint.cache import Manifest
    from kltolint.source import Sources
    from kltolint.toolfacts import parse_facts

    root, arch, expr, facts = job
    tree = Tree(Path(root))
    asked = Q.prepare(tree, arch, Q.parse_goal(expr), parse_facts(facts))
    return Q.answer(asked, Sources(tree)), Manifest.of(asked.record)


def run_query(args: argparse.Namespace, tree: Tree, stdout: TextIO, manifests: list) -> int:
    from kltolint import query as Q
    from kltolint.cache import Manifest
    from kltolint.source import Sources
    from kltolint.toolfacts import parse_facts

    goal = Q.parse_goal(args.expr)
    facts = parse_facts(args.toolchain)
    arches = _arches(tree, args.arch)
    # The first arch here: a name no arch defines is a typo, reported before solving anything.
    asked = Q.prepare(tree, arches[0], goal, facts)
    _known_symbols(tree, arches, goal, facts, asked)
    manifests.append(Manifest.of(asked.record))
    answers = [Q.answer(asked, Sources(tree))]
    jobs = [(str(tree.root), arch, args.expr, list(args.toolchain)) for arch in arches[1:]]
    workers = min(os.cpu_count() or 1, len(jobs))
    if workers > 1 and not tree.overlay:
        # Forked workers, one arch each (as check does): memory goes back after every arch.
        with multiprocessing.get_context("fork").Pool(workers, maxtasksperchild=1) as pool:
            results = pool.map(_answer_one, jobs, chunksize=1)
    else:
        results = [_answer_one(job) for job in jobs]
    for answer, manifest in results:
        answers.append(answer)
        manifests.append(manifest)
    if args.format == "json":
        json.dump(Q.to_data(args.expr, args.toolchain, answers), stdout, indent=2)
        stdout.write("\n")
    else:
        stdout.write(Q.render_text(args.expr, answers))
    return 0 if all(a.reachable for a in answers) else 1
