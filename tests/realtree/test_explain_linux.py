"""`kltolint explain` on real arm64 defconfigs of 6.12 and 7.3, made by the
kernel's conf tool with gcc and with clang-19; change sets replayed with
`make olddefconfig`."""

from __future__ import annotations

import pytest

from kltolint import expr as E
from kltolint import explain as X
from kltolint import query as Q
from kltolint.source import Sources
from kltolint.tree import Tree
from tests.conftest import line_of, real_tree, run_make_config
from tests.realtree.test_query_linux import CLANG_ONLY

pytestmark = [pytest.mark.realtree, pytest.mark.conf]
VERSIONS = ("6.12", "7.3")


@pytest.fixture(scope="module")
def defconfigs(tmp_path_factory):
    """(version, toolchain) -> (tree root, .config text, make variables)."""
    made: dict = {}

    def get(version: str, make: str):
        if (version, make) not in made:
            root = real_tree(version)
            work = tmp_path_factory.mktemp(f"defconfig-{version}-{make or 'gcc'}".replace("=", ""))
            _, text = run_make_config(root, "arm64", make, "defconfig", work)
            made[version, make] = root, text, work
        return made[version, make]
    return get


def _explain(root, text: str, work, target: str) -> X.Explanation:
    path = work / "explained.config"
    path.write_text(text)
    tree = Tree(root)
    name, wanted = X.parse_target(target)
    asked = Q.prepare(tree, "arm64", E.Sym(name), [])
    return X.explain(asked, Sources(tree), X.read_config(path), name, wanted)


@pytest.mark.parametrize("version", VERSIONS)
def test_why_lto_clang_full_is_n_in_a_gcc_defconfig(version, defconfigs):
    root, text, work = defconfigs(version, "")
    assert "CONFIG_CC_IS_GCC=y" in text
    result = _explain(root, text, work, "LTO_CLANG_FULL")
    assert result.current == "n" and result.changes is None
    clang_only = line_of((root / "arch/Kconfig").read_text(), CLANG_ONLY)
    assert ("arch/Kconfig", clang_only) in {(r.line.file, r.line.line) for r in result.reasons}
    assert ("arch/Kconfig", clang_only) in {(l.file, l.line) for l in result.impossible.core}
    assert "CC_IS_GCC (from the .config)" in result.impossible.facts


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("target", ["LTO_CLANG_THIN", "HAS_LTO_CLANG=n", "KASAN_SW_TAGS"])
def test_change_sets_replay_with_olddefconfig(version, target, defconfigs):
    root, text, work = defconfigs(version, "LLVM=1")
    result = _explain(root, text, work, target)
    name, wanted = X.parse_target(target)
    assert result.current != wanted and result.changes
    if target == "HAS_LTO_CLANG=n" and version == "6.12":  # the README's example
        assert result.changes == ("CONFIG_GCOV_KERNEL=y",)
        assert ("arch/Kconfig", "def_bool y", "its default sets it") in {
            (r.line.file, r.line.text, r.why) for r in result.reasons}
    # conf is built once in the defconfig's folder: each replay there takes about a second.
    config, _ = run_make_config(root, "arm64", "LLVM=1", "olddefconfig", work,
                                text + "".join(line + "\n" for line in result.changes))
    assert config.get(name, "n") == wanted
    if len(result.changes) > 1:  # irreducible: without any one change, no longer
        for dropped in result.changes:
            rest = [c for c in result.changes if c != dropped]
            config, _ = run_make_config(root, "arm64", "LLVM=1", "olddefconfig", work,
                                        text + "".join(line + "\n" for line in rest))
            assert config.get(name, "n") != wanted, dropped
