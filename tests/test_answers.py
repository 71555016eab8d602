"""The answer cache of query and explain: same question, unchanged tree ->
no load; any change -> a fresh answer."""

from __future__ import annotations

import os
import shutil

import pytest

from kltolint import query as Q
from kltolint.cli import main
from tests.test_explain import CLANG
from tests.test_query import DEMO, _tree


@pytest.fixture
def loads(monkeypatch):
    """Counts the tree loads behind the answers."""
    count = []
    real = Q.prepare

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(Q, "prepare", counting)
    return count


def test_same_question_on_unchanged_tree_is_not_recomputed(tmp_path, capsys, loads):
    root = tmp_path / "tree"
    shutil.copytree(DEMO, root)
    argv = ["query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", "--tree", str(root), "--arch", "arm64",
            "--cache-dir", str(tmp_path / "cache")]
    first = main(argv), capsys.readouterr().out
    second = main(argv), capsys.readouterr().out
    assert first == second and first[0] == 1 and len(loads) == 1
    # Another question is another entry.
    main([*argv[:1], "LTO_CLANG_FULL", *argv[2:]])
    assert len(loads) == 2 and "reachable" in capsys.readouterr().out
    # An edited Kconfig file (the guard dropped) is a miss, and a new answer.
    kconfig = root / "arch/arm64/Kconfig"
    kconfig.write_text(kconfig.read_text().replace(" if CPU_LITTLE_ENDIAN", ""))
    os.utime(kconfig, ns=(1, 1))
    code = main(argv)
    assert code == 0 and len(loads) == 3
    assert main([*argv, "--no-cache"]) == 0 and len(loads) == 4


def test_explain_keys_on_the_config_bytes(tmp_path, capsys, loads):
    tree = _tree(tmp_path / "tree")
    config = tmp_path / ".config"
    config.write_text(CLANG)
    argv = ["explain", "SLOW", "--tree", str(tree.root), "--config", str(config), "--arch", "demo",
            "--cache-dir", str(tmp_path / "cache")]
    assert main(argv) == 0 and main(argv) == 0 and len(loads) == 1
    config.write_text(CLANG.replace("# CONFIG_SLOW is not set", "CONFIG_SLOW=y"))
    assert main(argv) == 0 and len(loads) == 2
    assert "SLOW = y in the .config" in capsys.readouterr().out
