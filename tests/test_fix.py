"""The fixer: golden diffs, patch tools, --fix in place, safety, bad input."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from kltolint import fix
from kltolint.errors import UserError
from kltolint.source import SourceFile
from kltolint.tree import Tree
from tests.conftest import FIXTURES, TREES, make_tree
from tests.helpers import cli, rule_pack, rule_toml

GOLDEN = FIXTURES / "golden"
REFRESH = os.environ.get("KLTOLINT_REFRESH_GOLDEN") == "1"
NARROW = ["--no-builtin-rules", "--rules", str(FIXTURES / "rules" / "narrow")]

CASES = {
    "arm64-big-endian": ("arm64-big-endian/before", []),
    "ld-bfd": ("ld-bfd", []),
    "select-with-condition": ("select-with-condition", []),
    "crlf": ("crlf", []),
    "no-final-newline": ("no-final-newline", []),
    "narrow-default": ("narrow-default", NARROW),
    # 7.x conditional dependencies: blamed, and added to, as lines of their own
    "conditional-depends": ("conditional-depends", []),
    "conditional-sweep": ("conditional-sweep", ["--sweep"]),
}



def copy(tree: str, tmp_path: Path) -> Path:
    dest = tmp_path / "tree"
    shutil.copytree(TREES / tree, dest)
    return dest


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_diff(case, capsys):
    tree, extra = CASES[case]
    code, diff, _ = cli(capsys, "check", "--tree", TREES / tree, "--diff", *extra)
    golden = GOLDEN / f"{case}.diff"
    if REFRESH:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(diff.encode("utf-8", "surrogateescape"))
    assert code == 1 and diff
    assert diff == golden.read_bytes().decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("case", sorted(CASES))
def test_diff_applies_and_fix_writes_the_same(case, capsys, tmp_path):
    tree, extra = CASES[case]
    root = copy(tree, tmp_path)
    _, diff, _ = cli(capsys, "check", "--tree", root, "--diff", *extra)
    patch = tmp_path / "fix.patch"
    patch.write_bytes(diff.encode("utf-8", "surrogateescape"))
    for command in (["git", "apply", "--check", str(patch)], ["patch", "-p1", "--dry-run", "-i", str(patch)]):
        result = subprocess.run(command, cwd=root, capture_output=True, text=True)
        assert result.returncode == 0, f"{command[0]}: {result.stdout}{result.stderr}"
    expected = copy(tree, tmp_path / "expected")
    subprocess.run(["patch", "-s", "-p1", "-i", str(patch)], cwd=expected, check=True)

    code, _, err = cli(capsys, "check", "--tree", root, "--fix", *extra)
    assert code == 0 and "fixed" in err
    for path in expected.rglob("*"):
        if path.is_file() and not path.name.endswith(".orig"):
            assert (root / path.relative_to(expected)).read_bytes() == path.read_bytes(), path
    # the fixed tree is clean, and a second --fix changes nothing
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert cli(capsys, "check", "--tree", root, *extra)[0] == 0
    assert cli(capsys, "check", "--tree", root, "--fix", *extra)[0] == 0
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == snapshot


def test_fix_only_touches_the_named_file(capsys, tmp_path):
    root = copy("ld-bfd", tmp_path)
    before = (root / "arch/Kconfig").read_bytes()
    code, out, _ = cli(capsys, "--fix", root / "arch/arm64/Kconfig")
    assert code == 1 and "[KLTO002]" in out  # the finding is in arch/Kconfig
    assert (root / "arch/Kconfig").read_bytes() == before
    code, _, err = cli(capsys, "--fix", root / "arch/Kconfig")
    assert code == 0 and "arch/Kconfig" in err


def test_fix_keeps_permissions(capsys, tmp_path):
    root = copy("arm64-big-endian/before", tmp_path)
    target = root / "arch/arm64/Kconfig"
    target.chmod(0o640)
    assert cli(capsys, "--fix", target)[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not list(target.parent.glob(".*kltolint"))  # no temp file left


def test_read_only_file_is_refused(capsys, tmp_path):
    root = copy("arm64-big-endian/before", tmp_path)
    target = root / "arch/arm64/Kconfig"
    before = target.read_bytes()
    target.chmod(0o444)
    code, out, err = cli(capsys, "--fix", target)
    assert code == 2 and "read-only" in err and err.count("\n") == 1
    assert target.read_bytes() == before


def test_file_changed_since_analysis_is_refused(tmp_path):
    root = copy("arm64-big-endian/before", tmp_path)
    tree = Tree(root)
    analysed = tree.read("arch/arm64/Kconfig")
    (root / "arch/arm64/Kconfig").write_text(analysed + "# edited meanwhile\n")
    with pytest.raises(UserError, match="changed on disk"):
        fix.write_atomic(tree, "arch/arm64/Kconfig", analysed, analysed.replace("y", "n"))
    assert (root / "arch/arm64/Kconfig").read_text().endswith("# edited meanwhile\n")


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    root = copy("arm64-big-endian/before", tmp_path)
    tree = Tree(root)
    text = tree.read("arch/arm64/Kconfig")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(UserError, match="not changed"):
        fix.write_atomic(tree, "arch/arm64/Kconfig", text, text + "# more\n")
    assert tree.read("arch/arm64/Kconfig") == text
    assert not list((root / "arch/arm64").glob(".*kltolint"))


def test_file_outside_the_tree(capsys, tmp_path):
    root = copy("arm64-big-endian/before", tmp_path)
    outside = tmp_path / "elsewhere" / "Kconfig"
    outside.parent.mkdir()
    outside.write_text("config X\n\tbool\n")
    code, _, err = cli(capsys, "--tree", root, "--fix", outside)
    assert code == 2 and "outside the kernel tree" in err


# -- edits -------------------------------------------------------------------------

@pytest.mark.parametrize("line, guard, expected", [
    ("\tselect X", "G", "\tselect X if G"),
    ("\tselect X if A", "G", "\tselect X if A && G"),
    ("\tselect X if A || B", "G", "\tselect X if (A || B) && G"),
    ("\tselect X if A", "G || H", "\tselect X if A && (G || H)"),
    ("\tselect X if A  # why", "G", "\tselect X if A && G  # why"),
    ("\tdefault y", "!G", "\tdefault y if !G"),
    ('\tdefault "if x" if A', "G", '\tdefault "if x" if A && G'),
    ("\tdef_bool A || B", "G", "\tdef_bool A || B if G"),
])
def test_add_condition(line, guard, expected):
    src = SourceFile(f"config S\n\tbool\n{line}\n")
    logical = src.logical[2]
    assert fix._add_condition(logical, guard) == expected


def test_depends_goes_after_the_last_depends_with_its_indent():
    text = "config S\n    bool \"s\"\n    depends on A\n    depends on B\n    help\n      x\n"
    point = fix.EditPoint("depends", "Kconfig", 1, "S")
    (edit,) = fix.edits_for(point, "G", SourceFile(text))
    assert fix.apply_edits(text, [edit]) == text.replace("B\n", "B\n    depends on G\n")


def test_depends_without_depends_goes_after_the_type():
    text = "config S\n\tbool \"s\"\n\tselect T\n"
    (edit,) = fix.edits_for(fix.EditPoint("depends", "Kconfig", 1, "S"), "G", SourceFile(text))
    assert fix.apply_edits(text, [edit]) == "config S\n\tbool \"s\"\n\tdepends on G\n\tselect T\n"


# -- verification and safety ---------------------------------------------------------

def rule_dir(tmp_path: Path, forbid: str, guard: str, strategy: str = "guard-select", extra: str = "") -> Path:
    return rule_pack(tmp_path / "rules", rule_toml("T001", forbid, strategy, guard), extra)


SELECTS = ('config A\n\tbool "a"\n\tselect T\nconfig T\n\tbool\nconfig U\n\tbool "u"\n\tdepends on T\n'
           'config B\n\tbool "b"\nconfig D\n\tbool "d"\n')


def test_tight_guard_is_safe(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": SELECTS})
    rules = rule_dir(tmp_path, "T && B", "!B")
    code, out, _ = cli(capsys, "check", "--tree", root, "--no-builtin-rules", "--rules", rules, "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert finding["fix"]["applicability"] == "safe"


def test_loose_guard_is_unsafe_and_needs_opt_in(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": SELECTS})
    rules = rule_dir(tmp_path, "T && B", "!B && !D")
    args = ["check", "--tree", root, "--no-builtin-rules", "--rules", rules]
    code, out, _ = cli(capsys, *args, "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["fix"]["applicability"] == "unsafe"
    assert "U becomes n where it was y" in finding["fix"]["note"]
    before = (root / "Kconfig").read_text()
    assert cli(capsys, *args, "--fix")[0] == 1
    assert (root / "Kconfig").read_text() == before
    assert cli(capsys, *args, "--fix", "--unsafe-fixes")[0] == 0
    assert "select T if !B && !D" in (root / "Kconfig").read_text()


def test_a_fix_that_causes_a_new_finding_gives_way_to_one_that_does_not(capsys, tmp_path):
    """Guarding A's select makes T002 reachable; gating A itself (the other
    edit point that closes the hole) does not, and only changes broken
    configurations: that one is offered."""
    root = make_tree(tmp_path / "t", {"Kconfig": SELECTS})
    rules = rule_dir(tmp_path, "T && B", "!B", extra=rule_toml("T002", "A && !T", "add-depends", "T", name="a-without-t", message="A needs T"))
    code, out, _ = cli(capsys, "check", "--tree", root, "--no-builtin-rules", "--rules", rules, "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["rule"] == "T001" and finding["fix"]["applicability"] == "safe"
    assert "+\tdepends on !B" in finding["fix"]["diff"].splitlines()
    assert "select T if" not in finding["fix"]["diff"]


def test_fix_that_causes_a_new_finding_is_not_offered(capsys, tmp_path):
    """Every edit point that closes the hole causes a new finding: A is always
    on, so guarding its select breaks T002, gating or narrowing A breaks T003."""
    root = make_tree(tmp_path / "t", {"Kconfig": SELECTS.replace('config A\n\tbool "a"\n', "config A\n\tdef_bool y\n")})
    rules = rule_dir(tmp_path, "T && B", "!B", extra=rule_toml("T002", "A && !T", "add-depends", "T", name="a-without-t", message="A needs T")
                     + rule_toml("T003", "B && !A", "add-depends", "A", name="b-without-a", message="B needs A"))
    code, out, _ = cli(capsys, "check", "--tree", root, "--no-builtin-rules", "--rules", rules, "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["rule"] == "T001" and finding["fix"]["applicability"] == "none"
    assert "the edit causes a new finding" in finding["fix"]["note"] and "[T002]" in finding["fix"]["note"]
    assert cli(capsys, "check", "--tree", root, "--no-builtin-rules", "--rules", rules, "--diff")[1] == ""


def test_a_guard_its_rule_does_not_give_is_not_written(fixture_tree):
    """Defence in depth behind the cache's own check (F3): the fixer itself
    refuses a finding whose guard is not one of its rule's."""
    from dataclasses import replace

    from kltolint.rules import builtin_dir, load_dir
    from kltolint.session import Session

    tree = fixture_tree("arm64-big-endian/before")
    rules = [r for r in load_dir(builtin_dir()) if r.enabled]
    session = Session(tree, rules, jobs=1)
    (finding,) = session.findings("arm64")
    (out,) = fix.Fixer(session).attach([replace(finding, guard="CPU_LITTLE_ENDIAN || y")])
    assert out.fix is not None and out.fix.applicability == "none" and out.fix.edits == ()
    assert "guard is not one its rule gives" in out.fix.note


def test_every_edit_kind_has_its_text_edit():
    """fix.TEXT_EDITS covers findings.EditKind: an edit point of a kind
    without an entry would stop the fixer."""
    from typing import get_args

    from kltolint.findings import EditKind
    from kltolint.strategies import STRATEGIES

    assert set(fix.TEXT_EDITS) == set(get_args(EditKind))
    assert {s.edit_kind for s in STRATEGIES.values()} <= set(fix.TEXT_EDITS)


def test_a_fix_that_hides_the_picked_choice_member_is_unsafe(capsys, tmp_path):
    """`M depends on !B` closes `M && B && C`, but where the user picked M
    with B set and C not (a configuration that is not broken) it hides M,
    and conf moves the pick to N: the fix changes M there."""
    kconfig = ('choice\n\tprompt "c"\nconfig M\n\tbool "m"\nconfig N\n\tbool "n"\nendchoice\n'
               'config B\n\tbool "b"\nconfig C\n\tbool "c"\n')
    root = make_tree(tmp_path / "t", {"Kconfig": kconfig})
    rules = rule_dir(tmp_path, "M && B && C", "!B", strategy="add-depends")
    code, out, _ = cli(capsys, "check", "--tree", root, "--no-builtin-rules", "--rules", rules, "--format", "json")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["fix"]["applicability"] == "unsafe"
    assert "+\tdepends on !B" in finding["fix"]["diff"].splitlines()
    assert "M becomes n where it was y" in finding["fix"]["note"]
