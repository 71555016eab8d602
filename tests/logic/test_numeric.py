"""int/hex order encoding, string equality and tool versions, on small models."""

from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import FALSE, TRUE, Encoder, Query, compare_constants, number
from kltolint.tree import Tree
from tests.conftest import make_tree
from tests.logic import reachable


VERSIONS = ("config CC_IS_CLANG\n\tdef_bool $(shell,clang?)\n"
            "config CLANG_VERSION\n\tint\n\tdefault $(shell,version) if CC_IS_CLANG\n\tdefault 0\n"
            "config NEW\n\tbool \"new\"\n\tdepends on CLANG_VERSION >= 170000\n")


def test_versions_are_free_but_consistent(tmp_path):
    assert reachable(tmp_path, VERSIONS, "NEW && CC_IS_CLANG")
    assert not reachable(tmp_path / "b", VERSIONS, "NEW && !CC_IS_CLANG")
    assert not reachable(tmp_path / "c", VERSIONS, "CLANG_VERSION >= 170000 && CLANG_VERSION < 160000")
    assert reachable(tmp_path / "d", VERSIONS, "CLANG_VERSION = 170000")


def test_two_symbols_reading_one_probe_read_one_answer(tmp_path):
    # Only the probe's own chain of thresholds ties them, asked in either order.
    k = ("config A_VER\n\tint\n\tdefault $(shell,version)\nconfig B_VER\n\tint\n\tdefault $(shell,version)\n")
    for i, combination in enumerate(("A_VER >= 170000 && B_VER < 160000", "A_VER < 160000 && B_VER >= 170000",
                                     "A_VER >= 170000 && B_VER < 170000", "A_VER = 5 && B_VER != 5")):
        assert not reachable(tmp_path / str(i), k, combination), combination
    assert reachable(tmp_path / "x", k, "A_VER = 5 && B_VER = 5")


def test_int_ranges_bound_user_values(tmp_path):
    k = "config N\n\tint \"n\"\n\trange 2 8\n\tdefault 4\nconfig BIG\n\tdef_bool y\n\tdepends on N > 8\n"
    assert not reachable(tmp_path, k, "BIG")
    assert reachable(tmp_path / "b", k, "N = 8")


def test_string_comparisons(tmp_path):
    k = ('config S\n\tstring\n\tdefault "b" if C\n\tdefault "a"\nconfig C\n\tbool "c"\n')
    assert not reachable(tmp_path, k, 'S = "b" && !C')
    assert reachable(tmp_path / "b", k, 'S = "a" && !C')
    shown = 'config S\n\tstring "s"\n\tdefault "a"\n'  # a prompt: the user's text
    assert reachable(tmp_path / "c", shown, 'S = "b"') and reachable(tmp_path / "d", shown, 'S = "a"')


def test_strings_from_tool_variables_are_free(tmp_path):
    # S1: "$(CC_VERSION_TEXT)" is the toolchain's text, not a constant.
    k = 'config CC_VERSION_TEXT\n\tstring\n\tdefault "$(CC_VERSION_TEXT)"\n'
    assert reachable(tmp_path, k, 'CC_VERSION_TEXT = "Debian clang version 19.1.7"')
    assert reachable(tmp_path / "b", k, 'CC_VERSION_TEXT = "gcc (Debian 12.2.0-14) 12.2.0"')


def test_python3_is_a_tool_variable(tmp_path):
    # S1: PYTHON3 is exported like CC: the probe names it, not an empty word.
    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": 'config X\n\tdef_bool $(shell,$(PYTHON3) -c "import lxml")\n'})), "demo")
    (probe,) = model.probes.values()
    assert probe.command.startswith("<PYTHON3> -c")


TOOLS = ("config CC_IS_CLANG\n\tdef_bool $(shell,clang?)\nconfig CC_IS_GCC\n\tdef_bool $(shell,gcc?)\n"
         "config AS_IS_LLVM\n\tdef_bool $(shell,ias?)\nconfig AS_IS_GNU\n\tdef_bool $(shell,gas?)\n"
         "config CLANG_VERSION\n\tint\n\tdefault $(shell,cc-version) if CC_IS_CLANG\n\tdefault 0\n")


def test_integrated_assembler_version_may_be_zero(tmp_path):
    # S5: `$(as-version)` answers 0 with LLVM's integrated assembler.
    k = TOOLS + "config AS_VERSION\n\tint\n\tdefault CLANG_VERSION if AS_IS_LLVM\n\tdefault $(shell,as-version)\n"
    model = load_arch(Tree(make_tree(tmp_path, {"Kconfig": k})), "demo")
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


def test_hex_values_are_not_negative(tmp_path):
    # Seen by the conformance tier (arm ZBOOT_ROM_TEXT): conf reads no negative hex value.
    k = 'config H\n\thex "h"\n\tdefault 0x0\n'
    assert not reachable(tmp_path, k, "H < 0")
    assert reachable(tmp_path / "b", 'config N\n\tint "n"\n\tdefault 0\n', "N < 0")


def test_numbers_read_as_conf_reads_them() -> None:
    assert number("42", 10) == 42 and number("0x10", 10) == 16 and number("ff", 16) == 255
    assert number("abc", 10) is None and number(None, 10) is None


def test_constants_compare_as_numbers_when_both_are() -> None:
    assert compare_constants("<", "9", "10") == TRUE  # as text, "9" > "10"
    assert compare_constants("<", "a9", "a10") == FALSE  # as text
    assert compare_constants(">", "a", "5") == TRUE  # one number is not enough: as text
    assert [compare_constants(op, "10", "9") for op in ("<=", ">", ">=")] == [FALSE, TRUE, TRUE]
    assert [compare_constants(op, "9", "9") for op in ("<=", ">", ">=")] == [TRUE, FALSE, TRUE]
    assert compare_constants("=", "0x10", "16") == TRUE and compare_constants("!=", "x", "x") == FALSE


def test_encoded_thresholds_are_read_back(tmp_path):
    k = 'config N\n\tint "n"\n\trange 0 100\n'
    enc = Encoder(load_arch(Tree(make_tree(tmp_path, {"Kconfig": k})), "demo"))
    assert enc.encoded_thresholds() == []
    lit = enc.expr(parse("N >= 7")).m
    assert ("N", 7) in dict(enc.encoded_thresholds()) and dict(enc.encoded_thresholds())[("N", 7)] == lit


def test_an_int_defaulting_to_a_symbol_without_a_number_reads_0(tmp_path):
    # numeric.ge: a symbol that is not int/hex (nor a probe) has no number, and no value reads as 0.
    k = ("config N\n\tint\n\tdefault NOPE\nconfig A\n\tdef_bool y\n\tdepends on N >= 1\n"
         "config B\n\tdef_bool y\n\tdepends on N >= 0\n")
    assert not reachable(tmp_path, k, "A")
    assert not reachable(tmp_path / "b", k, "!B")


def test_an_int_with_no_default_that_applies_reads_0(tmp_path):
    k = ('config X\n\tbool "x"\nconfig N\n\tint\n\tdefault 5 if X\nconfig A\n\tdef_bool y\n\tdepends on N >= 1\n'
         "config B\n\tdef_bool y\n\tdepends on N >= 0\n")
    assert not reachable(tmp_path, k, "!X && A")
    assert not reachable(tmp_path / "b", k, "!X && !B")
    assert reachable(tmp_path / "c", k, "X && A")


def test_a_user_may_set_a_hex_symbol_to_0(tmp_path):
    k = 'config H\n\thex "h"\n\tdefault 0x10\n'
    assert reachable(tmp_path, k, "H = 0x0")
    assert not reachable(tmp_path / "b", k, "H < 0x0")


def test_a_range_bound_that_is_not_a_number_is_left_free(tmp_path):
    k = 'config N\n\tint "n"\n\trange 0 NOPE\n\tdefault 3\nconfig BIG\n\tdef_bool y\n\tdepends on N >= 1000\n'
    assert reachable(tmp_path, k, "N = 3") and reachable(tmp_path / "b", k, "BIG")
    low = 'config N\n\tint\n\trange NOPE 10\n\tdefault 3\n'  # a free low bound may be below the default
    assert reachable(tmp_path / "c", low, "N = 3") and not reachable(tmp_path / "d", low, "N > 10")


def test_a_probe_s_text_is_free_but_one_at_a_time(tmp_path):
    k = ('config A\n\tdef_bool y\n\tdepends on $(shell,uname) = "Linux"\n'
         'config B\n\tdef_bool y\n\tdepends on $(shell,uname) = "BSD"\n')
    assert reachable(tmp_path, k, "A") and reachable(tmp_path / "b", k, "!A")
    assert not reachable(tmp_path / "c", k, "A && B")


def test_a_string_defaulting_to_an_undefined_symbol_is_its_name(tmp_path):
    # conf's sym_calc_value: a symbol of unknown type takes its name as its value.
    k = 'config S\n\tstring\n\tdefault NOPE\nconfig A\n\tdef_bool y\n\tdepends on S = "NOPE"\n'
    assert not reachable(tmp_path, k, "!A")


def test_int_comparisons_at_their_bounds(tmp_path):
    k = 'config N\n\tint "n"\n\trange 0 100\n'
    assert reachable(tmp_path, k, "N > 5 && N < 7") and not reachable(tmp_path / "b", k, "N > 5 && N < 6")
    assert not reachable(tmp_path / "c", k, "N <= 5 && N > 5") and reachable(tmp_path / "d", k, "N <= 5 && N = 5")
    assert not reachable(tmp_path / "e", k, "N <= 5 && N = 6")
