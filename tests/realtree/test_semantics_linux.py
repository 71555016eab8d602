"""The model agrees with the kernel's conf tool on linux-source-6.12: the
minimal reproducers of the differential test (issue 14, S1..S10; the
conformance tier, test_conformance_linux.py, checks whole .config files)."""

from __future__ import annotations

from functools import cache

import pytest

from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Encoder, Query
from kltolint.model import ArchModel
from kltolint.tree import Tree
from tests.conftest import real_tree

pytestmark = pytest.mark.realtree


@cache
def model(arch: str) -> ArchModel:
    return load_arch(Tree(real_tree("6.12")), arch)


def reachable(arch: str, combination: str, extra=lambda enc: []) -> bool:
    enc = Encoder(model(arch))
    goal = [enc.expr(parse(combination)).m, *extra(enc)]
    with Query(enc) as query:
        return query.solve(goal) is not None


def probe_answers(symbol: str, value: int):
    """Assumptions: the probe that is `symbol`'s last default answers `value`."""
    def lits(enc: Encoder) -> list[int]:
        name = enc.model.symbols[symbol].defaults[-1][0].name
        assert enc.model.is_probe(name)
        return [enc.ge(name, value), -enc.ge(name, value + 1)]
    return lits


def test_s1_compiler_text_is_the_toolchains():
    assert reachable("arm64", 'CC_VERSION_TEXT = "Debian clang version 19.1.7 (3~deb12u1)"')


def test_s2_default_m_without_modules_is_y():
    assert reachable("arm64", "!MODULES && WATCHDOG_PRETIMEOUT_GOV = y && WATCHDOG_PRETIMEOUT_GOV_SEL = y")
    assert not reachable("arm64", "!MODULES && WATCHDOG_PRETIMEOUT_GOV = y && WATCHDOG_PRETIMEOUT_GOV_SEL = n")


def test_s3_select_of_a_choice_member_is_ignored():
    assert reachable("arm64", "USB_MUSB_POLARFIRE_SOC = m && !USB_MUSB_DUAL_ROLE")
    assert reachable("x86", "X86_RDC321X && !M486")
    assert not reachable("x86", "X86_RDC321X && M486 && MK8")  # one pick per choice


def test_s4_memory_split_is_picked_without_expert():
    assert reachable("x86", "!64BIT && !EXPERT && VMSPLIT_3G")
    assert not reachable("x86", "!64BIT && !EXPERT && !VMSPLIT_3G && !VMSPLIT_3G_OPT && !VMSPLIT_2G"
                                " && !VMSPLIT_2G_OPT && !VMSPLIT_1G")


def test_s5_integrated_assembler_answers_version_zero():
    assert reachable("arm64", "AS_IS_LLVM && AS_VERSION >= 150000", probe_answers("AS_VERSION", 0))
    assert not reachable("arm64", "AS_IS_GNU && AS_VERSION >= 1", probe_answers("AS_VERSION", 0))  # GNU as has one


def test_s6_no_rustc_is_version_zero():
    assert reachable("x86", "RUSTC_VERSION = 0")


def test_s7_symbolic_range_end_bounds_nr_cpus():
    assert not reachable("x86", "!64BIT && SMP && !X86_BIGSMP && NR_CPUS > 8")
    assert reachable("x86", "!64BIT && SMP && !X86_BIGSMP && NR_CPUS = 8")


def test_s8_only_the_first_active_range():
    assert reachable("powerpc", "PPC64 && PPC_64K_PAGES && ARCH_FORCE_MAX_ORDER = 8")
    assert reachable("powerpc", "PPC32 && PPC_256K_PAGES && ARCH_FORCE_MAX_ORDER = 4")


def test_s9_default_clamped_into_range():
    assert reachable("powerpc", "PPC32 && EXECMEM && !MODULES_SIZE_BOOL && MODULES_SIZE = 1")
    assert not reachable("powerpc", "PPC32 && EXECMEM && !MODULES_SIZE_BOOL && MODULES_SIZE = 0")


def test_s10_generic_powerpc64_cpu_is_reachable():
    assert reachable("powerpc", "POWERPC64_CPU && PPC_BOOK3S_64")
