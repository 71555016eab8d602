"""Kconfig semantics, one property at a time, on small models."""


from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Encoder, Query
from kltolint.tree import Tree
from tests.conftest import make_tree
from tests.helpers import demo_model, reachable


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


# -- agreement with the conf tool (issue 14, S1..S10; shared/reviews/semantics-vs-conf.md) --

def _files_reachable(tmp_path, files: dict[str, str], combination: str) -> bool:
    model = load_arch(Tree(make_tree(tmp_path, files)), "demo")
    enc = Encoder(model)
    goal = enc.expr(parse(combination)).m
    with Query(enc) as query:
        return query.solve([goal]) is not None


OLD_KERNEL = "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n"


def test_strings_from_tool_variables_are_free(tmp_path):
    # S1: "$(CC_VERSION_TEXT)" is the toolchain's text, not a constant.
    k = 'config CC_VERSION_TEXT\n\tstring\n\tdefault "$(CC_VERSION_TEXT)"\n'
    assert reachable(tmp_path, k, 'CC_VERSION_TEXT = "Debian clang version 19.1.7"')
    assert reachable(tmp_path / "b", k, 'CC_VERSION_TEXT = "gcc (Debian 12.2.0-14) 12.2.0"')


def test_python3_is_a_tool_variable(tmp_path):
    # S1: PYTHON3 is exported like CC: the probe names it, not an empty word.
    model = demo_model(tmp_path, 'config X\n\tdef_bool $(shell,$(PYTHON3) -c "import lxml")\n')
    (probe,) = model.probes.values()
    assert probe.command.startswith("<PYTHON3> -c")


MODULES_OFF = "config MODULES\n\tbool \"modules\"\n\tmodules\nconfig G\n\ttristate \"g\"\n"


def test_default_m_is_the_value_m(tmp_path):
    # S2: with MODULES=n a tristate defaulting to m behaves as a bool: y.
    k = MODULES_OFF + "config SEL\n\ttristate\n\tdepends on G\n\tdefault m\n"
    assert reachable(tmp_path, k, "!MODULES && G = y && SEL = y")
    assert not reachable(tmp_path / "b", k, "!MODULES && G = y && SEL = n")
    assert not reachable(tmp_path / "c", k, "MODULES && G = y && SEL = y")  # still m with modules


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
    assert _files_reachable(tmp_path, files, "SHOWN && FORCE && HOST && !DUAL")
    assert _files_reachable(tmp_path / "b", dict(files), "!SHOWN && FORCE && !DUAL")
    assert not _files_reachable(tmp_path / "c", dict(files), "!SHOWN && DUAL")


PROMPT_IF = ('config EXPERT\n\tbool "expert"\nconfig X86_32\n\tbool "32"\n'
             'choice\n\tprompt "Memory split" if EXPERT\n\tdefault VMSPLIT_3G\n\tdepends on X86_32\n'
             'config VMSPLIT_3G\n\tbool "3G"\nconfig VMSPLIT_2G\n\tbool "2G"\nendchoice\n')


def test_choice_prompt_condition_hides_only_the_prompt(tmp_path):
    # S4: since 6.11 a member is picked whenever the choice's `depends on` holds.
    assert reachable(tmp_path, PROMPT_IF, "X86_32 && !EXPERT && VMSPLIT_3G")
    assert not reachable(tmp_path / "b", PROMPT_IF, "X86_32 && !EXPERT && !VMSPLIT_3G && !VMSPLIT_2G")
    assert not reachable(tmp_path / "c", PROMPT_IF, "!X86_32 && VMSPLIT_3G")
    old = {"Makefile": OLD_KERNEL, "Kconfig": PROMPT_IF}
    assert not _files_reachable(tmp_path / "d", old, "X86_32 && !EXPERT && VMSPLIT_3G")


TOOLS = ("config CC_IS_CLANG\n\tdef_bool $(shell,clang?)\nconfig CC_IS_GCC\n\tdef_bool $(shell,gcc?)\n"
         "config AS_IS_LLVM\n\tdef_bool $(shell,ias?)\nconfig AS_IS_GNU\n\tdef_bool $(shell,gas?)\n"
         "config CLANG_VERSION\n\tint\n\tdefault $(shell,cc-version) if CC_IS_CLANG\n\tdefault 0\n")


def test_integrated_assembler_version_may_be_zero(tmp_path):
    # S5: `$(as-version)` answers 0 with LLVM's integrated assembler.
    k = TOOLS + "config AS_VERSION\n\tint\n\tdefault CLANG_VERSION if AS_IS_LLVM\n\tdefault $(shell,as-version)\n"
    model = demo_model(tmp_path, k)
    enc = Encoder(model)
    (probe,) = [p for p in model.probes.values() if p.command == "as-version"]
    goal = [enc.expr(parse("AS_IS_LLVM && AS_VERSION >= 150000")).m]
    zero = -enc.ge(probe.name, 1)
    with Query(enc) as query:
        assert query.solve(goal + [zero]) is not None
        assert query.solve([enc.expr(parse("AS_IS_GNU")).m, zero]) is None  # GNU as has a version


def test_rustc_version_may_be_zero(tmp_path):
    # S6: no rustc on the machine: `$(rustc-version)` is 0.
    k = "config RUSTC_VERSION\n\tint\n\tdefault $(shell,rustc-version)\n"
    assert reachable(tmp_path, k, "RUSTC_VERSION = 0")
    assert reachable(tmp_path / "b", TOOLS, "CC_IS_CLANG && CLANG_VERSION >= 1")
    assert not reachable(tmp_path / "c", TOOLS, "CC_IS_CLANG && CLANG_VERSION < 10000")


SYMBOLIC_RANGE = ("config END\n\tint\n\tdefault 8 if SMALL\n\tdefault 64\nconfig SMALL\n\tbool \"small\"\n"
                  "config NR_CPUS\n\tint \"cpus\"\n\trange 2 END\n\tdefault 8\n")


def test_range_with_symbolic_bounds(tmp_path):
    # S7: NR_CPUS's range end is a symbol.
    assert not reachable(tmp_path, SYMBOLIC_RANGE, "SMALL && NR_CPUS > 8")
    assert reachable(tmp_path / "b", SYMBOLIC_RANGE, "!SMALL && NR_CPUS > 8")
    assert not reachable(tmp_path / "c", SYMBOLIC_RANGE, "NR_CPUS > 64")


FIRST_RANGE = ('config P64\n\tbool "p64"\nconfig ORDER\n\tint "order"\n\trange 7 8 if P64\n\trange 10 12\n'
               "\tdefault 8 if P64\n\tdefault 10\n")


def test_only_the_first_active_range_applies(tmp_path):
    # S8: powerpc's ARCH_FORCE_MAX_ORDER: `range 7 8 if PPC64 && PPC_64K_PAGES` ... `range 10 12`.
    assert reachable(tmp_path, FIRST_RANGE, "P64 && ORDER = 8")
    assert not reachable(tmp_path / "b", FIRST_RANGE, "P64 && ORDER = 10")
    assert not reachable(tmp_path / "c", FIRST_RANGE, "!P64 && ORDER = 8")


def test_int_default_is_clamped_into_its_range(tmp_path):
    # S9: powerpc's MODULES_SIZE: `range 1 256 if EXECMEM`, `default 0`: conf writes 1.
    k = ('config SHOW\n\tbool "show"\nconfig EXECMEM\n\tbool "execmem"\n'
         'config SIZE\n\tint "size" if SHOW\n\trange 1 256 if EXECMEM\n\tdefault 0\n'
         'config BIG\n\tint\n\trange 0 10\n\tdefault 99\n')
    assert reachable(tmp_path, k, "!SHOW && EXECMEM && SIZE = 1")
    assert not reachable(tmp_path / "b", k, "!SHOW && EXECMEM && SIZE = 0")
    assert reachable(tmp_path / "c", k, "!SHOW && !EXECMEM && SIZE = 0")
    assert not reachable(tmp_path / "d", k, "BIG != 10")


def test_member_listed_twice_in_its_choice_can_be_picked(tmp_path):
    # S10: powerpc's POWERPC64_CPU is defined twice inside "CPU selection".
    k = ('config LE\n\tbool "le"\nchoice\n\tprompt "cpu"\nconfig GENERIC\n\tbool "generic"\n\tdepends on !LE\n'
         'config GENERIC\n\tbool "generic"\n\tdepends on LE\nconfig OTHER\n\tbool "other"\nendchoice\n')
    assert reachable(tmp_path, k, "GENERIC && LE")
    assert reachable(tmp_path / "b", k, "GENERIC && !LE")


def test_hex_values_are_not_negative(tmp_path):
    # Seen by the conformance tier (arm ZBOOT_ROM_TEXT): conf reads no negative hex value.
    k = 'config H\n\thex "h"\n\tdefault 0x0\n'
    assert not reachable(tmp_path, k, "H < 0")
    assert reachable(tmp_path / "b", 'config N\n\tint "n"\n\tdefault 0\n', "N < 0")
