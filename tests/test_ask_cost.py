"""What keeps `query` and `explain` interactive (issue 16 item 4): the
collector paused while an arch is answered, and imports limited to what
the command uses."""

from __future__ import annotations

import gc

from kltolint import explain as X
from kltolint import query as Q
from tests.helpers import cli
from tests.test_explain import CLANG
from tests.test_query import DEMO, _tree


def test_the_collector_is_paused_while_an_arch_is_answered_only(capsys, monkeypatch, tmp_path):
    seen: list[bool] = []
    for module, name in ((Q, "answer"), (Q, "prepare"), (X, "explain")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, **k: seen.append(gc.isenabled()) or _real(*a, **k))
    assert gc.isenabled()
    code, _, _ = cli(capsys, "query", "LTO_CLANG_FULL", "--tree", DEMO, "--arch", "arm64", "--no-cache")
    assert code == 0 and seen == [False, False] and gc.isenabled()
    tree = _tree(tmp_path / "tree")
    config = tmp_path / ".config"
    config.write_text(CLANG)
    code, _, _ = cli(capsys, "explain", "KNOB", "--tree", tree.root, "--config", config, "--arch", "demo", "--no-cache")
    assert code == 0 and seen[2:] == [False, False] and gc.isenabled()
