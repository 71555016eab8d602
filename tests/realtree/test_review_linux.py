"""kltolint review on linux-source-6.12 and 7.3: the bot's job, end to end."""

from __future__ import annotations

import json

import pytest

from kltolint.cli import main
from tests.conftest import format_patch, line_of, real_tree
from tests.realtree.test_linux import BROKEN_BIG_ENDIAN, BUILDABLE_BIG_ENDIAN, GUARDED, UNGUARDED

pytestmark = pytest.mark.realtree


def run(capsys, tree, patch, *args):
    code = main(["review", "--tree", str(tree), str(patch), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module", params=["6.12", "7.3"])
def arm64(request):
    tree = real_tree(request.param)
    return tree, (tree / "arch/arm64/Kconfig").read_text()


def test_dropping_the_endian_guard(capsys, tmp_path, arm64):
    tree, text = arm64
    # On 7.x big-endian arm64 is BROKEN: the patch also makes it buildable.
    broken = text.replace(f"\t{GUARDED}\n", f"\t{UNGUARDED}\n").replace(BROKEN_BIG_ENDIAN, BUILDABLE_BIG_ENDIAN)
    patch = tmp_path / "0001.patch"
    patch.write_text(format_patch(tmp_path, "arch/arm64/Kconfig", text, broken, "arm64: LTO for all"))
    code, doc = run(capsys, tree, patch)
    assert code == 1
    assert {(f["file"], f["line"], f["rule"]) for f in doc["findings"]} == \
        {("arch/arm64/Kconfig", line_of(broken, UNGUARDED), "KLTO001")}
    fix = doc["findings"][0]["fix"]
    assert f"+\t{GUARDED}" in fix["diff"]
    # On 7.3 ARCH_SUPPORTS_LTO_CLANG's forward cone on arm64 has ~1,750
    # symbols (through RUST and the drivers it reaches): the miter's sweep
    # still proves the fix safe (a cap of 400 once made it unsafe).
    assert fix["applicability"] == "safe"


def test_help_text_patch(capsys, tmp_path, arm64):
    tree, text = arm64
    harmless = text.replace("\t  ARM 64-bit (AArch64) Linux support.", "\t  ARM 64-bit (AArch64) Linux support!", 1)
    assert harmless != text
    patch = tmp_path / "0001.patch"
    patch.write_text(format_patch(tmp_path, "arch/arm64/Kconfig", text, harmless, "arm64: help"))
    code, doc = run(capsys, tree, patch)
    assert code == 0 and doc["findings"] == [] and doc["removed"] == []
