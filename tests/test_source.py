from pathlib import Path

import pytest

from kltolint.source import SourceFile, macro_calls
from tests.conftest import FIXTURES, TREES

FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and "Kconfig" in p.name)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_round_trip(path: Path):
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    assert SourceFile(text).render() == text


@pytest.mark.parametrize("text", [
    "config A\n\tbool \"a\"\r\n\tdepends on B\r\n",  # CRLF
    "config A\n\tbool",  # no final newline
    "config A\n\tdepends on B && \\\n\t\tC\n",  # continuation
    "\n\n# comment\n\t  \nconfig A\n",
    "config A\n\thelp\n\t  text\n\n\t  more\n\nconfig B\n",
    "caf\udcc3 config\n",  # undecodable bytes, kept by surrogateescape
])
def test_edge_cases_round_trip(text):
    assert SourceFile(text).render() == text


def test_entries_and_help():
    src = SourceFile(
        "config A\n"
        "\tbool \"a\"\n"
        "\tselect B\n"
        "\thelp\n"
        "\t  select C is help text, not a property\n"
        "\n"
        "config B\n"
        "\tbool\n"
    )
    a = src.entry_at(1)
    assert a is not None and a.name == "A"
    assert [p.text.strip() for p in a.lines("select")] == ["select B"]
    assert src.select_line(1, "select", "B").lineno == 3
    assert src.select_line(1, "select", "C") is None
    assert src.entry_at(7).name == "B"


def test_continuation_is_one_logical_line():
    src = SourceFile("config A\n\tselect B \\\n\t\tif C\n")
    line = src.select_line(1, "select", "B")
    assert (line.first, line.last) == (1, 2)
    assert line.words() == ["select", "B", "if", "C"]


def test_edits_keep_line_ends():
    src = SourceFile("config A\r\n\tselect B\r\n")
    src.replace(src.select_line(1, "select", "B"), "\tselect B if C")
    src.insert_after(src.entry_at(1).header, "\tdepends on D")
    assert src.render() == "config A\r\n\tdepends on D\r\n\tselect B if C\r\n"


def test_edit_on_last_line_without_newline():
    src = SourceFile("config A\n\tselect B")
    src.insert_after(src.select_line(1, "select", "B"), "\tdepends on C")
    assert src.render() == "config A\n\tselect B\n\tdepends on C\n"


@pytest.mark.realtree
@pytest.mark.parametrize("version", ["6.12", "6.1", "7.3"])
def test_every_real_kconfig_file_round_trips(version):
    from tests.conftest import real_tree

    root = real_tree(version)
    files = [p for p in root.rglob("Kconfig*") if p.is_file()]
    assert len(files) > 1000
    for path in files:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        assert SourceFile(text).render() == text, path


def test_entry_lookups_agree_with_a_scan():
    """entry_at / entry_holding bisect; a scan of every entry is the reference."""
    for path in sorted(TREES.rglob("*Kconfig*")):
        source = SourceFile(path.read_text())
        for lineno in range(1, len(source.lines) + 2):
            at = [e for e in source.entries if e.header.first <= lineno - 1 <= e.header.last]
            holding = [e for e in source.entries
                       if e.header.first <= lineno - 1 <= (e.props[-1].last if e.props else e.header.last)]
            assert source.entry_at(lineno) is (at[0] if at else None)
            assert source.entry_holding(lineno) is (holding[0] if holding else None)


def test_macro_calls_are_the_outermost_in_order():
    line = '\tdepends on $(success,$(CC) -x c) && FOO || $(cc-option,-m(x)) # $(unclosed'
    assert macro_calls(line) == ["$(success,$(CC) -x c)", "$(cc-option,-m(x))"]
    assert macro_calls("\tdepends on FOO") == []
