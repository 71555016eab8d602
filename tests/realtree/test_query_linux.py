"""`kltolint query` on Debian's 6.12 and 7.3 trees: the README's examples,
witnesses replayed with the kernel's conf tool, cores shown minimal."""

from __future__ import annotations

import pytest

from kltolint import expr as E
from kltolint import query as Q
from kltolint.source import Sources
from kltolint.toolfacts import parse_facts
from kltolint.tree import Tree
from tests.conftest import line_of, real_tree, run_conf, tree_with
from tests.test_query import relaxed

pytestmark = pytest.mark.realtree
VERSIONS = ("6.12", "7.3")
CLANG_ONLY = "depends on CC_IS_CLANG && LD_IS_LLD && AS_IS_LLVM"


def ask(root, arch: str, goal: str, facts: list[str]) -> tuple[Q.Asked, Q.Answer]:
    tree = Tree(root)
    asked = Q.prepare(tree, arch, E.parse(goal), parse_facts(facts))
    return asked, Q.answer(asked, Sources(tree))


def assert_minimal(root, asked: Q.Asked, answer: Q.Answer) -> None:
    """Without any one line of the core (the rest of the tree relaxed too),
    the goal is reachable; with all of them it is not."""
    sources = Sources(Tree(root))
    assert not Q.reachable_without(asked, sources, list(answer.core), answer.facts)
    for line in answer.core:
        rest = [l for l in answer.core if l != line]
        assert Q.reachable_without(asked, sources, rest, answer.facts), f"{line} is not needed"


@pytest.mark.conf
@pytest.mark.parametrize("version", VERSIONS)
def test_thinlto_with_kasan_on_arm64_with_clang(version, tmp_path):
    root = real_tree(version)
    _, answer = ask(root, "arm64", "LTO_CLANG_THIN && KASAN", ["clang"])
    assert answer.reachable
    assert answer.witness.make == "LLVM=1"
    config = run_conf(root, "arm64", answer.witness.make, answer.witness.config, tmp_path)
    assert config.get("LTO_CLANG_THIN") == "y" and config.get("KASAN") == "y"


@pytest.mark.parametrize("version", VERSIONS)
def test_thinlto_with_kasan_on_arm64_with_gcc(version, tmp_path):
    root = real_tree(version)
    asked, answer = ask(root, "arm64", "LTO_CLANG_THIN && KASAN", ["gcc"])
    assert not answer.reachable and answer.facts == ("gcc",)
    arch_kconfig = (root / "arch/Kconfig").read_text()
    assert ("arch/Kconfig", line_of(arch_kconfig, CLANG_ONLY), CLANG_ONLY) in {
        (l.file, l.line, l.text) for l in answer.core}
    assert any(n.startswith("CC_IS_CLANG: arch/Kconfig:") for n in answer.needs)
    assert all(l.owner != "KASAN" for l in answer.core)  # KASAN is not the problem
    assert_minimal(root, asked, answer)
    # Each line of the core, removed from the real file, makes it reachable.
    for line in answer.core:
        text = (root / line.file).read_text().splitlines(keepends=True)
        text[line.line - 1] = relaxed(line.text)
        changed = tree_with(root, tmp_path / f"{line.line}", {line.file: "".join(text)})
        assert ask(changed, "arm64", "LTO_CLANG_THIN && KASAN", ["gcc"])[1].reachable, line


@pytest.mark.conf
@pytest.mark.parametrize("version", VERSIONS)
def test_has_lto_clang_with_function_tracer_on_i386(version, tmp_path):
    """The trap: on i386 clang falls back to recordmcount, which turns
    HAS_LTO_CLANG off. The model says so once told that clang rejects
    -mrecord-mcount (clang-19 does); without that it names the probe."""
    root = real_tree(version)
    goal = "HAS_LTO_CLANG && FUNCTION_TRACER"
    _, free = ask(root, "i386", goal, ["LLVM=1"])
    assert free.reachable
    probe = [a for a in free.witness.assumptions if "-mrecord-mcount" in a]
    assert probe and probe[0].startswith("probe succeeds")
    # clang-19 rejects -mrecord-mcount: the conf tool turns HAS_LTO_CLANG off.
    config = run_conf(root, "i386", free.witness.make, free.witness.config, tmp_path / "free")
    assert config.get("FUNCTION_TRACER") == "y" and "HAS_LTO_CLANG" not in config

    asked, answer = ask(root, "i386", goal, ["LLVM=1", "probe:-mrecord-mcount=n"])
    assert not answer.reachable
    assert {"probe:-mrecord-mcount=n", "ARCH=i386: !64BIT"} <= set(answer.facts)
    texts = {(l.owner, l.text) for l in answer.core}
    assert ("HAS_LTO_CLANG", "depends on !FTRACE_MCOUNT_USE_RECORDMCOUNT") in texts
    assert ("FTRACE_MCOUNT_USE_RECORDMCOUNT", "def_bool y") in texts
    assert_minimal(root, asked, answer)

    # On x86_64 objtool records mcount instead: reachable, and conf agrees.
    _, x86_64 = ask(root, "x86_64", goal, ["LLVM=1", "probe:-mrecord-mcount=n"])
    assert x86_64.reachable
    config = run_conf(root, "x86_64", x86_64.witness.make, x86_64.witness.config, tmp_path / "x86_64")
    assert config.get("HAS_LTO_CLANG") == "y" and config.get("FUNCTION_TRACER") == "y"
