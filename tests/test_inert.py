"""inert.py: what an arch reads and what can never be on there, from the
text; and the review's use of it (review.proven_unchanged): arches where a
patch provably changes nothing are not loaded, and only those."""

from __future__ import annotations

import pytest

from kltolint import inert, review
from kltolint.patch import apply, parse
from kltolint.rules import builtin_dir, load_dir
from kltolint.source import SourceFile
from kltolint.tree import Tree
from tests.conftest import TREES, format_patch, make_tree
from tests.helpers import diff_text
from tests.test_review_in_pass import ARCHES, DROPPED, GUARDED, _tree

RULES = [r for r in load_dir(builtin_dir()) if r.enabled or r.id == "KSEL001"]  # a review's


def unchanged(tmp_path, edit, arches=None):
    """The arches review.proven_unchanged finds for the ld-bfd tree (with
    aa, cc, mm, zz) and a patch of arch/Kconfig made by `edit`."""
    root, _ = _tree(tmp_path, arches or ARCHES)
    tree = Tree(root)
    old = (root / "arch/Kconfig").read_text()
    patch = parse(format_patch(tmp_path / "p", "arch/Kconfig", old, edit(old), "arch: a change"))[0]
    return review.proven_unchanged(tree, Tree(root, apply(tree, patch)), patch, tree.arches(), RULES)


def test_dropping_the_ld_guard_changes_nothing_where_lto_can_never_be_on(tmp_path):
    assert unchanged(tmp_path, lambda t: t.replace(GUARDED, DROPPED)) == {"aa", "mm", "zz"}


def test_an_entry_that_can_be_on_after_the_patch_is_not_proven(tmp_path):
    """Both sides count: without `depends on ARCH_SUPPORTS_LTO_CLANG`
    HAS_LTO_CLANG may be on everywhere after the patch."""
    text = (TREES / "ld-bfd" / "arch/Kconfig").read_text()
    assert "\tdepends on ARCH_SUPPORTS_LTO_CLANG\n" in text
    assert unchanged(tmp_path, lambda t: t.replace("\tdepends on ARCH_SUPPORTS_LTO_CLANG\n", "", 1)) == set()


def test_a_patch_that_adds_a_read_proves_nothing(tmp_path):
    """On aa, AA_LLD reads HAS_LTO_CLANG: a patch making HAS_LTO_CLANG
    depend on AA_LLD closes a loop there (kconfiglib and the C tool refuse
    the tree), though HAS_LTO_CLANG can never be on. The text does not show
    every read (a block in another file, a macro), so an entry that reads
    more after the patch is proven nowhere: every arch is loaded."""
    arches = {**ARCHES, "aa": ARCHES["aa"] + "config AA_LLD\n\tdef_bool HAS_LTO_CLANG\n"}
    assert unchanged(tmp_path, lambda t: t.replace(GUARDED, GUARDED.replace("LD_IS_LLD", "LD_IS_LLD && AA_LLD")),
                     arches) == set()


@pytest.mark.parametrize("edit", [
    lambda t: t.replace(GUARDED, GUARDED + "\t# kltolint: ignore[KLTO002]\n"),  # a suppression
    lambda t: "if ARCH_SUPPORTS_LTO_CLANG\nendif\n" + t,  # a block
    lambda t: t + 'source "arch/Kconfig.more"\n',  # a source line
    lambda t: t + "LTO_FLAGS := -flto\n",  # a variable
], ids=["suppression", "block", "source", "variable"])
def test_a_change_beyond_config_entries_proves_nothing(tmp_path, edit):
    assert unchanged(tmp_path, edit) == set()


def test_an_entry_added_removed_or_retyped_is_not_understood():
    """A symbol undefined, or without a type, reads as its name (`W = "W"`
    holds): adding or removing an entry, or changing a type, can change a
    value even where the entry is never on."""
    old = SourceFile('config A\n\tbool "a"\n\tselect B\n\tselect C\n')
    new = SourceFile('config A\n\tbool "a"\n\tselect B\nconfig D\n\tselect C\n')
    assert inert.changed_entries(new, {4}) is None
    assert inert.changed_entries(new, {2}) is None
    assert inert.changed_entries(old, set()) == set()
    assert inert.changed_entries(new, {5}) == {"D"}


def test_comments_change_no_entry_and_help_text_proves_nothing():
    """A help text's indent (or a comment joined to the next line) moves the
    lines after it in or out of the help: a change there is not understood."""
    text = ('config A\n\tbool "a"\n\tdepends on X\n\thelp\n\t  some help\n\n# a comment\n'
            'config B\n\tbool\n\tdepends on Y\n# more \\\n')
    assert inert.changed_entries(SourceFile(text), {7}) == set()
    assert inert.changed_entries(SourceFile(text), {3, 10}) == {"A", "B"}
    assert inert.changed_entries(SourceFile(text), {5}) is None
    assert inert.changed_entries(SourceFile(text), {11}) is None


def test_a_long_chain_proves_nothing_and_raises_nothing(tmp_path):
    """A chain deeper than the proof follows (MAX_DEPTH) may be on; and
    an expression nested past Python's recursion limit is no traceback."""
    from tests.conftest import make_tree

    chain = "".join(f'config S{i}\n\tbool "s"\n\tdepends on S{i + 1}\n' for i in range(400))
    deep = "config DEEP\n\tbool \"d\"\n\tdepends on " + "(" * 3000 + "OFF" + ")" * 3000 + "\n"
    root = make_tree(tmp_path, {"Kconfig": chain + 'config S400\n\tbool "end"\n\tdepends on OFF\n' + deep
                                + "config OFF\n\tbool\n"})
    walked = inert.walk(Tree(root), "demo")
    assert walked is not None
    facts = inert.Facts(walked)
    assert facts.may_be_on("S399") is False  # a short chain to OFF, which nothing turns on
    assert facts.may_be_on("S0") is True  # past the depth the proof follows
    assert facts.may_be_on("DEEP") is True


def _facts(tmp_path, kconfig):
    from tests.conftest import make_tree

    walked = inert.walk(Tree(make_tree(tmp_path, {"Kconfig": kconfig})), "demo")
    assert walked is not None
    return inert.Facts(walked)


def test_a_symbol_typed_bool_anywhere_may_be_on_through_any_entry(tmp_path):
    """Its int entry's prompt makes it settable when another entry gives it
    the type bool; an int or string symbol alone is never on."""
    facts = _facts(tmp_path, 'config X\n\tint "x"\nconfig X\n\tbool\nconfig N\n\tint "n"\n\tdefault 3\n')
    assert facts.may_be_on("X") is True and facts.may_be_on("N") is False


def test_a_form_feed_in_the_indent_proves_nothing(tmp_path):
    """kconfiglib counts a form feed in a help text's indent, source.py does
    not: where they could disagree on where a help text ends, nothing is
    proven (the `select` below may be code to kconfiglib)."""
    text = 'config A\n\tbool "a"\n\thelp\n\t\x0cfirst\n\tselect OFF\nconfig OFF\n\tbool\n'
    assert inert.walk(Tree(make_tree(tmp_path, {"Kconfig": text})), "demo") is None  # no walk: no proof
    assert _facts(tmp_path / "plain", text.replace("\x0c", "")).may_be_on("OFF") is False


def test_a_patch_of_help_texts_and_comments_changes_nothing_anywhere(tmp_path):
    """The same skeleton (what kconfiglib parses but help texts, blanks and
    comments): every arch is unchanged. Help changed with a dependency:
    not understood (the help's indent could move the lines after it)."""
    help_line = "\t  An architecture should select this option if it supports:\n"
    text = (TREES / "ld-bfd" / "arch/Kconfig").read_text()
    assert help_line in text
    reworded = lambda t: t.replace(help_line, "\t  An arch selects this if it supports:\n\t  (reworded)\n")  # noqa: E731
    assert unchanged(tmp_path / "a", reworded) == {"aa", "arm64", "cc", "mm", "x86", "zz"}
    assert unchanged(tmp_path / "b", lambda t: reworded(t).replace(GUARDED, DROPPED)) == set()


def test_when_every_arch_is_unchanged_one_that_reads_the_patched_file_parses_it(capsys, tmp_path):
    """A shared file only arch two sources, with a syntax error the patch
    makes in a never-on entry: every arch is proven unchanged, and the arch
    loaded is two, which reads the file (not the first arch): exit 2."""
    from tests.conftest import make_tree
    from tests.test_review import review as run_review

    old = 'config T\n\tbool "t"\n\tdepends on NOPE\n\tdefault y\n'
    root = make_tree(tmp_path / "tree", {"Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n',
                                         "shared/Kconfig.two": old,
                                         "arch/two/Kconfig": 'source "shared/Kconfig.two"\n'}, ("one", "two"))
    mail = format_patch(tmp_path / "p", "shared/Kconfig.two", old, old.replace("default y", "default y if ("),
                        "broken")
    code, _, err = run_review(capsys, mail, tmp_path, tree=root)
    assert code == 2 and "shared/Kconfig.two:4" in err


def test_an_entry_in_a_block_of_a_macro_reads_what_the_macro_may_expand_to(tmp_path):
    """`if $(T)` with `T := A`: kconfiglib gives B the dependency A (round 4
    found the fix path held here only because LD_IS_LLD had a macro line)."""
    facts = _facts(tmp_path, 'T := A\nif $(T)\nconfig B\n\tbool "b"\nendif\nconfig A\n\tbool "a"\n\tdepends on B\n')
    assert "A" in facts.reads("B")
    assert facts.may_reach({"B"}, {"A"})


def test_a_macro_reads_the_values_of_variables_not_what_looks_like_one(tmp_path):
    """An entry with a macro may read any name a variable's value holds,
    also on the joined rest of an assignment; a help text's line or the rest
    of a joined `select` that look like an assignment set no variable (7.3's
    drivers/watchdog/Kconfig joins `... if \\` onto `GOV_NOOP=n && GOV_DUMP=n`,
    and read as one, every arch's LD_IS_LLD could reach HAS_LTO_CLANG)."""
    entries = 'config M\n\tdef_bool $(success,true)\nconfig T\n\tbool "t"\nconfig V\n\tbool\n'
    joined_select = 'config U\n\tbool "u"\n\tselect V if \\\n\t\tV=n || T=y\n'
    help_text = 'config W\n\tbool "w"\n\thelp\n\t  X = T is no variable.\n'
    for name, text in (("joined", joined_select), ("help", help_text)):
        assert not _facts(tmp_path / name, entries + text).may_reach({"M"}, {"T"}), name
    assert _facts(tmp_path / "assigned", "X := a \\\n\tT\n" + entries).may_reach({"M"}, {"T"})


# -- review.unread: arches that read none of the patched files --------------

UNREAD_TREE = {
    "Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\nsource "lib/Kconfig"\n',
    "lib/Kconfig": 'config LIB\n\tbool "lib"\n',
    "arch/aa/Kconfig": "",
    "arch/bb/Kconfig": 'source "drivers/*/Kconfig"\n',
    "drivers/bar/Kconfig": "",
}


def unchanged_by(tmp_path, patch_text):
    root = make_tree(tmp_path / "tree", dict(UNREAD_TREE), arches=("aa", "bb"))
    tree = Tree(root)
    patch = parse(patch_text)[0]
    return review.proven_unchanged(tree, Tree(root, apply(tree, patch)), patch, tree.arches(), RULES)


BAD_SELECT = 'config NEW\n\tbool "new"\n\tselect LIB\n'


def test_a_new_file_nothing_sources_changes_no_arch(tmp_path):
    assert unchanged_by(tmp_path, diff_text("new/Kconfig", None, BAD_SELECT)) == {"aa", "bb"}


def test_a_new_file_a_glob_matches_is_read_there(tmp_path):
    assert unchanged_by(tmp_path, diff_text("drivers/foo/Kconfig", None, BAD_SELECT)) == {"aa"}


def test_a_file_every_arch_reads_is_proven_nowhere_by_reading(tmp_path):
    edited = diff_text("lib/Kconfig", UNREAD_TREE["lib/Kconfig"],
                               UNREAD_TREE["lib/Kconfig"] + "\tdefault y\n")
    assert unchanged_by(tmp_path, edited) == set()


def test_an_arch_that_comes_to_read_a_new_file_is_not_proven(tmp_path):
    sourcing = diff_text("arch/aa/Kconfig", "", 'source "new/Kconfig"\n')
    assert unchanged_by(tmp_path, sourcing + diff_text("new/Kconfig", None, BAD_SELECT)) == {"bb"}
