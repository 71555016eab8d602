"""Adversarial round 6: the review's two new proofs (review.unread, the
narrower sweep scope of review_sweep._names_at), and what a review reads.

Each break is a test that the review's output with the proof is what the
plain way gives (`--no-text-proofs`, or the full sweep before and after the
patch, or the old scope of 3cb3ca4); next to each, a plain test checks the
reference it is compared with. The breaks fixed are plain tests; the one
still open (another arch's file read by an arch) is xfail(strict), failing
for the reason its docstring gives.
"""

from __future__ import annotations


import pytest

from kltolint import review_sweep
from kltolint.cli import main
from kltolint.dead import references
from kltolint.model import EDGE_KINDS
from tests.conftest import make_tree
from tests.helpers import diff_text, full_sweep
from tests.helpers import review_json as review

TOP = 'source "arch/$(SRCARCH)/Kconfig"\nsource "lib/Kconfig"\n'


def old_names_at(source, lines):
    """review_sweep._names_at as of 3cb3ca4: every name on a changed line."""
    names: set[str] = set()
    wanted = set(lines)
    for logical in source.logical:
        if not wanted & set(range(logical.first + 1, logical.last + 2)):
            continue
        names.update(references(logical))
        entry = source.entry_holding(logical.lineno)
        if entry is not None and entry.name and logical.keyword not in EDGE_KINDS:
            names.add(entry.name)
        if logical.kind == "entry" and logical.keyword in ("config", "menuconfig"):
            names.update(logical.words()[1:2])
    return names


# -- 1. unread: KDEAD001 reads every Kconfig file of the tree -----------------------------

DEAD_TREE = {
    "Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n',
    "arch/aa/Kconfig": 'config A\n\tbool "a"\n',
    "arch/bb/Kconfig": 'config B\n\tbool "b"\n\tdepends on OLD\n',
    "old/Kconfig": 'config OLD\n\tbool "old"\n',  # sourced by no arch (yet, or any more)
}
DELETE_OLD = diff_text("old/Kconfig", DEAD_TREE["old/Kconfig"], None)


def test_deleting_an_unsourced_file_introduces_kdead001_without_proofs(capsys, tmp_path):
    root = make_tree(tmp_path / "tree", dict(DEAD_TREE), arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, DELETE_OLD, "--rule", "KDEAD001", "--no-text-proofs")
    assert introduced == [("KDEAD001", "arch/bb/Kconfig", 3)]


def test_deleting_an_unsourced_file_introduces_kdead001(capsys, tmp_path):
    """review.unread proves an arch unchanged when its load reads no changed
    file, "whatever the rules". KDEAD001 is not a function of the files the
    load reads: dead.defined_anywhere scans every Kconfig file of the tree
    (and the overlay) for `config NAME`, so deleting old/Kconfig, which no
    arch sources, makes `depends on OLD` in arch/bb/Kconfig dangling. No
    arch reads old/Kconfig, so both arches are "unread"; only the first (aa)
    is loaded (`_reader`), and the finding on bb is never computed: the
    review said 0 introduced, `--no-text-proofs` says 1. (The same with a new
    file that defines a dangling name: the removal was missed.) Fixed:
    proven_unchanged does not use `unread` where KDEAD001 runs."""
    root = make_tree(tmp_path / "tree", dict(DEAD_TREE), arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, DELETE_OLD, "--rule", "KDEAD001")
    assert introduced == [("KDEAD001", "arch/bb/Kconfig", 3)]


# -- 2. sweep scope: a choice member's dependency bounds the other members ------------------

CHOICE = """\
config PCI
\tbool "pci"

choice
\tprompt "pick"
config FOO
\tbool "foo"
\tdepends on PCI
config BAR
\tbool "bar"
endchoice

config T
\tbool
\tdepends on PCI

config S
\tdef_bool !BAR
\tselect T
"""
CHOICE_AFTER = CHOICE.replace("\tdepends on PCI\nconfig BAR", "config BAR")
CHOICE_FINDING = ("KSEL001", "lib/Kconfig", 18)


def test_a_choice_members_dependency_changes_the_full_sweep_and_the_old_scope_sees_it(capsys, tmp_path, monkeypatch):
    before = make_tree(tmp_path / "before", {"Kconfig": TOP, "lib/Kconfig": CHOICE}, arches=("aa", "bb"))
    after = make_tree(tmp_path / "after", {"Kconfig": TOP, "lib/Kconfig": CHOICE_AFTER}, arches=("aa", "bb"))
    assert full_sweep(capsys, before) == []
    assert full_sweep(capsys, after) == [CHOICE_FINDING]
    monkeypatch.setattr(review_sweep, "_names_at", old_names_at)
    introduced, _ = review(capsys, tmp_path, before, diff_text("lib/Kconfig", CHOICE, CHOICE_AFTER))
    assert introduced == [CHOICE_FINDING]


def test_a_choice_members_dependency_is_in_scope(capsys, tmp_path):
    """_names_at's argument: "a dependency line bounds its own entry and
    never the names it reads". Not in a choice: FOO and BAR are the members
    of a (mandatory, bool) choice, and FOO `depends on PCI`. With PCI off,
    FOO cannot be the choice's pick, so BAR is y, and S (`def_bool !BAR`) is
    off: its `select T` (T depends on PCI) is met. The patch drops FOO's
    `depends on PCI`: now PCI=n, FOO=y, BAR=n, S=y selects T past its
    dependency, a new KSEL001 (the full sweep before/after shows it, and so
    does the review with 3cb3ca4's scope, which held PCI). The new scope is
    {FOO}; the edge S -> T reads S, T and PCI only, so it is never swept:
    the review reports nothing."""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": CHOICE}, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("lib/Kconfig", CHOICE, CHOICE_AFTER))
    assert introduced == [CHOICE_FINDING]


MEMBER = """\
config PCI
\tbool "pci"

choice
\tprompt "pick"
config FOO
\tbool "foo"
config BAR
\tbool "bar"
\tdepends on FOO
endchoice

config T
\tbool
\tdepends on PCI

config S
\tbool "s"
\tdepends on !FOO
\tselect T
"""
MEMBER_AFTER = MEMBER.replace("\tdepends on FOO\n", "")
MEMBER_FINDING = ("KSEL001", "lib/Kconfig", 19)


def test_a_member_that_depends_on_another_changes_the_full_sweep_and_the_old_scope_sees_it(
        capsys, tmp_path, monkeypatch):
    before = make_tree(tmp_path / "before", {"Kconfig": TOP, "lib/Kconfig": MEMBER}, arches=("aa", "bb"))
    after = make_tree(tmp_path / "after", {"Kconfig": TOP, "lib/Kconfig": MEMBER_AFTER}, arches=("aa", "bb"))
    assert full_sweep(capsys, before) == []
    assert full_sweep(capsys, after) == [MEMBER_FINDING]
    monkeypatch.setattr(review_sweep, "_names_at", old_names_at)
    introduced, _ = review(capsys, tmp_path, before, diff_text("lib/Kconfig", MEMBER, MEMBER_AFTER))
    assert introduced == [MEMBER_FINDING]


def test_a_members_dependency_on_another_member_is_in_scope(capsys, tmp_path):
    """In a choice, BAR `depends on FOO` (the member before it) makes BAR
    FOO's child in an implicit menu, not a member: the choice holds FOO
    alone, so FOO is y and S (`depends on !FOO`) is never on. The patch
    drops that line: BAR becomes a member, FOO=n is possible, S=y selects T
    (depends on PCI) with PCI=n, a new KSEL001 (full sweep; and the review
    with 3cb3ca4's scope, which held FOO, the name on the line). The new
    scope is {BAR}; the edge S -> T reads S, T, FOO (S's dependency, in
    the select's condition) and PCI, not BAR: never swept, nothing reported.
    The line changed FOO's values, a name it reads, not only its entry's."""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": MEMBER}, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("lib/Kconfig", MEMBER, MEMBER_AFTER))
    assert introduced == [MEMBER_FINDING]


# -- 3. sweep scope: a removed `config` header gives its lines to the entry before ----------

MERGE = """\
config PCI
\tbool "pci"

config T
\tbool
\tdepends on PCI

config FOO
\tbool "foo"
config BAR
\tbool
\tselect T
"""
MERGE_AFTER = MERGE.replace("config BAR\n\tbool\n", "")
MERGE_FINDING = ("KSEL001", "lib/Kconfig", 10)


def test_a_removed_header_changes_the_full_sweep(capsys, tmp_path):
    before = make_tree(tmp_path / "before", {"Kconfig": TOP, "lib/Kconfig": MERGE}, arches=("aa", "bb"))
    after = make_tree(tmp_path / "after", {"Kconfig": TOP, "lib/Kconfig": MERGE_AFTER}, arches=("aa", "bb"))
    assert full_sweep(capsys, before) == []
    assert full_sweep(capsys, after) == [MERGE_FINDING]


def test_a_removed_header_puts_the_entry_before_in_scope(capsys, tmp_path):
    """_names_at says "a line of a `config` entry changes that entry only".
    A header line does not: removing `config BAR` (and its bare `bool`)
    hands BAR's `select T` to FOO, the entry before it, which has a prompt:
    FOO=y, PCI=n selects T past `depends on PCI`, a new KSEL001 in the full
    sweep. The scope is {BAR} (the removed lines are BAR's in the old file;
    the new file has no changed line), FOO is not in it, and the new edge
    FOO -> T is never swept. (3cb3ca4's scope misses it too: this one is not
    a regression, but the argument the new docstring gives is false, and
    inert.changed_entries already knows that "a changed header also alters
    the entry before it".)"""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": MERGE}, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("lib/Kconfig", MERGE, MERGE_AFTER))
    assert introduced == [MERGE_FINDING]


# -- 3b. sweep scope: a moved `endif` takes an entry out of its block ---------------------

ENDIF = """\
config PCI
\tbool "pci"

config T
\tbool
\tdepends on PCI

if PCI

config A
\tbool "a"

config S
\tbool "s"
\tselect T

endif
"""
ENDIF_AFTER = ENDIF.replace('config S\n\tbool "s"\n\tselect T\n\nendif\n', 'endif\n\nconfig S\n\tbool "s"\n\tselect T\n')
ENDIF_FINDING = ("KSEL001", "lib/Kconfig", 17)


def test_a_moved_endif_changes_the_full_sweep(capsys, tmp_path):
    before = make_tree(tmp_path / "before", {"Kconfig": TOP, "lib/Kconfig": ENDIF}, arches=("aa", "bb"))
    after = make_tree(tmp_path / "after", {"Kconfig": TOP, "lib/Kconfig": ENDIF_AFTER}, arches=("aa", "bb"))
    assert full_sweep(capsys, before) == []
    assert full_sweep(capsys, after) == [ENDIF_FINDING]


def test_a_moved_endif_puts_the_entries_it_moves_in_scope(capsys, tmp_path):
    """The patch moves `endif` up past `config S` (the diff: `+endif` above
    S, `-endif` below it; S's own lines are context). S leaves `if PCI` and
    loses the inherited PCI dependency: S=y, PCI=n selects T past `depends
    on PCI`, a new KSEL001 in the full sweep. _names_at keeps "every name
    on a changed line outside an entry", but an `endif` (`endmenu`,
    `endchoice`) line holds none: the scope is empty, the sweep does not
    run, and the review reports nothing. (3cb3ca4's scope was empty too: not
    a regression, but the docstring's argument, that a block's names stay in
    scope through its lines, misses the line that ends the block.)"""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": ENDIF}, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("lib/Kconfig", ENDIF, ENDIF_AFTER))
    assert introduced == [ENDIF_FINDING]


# -- 4. beyond the proofs: what the review applies and reads --------------------------------

SELECTS = 'config PCI\n\tbool "pci"\nconfig T\n\tbool\n\tdepends on PCI\nconfig S\n\tbool "s"\n'
SELECTS_AFTER = SELECTS + "\tselect T\n"
SELECTS_FINDING = ("KSEL001", "lib/Kconfig", 8)


def test_a_patch_of_lib_kconfig_introduces_ksel001(capsys, tmp_path):
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": SELECTS}, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("lib/Kconfig", SELECTS, SELECTS_AFTER))
    assert introduced == [SELECTS_FINDING]


def test_a_patch_naming_lib_double_slash_kconfig_is_refused(capsys, tmp_path):
    """`git apply` (and patch -p1) apply a diff of `a/lib//Kconfig` to
    lib/Kconfig. kltolint's apply kept the path as spelled: the overlay held
    `lib//Kconfig`, which no load ever opens (`source "lib/Kconfig"` reads
    lib/Kconfig, from disk), so the patched text was never analysed and the
    review said 0 introduced where the same diff spelled `lib/Kconfig`
    introduces a KSEL001: a review bot walked around with one extra `/`
    (`lib/./Kconfig` did the same for plain diffs fed to patch(1)). Not the
    proofs' fault: `--no-text-proofs` missed it too. Fixed: patch.apply
    refuses a path with an empty, `.` or `..` part (exit 2)."""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": SELECTS}, arches=("aa", "bb"))
    for spelled in ("lib//Kconfig", "lib/./Kconfig", "arch/../lib/Kconfig"):
        target = tmp_path / "p.patch"
        target.write_text(diff_text("lib/Kconfig", SELECTS, SELECTS_AFTER).replace("lib/Kconfig", spelled))
        code = main(["review", "-q", "--tree", str(root), str(target), "--format", "json"])
        _, err = capsys.readouterr()
        assert code == 2 and "is not supported" in err, (spelled, err)


ORSOURCE = 'config PCI\n\tbool "pci"\nconfig T\n\tbool\n\tdepends on PCI\norsource "../new/Kconfig"\n'
NEW_DRIVER = 'config S\n\tbool "s"\n\tselect T\n'


def test_a_new_file_under_a_relative_orsource_is_read_by_a_check(capsys, tmp_path):
    files = {"Kconfig": TOP, "lib/Kconfig": ORSOURCE, "new/Kconfig": NEW_DRIVER}
    root = make_tree(tmp_path / "tree", files, arches=("aa", "bb"))
    # Named as the overlay names it (compat.TreeReader._normal), not as the pattern spells it.
    assert full_sweep(capsys, root) == [("KSEL001", "new/Kconfig", 3)]


def test_a_new_file_under_a_relative_orsource_is_reviewed(capsys, tmp_path):
    """lib/Kconfig has `orsource "../new/Kconfig"` (pattern
    `lib/../new/Kconfig`); a patch adds new/Kconfig with a select past an
    unmet dependency. kconfiglib on the patched tree reads it (a check of
    that tree reports the KSEL001), but TreeReader.iglob compares overlay
    paths with the pattern as written (`prefix + rel == pattern`, or
    fnmatch), and `new/Kconfig` != `lib/../new/Kconfig`: the load, and the
    walk that mirrors it, read nothing, and the review reports nothing. The
    same for `source "drivers//*/Kconfig"` and a new drivers/x/Kconfig.
    Not the proofs' fault: `--no-text-proofs` misses it too. (Where such a
    file exists and is patched, the load reads the overlay through relpath,
    but Sources.file("lib/../new/Kconfig"), which the lossless layer and
    KDEAD001 read, is not in the overlay: it reads the disk text.) Fixed:
    TreeReader.iglob normalises the pattern (`_normal`) before it matches."""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": ORSOURCE}, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("new/Kconfig", None, NEW_DRIVER))
    assert [(rule, line) for rule, _, line in introduced] == [("KSEL001", 3)]  # by whichever name


@pytest.mark.parametrize("line", ['source "drivers//*/Kconfig"', 'source "lib/../drivers/./*/Kconfig"',
                                  'orsource "../drivers/x/Kconfig"'])
def test_a_new_file_under_any_spelling_of_its_path_is_reviewed(capsys, tmp_path, line):
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": ORSOURCE.replace(
        'orsource "../new/Kconfig"', line), "drivers/y/Kconfig": ""}, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("drivers/x/Kconfig", None, NEW_DRIVER))
    assert introduced == [("KSEL001", "drivers/x/Kconfig", 3)]


def test_a_wildcard_before_dotdot_is_refused_in_one_line(capsys, tmp_path):
    """glob reads `drivers/*/../K` once per directory `*` matches: not a
    path to normalise, and no kernel spells one."""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "lib/Kconfig": 'source "drivers/*/../Kconfig"\n',
                                         "drivers/y/Kconfig": "", "drivers/Kconfig": ""}, arches=("aa", "bb"))
    code = main(["check", "--tree", str(root), str(root / "lib/Kconfig")])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1
    assert "lib/Kconfig:1: unsupported source pattern, a wildcard before '..'" in err


def test_dotdot_goes_back_only_over_a_directory_on_disk(capsys, tmp_path):
    """`lib/none/../Kconfig.y` names no file for glob (lib/none does not
    exist), as for the C tool: normalised to lib/Kconfig.y it would."""
    files = {"Kconfig": TOP, "lib/Kconfig.y": NEW_DRIVER}
    for line, code in (('source "lib/none/../Kconfig.y"', 2), ('source "lib/../lib/Kconfig.y"', 0)):
        root = make_tree(tmp_path / str(code), {**files, "lib/Kconfig": line + "\n"}, arches=("aa",))
        assert main(["check", "-q", "--tree", str(root), str(root / "lib/Kconfig")]) == code
        _, err = capsys.readouterr()
        assert ("no such file in the tree: lib/none/../Kconfig.y" in err) == (code == 2)


SHARED_TREE = {
    "Kconfig": TOP,
    "lib/Kconfig": 'config PCI\n\tbool "pci"\nconfig T\n\tbool\n\tdepends on PCI\n',
    "arch/aa/Kconfig": "",
    "arch/bb/Kconfig": 'source "arch/aa/Kconfig.shared"\n',  # bb reads a file under arch/aa
    "arch/aa/Kconfig.shared": 'config S\n\tbool "s"\n',
}
SHARED_AFTER = SHARED_TREE["arch/aa/Kconfig.shared"] + "\tselect T\n"


def test_another_arches_file_read_by_bb_makes_a_finding_there(capsys, tmp_path):
    root = make_tree(tmp_path / "tree", {**SHARED_TREE, "arch/aa/Kconfig.shared": SHARED_AFTER}, arches=("aa", "bb"))
    assert full_sweep(capsys, root) == [("KSEL001", "arch/aa/Kconfig.shared", 3)]


@pytest.mark.xfail(strict=True, reason="Tree.arches_reading: a file under arch/aa is taken to be read by aa only")
def test_another_arches_file_read_by_bb_is_reviewed_on_bb(capsys, tmp_path):
    """arch/bb/Kconfig sources arch/aa/Kconfig.shared. A patch of that file
    is reviewed on the arches `Tree.arches_reading` names: aa only (um is
    the one exception it knows), plus those an earlier load of the series
    saw read it (none, for a first patch). bb, where the new select is
    unmet (a check of the patched tree says so), is never loaded: the
    review reports nothing. Not the proofs' fault (one arch: no proof runs)."""
    root = make_tree(tmp_path / "tree", dict(SHARED_TREE), arches=("aa", "bb"))
    patch = diff_text("arch/aa/Kconfig.shared", SHARED_TREE["arch/aa/Kconfig.shared"], SHARED_AFTER)
    introduced, _ = review(capsys, tmp_path, root, patch)
    assert introduced == [("KSEL001", "arch/aa/Kconfig.shared", 3)]


GLOB_LIB = 'config PCI\n\tbool "pci"\nconfig T\n\tbool\n\tdepends on PCI\nsource "drivers/*/Kconfig"\n'
GLOB_TREE = {"Kconfig": TOP, "lib/Kconfig": GLOB_LIB, "drivers/x/Kconfig": ""}


@pytest.mark.parametrize("rel", ["drivers/a/b/Kconfig", "drivers/.a/Kconfig"])
def test_a_file_the_glob_does_not_match_is_not_read_by_a_check(capsys, tmp_path, rel):
    root = make_tree(tmp_path / "tree", {**GLOB_TREE, rel: NEW_DRIVER}, arches=("aa", "bb"))
    assert full_sweep(capsys, root) == []


@pytest.mark.parametrize("rel", ["drivers/a/b/Kconfig", "drivers/.a/Kconfig"])
def test_a_new_file_the_glob_does_not_match_is_not_reviewed(capsys, tmp_path, rel):
    """`source "drivers/*/Kconfig"` reads drivers/<one name>/Kconfig, never
    drivers/a/b/Kconfig (glob's `*` stops at `/`) nor drivers/.a/Kconfig
    (glob skips hidden names): a check of the tree with either file on disk
    reports nothing. TreeReader.iglob matches overlay files with
    fnmatch.fnmatchcase on the whole path, where `*` crosses `/` and a
    leading dot is a plain character: a patch adding either file has its
    select reviewed as if it were sourced, a KSEL001 the patched tree does
    not have. Fixed: compat.glob_matches matches part by part, as glob."""
    root = make_tree(tmp_path / "tree", dict(GLOB_TREE), arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text(rel, None, NEW_DRIVER))
    assert introduced == []


REL_LIB = 'config PCI\n\tbool "pci"\norsource "../new/Kconfig"\n'
REL_OLD = 'config S\n\tbool "s"\n'
REL_NEW = REL_OLD + "\tdepends on GONE\n"


def test_a_dangling_reference_in_a_plainly_sourced_file_is_reviewed(capsys, tmp_path):
    files = {"Kconfig": TOP, "lib/Kconfig": REL_LIB.replace('orsource "../new/Kconfig"', 'source "new/Kconfig"'),
             "new/Kconfig": REL_OLD}
    root = make_tree(tmp_path / "tree", files, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("new/Kconfig", REL_OLD, REL_NEW), "--rule", "KDEAD001")
    assert introduced == [("KDEAD001", "new/Kconfig", 3)]


def test_a_dangling_reference_in_a_relatively_sourced_file_is_reviewed(capsys, tmp_path):
    """new/Kconfig exists and is read through `orsource "../new/Kconfig"`
    in lib/Kconfig: kconfiglib names it `lib/../new/Kconfig`. A patch adds
    `depends on GONE` to it. The load reads the patched text (TreeReader.open
    goes through relpath to `new/Kconfig`, which the overlay holds), but
    KDEAD001 reads the file's lines through Sources.file with the model's
    name, `lib/../new/Kconfig`, which is not in the overlay: Tree.read
    gives the disk text, without the new line, and the review reports
    nothing (with `source "new/Kconfig"` it reports the KDEAD001). The
    same lossless layer places witnesses, fixes and suppressions. Fixed:
    TreeReader.iglob names a sourced file without `.`, `..` or empty parts."""
    files = {"Kconfig": TOP, "lib/Kconfig": REL_LIB, "new/Kconfig": REL_OLD}
    root = make_tree(tmp_path / "tree", files, arches=("aa", "bb"))
    introduced, _ = review(capsys, tmp_path, root, diff_text("new/Kconfig", REL_OLD, REL_NEW), "--rule", "KDEAD001")
    assert [(rule, line) for rule, _, line in introduced] == [("KDEAD001", 3)]  # by whichever name
