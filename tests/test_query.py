"""`kltolint query` on small trees: answers, cores, toolchain facts, bad input."""

from __future__ import annotations

import json

import pytest

from kltolint import expr as E
from kltolint import query as Q
from kltolint.errors import UserError
from kltolint.source import Sources
from kltolint.toolfacts import parse_fact, parse_facts
from kltolint.tree import Tree
from tests.conftest import TREES, line_of, make_tree
from tests.helpers import cli

DEMO = TREES / "arm64-big-endian" / "after"

INIT = """\
config CC_IS_GCC
	def_bool $(success,test GCC = GCC)
config CC_IS_CLANG
	def_bool $(success,test Clang = Clang)
config MODULES
	bool "modules"
	modules
"""

KCONFIG = INIT + """\
config FAST
	bool "fast"
	depends on CC_IS_CLANG
	depends on !SLOW

config SLOW
	bool "slow"

config EXPERT
	bool "expert"

menu "Tuning"
	depends on EXPERT

config KNOB
	bool "knob"
	depends on FAST

endmenu

config FORCED
	def_bool y
	depends on FAST # a comment

if FORCED
config AFTER_FORCED
	bool "after"
endif

config TARGET
	bool

config PICKER
	bool "picker"
	select TARGET if SLOW
"""


INCLUDE = (DEMO / "scripts/Kconfig.include").read_text()


def _tree(tmp_path, text=KCONFIG) -> Tree:
    return Tree(make_tree(tmp_path, {"Kconfig": 'source "scripts/Kconfig.include"\n' + text,
                                     "scripts/Kconfig.include": INCLUDE}))


def ask(tree: Tree, text: str, facts=(), arch="demo") -> Q.Answer:
    asked = Q.prepare(tree, arch, E.parse(text), parse_facts(list(facts)))
    return Q.answer(asked, Sources(tree))


def _core_lines(answer: Q.Answer) -> list[tuple[str, int]]:
    return [(line.file, line.line) for line in answer.core]


def test_reachable_with_a_minimal_witness(tmp_path):
    tree = _tree(tmp_path)
    answer = ask(tree, "KNOB && EXPERT")
    assert answer.reachable
    assert "CONFIG_KNOB=y" in answer.witness.config and "CONFIG_EXPERT=y" in answer.witness.config
    assert "SLOW" not in answer.witness.config  # minimal: nothing it does not need
    assert answer.witness.make == "LLVM=1"  # FAST needs clang


def test_unreachable_names_exactly_the_lines(tmp_path):
    tree = _tree(tmp_path)
    text = (tree.root / "Kconfig").read_text()
    answer = ask(tree, "KNOB && SLOW")
    assert not answer.reachable
    assert _core_lines(answer) == sorted([("Kconfig", line_of(text, "depends on FAST")),
                                          ("Kconfig", line_of(text, "depends on !SLOW"))])
    assert {line.owner for line in answer.core} == {"KNOB", "FAST"}


def test_menu_and_if_blocks_are_lines_too(tmp_path):
    tree = _tree(tmp_path)
    text = (tree.root / "Kconfig").read_text()
    menu_dep = line_of(text, "depends on EXPERT")
    assert ("Kconfig", menu_dep) in _core_lines(ask(tree, "KNOB && !EXPERT"))
    # `if FORCED` gates AFTER_FORCED; FORCED's default ties it to FAST.
    core = _core_lines(ask(tree, "AFTER_FORCED && !FAST"))
    assert ("Kconfig", line_of(text, "if FORCED")) in core
    assert ("Kconfig", line_of(text, "depends on FAST # a comment")) in core


@pytest.mark.parametrize("goal", ["KNOB && SLOW", "KNOB && !EXPERT", "AFTER_FORCED && !FAST", "FORCED && !FAST",
                                  "FAST && !FORCED", "TARGET && !SLOW"])
def test_core_is_minimal_by_deleting_each_line(tmp_path, goal):
    """Removing any one line of the core makes the goal reachable: deleting
    it, or for a select or default with an `if`, dropping the `if`."""
    tree = _tree(tmp_path / "base")
    answer = ask(tree, goal)
    assert not answer.reachable and answer.core
    text = (tree.root / "Kconfig").read_text()
    for line in answer.core:
        lines = text.splitlines(keepends=True)
        # keep the line count: a comment line in its place (an `if` block stays, unconditional)
        lines[line.line - 1] = relaxed(line.text)
        changed = _tree(tmp_path / f"del{line.line}", "".join(lines).split("\n", 1)[1])
        assert ask(changed, goal).reachable, f"{line} is not needed"


def relaxed(text: str) -> str:
    if text.startswith("if "):
        return "if y\n"  # the block stays, unconditional
    if text.split()[0] in ("select", "default", "imply") and " if " in text:
        return "\t" + text.split(" if ")[0] + "\n"
    return "# deleted\n"


def test_toolchain_facts_decide_and_are_named(tmp_path):
    tree = _tree(tmp_path)
    text = (tree.root / "Kconfig").read_text()
    assert ask(tree, "FAST", ["clang"]).reachable
    answer = ask(tree, "FAST", ["gcc"])
    assert not answer.reachable
    assert answer.facts == ("gcc",)
    assert _core_lines(answer) == [("Kconfig", line_of(text, "depends on CC_IS_CLANG"))]
    assert answer.needs == (f"CC_IS_CLANG: Kconfig:{line_of(text, 'depends on CC_IS_CLANG')}",)
    # A fact that plays no part is left out of the core.
    assert ask(tree, "KNOB && SLOW", ["clang"]).facts == ()


def test_probe_facts_fix_the_answer_of_matching_probes(tmp_path):
    tree = _tree(tmp_path, INIT + "config USES\n\tdef_bool $(cc-option,-mfoo)\n")
    assert ask(tree, "USES").reachable
    answer = ask(tree, "USES", ["probe:-mfoo=n"])
    assert not answer.reachable and answer.facts == ("probe:-mfoo=n",)


@pytest.mark.parametrize("text, expected", [
    ("gcc", "CC_IS_GCC"), ("LLVM=1", "CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM"),
    ("LD=ld.bfd", "LD_IS_BFD"), ("clang-19", "CC_IS_CLANG && CLANG_VERSION >= 190000 && CLANG_VERSION < 200000"),
    ("CLANG_VERSION >= 170000", "CLANG_VERSION >= 170000"),
])
def test_fact_syntax(text, expected):
    assert E.to_str(parse_fact(text).expr) == expected


@pytest.mark.parametrize("bad", ["icc", "FOO", "LD=gold"])
def test_unknown_fact_is_bad_input(bad):
    with pytest.raises(UserError, match="unknown toolchain fact"):
        parse_fact(bad)


def test_i386_is_x86_with_64bit_off(tmp_path):
    arch = 'config 64BIT\n\tbool "64-bit kernel" if "$(ARCH)" = "x86"\n\tdefault "$(ARCH)" != "i386"\n'
    tree = Tree(make_tree(tmp_path, {"Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n', "arch/x86/Kconfig": arch},
                          ("x86",)))
    assert ask(tree, "64BIT", arch="x86_64").reachable
    answer = ask(tree, "64BIT", arch="i386")
    assert not answer.reachable and answer.fixed == ("ARCH=i386: !64BIT",)


# -- the command line -----------------------------------------------------------------------


def test_cli_exit_codes_and_text(capsys):
    code, out, _ = cli(capsys, "query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", "--tree", str(DEMO), "--arch", "arm64")
    assert code == 1
    guard = line_of((DEMO / "arch/arm64/Kconfig").read_text(), "select ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN")
    assert f"arch/arm64/Kconfig:{guard}: note: ARM64: select ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN" in out
    code, out, _ = cli(capsys, "query", "LTO_CLANG_FULL", "--tree", str(DEMO), "--arch", "arm64")
    assert code == 0 and "make ARCH=arm64 LLVM=1 KCONFIG_ALLCONFIG=witness.config allnoconfig" in out


def test_cli_json(capsys):
    code, out, _ = cli(capsys, "query", "LTO_CLANG_FULL", "--tree", str(DEMO), "--arch", "arm64",
                       "--toolchain", "gcc", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["reachable"] is False and data["toolchain"] == ["gcc"] and data["version"] == 1
    arch = data["arches"][0]
    assert arch["facts"] == ["gcc"] and any("CC_IS_CLANG" in c["text"] for c in arch["core"])


@pytest.mark.parametrize("argv, message", [
    (["LTO_CLANG_FULL &&"], "bad expression"),
    (["NO_SUCH_SYMBOL"], "unknown symbol NO_SUCH_SYMBOL"),
    (["LTO_CLANG_FULL", "--arch", "vax"], "unknown arch 'vax'"),
    (["LTO_CLANG_FULL", "--toolchain", "icc"], "unknown toolchain fact"),
    (["(" * 5000 + "LTO_CLANG_FULL" + ")" * 5000], "bad expression"),
    (["LTO_CLANG_FULL", "--toolchain", "(" * 5000 + "gcc" + ")" * 5000], "unknown toolchain fact"),
])
def test_cli_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = cli(capsys, "query", *argv, "--tree", str(DEMO))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_every_arch_in_order_from_workers(tmp_path, capsys):
    """Without --arch every arch is asked (all but the first in forked
    workers); answers come back in arch order, and a symbol only one arch
    defines is no typo."""
    files = {"Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n',
             "arch/c/Kconfig": 'config ONLY_C\n\tbool "only on c"\n'}
    root = make_tree(tmp_path, files, ("a", "b", "c", "d"))
    code, out, _ = cli(capsys, "query", "ONLY_C", "--tree", str(root), "--no-cache")
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")] == ["a", "b", "c", "d"]
    assert "c: reachable: ONLY_C" in out and "    ONLY_C is not defined on d" in out
    code, _, err = cli(capsys, "query", "ONLY_E", "--tree", str(root), "--no-cache")
    assert code == 2 and "unknown symbol ONLY_E" in err


def test_a_symbol_nothing_sets_is_named(tmp_path):
    tree = _tree(tmp_path, INIT + "config HOOK\n\tbool\n\nconfig FEATURE\n\tbool \"feature\"\n\tdepends on HOOK\n")
    answer = ask(tree, "FEATURE")
    assert not answer.reachable and answer.never_set == ("HOOK",)
    assert "    nothing on demo sets HOOK (no prompt, default or select)" in Q.render_text("FEATURE", [answer])


def test_the_lined_model_keeps_the_kernel_version(tmp_path):
    """The model an unsat core is read from follows the kernel's own choice
    rules (6.11 changed them), not the newest kernel's."""
    from kltolint.provenance import Lined, Provenance

    tree = Tree(make_tree(tmp_path, {"Kconfig": 'config A\n\tbool "a"\n', "Makefile": "VERSION = 6\nPATCHLEVEL = 1\n"}))
    asked = Q.prepare(tree, "demo", E.parse("A"), [])
    lined = Lined(Provenance(asked.kconf, asked.model, Sources(tree)))
    assert asked.model.kernel == lined.model.kernel == (6, 1) and not lined.model.choices_6_11
