"""The Encoder: Kconfig semantics, one property at a time, on small models."""

from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Edits, Encoder, Query
from kltolint.tree import Tree
from tests.conftest import make_tree
from tests.helpers import demo_model
from tests.logic import reachable


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


def test_undefined_symbols_are_n(tmp_path):
    assert not reachable(tmp_path, "config A\n\tbool \"a\"\n", "NOT_DEFINED")


OLD_KERNEL = "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n"


MODULES_OFF = "config MODULES\n\tbool \"modules\"\n\tmodules\nconfig G\n\ttristate \"g\"\n"


def test_default_m_is_the_value_m(tmp_path):
    # S2: with MODULES=n a tristate defaulting to m behaves as a bool: y.
    k = MODULES_OFF + "config SEL\n\ttristate\n\tdepends on G\n\tdefault m\n"
    assert reachable(tmp_path, k, "!MODULES && G = y && SEL = y")
    assert not reachable(tmp_path / "b", k, "!MODULES && G = y && SEL = n")
    assert not reachable(tmp_path / "c", k, "MODULES && G = y && SEL = y")  # still m with modules


def test_m_inside_a_default_value_is_the_value_m(tmp_path):
    # Under `&&`, `||` and `!` too (not `m && MODULES`): with MODULES=n each default is m, promoted to y.
    k = MODULES_OFF + ("config A\n\ttristate\n\tdefault m && G\nconfig B\n\ttristate\n\tdefault m || G\n"
                       "config C\n\ttristate\n\tdefault !!m\n")
    assert reachable(tmp_path, k, "!MODULES && G = y && A = y && C = y")
    for other in ("A != y && G = y", "B != y", "C != y"):
        assert not reachable(tmp_path / "b", k, f"!MODULES && {other}"), other


def test_bool_default_m_is_y(tmp_path):
    k = MODULES_OFF + "config B\n\tbool\n\tdefault m\n"
    assert not reachable(tmp_path, k, "!MODULES && !B")


CHOICE_SELECTED = ('choice\n\tprompt "mode"\nconfig HOST\n\tbool "host"\nconfig DUAL\n\tbool "dual"\nendchoice\n'
                   'config FORCE\n\tbool "force"\n\tselect DUAL\n')


def test_select_of_a_choice_member_is_ignored(tmp_path):
    # S3: a member's value is the pick alone (symbol.c: sym_calc_choice).
    assert reachable(tmp_path, CHOICE_SELECTED, "FORCE && HOST && !DUAL")
    assert not reachable(tmp_path / "b", CHOICE_SELECTED, "HOST && DUAL")


def test_before_6_11_a_select_of_a_member_is_ignored_too(tmp_path):
    # 6.1's sym_calc_visibility never computes a choice value's rev_dep (seen
    # with conf: sh allyesconfig, USB_MUSB_POLARFIRE_SOC=y, USB_MUSB_DUAL_ROLE=n).
    files = {"Makefile": OLD_KERNEL, "Kconfig": CHOICE_SELECTED.replace('prompt "mode"', 'prompt "mode" if SHOWN')
             + 'config SHOWN\n\tbool "shown"\n'}
    assert reachable(tmp_path, files, "SHOWN && FORCE && HOST && !DUAL")
    assert reachable(tmp_path / "b", dict(files), "!SHOWN && FORCE && !DUAL")
    assert not reachable(tmp_path / "c", dict(files), "!SHOWN && DUAL")


PROMPT_IF = ('config EXPERT\n\tbool "expert"\nconfig X86_32\n\tbool "32"\n'
             'choice\n\tprompt "Memory split" if EXPERT\n\tdefault VMSPLIT_3G\n\tdepends on X86_32\n'
             'config VMSPLIT_3G\n\tbool "3G"\nconfig VMSPLIT_2G\n\tbool "2G"\nendchoice\n')


def test_choice_prompt_condition_hides_only_the_prompt(tmp_path):
    # S4: since 6.11 a member is picked whenever the choice's `depends on` holds.
    assert reachable(tmp_path, PROMPT_IF, "X86_32 && !EXPERT && VMSPLIT_3G")
    assert not reachable(tmp_path / "b", PROMPT_IF, "X86_32 && !EXPERT && !VMSPLIT_3G && !VMSPLIT_2G")
    assert not reachable(tmp_path / "c", PROMPT_IF, "!X86_32 && VMSPLIT_3G")
    old = {"Makefile": OLD_KERNEL, "Kconfig": PROMPT_IF}
    assert not reachable(tmp_path / "d", old, "X86_32 && !EXPERT && VMSPLIT_3G")


def test_member_listed_twice_in_its_choice_can_be_picked(tmp_path):
    # S10: powerpc's POWERPC64_CPU is defined twice inside "CPU selection".
    k = ('config LE\n\tbool "le"\nchoice\n\tprompt "cpu"\nconfig GENERIC\n\tbool "generic"\n\tdepends on !LE\n'
         'config GENERIC\n\tbool "generic"\n\tdepends on LE\nconfig OTHER\n\tbool "other"\nendchoice\n')
    assert reachable(tmp_path, k, "GENERIC && LE")
    assert reachable(tmp_path / "b", k, "GENERIC && !LE")


# -- edits and the public read API -----------------------------------------------------

EDITED = ('config A\n\tbool "a"\n\tselect T\nconfig T\n\tbool\n\tdefault y if B\nconfig B\n\tbool "b"\n'
          'choice\n\tprompt "p"\nconfig X\n\tbool "x"\nconfig Y\n\tbool "y"\nendchoice\n')


def test_edits_apply_in_memory(tmp_path):
    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": EDITED})), "demo")
    (edge,) = model.incoming("select", "T")

    def holds(edits: Edits, combination: str) -> bool:
        enc = Encoder(model, edits)
        goal = enc.expr(parse(combination)).m
        with Query(enc) as query:
            return query.solve([goal]) is not None

    assert holds(Edits(), "A && T && !B")
    assert not holds(Edits(select_guards={edge: parse("B")}), "A && T && !B")
    assert holds(Edits(), "T && B && !A")
    assert not holds(Edits(default_guards={("T", 0): parse("A")}), "T && B && !A")
    assert not holds(Edits(added_depends={"A": parse("B")}), "A && !B")


def test_the_read_api_gives_what_the_encoding_holds(tmp_path):
    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": EDITED})), "demo")
    (edge,) = model.incoming("select", "T")
    enc = Encoder(model, Edits(added_depends={"A": parse("B")}))
    assert enc.encoded("X") is None and enc.pick_input("X") is None
    x = enc.expr(parse("X"))
    assert enc.encoded("X") == x and enc.pick_input("X") is not None
    a, b, sel = enc.value("A"), enc.value("B"), enc.edge_value(edge)
    extra = enc.added_depends("A")
    sym = model.symbols["T"]
    default = enc.default_condition(sym, 0, sym.defaults[0][1], enc.added_depends("T"))
    enc.close()
    with Query(enc) as query:
        found = query.solve([a.m, b.m])
        assert found is not None and found(sel.m) and found(extra.m) and found(default.m)
        found = query.solve([-b.m])
        assert found is not None and not found(sel.m) and not found(extra.m) and not found(default.m)
        picked = query.solve([x.m])
        assert picked is not None and picked(enc.pick_input("X") or 0)


COMPARISONS = (
    "config N\n\tint\n\tdefault 4\nconfig M\n\tint \"m\"\nconfig S\n\tstring\n\tdefault \"10\"\n"
    "config A\n\tdef_bool y\n\tdepends on 3 <= N\n"  # a constant on the left: N >= 3
    "config A2\n\tdef_bool y\n\tdepends on 10 <= N\n"
    "config B\n\tdef_bool y\n\tdepends on S = \"10\"\n"  # a string that reads as a number: its text
    "config C\n\tdef_bool y\n\tdepends on \"x\" = \"x\"\n"  # two constants (as after macro expansion)
    "config C2\n\tdef_bool y\n\tdepends on \"x\" = \"z\"\n"
    "config D\n\tdef_bool y\n\tdepends on NOPE = \"NOPE\"\n"  # an undefined symbol's value is its name
    "config D2\n\tdef_bool y\n\tdepends on NOPE = \"x\"\n"
    "config E\n\tdef_bool y\n\tdepends on N > M\n"  # two int symbols: not modelled, left free
)


def test_comparisons_of_constants_undefined_symbols_and_two_symbols(tmp_path):
    model = demo_model(tmp_path, COMPARISONS)

    def can(combination: str) -> bool:
        enc = Encoder(model)
        with Query(enc) as query:
            return query.solve([enc.expr(parse(combination)).m]) is not None

    for always in ("A", "B", "C", "D"):
        assert not can(f"!{always}"), always
    for never in ("A2", "C2", "D2"):
        assert not can(never), never
    assert can("E") and can("!E")
