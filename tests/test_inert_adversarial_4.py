"""Fourth adversarial round against inert.py's proofs (see
test_inert_adversarial.py, _2.py and _3.py): a tree and a patch where the
text proves an arch unchanged and a kconfiglib load disagrees. Each break
is xfail(strict=True): the test asserts what soundness requires; the cases
that held are plain tests."""

from __future__ import annotations

import pytest

from kltolint import review
from tests.conftest import format_patch, make_tree
from tests.test_inert_adversarial import ARCHES, TOP, _failing, _fix_proven, _proven, _review

# -- a select's condition is read by its target, not by its selector ---------------------
# inert.py's reads(X) takes the names of X's `select T if A` as read by X; to
# kconfiglib only T's value reads A. A patch adding `depends on A` to X (never
# on) then adds no name to reads(X), yet closes X -> A -> X (A depends on X).

SELECT_IF = 'config X\n\tbool\n\t{kw} T if A\n\nconfig T\n\tbool\n\nconfig A\n\tbool "a"\n\tdepends on X\n'


@pytest.mark.parametrize("kw", ["select", "imply"])
def test_a_depends_on_a_name_of_a_select_condition_closes_a_loop(tmp_path, kw):
    old = SELECT_IF.format(kw=kw)
    new = old.replace("if A\n", "if A\n\tdepends on A\n", 1)
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _failing(before, {"one", "two"}) == []
    assert _failing(after, proven) == []


# -- a syntax error the patch brings into a never-on entry ----------------------------------
# X has no prompt and no default: never on whatever its lines say, so the
# proof never parses them; kconfiglib does, and the patched tree fails to load.

NEVER_X = "config A\n\tbool\n\nconfig X\n\tbool\n\tdepends on A\n"


@pytest.mark.parametrize("bad", ["\tdepends on A &&\n", "\tdepends on (A\n", "\tdepends on A\n\tdefault y if\n",
                                 "\tdepends on A\n\tselect\n", "\tdepends on A\n\tdefault\n"],
                         ids=["dangling-and", "open-paren", "dangling-if", "bare-select", "bare-default"])
def test_a_syntax_error_in_a_never_on_entry_fails_the_load(tmp_path, bad):
    new = NEVER_X.replace("\tdepends on A\n", bad)
    before, after, proven = _proven(tmp_path, {"common/Kconfig": NEVER_X}, "common/Kconfig", new)
    assert _failing(before, {"one", "two"}) == []
    assert _failing(after, proven) == []


@pytest.mark.parametrize("bad", ["\tdepends on A B\n", "\tdepends onA\n", "\tdepends on A\n\toption bogus\n",
                                 "\tdepends on A\n\timply A if\n"],
                         ids=["two-names", "on-joined", "option-bogus", "imply-dangling-if"])
def test_a_syntax_error_held(tmp_path, bad):
    """Held: nothing is proven, or the patched tree still loads where it is."""
    new = NEVER_X.replace("\tdepends on A\n", bad)
    before, after, proven = _proven(tmp_path, {"common/Kconfig": NEVER_X}, "common/Kconfig", new)
    assert _failing(before, {"one", "two"}) == []
    assert _failing(after, proven) == []


# -- a menu's `visible if` is read by its entries' prompts only ------------------------------
# inert._scan gives every entry in a menu the names of the menu's lines as
# reads; kconfiglib adds `visible if A` to prompts only, so X (no prompt)
# does not read A before the patch, and `depends on A` closes X -> A -> X.


def test_a_depends_on_a_visible_if_name_closes_a_loop(tmp_path):
    old = 'menu "m"\n\tvisible if A\n\nconfig X\n\tbool\n\tdefault n\n\nendmenu\n\nconfig A\n\tbool "a"\n\tdepends on X\n'
    new = old.replace("\tdefault n\n", "\tdefault n\n\tdepends on A\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _failing(before, {"one", "two"}) == []
    assert _failing(after, proven) == []


# -- a name in some variable's value, read by an entry with a macro -------------------------
# Facts.reads gives an entry with a macro on a line every name any variable
# holds (W := A): review.proven_unchanged compares reads before and after, so
# that over-approximation hides X's real new edge X -> A (A depends on X).


def test_a_depends_on_a_name_held_by_a_variable_closes_a_loop(tmp_path):
    old = ('V := n\nW := A\n\nconfig NEVER\n\tbool\n\nconfig X\n\tbool\n\tdefault $(V)\n\tdepends on NEVER\n\n'
           'config A\n\tbool "a"\n\tdepends on X\n')
    new = old.replace("\tdepends on NEVER\n", "\tdepends on NEVER\n\tdepends on A\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _failing(before, {"one", "two"}) == []
    assert _failing(after, proven) == []


def test_a_select_of_a_symbol_in_a_visible_if_menu_closes_a_loop(tmp_path):
    old = ('config D\n\tbool\n\tdepends on C\n\nconfig X\n\tbool\n\tdepends on D\n\n'
           'menu "m"\n\tvisible if X\n\nconfig C\n\tbool\n\nendmenu\n')
    new = old.replace("\tdepends on D\n", "\tdepends on D\n\tselect C\n")
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _failing(before, {"one", "two"}) == []
    assert _failing(after, proven) == []


# -- the fix's verification: a block condition made of a macro (held) -----------------------
# As test_inert_adversarial_2's fix cases: ld-bfd's fix adds `depends on
# LD_IS_LLD` to HAS_LTO_CLANG; on arch alpha LD_IS_LLD reads ALPHA_LTO, inside
# `if $(T)` with T := HAS_LTO_CLANG. Facts.reads gives a macro's names only to
# entries with a macro on their own lines, not to those in a block whose line
# has one (ALPHA_LTO is taken to read `T`); it held because LD_IS_LLD has a
# macro line in init/Kconfig, so it reads every assigned name, T's value too.


def test_a_fix_closes_a_loop_through_an_if_block_of_one_macro_held(capsys, tmp_path, monkeypatch):
    alpha = ("T := HAS_LTO_CLANG\nconfig ALPHA\n\tdef_bool y\n\nconfig LD_IS_LLD\n\tdef_bool ALPHA_LTO\n\n"
             'if $(T)\nconfig ALPHA_LTO\n\tbool "LTO on alpha"\nendif\n')
    proven = _fix_proven(capsys, tmp_path, monkeypatch, {"Kconfig": alpha})
    assert "alpha" not in {arch for arch, _ in proven}
    assert [f for arch, fixed in proven for f in _failing(fixed, {arch})] == []


# -- what a user sees: `kltolint review` with and without the proofs --------------------------


def test_the_review_hides_the_select_condition_loop(capsys, tmp_path, monkeypatch):
    # The loop closes on arch two only (A is defined there): the review loads arch one.
    common = "config X\n\tbool\n\tselect T if A\n\nconfig T\n\tbool\n"
    files = {"Kconfig": TOP, "common/Kconfig": common, "arch/two/Kconfig": 'config A\n\tbool "a"\n\tdepends on X\n'}
    root = make_tree(tmp_path / "tree", files, ARCHES)
    mail = format_patch(tmp_path / "p", "common/Kconfig", common, common.replace("if A\n", "if A\n\tdepends on A\n"),
                        "X: depend on A")
    proved = _review(capsys, tmp_path, root, mail)
    monkeypatch.setattr(review, "proven_unchanged", lambda *_: set())
    loaded = _review(capsys, tmp_path, root, mail)
    assert loaded[0] == 2  # without the proof: arch two's load fails
    assert proved == loaded


# -- what held ------------------------------------------------------------------------------


@pytest.mark.parametrize("old, new", [
    # A named in X's help text is no read of X: `depends on A` is a new read, nothing proven.
    ('config X\n\tbool\n\thelp\n\t  Needs A.\n\nconfig A\n\tbool "a"\n\tdepends on X\n',
     'config X\n\tbool\n\tdepends on A\n\thelp\n\t  Needs A.\n\nconfig A\n\tbool "a"\n\tdepends on X\n'),
    # X (never on) selects a choice member: the member reads X after, nothing proven.
    ('config X\n\tbool\n\tdepends on M\n\nchoice\n\tprompt "c"\nconfig M\n\tbool "m"\nconfig O\n\tbool "o"\n'
     'endchoice\n',
     'config X\n\tbool\n\tdepends on M\n\tselect O\n\nchoice\n\tprompt "c"\nconfig M\n\tbool "m"\nconfig O\n'
     '\tbool "o"\nendchoice\n'),
], ids=["help-mention", "select-a-choice-member"])
def test_what_held(tmp_path, old, new):
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _failing(before, {"one", "two"}) == []
    assert _failing(after, proven) == []
