"""Minimum tool versions read from scripts/min-tool-version.sh as data."""

from __future__ import annotations

import pytest

from kltolint import mintool
from kltolint.errors import UserError

SCRIPT = """\
#!/bin/sh
set -e
if [ $# != 1 ]; then
	echo "Usage: $0 toolname" >&2
	exit 1
fi

case "$1" in
binutils)
	echo 2.30.0
	;;
gcc)
	if [ "$ARCH" = parisc64 ]; then
		echo 12.0.0
	else
		echo 8.1.0
	fi
	;;
llvm)
	if [ "$SRCARCH" = s390 ]; then
		echo 15.0.0
	elif [ "$SRCARCH" = loongarch ]; then
		echo 18.0.0
	else
		echo 17.0.1
	fi
	;;
*)
	echo "$1: unknown tool" >&2
	exit 1
	;;
esac
"""


def test_versions_as_the_kernel_scripts_number_them():
    assert mintool.version_number("13.0.1") == 130001
    assert mintool.version_number("2.25.0") == 22500
    assert mintool.version_number("5.1") == 50100


@pytest.mark.parametrize("arch, llvm", [("arm64", 170001), ("s390", 150000), ("loongarch", 180000)])
def test_srcarch_tests_are_decided_per_arch(arch, llvm):
    floors = mintool.parse(SCRIPT, arch)
    assert floors["llvm"] == llvm and floors["binutils"] == 23000


def test_an_arch_test_counts_every_arm_it_guards():
    # ARCH=parisc64 and ARCH=parisc share arch/parisc: the lower floor holds
    assert mintool.parse(SCRIPT, "parisc")["gcc"] == 80100


@pytest.mark.parametrize("change", [
    ("\techo 2.30.0\n", "\techo $(cat version)\n"),
    ('case "$1" in', 'case "$TOOL" in'),
    ("\t;;\n*)", "*)"),
    ('if [ "$SRCARCH" = s390 ]; then', 'if [ -n "$SRCARCH" ]; then'),
])
def test_an_unknown_shape_is_one_clear_error(change):
    with pytest.raises(UserError) as err:
        mintool.parse(SCRIPT.replace(*change, 1), "arm64")
    assert "minimum tool versions not understood" in str(err.value)
    assert str(err.value).startswith("scripts/min-tool-version.sh")


def test_the_real_trees(real_or_skip=None):
    from tests.conftest import real_tree

    for version, want in (("6.12", {"gcc": 50100, "llvm": 130001, "binutils": 22500}),
                          ("7.3", {"gcc": 80100, "llvm": 170001, "binutils": 23000})):
        text = (real_tree(version) / mintool.SCRIPT).read_text()
        floors = mintool.parse(text, "arm64")
        assert {k: floors[k] for k in want} == want
    assert mintool.parse((real_tree("6.12") / mintool.SCRIPT).read_text(), "s390")["llvm"] == 150000
