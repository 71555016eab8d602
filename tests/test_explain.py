"""`kltolint explain` on a small tree: the why, the change set, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kltolint import expr as E
from kltolint import explain as X
from kltolint import query as Q
from kltolint.errors import UserError
from kltolint.source import Sources
from tests.conftest import line_of
from tests.test_query import _tree
from tests.helpers import cli

# A .config as conf would write it for tests.test_query's KCONFIG, built with clang.
CLANG = """\
CONFIG_CC_IS_CLANG=y
# CONFIG_MODULES is not set
# CONFIG_FAST is not set
# CONFIG_SLOW is not set
# CONFIG_EXPERT is not set
# CONFIG_PICKER is not set
"""
GCC = CLANG.replace("CONFIG_CC_IS_CLANG=y", "CONFIG_CC_IS_GCC=y")


def explain(tmp_path, config: str, target: str) -> tuple[X.Explanation, str]:
    tree = _tree(tmp_path / "tree")
    path = tmp_path / ".config"
    path.write_text(config)
    name, wanted = X.parse_target(target)
    asked = Q.prepare(tree, "demo", E.Sym(name), [])
    return X.explain(asked, Sources(tree), X.read_config(path), name, wanted), (tree.root / "Kconfig").read_text()


def test_failing_lines_walked_back_to_user_choices(tmp_path):
    result, text = explain(tmp_path, CLANG, "KNOB")
    failing = {(r.line.line, r.why) for r in result.reasons}
    assert (line_of(text, "depends on FAST"), "fails") in failing
    assert (line_of(text, "depends on EXPERT"), "fails") in failing
    # FAST and EXPERT are the user's to set: the walk stops there.
    assert {r.line.owner for r in result.reasons if r.why.startswith("user-settable")} == {"FAST", "EXPERT"}
    # The smallest change: all three, nothing else (SLOW stays off).
    assert result.changes == ("CONFIG_FAST=y", "CONFIG_EXPERT=y", "CONFIG_KNOB=y")


def test_a_select_that_sets_it_is_named_and_undone_by_one_change(tmp_path):
    on = CLANG.replace("# CONFIG_SLOW is not set", "CONFIG_SLOW=y").replace(
        "# CONFIG_PICKER is not set", "CONFIG_PICKER=y") + "CONFIG_TARGET=y\n"
    result, text = explain(tmp_path, on, "TARGET=n")
    assert (line_of(text, "select TARGET if SLOW"), "sets it") in {(r.line.line, r.why) for r in result.reasons}
    assert result.changes in (("# CONFIG_SLOW is not set",), ("# CONFIG_PICKER is not set",))


def test_impossible_with_this_toolchain_names_the_lines(tmp_path):
    result, text = explain(tmp_path, GCC, "FAST")
    assert result.changes is None
    assert [(l.line, l.text) for l in result.impossible.core] == [
        (line_of(text, "depends on CC_IS_CLANG"), "depends on CC_IS_CLANG")]
    assert "CC_IS_GCC (from the .config)" in result.impossible.facts


def test_nothing_to_change_when_it_has_the_value(tmp_path):
    result, _ = explain(tmp_path, CLANG, "SLOW=n")
    assert result.changes == () and result.current == "n"


@pytest.mark.parametrize("text, expected", [("KASAN", ("KASAN", "y")), ("CONFIG_KASAN=m", ("KASAN", "m")),
                                            ("X=n", ("X", "n"))])
def test_target_syntax(text, expected):
    assert X.parse_target(text) == expected


@pytest.mark.parametrize("bad", ["KASAN=2", "A B", "=y"])
def test_bad_target(bad):
    with pytest.raises(UserError):
        X.parse_target(bad)


def test_config_reader(tmp_path):
    path = tmp_path / ".config"
    path.write_text('# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="a \\"b\\""\n\nCONFIG_N=0x10\n')
    assert X.read_config(path) == {"A": "y", "B": "n", "S": 'a "b"', "N": "0x10"}
    path.write_text("CONFIG_A=y\ngarbage here\n")
    with pytest.raises(UserError, match=r"\.config:2: not a \.config line"):
        X.read_config(path)
    path.write_bytes(b"CONFIG_A=\xff\n")
    with pytest.raises(UserError, match="not UTF-8"):
        X.read_config(path)
    with pytest.raises(UserError, match="larger than"):
        X.read_config(Path("/dev/zero"))


def test_cli(tmp_path, capsys):
    tree = _tree(tmp_path / "tree")
    config = tmp_path / ".config"
    config.write_text(GCC)
    base = ["explain", "--tree", str(tree.root), "--config", str(config), "--arch", "demo"]
    code, out, _ = cli(capsys, *base[:1], "SLOW", *base[1:])
    assert code == 0 and "    CONFIG_SLOW=y\n" in out and "make olddefconfig" in out
    code, out, _ = cli(capsys, *base[:1], "KNOB", *base[1:])
    assert code == 1 and "no change of the user's choices gives KNOB=y" in out
    code, out, _ = cli(capsys, *base[:1], "FAST", *base[1:], "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["changes"] is None and data["ruled_out_by"]["core"][0]["symbol"] == "FAST"
    code, out, err = cli(capsys, *base[:1], "NOPE", *base[1:])
    assert code == 2 and out == "" and "unknown symbol NOPE" in err and err.count("\n") == 1
