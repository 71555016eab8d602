"""The select sweep in review: selects a patch adds or changes, and selects
whose targets' dependencies it changes, with witnesses and verified fixes."""

from __future__ import annotations

import json
import os

import pytest

from kltolint.cli import main
from kltolint.patch import parse
from kltolint.review_sweep import touched_symbols
from kltolint.session import Session
from kltolint.tree import Tree
from tests.conftest import format_patch, line_of, make_tree
from tests.test_review import review

BASE = """\
config MODULES
	bool "modules"
	modules
config PCI
	bool "PCI"
config HELPER
	bool
	depends on PCI
config LIB
	bool
config DRIVER
	bool "a driver"
	depends on PCI
	select HELPER
config OTHER
	bool "other"
	select LIB
config OLD_BAD
	bool "selects past PCI already"
	select HELPER
"""
ADD_SELECT = BASE.replace('\tbool "other"\n\tselect LIB\n', '\tbool "other"\n\tselect LIB\n\tselect HELPER\n')
TIGHTEN = BASE.replace("config LIB\n\tbool\n", "config LIB\n\tbool\n\tdepends on PCI\n")
FIX_OLD = BASE.replace('\tbool "selects past PCI already"\n', '\tbool "selects past PCI already"\n\tdepends on PCI\n')


def line_after(text: str, header: str, needle: str) -> int:
    """1-based number of the first line equal to `needle` after the line `header`."""
    lines = [line.strip() for line in text.splitlines()]
    return lines.index(needle, lines.index(header)) + 1


def tree(tmp_path):
    return make_tree(tmp_path / "tree", {"Kconfig": BASE})


def run(capsys, tmp_path, new, *args, subject="change"):
    mail = format_patch(tmp_path / subject.replace(" ", "-"), "Kconfig", BASE, new, subject)
    code, out, _ = review(capsys, mail, tmp_path, "--format", "json", *args, tree=tree(tmp_path))
    return code, json.loads(out)


def test_touched_symbols_are_the_changed_entries_and_names(tmp_path):
    root = tree(tmp_path)
    mail = format_patch(tmp_path / "p", "Kconfig", BASE, ADD_SELECT, "add")
    (patch,) = parse(mail)
    after = Tree(root, {"Kconfig": ADD_SELECT})
    # An added select line: its target is in scope, its entry's other selects are not.
    assert touched_symbols(Tree(root), after, patch) == {"HELPER"}


def test_touched_symbols_hold_the_entry_when_its_dependencies_change(tmp_path):
    root = tree(tmp_path)
    gated = BASE.replace('\tbool "other"\n\tselect LIB\n', '\tbool "other"\n\tdepends on PCI\n\tselect LIB\n')
    (patch,) = parse(format_patch(tmp_path / "p", "Kconfig", BASE, gated, "gate"))
    # OTHER's value changes, so every select of OTHER (LIB's) must be swept
    # again; PCI's does not (a dependency bounds OTHER, never PCI), so the
    # edges that read PCI are not.
    assert touched_symbols(Tree(root), Tree(root, {"Kconfig": gated}), patch) == {"OTHER"}


def test_touched_symbols_of_a_conditional_select_are_its_target(tmp_path):
    root = tree(tmp_path)
    new = BASE.replace('\tbool "other"\n\tselect LIB\n', '\tbool "other"\n\tselect LIB if PCI\n')
    (patch,) = parse(format_patch(tmp_path / "p", "Kconfig", BASE, new, "gate the select"))
    assert touched_symbols(Tree(root), Tree(root, {"Kconfig": new}), patch) == {"LIB"}


def test_touched_symbols_of_a_block_line_hold_its_names(tmp_path):
    """An `if` line is inherited by every entry in its block: its names stay
    in scope (the edges into entries of a file sourced in the block read
    them), and so do the entries of the block here."""
    base = BASE + "if PCI\nconfig IN_BLOCK\n\tbool\nendif\n"
    new = base.replace("if PCI\n", "if PCI && LIB\n")
    root = make_tree(tmp_path / "tree", {"Kconfig": base})
    (patch,) = parse(format_patch(tmp_path / "p", "Kconfig", base, new, "narrow the block"))
    assert touched_symbols(Tree(root), Tree(root, {"Kconfig": new}), patch) == {"PCI", "LIB", "IN_BLOCK"}


def test_an_added_select_is_reported_with_witness_and_fix(capsys, tmp_path):
    code, doc = run(capsys, tmp_path, ADD_SELECT)
    assert code == 1
    (finding,) = doc["findings"]  # OLD_BAD's unmet select is old news
    assert finding["rule"] == "KSEL001" and finding["line"] == line_after(ADD_SELECT, "config OTHER", "select HELPER")
    assert finding["message"].startswith("OTHER selects HELPER")
    assert "CONFIG_OTHER=y" in finding["witness"]["config"]
    assert finding["fix"]["applicability"] in ("safe", "unsafe")
    assert "select HELPER if PCI" in finding["fix"]["diff"] or "depends on PCI" in finding["fix"]["diff"]
    assert doc["removed"] == []


def test_a_target_whose_dependencies_change_is_reported(capsys, tmp_path):
    code, doc = run(capsys, tmp_path, TIGHTEN)
    assert code == 1
    (finding,) = doc["findings"]
    assert finding["message"].startswith("OTHER selects LIB") and finding["file"] == "Kconfig"
    assert finding["line"] == line_of(TIGHTEN, "select LIB")


def test_a_patch_that_fixes_a_select_removes_the_finding(capsys, tmp_path):
    code, doc = run(capsys, tmp_path, FIX_OLD)
    assert code == 0 and doc["findings"] == []
    (gone,) = doc["removed"]
    assert gone["message"].startswith("OLD_BAD selects HELPER")


def test_no_sweep_turns_it_off(capsys, tmp_path):
    code, doc = run(capsys, tmp_path, ADD_SELECT, "--no-sweep")
    assert code == 0 and doc["findings"] == []


def test_every_review_format_carries_it(capsys, tmp_path):
    mail = format_patch(tmp_path / "m", "Kconfig", BASE, ADD_SELECT, "other: use the helper")
    root = tree(tmp_path)
    line = line_after(ADD_SELECT, "config OTHER", "select HELPER")
    sarif = json.loads(review(capsys, mail, tmp_path, "--format", "sarif", tree=root)[1])
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "KSEL001" and result["baselineState"] == "new" and result["fixes"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    rd = json.loads(review(capsys, mail, tmp_path, "--format", "rdjson", tree=root)[1])
    (diag,) = rd["diagnostics"]
    assert diag["code"]["value"] == "KSEL001" and diag["suggestions"]
    gh = review(capsys, mail, tmp_path, "--format", "github", tree=root)[1]
    assert gh.startswith(f"::error file=Kconfig,line={line},") and "KSEL001" in gh
    out = review(capsys, mail, tmp_path, "--format", "mail", tree=root)[1]
    assert "[KSEL001]" in out and "witness.config" in out and "select HELPER" in out


def test_worktree_review_of_a_git_checkout(capsys, tmp_path):
    """`review --worktree`: what the uncommitted Kconfig changes do (HEAD is the base)."""
    import subprocess

    root = tree(tmp_path)
    env = {"GIT_AUTHOR_NAME": "D", "GIT_AUTHOR_EMAIL": "d@e", "GIT_COMMITTER_NAME": "D", "GIT_COMMITTER_EMAIL": "d@e",
           "PATH": __import__("os").environ["PATH"], "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    assert main(["review", "--worktree", "--tree", str(root), "-q"]) == 0  # nothing changed
    capsys.readouterr()
    (root / "Kconfig").write_text(ADD_SELECT)
    assert main(["review", "--worktree", "--tree", str(root), "-q", "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["rule"] == "KSEL001" and finding["line"] == line_after(ADD_SELECT, "config OTHER", "select HELPER")
    assert (root / "Kconfig").read_text() == ADD_SELECT  # the working tree is only read
    assert main(["review", "--worktree", "p.patch", "--tree", str(root)]) == 2


def test_the_sweep_runs_where_each_arch_is_loaded(capsys, tmp_path, monkeypatch):
    """With several arches the review loads each in a forked worker; the sweep
    of what the patch touches runs there, not by loading every arch again in
    this process (before and after: two parses an arch)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # workers, whatever the machine
    here = os.getpid()
    model = Session.model

    def not_here(self, arch):
        assert os.getpid() != here, f"{arch} loaded again in the reviewing process"
        return model(self, arch)

    monkeypatch.setattr(Session, "model", not_here)
    root = make_tree(tmp_path / "tree", {"Kconfig": BASE}, arches=("a", "b", "c"))
    mail = format_patch(tmp_path / "p", "Kconfig", BASE, ADD_SELECT, "change")
    code, out, _ = review(capsys, mail, tmp_path, "--format", "json", tree=root)
    findings = json.loads(out)["findings"]
    assert code == 1 and {f["rule"] for f in findings} == {"KSEL001"}
    assert sorted(f["arch"] for f in findings) == ["a", "b", "c"]


def test_a_patch_of_entries_only_walks_no_arch(tmp_path, monkeypatch):
    """The files an arch reads, and the blocks around them, change only with
    a file's layout (`source` and block lines, assignments): a patch of
    entries alone is not walked (a walk of a real arch costs a second)."""
    from kltolint import review_sweep

    root = tree(tmp_path)
    (patch,) = parse(format_patch(tmp_path / "p", "Kconfig", BASE, TIGHTEN, "tighten"))
    monkeypatch.setattr(review_sweep, "_sourced", lambda *_: pytest.fail("walked"))
    assert touched_symbols(Tree(root), Tree(root, {"Kconfig": TIGHTEN}), patch, ["demo"]) == {"LIB"}


@pytest.mark.parametrize("edit", [
    lambda t: t + 'source "other/Kconfig"\n',  # a source line
    lambda t: "if PCI\n" + t + "endif\n",  # a block
    lambda t: t.replace("config LIB\n", "X := y\nconfig LIB\n"),  # an assignment among entries
    # A source line right after a help text: unindented, it ends the help (the next test: indented, it does not).
    lambda t: 'config FIRST\n\tbool\n\thelp\n\t  text\nsource "x"\n' + t,
], ids=["source", "block", "assignment", "help"])
def test_a_layout_changes_with_sources_blocks_and_assignments(edit):
    from kltolint.review_sweep import _layout
    from kltolint.source import SourceFile

    assert _layout(SourceFile(BASE)) != _layout(SourceFile(edit(BASE)))


def test_a_help_text_that_swallows_a_source_line_changes_the_layout():
    from kltolint.review_sweep import _layout
    from kltolint.source import SourceFile

    kept = 'config FIRST\n\tbool\n\thelp\n\t  text\nsource "x"\n'
    swallowed = kept.replace('source "x"', '\t  source "x"')
    assert _layout(SourceFile(kept)) != _layout(SourceFile(swallowed))
    assert _layout(SourceFile(kept)) == _layout(SourceFile(kept.replace("text", "other text")))
