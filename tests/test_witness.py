"""Witnesses a maintainer can paste (issue 14, item 4 and 6): 1-minimal
fragments under `allnoconfig`, default picks left to conf, only the toolchain
assumptions the finding needs, version windows in words."""

from __future__ import annotations

from kltolint import toolchain
from kltolint.findings import Witness
from tests.helpers import demo_model, witness_of


def witness(tmp_path, kconfig: str, combination: str) -> Witness:
    found = witness_of(demo_model(tmp_path, kconfig), combination)
    assert found is not None
    return found


def test_no_line_allnoconfig_makes_redundant(tmp_path):
    k = ('config A\n\tbool "a"\nconfig B\n\tbool "b"\n\tdefault y\n'
         'config X\n\tdef_bool y\n\tdepends on A && !B\n')
    assert witness(tmp_path, k, "X").config == "CONFIG_A=y\n"  # no `# CONFIG_B is not set`


CHOICE = ('choice\n\tprompt "p"\n\tdefault M1\nconfig M1\n\tbool "m1"\nconfig M2\n\tbool "m2"\nendchoice\n'
          'config A\n\tbool "a"\n')


def test_default_pick_is_left_to_conf(tmp_path):
    assert witness(tmp_path, CHOICE, "A && M1").config == "CONFIG_A=y\n"
    assert witness(tmp_path / "b", CHOICE, "A && M2").config == "CONFIG_M2=y\nCONFIG_A=y\n"


TOOLS = ("config CC_IS_CLANG\n\tdef_bool $(shell,clang?)\nconfig CC_IS_GCC\n\tdef_bool $(shell,gcc?)\n"
         "config GCC_VERSION\n\tint\n\tdefault $(shell,cc-version) if CC_IS_GCC\n\tdefault 0\n"
         "config RUSTC_VERSION\n\tint\n\tdefault $(shell,rustc-version)\n"
         "config RUSTY\n\tbool \"rusty\"\n\tdepends on RUSTC_VERSION >= 108300\n")


def test_any_toolchain_when_the_finding_needs_none(tmp_path):
    # A clang version is in the cone (and the witness prefers new versions),
    # but the combination holds with any compiler: no make variables.
    k = TOOLS + ("config CLANG_VERSION\n\tint\n\tdefault $(shell,cc-version) if CC_IS_CLANG\n\tdefault 0\n"
                 'config NEWC\n\tbool "newc"\n\tdepends on CLANG_VERSION >= 150000\nconfig A\n\tbool "a"\n')
    assert witness(tmp_path, k, "A && (NEWC || !NEWC)") == Witness("CONFIG_A=y\n", "", ())


def test_version_window_in_words_and_nothing_unneeded(tmp_path):
    k = TOOLS + 'config OLD\n\tbool "old"\n\tdepends on GCC_VERSION >= 60000 && GCC_VERSION < 90000\n'
    proof = witness(tmp_path, k, "OLD && (RUSTY || !RUSTY)")
    assert proof.assumptions == ("gcc 6.0 to 9.0, 9.0 excluded (GCC_VERSION >= 60000 and < 90000)",)


def test_version_text():
    assert toolchain.version_text(150000) == "15.0" and toolchain.version_text(23502) == "2.35.2"
    assert toolchain.version_window("CLANG_VERSION", 150000, None) == "clang 15.0 or newer (CLANG_VERSION >= 150000)"
    assert toolchain.version_window("GCC_VERSION", None, 90000) == "gcc older than 9.0 (GCC_VERSION < 90000)"


def test_a_witness_that_needs_gcc_says_so(tmp_path):
    k = TOOLS + 'config G\n\tbool "g"\n\tdepends on CC_IS_GCC\n'
    assert witness(tmp_path, k, "G") == Witness("CONFIG_G=y\n", "CC=gcc", ())
