"""Kconfig newer than kconfiglib 14.1, modelled as the kernel's C tool does.

`depends on X if Y` (Linux 7.0) is `X || (Y = n)` with `Y = n` rewritten by
expr_trans_compare; `transitional` (6.18) makes a symbol always visible.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kltolint import compat
from kltolint.errors import UserError
from kltolint.expr import parse, to_str
from kltolint.load import load_arch
from kltolint.logic import Encoder, Query
from kltolint.tree import Tree
from tests.conftest import FIXTURES, make_tree
from tests.helpers import demo_model, reachable

MODULES = 'config MODULES\n\tbool "modules"\n\tmodules\n'
CONDITIONAL_DEP = FIXTURES / "kconfig-tests" / "conditional_dep"


def entry(dep: str, type_: str = "tristate") -> str:
    return (MODULES + 'config X\n\ttristate "x"\nconfig Y\n\ttristate "y"\n'
            f'config A\n\t{type_} "a"\n\tdepends on {dep}\n')


# (dependency, combination, reachable in conf): each row is a corner where the
# C tool's rule differs from a naive reading.
CORNERS = [
    # Y = m is not Y = n: X is still required (X || !Y would allow A = m here).
    ("X if Y", "A != n && Y = m && X = n", False),
    ("X if Y", "A = y && Y = n && X = n", True),
    ("X if Y", "A = y && Y = y && X = m", False),
    ("X if Y", "A = m && Y = y && X = m", True),
    # `!Y = n` is `Y != n` in C: with Y = m nothing is required.
    ("X if !Y", "A = y && Y = m && X = n", True),
    ("X if !Y", "A != n && Y = n && X = n", False),
    # The "optional dependency" form: BAZ = m caps A at m, BAZ = n frees it.
    ("Y if Y", "A = y && Y = m", False),
    ("Y if Y", "A = m && Y = m", True),
    ("Y if Y", "A = y && Y = n", True),
    # Compound conditions: (X && Y) = n is X = n || Y = n ...
    ("X if X && Y", "A = y && X = n && Y = y", True),
    ("X if X && Y", "A = y && X = m && Y = m", False),
    # ... and (X || Y) = n is X = n && Y = n.
    ("(X && Y) if (X || Y)", "A = y && X = y && Y = n", False),
    ("(X && Y) if (X || Y)", "A = y && X = n && Y = n", True),
    # A comparison is y or n: `= n` negates it.
    ("X if Y = m", "A = y && Y = m && X = n", False),
    ("X if Y = m", "A = y && Y = y && X = n", True),
    # `m` in the condition is the constant, not `m && MODULES` (C's rewrite_m
    # never looks inside a comparison): the dependency on X always holds.
    ("X if m", "A = y && X = n && MODULES = n", False),
]


@pytest.mark.parametrize(("dep", "combination", "expected"), CORNERS)
def test_conditional_dependency_corners(tmp_path, dep, combination, expected):
    assert reachable(tmp_path, entry(dep), combination) is expected


def test_conditional_dependency_of_a_bool(tmp_path):
    k = entry("X if Y", type_="bool")
    assert not reachable(tmp_path, k, "A && Y = m && X = n")
    assert reachable(tmp_path / "b", k, "A && Y = m && X = m")  # bool A = y: X = m suffices
    assert reachable(tmp_path / "c", k, "A && Y = n && X = n")


def test_conditional_dependency_of_a_menu_reaches_its_entries(tmp_path):
    k = (MODULES + 'config X\n\tbool "x"\nconfig Y\n\tbool "y"\n'
         'menu "m"\n\tdepends on X if Y\nconfig A\n\tbool "a"\nendmenu\n')
    assert not reachable(tmp_path, k, "A && Y && !X")
    assert reachable(tmp_path / "b", k, "A && !Y && !X")


def test_select_target_direct_dependency_is_conditional(tmp_path):
    """The sweep's "direct dependencies" of a target with `depends on X if Y`:
    the select is unmet only where Y is set and X is not."""
    from kltolint import analysis
    from kltolint.rules import builtin_dir, load_dir

    sweep = [r for r in load_dir(builtin_dir()) if r.id == "KSEL001"]
    k = ('config X\n\tbool "x"\nconfig Y\n\tbool "y"\n'
         'config S\n\tbool "s"\n\tselect T\nconfig T\n\tbool\n\tdepends on X if Y\n'
         'config GUARDED\n\tbool "g"\n\tselect T if X\n')
    tree = Tree(make_tree(tmp_path, {"Kconfig": k}))
    found = analysis.check(load_arch(tree, "demo"), sweep, analysis.Sources(tree))
    assert [f.message.split()[0] for f in found] == ["S"]
    config = found[0].witness.config
    assert "CONFIG_Y=y" in config and "CONFIG_X=y" not in config
    assert found[0].guard == "X || Y = n"


def test_visible_if_and_if_blocks_take_no_condition(tmp_path):
    k = 'config X\n\tbool "x"\nif X if X\nendif\n'
    with pytest.raises(UserError) as err:
        demo_model(tmp_path, k)
    assert err.value.line == 3 and "unsupported Kconfig construct" in str(err.value)


def _config(path: Path) -> dict[str, str]:
    """A .config (or fragment) as {name: value}; `# CONFIG_X is not set` and
    `CONFIG_X=n` are n."""
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("CONFIG_"):
            name, value = line[len("CONFIG_"):].split("=", 1)
            values[name] = value
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            values[line[len("# CONFIG_"):-len(" is not set")]] = "n"
    return values


def _lit(tri, value: str) -> list[int]:
    return {"y": [tri.m, tri.y], "m": [tri.m, -tri.y], "n": [-tri.m]}[value]


def _oldconfig(enc: Encoder, given: dict[str, str]) -> list[int]:
    """Assumptions for `make oldconfig` with `given` as the .config: the
    symbols it sets take the user's value, the others their default."""
    out = []
    for name, sym in enc.syms.items():
        assert sym.user is not None
        if name in given:
            out += _lit(sym.user, given[name])
        else:
            out += [enc.g.iff(sym.user.m, sym.default.m), enc.g.iff(sym.user.y, sym.default.y)]
    return out


def _every_config(query: Query, values: dict, assumptions: list[int]) -> list[dict[str, str]]:
    """Every assignment of `values` (name -> Tri) the model allows (a few)."""
    seen = []
    while (sol := query.solve(assumptions)) is not None:
        config = {name: sol.tri(tri) for name, tri in values.items()}
        seen.append(config)
        query.solver.add_clause([-lit for name, value in config.items() for lit in _lit(values[name], value)])
        assert len(seen) < 4
    return seen


@pytest.mark.parametrize("n", [1, 2, 3])
def test_kernel_conditional_dep_test_is_replayed(tmp_path, n):
    """scripts/kconfig/tests/conditional_dep (7.3): for the inputs of
    test_configN (oldconfig), the model allows exactly expected_configN."""
    model = demo_model(tmp_path, (CONDITIONAL_DEP / "Kconfig").read_text())
    given = _config(CONDITIONAL_DEP / f"test_config{n}")
    expected = _config(CONDITIONAL_DEP / f"expected_config{n}")
    enc = Encoder(model)
    values = {name: enc.value(name) for name in model.symbols}
    enc.close()
    with Query(enc) as query:
        seen = _every_config(query, values, _oldconfig(enc, given))
    assert seen == [{name: expected.get(name, "n") for name in model.symbols}]


def test_transitional_symbol_is_the_users_whatever_its_menu(tmp_path):
    """symbol.c: a transitional symbol is always visible, so a .config's value
    for it is used even under an unmet `if`; its default-less successor reads it."""
    k = ('config GATE\n\tbool "gate"\nif GATE\nconfig OLD\n\tbool\n\ttransitional\n\thelp\n\t  old name\nendif\n'
         'config NEW\n\tbool "new"\n\tdefault OLD\n')
    model = demo_model(tmp_path, k)
    assert [to_str(p) for p in model.symbols["OLD"].prompts] == ["y"]
    assert reachable(tmp_path / "b", k, "OLD && !GATE")
    assert reachable(tmp_path / "c", k, "!OLD")


@pytest.mark.parametrize(("kconfig", "line"), [
    ('config A\n\tbool "a"\n\tdepends on B if C if D\n', 3),
    ('config A\n\tbool "a"\n\tfrobnicate A\n', 3),
    ('config A\n\tbool "a"\n\tdepends on B ?? C\n', 3),
])
def test_unknown_syntax_is_an_unsupported_construct(tmp_path, kconfig, line):
    with pytest.raises(UserError) as err:
        demo_model(tmp_path, kconfig)
    text = str(err.value)
    assert err.value.line == line and err.value.file == "Kconfig"
    assert "unsupported Kconfig construct" in text and f"Linux {compat.NEWEST_KERNEL}" in text


def test_an_undefined_macro_is_named_as_such_not_as_newer_syntax(tmp_path):
    with pytest.raises(UserError) as err:
        demo_model(tmp_path, 'config A\n\tbool "a"\n\tdefault $(cc_can_link_user,-m64) if A\n')
    text = str(err.value)
    assert err.value.line == 3 and err.value.file == "Kconfig"
    assert "blank once its macros are expanded" in text and "unsupported" not in text


def test_equals_n_follows_expr_trans_compare():
    import kconfiglib

    a, b, no = object(), object(), object()
    eq, ne = kconfiglib.EQUAL, kconfiglib.UNEQUAL
    and_, or_, not_ = kconfiglib.AND, kconfiglib.OR, kconfiglib.NOT
    assert compat.equals_n(a, no) == (eq, a, no)  # type: ignore[arg-type]
    assert compat.equals_n((not_, a), no) == (ne, a, no)  # type: ignore[arg-type]
    assert compat.equals_n((and_, a, b), no) == (or_, (eq, a, no), (eq, b, no))  # type: ignore[arg-type]
    assert compat.equals_n((or_, a, b), no) == (and_, (eq, a, no), (eq, b, no))  # type: ignore[arg-type]
    assert compat.equals_n((not_, (and_, a, b)), no) == (not_, (or_, (eq, a, no), (eq, b, no)))  # type: ignore[arg-type]
    cmp = (eq, a, b)
    assert compat.equals_n(cmp, no) == (not_, cmp)  # type: ignore[arg-type]
    assert compat.equals_n((not_, cmp), no) == cmp  # type: ignore[arg-type]


def test_blame_names_a_conditional_depends_line(fixture_tree):
    """`depends on LD_IS_LLD if LD_IS_LLD` always holds: the ld.bfd finding
    is blamed on that line, the entry's last `depends on`."""
    from kltolint import analysis
    from kltolint.rules import builtin_dir, load_dir

    tree = fixture_tree("conditional-depends")
    rules = [r for r in load_dir(builtin_dir()) if r.enabled]
    (finding,) = analysis.check(load_arch(tree, "arm64"), rules, analysis.Sources(tree))
    assert finding.rule == "KLTO002"
    text = (tree.root / finding.file).read_text().splitlines()[finding.line - 1]
    assert text.strip() == "depends on LD_IS_LLD if LD_IS_LLD"


TRANSITIONAL = FIXTURES / "kconfig-tests" / "transitional"
ERR_TRANSITIONAL = FIXTURES / "kconfig-tests" / "err_transitional"


def test_kernel_err_transitional_test_is_replayed():
    """scripts/kconfig/tests/err_transitional (7.3): every bad transitional
    symbol is refused at the line the C tool names, one line each."""
    from kltolint.source import SourceFile

    expected = [int(line.split(":")[1]) for line in (ERR_TRANSITIONAL / "expected_stderr").read_text().splitlines()
                if ": error: " in line]
    lines = (ERR_TRANSITIONAL / "Kconfig").read_text().splitlines(keepends=True)
    seen = []
    while True:
        try:
            compat.check_transitional("".join(lines), "Kconfig")
            break
        except UserError as err:
            assert err.file == "Kconfig" and "only have help sections" in str(err)
            seen.append(err.line)
            bad = SourceFile("".join(lines)).entry_holding(err.line)
            assert bad is not None
            end = bad.props[-1].last if bad.props else bad.header.last
            lines[bad.header.first:end + 1] = ["\n"] * (end + 1 - bad.header.first)
    assert seen == expected


def test_kernel_transitional_test_is_replayed(tmp_path):
    """scripts/kconfig/tests/transitional (7.3): with initial_config's values
    (olddefconfig), the bool and tristate symbols take exactly
    expected_config's values, and the int, hex and string ones can."""
    model = demo_model(tmp_path, (TRANSITIONAL / "Kconfig").read_text())
    given = _config(TRANSITIONAL / "initial_config")
    expected = _config(TRANSITIONAL / "expected_config")
    enc = Encoder(model)
    tris = {name: enc.value(name) for name, sym in model.symbols.items() if sym.type in ("bool", "tristate")}
    others = [enc.expr(parse(f"{name} = {value}")).m
              for name, value in {**given, **expected}.items() if name not in tris]
    enc.close()
    assumptions = _oldconfig(enc, given)
    with Query(enc) as query:
        assert query.solve(assumptions + others) is not None
        seen = _every_config(query, tris, assumptions)
    want = {name: expected.get(name, given.get(name, "n")) for name in tris}
    assert seen == [want]


def test_imply_respects_a_conditional_dependency(tmp_path):
    k = ('config X\n\tbool "x"\nconfig Y\n\tbool "y"\n'
         'config S\n\tbool "s"\n\timply T\nconfig T\n\tbool "t"\n\tdepends on X if Y\n')
    assert not reachable(tmp_path, k, "S && T && Y && !X")
    assert reachable(tmp_path / "b", k, "S && T && !Y && !X")


def test_int_exported_by_the_makefile_is_free(tmp_path):
    """7.x: `default "$(PAHOLE_VERSION)"` reads a number the Makefile computes
    from the toolchain (0 without pahole): any value, not the empty string."""
    k = ('config PAHOLE_VERSION\n\tint\n\tdefault "$(PAHOLE_VERSION)"\n'
         'config BTF\n\tbool "btf"\n\tdepends on PAHOLE_VERSION >= 11600\n')
    assert reachable(tmp_path, k, "PAHOLE_VERSION = 0")
    assert reachable(tmp_path / "b", k, "BTF")
    assert not reachable(tmp_path / "c", k, "BTF && PAHOLE_VERSION < 11600")
