"""Mutation testing of the engine: does the fast suite notice a one-line bug?

Two sets of mutants, each applied to a private copy of the checkout (the
working tree is never touched) and run against a subset of the suite:

  curated  the review's 14 one-line mutations (architecture.md section 5),
           re-anchored on today's code, and engine mutations written by hand
           (solver outcomes, miter, blame, sweep). Each names the exact text
           it replaces: a mutant whose text is gone is reported `stale`.
  auto     generated from the AST of the named files: a comparison flipped,
           `and`/`or` swapped, a `not` dropped, a small int +1, True/False
           swapped, an `if` condition forced False. `--sample N` runs a
           seeded sample of them.

A mutant is `killed` when the tests fail, `survived` when they pass, and
`timeout` past --timeout (on a loaded machine, run those again with more).
Engine files run against ENGINE_TESTS (about 10 s of CPU); the review's
mutants of other modules against the wider non-realtree suite.

    nice -n 10 .venv/bin/python bench/mutants.py curated
    nice -n 10 .venv/bin/python bench/mutants.py auto kltolint/fix.py --sample 40 --seed 1
    .venv/bin/python bench/mutants.py curated --only R13 --show   # print the mutant's diff

Survivors and why they may stay are listed in docs/mutation.md.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ("kltolint/logic", "kltolint/analysis", "kltolint/fix", "kltolint/sweep", "kltolint/witness")
ENGINE_TESTS = (
    "tests/test_mutants_engine.py", "tests/test_logic.py", "tests/logic", "tests/test_sweep.py", "tests/test_analysis.py",
    "tests/test_fix.py", "tests/test_witness.py", "tests/test_edited.py", "tests/test_redundant.py",
    "tests/test_review_sweep.py", "tests/test_dead.py", "tests/adversarial/test_fix.py", "tests/adversarial/test_cache.py",
)
# Everything but the real trees and the pre-commit hooks (those take minutes), and
# the lint/type guardrails: the copy has no bench/ or scripts/ for ruff, so they
# would fail for every mutant.
WIDE_TESTS = ("tests", "--ignore=tests/realtree", "--ignore=tests/test_precommit.py",
              "--ignore=tests/test_guardrails.py")
COPIED = ("kltolint", "tests", "rules", "fixtures", "pyproject.toml", "README.md", "docs")


@dataclass(frozen=True)
class Mutant:
    ident: str
    file: str
    old: str
    new: str
    what: str


R, E = "review", "engine"
CURATED: tuple[Mutant, ...] = (
    # -- the review's 14 (architecture.md section 5) ------------------------------------
    Mutant("R1", "kltolint/witness.py", '        out.append(f"probe {answer}: {probe.loc}: {text}")',
           "        pass", "witness._probes returns []"),
    Mutant("R2", "kltolint/witness.py", "            out.append(toolchain.version_window(name, low, high))",
           "            pass", "witness._versions drops every version"),
    # R3 (one hole per rule: `range(MAX_HOLES)` -> `range(1)`) is retired: the
    # loop was dead (a blamed line closes the whole combination) and is gone.
    Mutant("R4", "kltolint/findings.py", 'alternatives=tuple(_point(p) for p in as_list(d["alternatives"])),',
           "alternatives=(),", "from_data drops alternatives"),
    Mutant("R5", "kltolint/output.py", 'return text.replace(":", "%3A").replace(",", "%2C") if prop else text',
           "return text", "GitHub property escaping removed"),
    Mutant("R6", "kltolint/compat.py", "if self.kltolint_check_loops:", "if False:",
           "dependency-loop check never runs"),
    Mutant("R7", "kltolint/rules.py", "if rule.id in seen:", "if False:", "check_unique disabled"),
    Mutant("R8", "kltolint/tree.py", '(a == "um" and parts[1] == "x86")', "False",
           "um no longer reads arch/x86"),
    Mutant("R9", "kltolint/sweep.py", "if breakable and unnamed is None else",
           "if breakable else", "sweep stops refusing choice and probe guards"),
    Mutant("R10", "kltolint/fix.py", "for p in (finding.point, *finding.alternatives) if p is not None]",
           "for p in (finding.point,) if p is not None]", "Fixer never tries alternative edit points"),
    Mutant("R12", "kltolint/mail.py", 'f"From kltolint Thu Jan  1 00:00:00 1970\\n{m}\\n"', 'f"{m}\\n"',
           "mail: no mbox separator between replies"),
    Mutant("R13", "kltolint/fix.py",
           'return "the solver could not prove within its budget that nothing else changes"',
           'return ""', "miter 'unknown' treated as safe"),
    Mutant("R14", "kltolint/analysis.py", "(c.kind != preferred, blast.size(c.symbol), -c.depth,",
           "(c.kind != preferred, 0, -c.depth,", "blame ignores blast radius"),
    # -- logic: the semantics -----------------------------------------------------------
    Mutant("L1", "kltolint/logic/encoder.py", "default), self._rev(sym.name))", "default))",
           "select no longer raises its target"),
    Mutant("L2", "kltolint/logic/encoder.py", "self._and(weak, Tri(direct.m, direct.m))", "weak",
           "imply ignores the target's dependencies"),
    Mutant("L3", "kltolint/logic/encoder.py", "g.equal(tri.y, g.or_((raw.y, g.and_((raw.m, -self.modules)))))",
           "g.equal(tri.y, raw.y)", "a tristate at m stays m without MODULES"),
    Mutant("L4", "kltolint/logic/encoder.py", "        for i, a in enumerate(sels):\n            for b in sels[i + 1:]:\n"
           "                g.require(-a, -b)", "        pass", "a choice may pick two members"),
    Mutant("L5", "kltolint/logic/encoder.py", "if not choice.optional or self.model.choices_6_11:",
           "if not choice.optional:", "6.11+ optional choice may pick nothing"),
    Mutant("L6", "kltolint/logic/encoder.py",
           "conds = choice.prompts if choice.prompts and not self.model.choices_6_11 else (choice.direct_dep,)",
           "conds = (choice.direct_dep,)", "pre-6.11 choice members ignore the prompt condition"),
    Mutant("L7", "kltolint/logic/numeric.py", "out = self._clamped(out, ranges)", "pass",
           "a default outside the range is not clamped"),
    Mutant("L8", "kltolint/logic/numeric.py", '        if op == ">":\n            return self.ge(name, c + 1)',
           '        if op == ">":\n            return self.ge(name, c)', "int `>` reads as `>=`"),
    Mutant("L9", "kltolint/logic/numeric.py", "g.require(user)  # conf reads no negative hex value", "pass",
           "a hex symbol may be negative"),
    Mutant("L10", "kltolint/logic/encoder.py", "                    for i, a in enumerate(lits):\n"
           "                        for b in lits[i + 1:]:\n                            self.g.require(-a, -b)",
           "                    pass", "two toolchains at once"),
    Mutant("L11", "kltolint/logic/solve.py", "        if result is None:\n            return Unknown()",
           "        if result is None:\n            return Unsat(())", "the solver giving up reads as unsat"),
    Mutant("L12", "kltolint/logic/numeric.py", 'out = TRUE if text == "" else FALSE', "out = FALSE",
           "a string with no default is not \"\""),
    Mutant("L13", "kltolint/logic/circuit.py", "if lit == FALSE or -lit in seen:", "if lit == FALSE:",
           "and-gate no longer folds a and !a"),
    Mutant("L14", "kltolint/logic/encoder.py",
           "parts = [self.value(edge.source), self._expr(edge.cond), self.added_depends(edge.source)]",
           "parts = [self.value(edge.source), self._expr(edge.cond)]",
           "an added depends on a selector does not gate its selects"),
    Mutant("L15", "kltolint/logic/encoder.py", '        if isinstance(expr, Not):\n            inner = self._value(expr.arg)\n'
           "            return Tri(-inner.y, -inner.m)",
           '        if isinstance(expr, Not):\n            inner = self._value(expr.arg)\n'
           "            return Tri(-inner.m, -inner.y)", "negated default value: m and y swapped"),
    # -- analysis: blame ------------------------------------------------------------------
    Mutant("A1", "kltolint/analysis.py", "return all(name in model.symbols for name in E.symbols(rule.forbid))",
           "return True", "a rule applies on an arch lacking its symbols"),
    Mutant("A2", "kltolint/analysis.py", "        if cand.kind == \"depends\" and model.incoming(\"select\", cand.symbol)"
           " and cand.depth == 0:\n            continue", "        pass",
           "gating a selected subject is tried"),
    Mutant("A3", "kltolint/analysis.py", "        if not blast.disjoint(cand.symbol, E.symbols(guard)):\n            continue",
           "        pass", "a guard may gate a symbol it reads (a loop)"),
    Mutant("A4", "kltolint/analysis.py",
           "if isinstance(query.find([goal, *(lit if j == i else -lit for j, lit in enumerate(lits))]), Unsat)]",
           "if not isinstance(query.find([goal, *(lit if j == i else -lit for j, lit in enumerate(lits))]), Unsat)]",
           "blame keeps a candidate that does not close the hole"),
    Mutant("A5", "kltolint/analysis.py", 'selects = [e for e in model.incoming("select", name) if found(enc.edge_value(e).m)]',
           'selects = list(model.incoming("select", name))', "explain blames selects that are off"),
    Mutant("A6", "kltolint/analysis.py", 'candidates.append(Candidate("default", name, None, depth, active))',
           "pass", "no default candidates"),
    # A7 (the blamed hole not assumed closed) is retired with the hole loop.
    Mutant("A8", "kltolint/analysis.py", "if all(name in model.symbols for name in E.symbols(guard)):",
           "if True:", "guard_for ignores which symbols exist"),
    Mutant("A9", "kltolint/analysis.py", "                        seen.add(user)\n                        todo.append(user)",
           "                        seen.add(user)", "blast radius: one level only"),
    Mutant("A10", "kltolint/analysis.py", "preferred = STRATEGIES[rule.fix.strategy].edit_kind", 'preferred = "select"',
           "the rule's strategy is ignored"),
    # -- sweep ------------------------------------------------------------------------------
    Mutant("S1", "kltolint/sweep.py", 'return Tri(tri.m, tri.m) if sym.type == "bool" else tri', "return tri",
           "a bool's dependency at m no longer counts as y"),
    Mutant("S2", "kltolint/sweep.py", "            if needed <= set(conjuncts(edge.cond)):\n"
           "                continue  # the select's own condition holds every dependency", "            pass",
           "every edge goes to the solver"),
    Mutant("S3", "kltolint/sweep.py", "if sym.direct_dep == E.Y or sym.choice is not None:",
           "if sym.direct_dep == E.Y:", "choice members are swept"),
    Mutant("S4", "kltolint/sweep.py", "if scope is not None and not _touches(sym, edge, scope):", "if False:",
           "scope ignored"),
    Mutant("S5", "kltolint/sweep.py",
           "if isinstance(query.find([unmet(enc, sym, edge, c)]), Sat)]", "]",
           "the guard holds every conjunct, breakable or not"),
    Mutant("S6", "kltolint/sweep.py", "return list(dict.fromkeys([(edge_tri.y, -dep_tri.y), (edge_tri.m, -dep_tri.m)]))",
           "return [(edge_tri.m, -dep_tri.m)]", "unmet: only `selected, dependency n`"),
    Mutant("S8", "kltolint/sweep.py", "if all(query.propagation_refutes(case) for case in cases):",
           "if any(query.propagation_refutes(case) for case in cases):",
           "a select met one way is taken as met"),
    Mutant("S7", "kltolint/sweep.py", "elif selected_y and not found(dep.y):", "elif False:",
           "unmet text drops the `(m, selected y)` part"),
    # -- fix: verification and the miter -------------------------------------------------
    Mutant("F1", "kltolint/fix.py", "if own and self.finding.key() in {f.key() for f in after}:",
           "if False:", "a fix that leaves the finding is accepted"),
    Mutant("F2", "kltolint/fix.py", "            if new:\n                return ArchVerdict", "            if False:\n"
           "                return ArchVerdict", "a fix that causes a new finding is accepted"),
    Mutant("F3", "kltolint/sweep.py", "return lambda enc: unmet(enc, sym, edge)",
           "return lambda enc: enc.value(edge.source).m", "sweep forbidden region: the whole selector"),
    Mutant("F4", "kltolint/logic/miter.py", "if settable(before, n) or settable(after, n)}",
           "if settable(before, n)}", "a symbol the edit makes settable is not compared"),
    Mutant("F5", "kltolint/logic/miter.py", "query.decide([outside, miter.differ(a, b)], left)",
           "query.decide([miter.differ(a, b)], left)", "the miter ignores the forbidden region"),
    Mutant("F18", "kltolint/logic/miter.py", "            if isinstance(outcome, Unsat):\n                if not _choice",
           "            if not isinstance(outcome, Unknown):\n                if not _choice",
           "the sweep reads a symbol that changes from the original"),
    Mutant("F19", "kltolint/logic/miter.py", "if x != y and not (query.propagation_refutes([outside, x, -y]) and ",
           "if x != y and not (query.propagation_refutes([outside, x, -y]) or ",
           "propagation proves equality one way only"),
    Mutant("F20", "kltolint/logic/miter.py", "if reads is not None and all(n in identified or n not in cone for n in reads):",
           "if reads is not None:", "the sweep takes a same definition for the same value, whatever it reads"),
    Mutant("F6", "kltolint/fix.py", "return isinstance(same_values(before, after, name, pairs, MITER_CONFLICTS), Unsat)",
           "return True", "every direct edit changes no value"),
    Mutant("F7", "kltolint/fix.py", "or old_sym.type not in BOOL_TYPES or old_sym.choice is not None:",
           "or old_sym.type not in BOOL_TYPES:", "choice members take the small miter"),
    Mutant("F8", "kltolint/fix.py", "        if results[arch].note:\n            unsafe.append(results[arch].note)",
           "        pass", "a collateral change is not reported"),
    Mutant("F9", "kltolint/fix.py", '            if info.applicability == "safe":\n                return info, manifests',
           "            pass", "the first safe point is not preferred"),
    Mutant("F10", "kltolint/fix.py", 'return next((info for info in tried if info.applicability == "unsafe"), tried[0])',
           "return tried[0]", "a verified unsafe fix loses to an unverified one"),
    Mutant("F11", "kltolint/fix.py", 'wanted = ("safe", "unsafe") if unsafe else ("safe",)',
           'wanted = ("safe", "unsafe")', "--fix applies unsafe fixes"),
    Mutant("F12", "kltolint/fix.py", "return finding.guard in {E.to_str(g) for g in rule.fix.guards}", "return True",
           "any guard is written into the tree"),
    Mutant("F13", "kltolint/fix.py", "            if edits == cached.edits:", "            if True:",
           "a cached fix's edits are not re-derived"),
    Mutant("F14", "kltolint/fix.py", 'return f"({text})" if isinstance(E.parse(text), E.Or) else text', "return text",
           "an `||` condition is not parenthesised"),
    Mutant("F15", "kltolint/fix.py", "    if depends:\n        return depends[-1]", "    pass",
           "a new depends goes before the existing ones"),
    Mutant("F16", "kltolint/fix.py", "        if no_value_changes:\n            return \"\"",
           "        return \"\"", "a direct edit is never compared"),
    Mutant("F17", "kltolint/fix.py", "        if self.known(arch) != []:\n            return None",
           "        if False:\n            return None", "an arch whose findings are not at hand is taken as clean"),
)


# -- generated mutants ----------------------------------------------------------------

FLIP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
        ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


def _sites(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """(node, how) for every place a generated mutant can change."""
    out: list[tuple[ast.AST, str]] = []
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in FLIP:
            out.append((node, "flip"))
        elif isinstance(node, ast.BoolOp):
            out.append((node, "andor"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            out.append((node, "unnot"))
        elif isinstance(node, ast.Constant) and id(node) not in docstrings:
            if isinstance(node.value, bool):
                out.append((node, "bool"))
            elif isinstance(node.value, int) and 0 <= node.value < 1000:
                out.append((node, "int"))
        elif isinstance(node, (ast.If, ast.While)) and not _is_type_checking(node.test):
            out.append((node, "iffalse"))
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _mutate(node: ast.AST, how: str) -> None:
    if how == "flip":
        assert isinstance(node, ast.Compare)
        node.ops[0] = FLIP[type(node.ops[0])]()
    elif how == "andor":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif how == "unnot":
        assert isinstance(node, ast.UnaryOp)
        node.op = ast.UAdd()  # `+x` stands for `x` without moving the node: fixed below
    elif how == "bool":
        assert isinstance(node, ast.Constant)
        node.value = not node.value
    elif how == "int":
        assert isinstance(node, ast.Constant)
        node.value = node.value + 1
    else:
        assert isinstance(node, (ast.If, ast.While))
        node.test = ast.Constant(False)


class _DropUAdd(ast.NodeTransformer):
    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        return node.operand if isinstance(node.op, ast.UAdd) else node


def sites(files: list[str]) -> list[tuple[str, int]]:
    """(file, k): the k-th mutable place of each file."""
    return [(rel, k) for rel in files for k in range(len(_sites(ast.parse((ROOT / rel).read_text()))))]


def generated(places: list[tuple[str, int]]) -> list[Mutant]:
    out = []
    for rel, k in places:
        text = (ROOT / rel).read_text()
        tree = ast.parse(text)
        node, how = _sites(tree)[k]
        line = getattr(node, "lineno", 0)
        _mutate(node, how)
        new = ast.unparse(ast.fix_missing_locations(_DropUAdd().visit(tree)))
        out.append(Mutant(f"{Path(rel).stem}:{line}:{how}:{k}", rel, text, new, f"{how} at {rel}:{line}"))
    return out


# -- running -------------------------------------------------------------------------

def _engine_files() -> list[str]:
    """logic, analysis, fix and sweep: a module, or every module of a package of that name."""
    out = []
    for stem in ENGINE[:4]:
        package = ROOT / stem
        out += ([str(f.relative_to(ROOT)) for f in sorted(package.glob("*.py"))] if package.is_dir()
                else [f"{stem}.py"])
    return out


def _tests_for(mutant: Mutant) -> tuple[str, ...]:
    return ENGINE_TESTS if mutant.file.startswith(ENGINE) else WIDE_TESTS


def _run_tests(work: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, float]:
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    existing = tuple(t for t in tests if t.startswith("-") or (work / t).exists())
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                              "-p", "no:randomly", *existing], cwd=work, env=env, capture_output=True,
                             text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started
    took = time.monotonic() - started
    # Any failure counts, an import the mutant broke (pytest's exit 2) included.
    return ("survived" if run.returncode == 0 else "killed"), took


def _apply(mutant: Mutant, text: str) -> str | None:
    if mutant.old == text:  # generated: the whole module
        return mutant.new
    if text.count(mutant.old) != 1:
        return None
    return text.replace(mutant.old, mutant.new)


def show(mutant: Mutant) -> str:
    text = (ROOT / mutant.file).read_text() if (ROOT / mutant.file).is_file() else ""
    new = _apply(mutant, text) if text else None
    if new is None:
        return f"{mutant.ident}: stale (the text is not in {mutant.file} exactly once)\n"
    if mutant.old == text:  # generated: compare with the module as ast.unparse writes it
        text = ast.unparse(ast.parse(text))
    return "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), mutant.file, mutant.file, n=1))


def run(mutants: list[Mutant], timeout: float, tests: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    results: dict[str, list[str]] = {"killed": [], "survived": [], "timeout": [], "stale": []}
    with tempfile.TemporaryDirectory(prefix="kltolint-mutants-") as tmp:
        work = Path(tmp)
        for name in COPIED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif src.exists():
                shutil.copy2(src, work / name)
        for mutant in mutants:
            path = work / mutant.file
            original = path.read_text() if path.is_file() else ""
            new = _apply(mutant, original) if original else None
            if new is None:
                results["stale"].append(mutant.ident)
                print(f"{mutant.ident:18} stale      {mutant.what}", flush=True)
                continue
            path.write_text(new)
            try:
                status, took = _run_tests(work, tests or _tests_for(mutant), timeout)
            finally:
                path.write_text(original)
            results[status].append(mutant.ident)
            print(f"{mutant.ident:18} {status:9} {took:5.1f}s  {mutant.what}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=("curated", "auto"))
    parser.add_argument("files", nargs="*", default=list(_engine_files()),
                        help="auto: the files to mutate (default: logic, analysis, fix, sweep)")
    parser.add_argument("--only", action="append", default=[], help="run only these mutant ids")
    parser.add_argument("--sample", type=int, default=0, help="auto: a seeded sample of this many")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant (then killed)")
    parser.add_argument("--tests", nargs="+", help="run these test paths instead of the default subset")
    parser.add_argument("--show", action="store_true", help="print the mutants' diffs, run nothing")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = parser.parse_args(argv)
    # A kill ends the run like ^C: the running tests are stopped and the copy removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.set == "curated":
        mutants = [m for m in CURATED if not args.only or m.ident in args.only]
    else:
        places = sites(args.files)
        if args.sample and args.sample < len(places):
            places = random.Random(args.seed).sample(places, args.sample)
        if args.only:  # ids end in the place's index: file stem and k
            wanted = {(i.split(":")[0], int(i.split(":")[-1])) for i in args.only}
            places = [(f, k) for f, k in places if (Path(f).stem, k) in wanted]
        mutants = sorted(generated(places), key=lambda m: m.ident)
    if args.show or args.list:
        for mutant in mutants:
            print(show(mutant) if args.show else f"{mutant.ident:18} {mutant.what}")
        return 0
    results = run(mutants, args.timeout, tuple(args.tests) if args.tests else None)
    counts = ", ".join(f"{len(v)} {k}" for k, v in results.items())
    print(f"{len(mutants)} mutants: {counts}")
    if results["survived"]:
        print("survived: " + " ".join(results["survived"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
