"""--baseline and `# kltolint: ignore[RULE]`."""

from __future__ import annotations

import json

from tests.test_sweep import KCONFIG
from tests.conftest import make_tree
from tests.helpers import cli



def test_baseline_accepts_known_findings_and_fails_on_new(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": KCONFIG})
    base = tmp_path / "baseline.json"
    args = ["check", "--tree", root, "--no-cache", "--sweep", "--baseline", base]
    code, _, err = cli(capsys, *args)
    assert code == 0 and "wrote the baseline with 2 findings" in err
    assert len(json.loads(base.read_text())["findings"]) == 2
    # lines move: still known
    (root / "Kconfig").write_text("# a new first line\n" + KCONFIG)
    code, out, err = cli(capsys, *args)
    assert code == 0 and "2 known findings" in err
    # a new unmet select: reported
    (root / "Kconfig").write_text(KCONFIG + "config NEW\n\tbool \"new\"\n\tselect HELPER\n")
    code, out, _ = cli(capsys, *args)
    assert code == 1 and "NEW selects HELPER" in out and "BAD selects" not in out


def test_bad_baseline_file(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": KCONFIG})
    (tmp_path / "b.json").write_text("[1, 2]")
    code, out, err = cli(capsys, "check", "--tree", root, "--no-cache", "--baseline", tmp_path / "b.json")
    assert code == 2 and "not a kltolint baseline" in err


def test_inline_suppression_on_the_select_line_or_the_header(capsys, tmp_path):
    text = KCONFIG.replace("config BAD\n", "config BAD  # kltolint: ignore[KSEL001]\n")
    text = text.replace("\tselect NET_HELPER\n", "\tselect NET_HELPER  # kltolint: ignore[KSEL001]\n")
    root = make_tree(tmp_path / "t", {"Kconfig": text})
    code, out, _ = cli(capsys, "check", "--tree", root, "--no-cache", "--sweep")
    assert code == 0 and "unused suppression" not in out


def test_unused_suppression_is_reported(capsys, tmp_path):
    text = KCONFIG.replace("config GOOD\n", "config GOOD  # kltolint: ignore[KSEL001]\n")
    root = make_tree(tmp_path / "t", {"Kconfig": text})
    code, out, _ = cli(capsys, "check", "--tree", root, "--no-cache", "--sweep")
    line = text.splitlines().index("config GOOD  # kltolint: ignore[KSEL001]") + 1
    assert code == 1 and f"Kconfig:{line}: warning: unused suppression for KSEL001 [unused-suppression]" in out
    # not reported when that rule did not run
    code, out, _ = cli(capsys, "check", "--tree", root, "--no-cache")
    assert code == 0 and "unused suppression" not in out


def test_machine_formats_stay_clean(capsys, tmp_path):
    text = KCONFIG.replace("config GOOD\n", "config GOOD  # kltolint: ignore[KSEL001]\n")
    root = make_tree(tmp_path / "t", {"Kconfig": text})
    code, out, err = cli(capsys, "check", "--tree", root, "--no-cache", "--sweep", "--format", "json")
    json.loads(out)
    assert "unused suppression" in err
