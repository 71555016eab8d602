"""Modules use one another through public names only.

Every module of the package is parsed (never imported) and two reaches are
refused: `from kltolint.x import _private`, and `obj._name` where `obj` is
not `self`, `cls` or `super()` and `_name` is not defined in the module
itself (a module may use its own private names on any object of its own
classes). Dunder names are public.

Logic's objects also have members only logic may use (LOGIC_ONLY): the raw
pysat solver behind a Query and its `solve`, which reads Unsat as None, and
the gate builder `g` of an Encoder or Inputs;
every other module asks `Query.find` (or, with a budget, `decide`) for an outcome.

Modules other helpers were changing when this test was written keep their
remaining reaches in ALLOWED, by (module, name): shrink it as they are fixed;
an entry nothing needs any more fails the test, so the list cannot rot.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kltolint"

# (module, private name) -> why it is still there. Module names are relative
# to the package, as "cli" or "logic.encoder".
ALLOWED: dict[tuple[str, str], str] = {
    # Load helper (issue 12, item 4): the kconfiglib process hacks live in compat/load.
    ("compat", "_T_DEPENDS"): "kconfiglib token, read by the patched parser",
    ("compat", "_T_IF"): "kconfiglib token, read by the patched parser",
    ("load", "_dependents"): "kconfiglib item's dependents, for the loop check",
}


# Members of logic's objects that no module outside kltolint/logic may use
# (checked by name: no other object of the package has them), and why.
LOGIC_ONLY: dict[str, str] = {
    "solver": "the pysat solver behind a Query: use find, decide, prefer, satisfiable",
    "g": "the gate builder of an Encoder or Inputs: use require, all_of, any_of, selector, var",
}
# Methods no module outside kltolint/logic may call (`Stats.solve` is a field).
LOGIC_ONLY_CALLS: dict[str, str] = {
    "solve": "Query.solve gives None for Unsat (kept for tests): use find, whose Sat | Unsat cannot be misread",
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts) or "__init__"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_here(tree: ast.AST) -> set[str]:
    """Private names the module defines: functions, classes, module and class
    variables, and attributes it assigns (`self._x = ...`)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
    return {name for name in out if _is_private(name)}


def _is_own(value: ast.expr) -> bool:
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super")


def violations(source: str, module: str) -> list[tuple[str, str, int]]:
    """(module, private name, line) for every reach into another module's internals."""
    tree = ast.parse(source)
    own = _defined_here(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").split(".")[0] == "kltolint"):
            out += [(module, alias.name, node.lineno) for alias in node.names if _is_private(alias.name)]
        elif (isinstance(node, ast.Attribute) and _is_private(node.attr) and not _is_own(node.value)
              and node.attr not in own):
            out.append((module, node.attr, node.lineno))
    return out


def logic_reaches(source: str, module: str) -> list[tuple[str, str, int]]:
    """(module, member, line) for every use of a LOGIC_ONLY member outside logic."""
    if module == "logic" or module.startswith("logic."):
        return []
    tree = ast.parse(source)
    calls = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return sorted((module, node.attr, node.lineno) for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute)
                  and (node.attr in LOGIC_ONLY or (node.attr in LOGIC_ONLY_CALLS and id(node) in calls)))


def _all_violations() -> list[tuple[str, str, int]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        out += violations(path.read_text(encoding="utf-8"), _module_name(path))
    return out


def test_modules_use_only_public_names_of_other_modules() -> None:
    found = [f"kltolint/{module.replace('.', '/')}.py:{line}: {name}"
             for module, name, line in _all_violations() if (module, name) not in ALLOWED]
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_the_allowlist_has_no_stale_entry() -> None:
    needed = {(module, name) for module, name, _ in _all_violations()}
    stale = sorted(set(ALLOWED) - needed)
    assert not stale, f"fixed: remove from ALLOWED in {Path(__file__).name}: {stale}"


def test_the_check_sees_both_kinds_of_reach() -> None:
    source = (
        "from kltolint.logic import Encoder, _number\n"
        "from .fix import _split_if\n"
        "class Mine:\n"
        "    def __init__(self):\n"
        "        self._own = 1\n"
        "    def f(self, enc, other):\n"
        "        return enc._edge(1), other._own, self._own, super()._own, enc.__class__\n"
    )
    assert violations(source, "m") == [("m", "_number", 1), ("m", "_split_if", 2), ("m", "_edge", 7)]


def test_only_logic_uses_the_solver_and_its_gates() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        found += [f"kltolint/{path.relative_to(PACKAGE)}:{line}: .{name}: {LOGIC_ONLY.get(name) or LOGIC_ONLY_CALLS[name]}"
                  for _, name, line in logic_reaches(path.read_text(encoding="utf-8"), module)]
    assert not found, "logic's internals used outside kltolint/logic:\n" + "\n".join(found)


def test_the_logic_check_sees_each_member() -> None:
    source = (
        "def f(query, enc, stats):\n"
        "    query.solver.get_core()\n"
        "    found = query.solve([1])\n"
        "    enc.g.require(1)\n"
        "    return stats.solve, query.decide([1]), enc.any_of([1])\n"
    )
    assert [(name, line) for _, name, line in logic_reaches(source, "witness")] == [
        ("g", 4), ("solve", 3), ("solver", 2)]
    assert logic_reaches(source, "logic.solve") == []


def kind_name_tests(source: str) -> list[int]:
    """Lines that compare a `.kind` with a rule kind's name (rules.KINDS):
    what a kind does is asked of its registry entry (analysis.RULE_KINDS)."""
    from kltolint.rules import KINDS

    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if (any(isinstance(s, ast.Attribute) and s.attr == "kind" for s in sides)
                    and any(isinstance(s, ast.Constant) and s.value in KINDS for s in sides)):
                out.append(node.lineno)
    return out


def test_no_module_switches_on_a_rule_kind_by_name() -> None:
    found = [f"kltolint/{path.relative_to(PACKAGE)}:{line}" for path in sorted(PACKAGE.rglob("*.py"))
             for line in kind_name_tests(path.read_text(encoding="utf-8"))]
    assert found == []
    assert kind_name_tests('if rule.kind == "unmet-select" or x.kind != "select":\n    pass\n') == [1]


def test_every_module_and_public_class_has_a_docstring() -> None:
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        if not ast.get_docstring(tree):
            missing.append(str(path.relative_to(ROOT)))
        missing += [f"{path.relative_to(ROOT)}:{node.name}" for node in tree.body
                    if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not ast.get_docstring(node)]
    assert missing == []


def _readme_module_table() -> set[str]:
    """The module names (backticked) in the first column of the README's module table."""
    text = (ROOT / "README.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `") and line.count("|") == 3]
    names: set[str] = set()
    for row in rows:
        first = row.split("|")[1]
        names.update(part.strip().strip("`") for part in first.split(",") if part.strip().startswith("`"))
    return names


def test_the_readme_module_table_names_every_module_and_only_modules():
    """Every module of the package (a subpackage's modules where the table
    lists them one by one, as logic's) is in the README's table, and every
    name there is a module: the table a newcomer reads matches the code."""
    table = _readme_module_table()
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    submodules = {f"{package}.{p.stem}" for package in packages for p in (PACKAGE / package).glob("*.py")
                  if p.stem != "__init__"}
    assert modules | packages <= table, sorted((modules | packages) - table)
    listed_one_by_one = {name.split(".")[0] for name in table if "." in name}
    assert {s for s in submodules if s.split(".")[0] in listed_one_by_one} <= table
    assert table <= modules | packages | submodules, sorted(table - modules - packages - submodules)


def test_every_arch_model_says_which_kernel_it_is():
    """An ArchModel built in the package passes `kernel=`: a model derived
    from another (an edit applied, a line deleted) that dropped it read as
    the newest kernel, with 6.11's choice rules, on a 6.1 tree."""
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ArchModel"
                    and "kernel" not in {k.arg for k in node.keywords}):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []
