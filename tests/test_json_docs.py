"""docs/json.md documents every field the JSON output has.

Each command's JSON is produced for real (findings with a fix, a review that
introduces and one that removes, a reachable and an unreachable query, an
explanation with and without a change set), flattened into field paths
(`findings[].witness.config`), and every path must be a row of that
command's table in docs/json.md: a new field without docs fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kltolint.cli import main
from tests.conftest import ROOT, TREES
from tests.test_explain import GCC
from tests.test_query import DEMO, _tree
from tests.test_review import ARM64, BREAK, format_patch

BEFORE = TREES / "arm64-big-endian" / "before"


def paths(value: object, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        yield prefix + "[]"
        for item in value:
            yield from paths(item, prefix + "[]")
    else:
        yield prefix


def documented(section: str) -> set[str]:
    """The field paths in the first column of the tables under `# ... section ...`."""
    text = (ROOT / "docs" / "json.md").read_text()
    parts = re.split(r"^# ", text, flags=re.M)
    (body,) = [p for p in parts if p.startswith(f"`kltolint {section} ")]
    return {name for row in re.findall(r"^\| (.+?) \|", body, flags=re.M)
            for name in re.findall(r"`([^`]+)`", row)}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    main(list(argv))
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert isinstance(doc, dict)
    return doc


def undocumented(section: str, docs: list[dict[str, object]]) -> list[str]:
    have = documented(section)
    seen = {p for doc in docs for p in paths(doc)}
    maps = {h[:-2] for h in have if h.endswith(".*")}
    # A list of values is documented by its own path (`arches[]`), a list of
    # objects (or an object, or its null) by its members' paths; `x.*` is a
    # map with any keys.
    return sorted(p for p in seen - have
                  if not any(h.startswith((p + ".", p + "[]")) for h in have)
                  and not any(p.startswith(m + ".") for m in maps))


def test_check_fields(capsys: pytest.CaptureFixture[str]) -> None:
    docs = [run(capsys, "check", "--no-cache", "--format", "json", str(BEFORE / "arch/arm64/Kconfig")),
            run(capsys, "check", "--no-cache", "--format", "json", "--sweep", "--tree", str(TREES / "conditional-sweep"))]
    assert docs[0]["findings"] and docs[1]["findings"]
    assert undocumented("check", docs) == []


def test_review_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fixing = tmp_path / "fix.patch"
    fixing.write_text(format_patch(tmp_path / "a", "arch/arm64/Kconfig", BREAK, ARM64, "arm64: guard LTO"))
    breaking = tmp_path / "break.patch"
    breaking.write_text(format_patch(tmp_path / "b", "arch/arm64/Kconfig", ARM64, BREAK, "arm64: allow LTO everywhere"))
    docs = [run(capsys, "review", "--tree", str(BEFORE), "--format", "json", str(fixing)),
            run(capsys, "review", "--tree", str(DEMO), "--format", "json", str(breaking))]
    assert docs[0]["removed"] and docs[1]["findings"]
    assert undocumented("review", docs) == []


def test_query_fields(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--tree", str(DEMO), "--arch", "arm64", "--format", "json"]
    docs = [run(capsys, "query", "LTO_CLANG_FULL", *base),
            run(capsys, "query", "LTO_CLANG_FULL", *base, "--toolchain", "gcc")]
    assert [d["reachable"] for d in docs] == [True, False]
    assert undocumented("query", docs) == []


def test_explain_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    config = tmp_path / ".config"
    config.write_text(GCC)
    base = ["--tree", str(tree.root), "--config", str(config), "--arch", "demo", "--format", "json"]
    docs = [run(capsys, "explain", "SLOW", *base), run(capsys, "explain", "FAST", *base)]
    assert docs[0]["changes"] and docs[1]["ruled_out_by"]
    assert undocumented("explain", docs) == []


def test_a_missing_row_is_caught() -> None:
    # The check itself: a field absent from the tables is reported.
    assert "findings[].fix.diff" in documented("check")
    assert "no.such.field" not in documented("check")
