"""Kconfig semantics, one property at a time, on small models."""


from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Encoder, Query
from kltolint.tree import Tree
from tests.conftest import make_tree


def reachable(tmp_path, kconfig: str, combination: str) -> bool:
    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": kconfig})), "demo")
    enc = Encoder(model)
    goal = enc.expr(parse(combination)).m
    with Query(enc) as query:
        return query.solve([goal]) is not None


def test_select_forces_past_dependencies(tmp_path):
    k = "config A\n\tbool \"a\"\n\tselect B\nconfig B\n\tbool\n\tdepends on C\nconfig C\n\tbool \"c\"\n"
    assert reachable(tmp_path, k, "B && !C")


def test_depends_without_select_holds(tmp_path):
    k = "config B\n\tbool \"b\"\n\tdepends on C\nconfig C\n\tbool \"c\"\n"
    assert not reachable(tmp_path, k, "B && !C")


def test_conditional_select(tmp_path):
    k = ("config A\n\tdef_bool y\n\tselect B if C\nconfig B\n\tbool\nconfig C\n\tbool \"c\"\n")
    assert not reachable(tmp_path, k, "B && !C")
    assert reachable(tmp_path, k, "B && C")


def test_invisible_symbol_takes_its_default(tmp_path):
    k = "config A\n\tbool\n\tdefault y if C\nconfig C\n\tbool \"c\"\n"
    assert not reachable(tmp_path, k, "A && !C")
    assert not reachable(tmp_path, k, "!A && C")


def test_first_active_default_wins(tmp_path):
    k = "config A\n\tbool\n\tdefault n if C\n\tdefault y\nconfig C\n\tbool \"c\"\n"
    assert not reachable(tmp_path, k, "A && C")
    assert reachable(tmp_path, k, "A && !C")


def test_visible_symbol_is_the_users_choice(tmp_path):
    k = "config A\n\tbool \"a\"\n\tdefault y\n"
    assert reachable(tmp_path, k, "A") and reachable(tmp_path, k, "!A")


def test_choice_picks_exactly_one_visible_member(tmp_path):
    k = ('choice\n\tprompt "p"\nconfig X\n\tbool "x"\nconfig Y\n\tbool "y"\n'
         'config Z\n\tbool "z"\n\tdepends on n\nendchoice\n')
    assert not reachable(tmp_path, k, "X && Y")
    assert not reachable(tmp_path, k, "!X && !Y")
    assert not reachable(tmp_path, k, "Z")


def test_if_block_and_menu_dependencies(tmp_path):
    k = ('config C\n\tbool "c"\nif C\nmenu "m"\nconfig A\n\tbool "a"\nendmenu\nendif\n')
    assert not reachable(tmp_path, k, "A && !C")


def test_imply_respects_dependencies(tmp_path):
    k = ("config A\n\tbool \"a\"\n\timply B\nconfig B\n\tbool\n\tdepends on C\nconfig C\n\tbool \"c\"\n")
    assert not reachable(tmp_path, k, "B && !C")
    assert reachable(tmp_path, k, "B && C")


def test_tristate_m_needs_modules(tmp_path):
    k = ("config MODULES\n\tbool \"modules\"\n\tmodules\nconfig T\n\ttristate \"t\"\n")
    assert reachable(tmp_path, k, "T = m")
    assert not reachable(tmp_path, k, "T = m && !MODULES")
    assert reachable(tmp_path, k, "T = y && !MODULES")


def test_tristate_dependency_caps_the_value(tmp_path):
    k = ("config MODULES\n\tbool \"modules\"\n\tmodules\nconfig D\n\ttristate \"d\"\n"
         "config T\n\ttristate \"t\"\n\tdepends on D\n")
    assert not reachable(tmp_path, k, "T = y && D = m")
    assert reachable(tmp_path, k, "T = m && D = m")


def test_toolchain_facts_exclude_each_other(tmp_path):
    k = ("config CC_IS_GCC\n\tdef_bool $(shell,gcc?)\nconfig CC_IS_CLANG\n\tdef_bool $(shell,clang?)\n"
         "config AS_IS_GNU\n\tdef_bool $(shell,gas?)\nconfig AS_IS_LLVM\n\tdef_bool $(shell,ias?)\n")
    assert not reachable(tmp_path, k, "CC_IS_GCC && CC_IS_CLANG")
    assert not reachable(tmp_path, k, "!CC_IS_GCC && !CC_IS_CLANG")
    assert not reachable(tmp_path, k, "AS_IS_LLVM && CC_IS_GCC")
    assert reachable(tmp_path, k, "AS_IS_GNU && CC_IS_CLANG")


VERSIONS = ("config CC_IS_CLANG\n\tdef_bool $(shell,clang?)\n"
            "config CLANG_VERSION\n\tint\n\tdefault $(shell,version) if CC_IS_CLANG\n\tdefault 0\n"
            "config NEW\n\tbool \"new\"\n\tdepends on CLANG_VERSION >= 170000\n")


def test_versions_are_free_but_consistent(tmp_path):
    assert reachable(tmp_path, VERSIONS, "NEW && CC_IS_CLANG")
    assert not reachable(tmp_path / "b", VERSIONS, "NEW && !CC_IS_CLANG")
    assert not reachable(tmp_path / "c", VERSIONS, "CLANG_VERSION >= 170000 && CLANG_VERSION < 160000")
    assert reachable(tmp_path / "d", VERSIONS, "CLANG_VERSION = 170000")


def test_int_ranges_bound_user_values(tmp_path):
    k = "config N\n\tint \"n\"\n\trange 2 8\n\tdefault 4\nconfig BIG\n\tdef_bool y\n\tdepends on N > 8\n"
    assert not reachable(tmp_path, k, "BIG")
    assert reachable(tmp_path / "b", k, "N = 8")


def test_string_comparisons(tmp_path):
    k = ('config S\n\tstring\n\tdefault "b" if C\n\tdefault "a"\nconfig C\n\tbool "c"\n')
    assert not reachable(tmp_path, k, 'S = "b" && !C')
    assert reachable(tmp_path / "b", k, 'S = "a" && !C')


def test_undefined_symbols_are_n(tmp_path):
    assert not reachable(tmp_path, "config A\n\tbool \"a\"\n", "NOT_DEFINED")
