"""Adversarial cases for inert.py's proofs (review.proven_unchanged,
fix.Verification.proven_unchanged): a tree and a patch where the text says
"never on, nothing changes" and a kconfiglib load of the arch disagrees
(a symbol that can be on, a value that changes, a load that fails).

Each case that breaks the proof today is xfail(strict=True): the test
asserts what soundness requires, so it starts passing (and strict xfail
fails) once the proof stops claiming the arch. The cases that held are
plain tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kltolint import fix, load, review
from kltolint.cli import main
from kltolint.errors import UserError
from kltolint.patch import apply, parse
from kltolint.tree import Tree
from tests.conftest import TREES, format_patch, make_tree, tree_with
from tests.test_inert import RULES

TOP = 'source "arch/$(SRCARCH)/Kconfig"\nsource "common/Kconfig"\n'
ARCHES = ("one", "two")


def _proven(tmp_path: Path, files: dict[str, str], rel: str, new: str,
            top: str = TOP) -> tuple[Tree, Tree, set[str]]:
    """The tree (`files`, arches one and two), the tree after a patch
    changing `rel` to `new`, and the arches the review proves unchanged."""
    root = make_tree(tmp_path / "tree", {"Kconfig": top, **files}, ARCHES)
    patch = parse(format_patch(tmp_path / "p", rel, files[rel], new, "a change"))[0]
    before = Tree(root)
    after = Tree(root, apply(before, patch))
    return before, after, review.proven_unchanged(before, after, patch, before.arches(), RULES)


def _value(tree: Tree, arch: str, name: str, assign: dict[str, int]) -> str:
    """`name`'s value in a kconfiglib load of `arch`, with `assign` set by a user."""
    kconf, _ = load.load_kconfig(tree, arch, "temporary")
    for sym, value in assign.items():
        kconf.syms[sym].set_value(value)
    return str(kconf.syms[name].str_value)


def _changed(before: Tree, after: Tree, arches: set[str], name: str, assign: dict[str, int] | None = None) -> list[str]:
    """The arches among `arches` where the patch gives `name` another value (loads, not the proof)."""
    assign = assign or {}
    return [a for a in sorted(arches) if _value(before, a, name, assign) != _value(after, a, name, assign)]


def _failing(after: Tree, arches: set[str]) -> list[str]:
    """The arches among `arches` where the patched tree does not load."""
    out = []
    for arch in sorted(arches):
        try:
            load.TEMPORARY(after, arch)
        except UserError as err:
            out.append(f"{arch}: {err}")
    return out


def _review(capsys, tmp_path: Path, root: Path, mail: str) -> tuple[int, dict[str, object] | str]:
    target = tmp_path / "p.patch"
    target.write_text(mail)
    code = main(["review", "--tree", str(root), str(target), "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else err


# -- may_be_on: what it misses ----------------------------------------------------------


def test_a_type_given_by_a_later_definition_turns_an_int_prompt_into_a_bool_one(tmp_path):
    old = 'config X\n\tint "x"\n\nconfig X\n\tbool\n\nconfig Y\n\tbool\n'
    new = old.replace("config X\n\tbool\n", "config X\n\tbool\n\tselect Y\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "Y", {"X": 2}) == []


def test_a_select_of_a_macro_target_is_a_select(tmp_path):
    old = "T := Y\nconfig S\n\tdef_bool y\n\tselect $(T)\n\nconfig Y\n\tbool\n\nconfig Z\n\tbool\n"
    new = old.replace("config Y\n\tbool\n", "config Y\n\tbool\n\tselect Z\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "Z") == []


def test_a_select_after_a_form_feed_is_a_select(tmp_path):
    old = "config S\n\tdef_bool y\n\f\tselect Y\n\nconfig Y\n\tbool\n\nconfig Z\n\tbool\n"
    new = old.replace("config Y\n\tbool\n", "config Y\n\tbool\n\tselect Z\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "Z") == []


def test_a_source_after_a_form_feed_is_read(tmp_path):
    old = 'config Y\n\tbool\n\nconfig Z\n\tbool\n\fsource "common/more"\n'
    new = old.replace("config Y\n\tbool\n", "config Y\n\tbool\n\tselect Z\n")
    files = {"common/Kconfig": old, "common/more": "config S\n\tdef_bool y\n\tselect Y\n"}
    before, after, proven = _proven(tmp_path, files, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "Z") == []


def test_a_source_path_spelled_otherwise_reads_the_patched_text(tmp_path):
    old = "config NEVER\n\tbool\n\nconfig A\n\tbool \"a\"\n\tdepends on NEVER\n"
    new = old.replace("\tdepends on NEVER\n", "")
    top = 'source "arch/$(SRCARCH)/Kconfig"\nsource "common//Kconfig"\n'
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new, top)
    assert proven == set() or _changed(before, after, proven, "A", {"A": 2}) == []


def test_a_help_indented_with_other_whitespace_ends_where_kconfiglib_ends_it(tmp_path):
    old = "config S\n\tdef_bool y\n\thelp\n  \xa0\xa0\xa0\xa0\xa0\xa0text\n   select Y\n\nconfig Y\n\tbool\n\nconfig Z\n\tbool\n"
    new = old.replace("config Y\n\tbool\n", "config Y\n\tbool\n\tselect Z\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "Z") == []


def test_a_backslash_before_crlf_continues_nothing(tmp_path):
    old = "config Y\n\tbool\n\nconfig Z\n\tbool\n\nsource \"common/Kconfig.crlf\"\n"
    new = old.replace("config Y\n\tbool\n", "config Y\n\tbool\n\tselect Z\n")
    files = {"common/Kconfig": old, "common/Kconfig.crlf": "config S\r\n\tdef_bool y\r\n\t# c \\\r\n\tselect Y\r\n"}
    before, after, proven = _proven(tmp_path, files, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "Z") == []


# -- changed_entries: a change that alters more than the entries it names ---------------


def test_a_string_entry_is_never_on_but_its_value_counts(tmp_path):
    old = 'config S\n\tstring\n\tdefault "a"\n\nconfig B\n\tdef_bool y if S = "b"\n'
    new = old.replace('default "a"', 'default "b"')
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "B") == []


def test_reindenting_a_help_text_can_swallow_a_property(tmp_path):
    old = "config A\n\tdef_bool y\n\thelp\n\t  text\n\tselect FOO\n\nconfig FOO\n\tbool\n"
    new = old.replace("\t  text\n", "\ttext\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "FOO") == []


def test_a_comment_continued_by_a_backslash_swallows_a_property(tmp_path):
    old = "config A\n\tdef_bool y\n\t# a comment\n\tselect FOO\n\nconfig FOO\n\tbool\n"
    new = old.replace("# a comment\n", "# a comment \\\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert proven == set() or _changed(before, after, proven, "FOO") == []


# -- may_reach: loops it misses -----------------------------------------------------------

NEVER_A = 'config NEVER\n\tbool\n\nconfig A\n\tbool "a"\n\tdepends on NEVER\n'


def test_a_loop_through_a_file_sourced_inside_an_if_block(tmp_path):
    common = NEVER_A + '\nconfig G\n\tbool "g"\n\tdepends on B\n'
    files = {"common/Kconfig": common, "arch/one/Kconfig": 'config B\n\tbool "b"\n',
             "arch/two/Kconfig": 'if A\nsource "common/b"\nendif\n', "common/b": 'config B\n\tbool "b"\n'}
    _, after, proven = _proven(tmp_path, files, "common/Kconfig", common.replace("NEVER\n\nconfig G", "NEVER && G\n\n"
                                                                                  "config G"))
    assert _failing(after, proven) == []


def test_a_loop_through_a_sibling_in_a_choice(tmp_path):
    common = ('config NEVER\n\tbool\n\nchoice\n\tprompt "c"\nconfig A\n\tbool "a"\n\tdepends on NEVER\n'
              'config D\n\tbool "d"\nendchoice\n')
    files = {"common/Kconfig": common, "arch/one/Kconfig": 'config G\n\tbool "g"\n',
             "arch/two/Kconfig": 'config G\n\tbool "g"\n\tdepends on D\n'}
    _, after, proven = _proven(tmp_path, files, "common/Kconfig",
                               common.replace("depends on NEVER\n", "depends on NEVER && G\n"))
    assert _failing(after, proven) == []


def test_a_loop_through_a_symbol_named_by_digits(tmp_path):
    common = NEVER_A + '\nconfig G\n\tbool "g"\n\tdepends on 1\n'
    files = {"common/Kconfig": common, "arch/two/Kconfig": 'config 1\n\tbool "one"\n\tdepends on A\n'}
    _, after, proven = _proven(tmp_path, files, "common/Kconfig", common.replace("NEVER\n\nconfig G", "NEVER && G\n\n"
                                                                                  "config G"))
    assert _failing(after, proven) == []


def test_a_loop_through_a_name_between_strings_with_escaped_quotes(tmp_path):
    common = NEVER_A + '\nconfig S\n\tstring "s"\n\nconfig G\n\tbool "g"\n\tdepends on S = "\\"" || B || S = "x"\n'
    files = {"common/Kconfig": common, "arch/two/Kconfig": 'config B\n\tbool "b"\n\tdepends on A\n'}
    _, after, proven = _proven(tmp_path, files, "common/Kconfig", common.replace("\tdepends on NEVER\n",
                                                                                  "\tdepends on NEVER && G\n"))
    assert _failing(after, proven) == []


def test_a_loop_through_a_macro_in_a_dependency(tmp_path):
    common = "T := B\n" + NEVER_A + '\nconfig G\n\tbool "g"\n\tdepends on $(T)\n'
    files = {"common/Kconfig": common, "arch/two/Kconfig": 'config B\n\tbool "b"\n\tdepends on A\n'}
    _, after, proven = _proven(tmp_path, files, "common/Kconfig", common.replace("\tdepends on NEVER\n",
                                                                                  "\tdepends on NEVER && G\n"))
    assert _failing(after, proven) == []


def test_the_review_reports_a_loop_on_an_arch_it_proved_unchanged(capsys, tmp_path, monkeypatch):
    common = NEVER_A + '\nconfig G\n\tbool "g"\n\tdepends on B\n'
    files = {"Kconfig": TOP, "common/Kconfig": common, "arch/one/Kconfig": 'config B\n\tbool "b"\n',
             "arch/two/Kconfig": 'if A\nsource "common/b"\nendif\n', "common/b": 'config B\n\tbool "b"\n'}
    root = make_tree(tmp_path / "tree", files, ARCHES)
    mail = format_patch(tmp_path / "p", "common/Kconfig", common,
                        common.replace("NEVER\n\nconfig G", "NEVER && G\n\nconfig G"), "a loop on two")
    proved = _review(capsys, tmp_path, root, mail)
    monkeypatch.setattr(review, "proven_unchanged", lambda *_: set())
    loaded = _review(capsys, tmp_path, root, mail)
    assert loaded[0] == 2  # without the proof: arch two's load fails
    assert proved == loaded


def test_the_review_misses_a_finding_on_an_arch_it_proved_unchanged(capsys, tmp_path, monkeypatch):
    common = ("config CPU_BIG_ENDIAN\n\tdef_bool y\n\nconfig NEVER\n\tbool\n\n"
              'config LTO_CLANG\n\tbool "Clang LTO"\n\thelp\n\t  Link time optimisation.\n\tdepends on NEVER\n')
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "common/Kconfig": common}, ARCHES)
    mail = format_patch(tmp_path / "p", "common/Kconfig", common,
                        common.replace("\t  Link", "\tLink"), "LTO: reflow the help")
    proved = _review(capsys, tmp_path, root, mail)
    monkeypatch.setattr(review, "proven_unchanged", lambda *_: set())
    loaded = _review(capsys, tmp_path, root, mail)
    assert isinstance(loaded[1], dict) and {f["arch"] for f in loaded[1]["findings"]} == {"one", "two"}
    assert proved == loaded


# -- what held ----------------------------------------------------------------------------


def test_a_conditional_depends_is_not_read_as_its_value(tmp_path):
    """`depends on NEVER if B` (7.x) holds where B is n: not proven (E.parse refuses it, so it may hold)."""
    old = 'config NEVER\n\tbool\n\nconfig B\n\tbool "b"\n\nconfig Y\n\tbool "y"\n\tdepends on NEVER if B\n\n' \
          'config Z\n\tbool\n'
    new = old.replace("if B\n", "if B\n\tselect Z\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _changed(before, after, set(ARCHES), "Z", {"Y": 2}) == ["one", "two"]
    assert proven == set()


@pytest.mark.parametrize("old", [
    "config Y\n\tbool\n\tdefault 'y'\n\nconfig Z\n\tbool\n",  # a single-quoted constant
    "config Y\n\tbool\n\nconfig S\n\tdef_bool y\n\tselect Y# a comment\n\nconfig Z\n\tbool\n",
    "config Y\n\tbool\n\nconfig S\n\tdef_bool y\n\tselect Y if \"#\" = \"#\"\n\nconfig Z\n\tbool\n",
], ids=["single-quoted", "comment-after-name", "hash-in-string"])
def test_what_held(tmp_path, old):
    new = old.replace("config Y\n\tbool\n", "config Y\n\tbool\n\tselect Z\n", 1)
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _changed(before, after, set(ARCHES), "Z") == ["one", "two"]
    assert proven == set()


# -- the fix's verification (fix.Verification.proven_unchanged) ---------------------------


def _fix_proven(capsys, tmp_path, monkeypatch, alpha: dict[str, str]) -> list[tuple[str, Tree]]:
    """The arches where the fix is proven unchanged (with the tree it makes),
    for ld-bfd plus an arch alpha made of `alpha` (paths under arch/alpha)."""
    root = tree_with(TREES / "ld-bfd", tmp_path, {})
    (root / "arch/alpha").mkdir()
    for rel, text in alpha.items():
        (root / "arch/alpha" / rel).write_text(text)
    proven: list[tuple[str, Tree]] = []
    real = fix.Verification.proven_unchanged

    def recorded(self: fix.Verification, arch: str) -> fix.ArchVerdict | None:
        verdict = real(self, arch)
        if verdict is not None and verdict.ok and verdict.reads:
            proven.append((arch, Tree(self.tree.root, {**self.tree.overlay, **self.new_texts})))
        return verdict

    monkeypatch.setattr(fix.Verification, "proven_unchanged", recorded)
    main(["check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64", "--format", "json"])
    capsys.readouterr()
    return proven


def test_a_fix_proven_on_an_arch_where_it_closes_a_loop(capsys, tmp_path, monkeypatch):
    proven = _fix_proven(capsys, tmp_path, monkeypatch, {
        "Kconfig": 'config ALPHA\n\tdef_bool y\n\nconfig LD_IS_LLD\n\tdef_bool ALPHA_LTO\n\n'
                   'if HAS_LTO_CLANG\nsource "arch/alpha/Kconfig.lto"\nendif\n',
        "Kconfig.lto": 'config ALPHA_LTO\n\tbool "LTO on alpha"\n'})
    # On alpha the fix's `depends on LD_IS_LLD` closes HAS_LTO_CLANG ->
    # LD_IS_LLD -> ALPHA_LTO -> HAS_LTO_CLANG (ALPHA_LTO is sourced inside
    # `if HAS_LTO_CLANG`): not proven there, and nothing proven fails to load.
    assert "alpha" not in {arch for arch, _ in proven}
    assert [f for arch, fixed in proven for f in _failing(fixed, {arch})] == []
