"""KRED001 on a small tree with the real 6.12 floors: what is reported (only
what changes nothing), the fix, and its verification."""

from __future__ import annotations

import json

from kltolint import redundant
from kltolint.cli import main
from kltolint import expr as E
from kltolint.expr import flattened, parse
from tests.conftest import line_of, make_tree

FLOORS = """\
#!/bin/sh
case "$1" in
binutils)
	echo 2.25.0
	;;
gcc)
	echo 5.1.0
	;;
llvm)
	echo 13.0.1
	;;
esac
"""
KCONFIG = """\
config CC_IS_GCC
	def_bool $(shell,cc-is-gcc)
config GCC_VERSION
	int
	default $(shell,cc-version) if CC_IS_GCC
	default 0
config CC_IS_CLANG
	def_bool $(shell,cc-is-clang)
config CLANG_VERSION
	int
	default $(shell,cc-version) if CC_IS_CLANG
	default 0
config KASAN
	bool "kasan"
config DEBUG_INFO
	bool "debug info"
config HELPER
	bool
config FLOOR_BELOW
	bool "floor below the minimum"
	# https://example.org/issue/1
	# (a comment that belongs to the floor)
	depends on !CC_IS_CLANG || CLANG_VERSION >= 120000
	select HELPER
config FLOOR_ABOVE
	bool "floor above the minimum"
	depends on !CC_IS_CLANG || CLANG_VERSION >= 140000
config NO_GCC_ESCAPE
	bool "also excludes gcc"
	depends on CLANG_VERSION >= 110000
config IN_CONTEXT
	def_bool y
	depends on CC_IS_CLANG
	depends on (!KASAN || CLANG_VERSION >= 130000) || !DEBUG_INFO
config TERM
	bool "a term"
	depends on KASAN && (!CC_IS_GCC || GCC_VERSION >= 40900)
config NOT_A_TERM
	bool "gcc only"
	depends on KASAN && GCC_VERSION >= 40900
config SELECT_IF
	bool "select if"
	select HELPER if !CC_IS_CLANG || CLANG_VERSION >= 100000
config ONLY_CLANG_IMPLIED
	bool "CC_IS_CLANG is implied by the version, but says what this is for"
	depends on CC_IS_CLANG && CLANG_VERSION >= 150000
config DEAD
	bool "dead: every condition of it changes nothing"
	depends on KASAN && !KASAN
	depends on !CC_IS_CLANG || CLANG_VERSION >= 110000
"""


def tree(tmp_path, floors=FLOORS):
    files = {"Kconfig": KCONFIG}
    if floors is not None:
        files["scripts/min-tool-version.sh"] = floors
    return make_tree(tmp_path, files)


def run(capsys, root, *args):
    code = main(["check", "--tree", str(root), "--rule", "KRED001", "--no-cache", "-q", *args])
    out = capsys.readouterr().out
    return code, out


def test_terms_largest_first():
    found = list(redundant.terms(flattened(parse("A && (!CC_IS_CLANG || CLANG_VERSION >= 1)"))))
    assert [str(t) for t, _ in found][0].startswith("Or(")
    pairs = {(E.to_str(t), v.value) for t, v in found}
    # the disjunction (as y), each disjunct as y and as n; A is no toolchain fact
    assert {("!CC_IS_CLANG || CLANG_VERSION >= 1", "y"), ("CLANG_VERSION >= 1", "y"),
            ("CLANG_VERSION >= 1", "n")} <= pairs
    assert ("!CC_IS_CLANG", "n") not in pairs  # no version in it: says what the entry is for
    assert not any("A" in E.symbols(t) for t, _ in found)


def test_only_what_changes_nothing_is_reported(capsys, tmp_path):
    code, out = run(capsys, tree(tmp_path), "--format", "json")
    assert code == 1
    got = {(f["line"], f["message"].split(":")[0]) for f in json.loads(out)["findings"]}
    assert got == {
        (line_of(KCONFIG, "depends on !CC_IS_CLANG || CLANG_VERSION >= 120000"), "FLOOR_BELOW"),
        (line_of(KCONFIG, "depends on (!KASAN || CLANG_VERSION >= 130000) || !DEBUG_INFO"), "IN_CONTEXT"),
        (line_of(KCONFIG, "depends on KASAN && (!CC_IS_GCC || GCC_VERSION >= 40900)"), "TERM"),
        (line_of(KCONFIG, "select HELPER if !CC_IS_CLANG || CLANG_VERSION >= 100000"), "SELECT_IF"),
    }


def test_without_floors_nothing_below_a_floor_is_reported(capsys, tmp_path):
    code, out = run(capsys, tree(tmp_path, floors=None), "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []


def test_the_fix_deletes_the_term_or_the_line_with_its_comments(capsys, tmp_path):
    root = tree(tmp_path)
    code, out = run(capsys, root, "--diff")
    assert code == 1
    removed = [l[1:] for l in out.splitlines() if l.startswith("-") and not l.startswith("---")]
    added = [l[1:] for l in out.splitlines() if l.startswith("+") and not l.startswith("+++")]
    assert removed == ["\t# https://example.org/issue/1", "\t# (a comment that belongs to the floor)",
                       "\tdepends on !CC_IS_CLANG || CLANG_VERSION >= 120000",
                       "\tdepends on (!KASAN || CLANG_VERSION >= 130000) || !DEBUG_INFO",
                       "\tdepends on KASAN && (!CC_IS_GCC || GCC_VERSION >= 40900)",
                       "\tselect HELPER if !CC_IS_CLANG || CLANG_VERSION >= 100000"]
    assert added == ["\tdepends on KASAN", "\tselect HELPER"]
    # applied, the tree is clean and a second --fix changes nothing
    assert main(["check", "--tree", str(root), "--rule", "KRED001", "--no-cache", "-q", "--fix"]) == 0
    capsys.readouterr()
    assert run(capsys, root)[0] == 0


def test_fixes_are_verified_safe_with_the_floors(capsys, tmp_path):
    code, out = run(capsys, tree(tmp_path), "--fixes", "--format", "json")
    fixes = {f["message"].split(":")[0]: f["fix"]["applicability"] for f in json.loads(out)["findings"]}
    assert set(fixes.values()) == {"safe"}, fixes


def test_rule_docs(capsys):
    assert main(["rule", "KRED001"]) == 0
    out = capsys.readouterr().out
    assert "minimum tool versions" in out and "Flagged example" in out


def test_reproven_on_the_reloaded_tree(tmp_path):
    """The fixer's re-proof: deleting a redundant line changes nothing,
    deleting a floor above the minimum does."""
    from kltolint.load import load_arch
    from kltolint.tree import Tree

    root = tree(tmp_path)
    before = load_arch(Tree(root), "demo")

    def without(line: str) -> str:
        edited = Tree(root, {"Kconfig": KCONFIG.replace(f"\t{line}\n", "", 1)})
        return redundant.reproven(before, load_arch(edited, "demo"), line_name[line], Tree(root), "demo")

    line_name = {"depends on !CC_IS_CLANG || CLANG_VERSION >= 120000": "FLOOR_BELOW",
                 "depends on !CC_IS_CLANG || CLANG_VERSION >= 140000": "FLOOR_ABOVE"}
    assert without("depends on !CC_IS_CLANG || CLANG_VERSION >= 120000") == ""
    assert "FLOOR_ABOVE" in without("depends on !CC_IS_CLANG || CLANG_VERSION >= 140000")


def test_a_script_of_unknown_shape_is_one_line_and_exit_2(capsys, tmp_path):
    root = tree(tmp_path, floors=FLOORS.replace("\techo 13.0.1\n", "\t$(dirname $0)/llvm-min\n"))
    code = main(["check", "--tree", str(root), "--rule", "KRED001", "--no-cache", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("kltolint: error: scripts/min-tool-version.sh:") and "not understood" in err
