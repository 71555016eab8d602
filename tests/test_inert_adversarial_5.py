"""Fifth adversarial round against inert.py's proofs (see
test_inert_adversarial.py to _4.py): a tree and a patch, or a finding's
fix, where the text proves an arch unchanged and a kconfiglib load
disagrees. Each break was an xfail(strict=True) when found; all are fixed (inert.py:
the lines kconfiglib and source.py may read otherwise make a file unknown,
and the walk gives up on one; `m` reads MODULES; tokens as kconfiglib
splits them; a macro may expand to the environment's values)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kltolint.cli import main
from kltolint.tree import Tree
from tests.conftest import TREES, format_patch, make_tree, tree_with
from tests.test_inert_adversarial import ARCHES, TOP, _failing, _fix_proven, _proven, _review
from tests.test_inert_adversarial_2 import OLD_Y, S_ON, _default_y

# -- the fix's verification (fix.Verification.proven_unchanged) -----------------------------
# As in the earlier rounds: ld-bfd's fix adds `depends on LD_IS_LLD` to
# HAS_LTO_CLANG; arch alpha (added) never turns HAS_LTO_CLANG on, and its
# LD_IS_LLD reads ALPHA_LTO. Each case makes ALPHA_LTO read HAS_LTO_CLANG in a
# way Facts.reads does not see, so the fix closes HAS_LTO_CLANG -> LD_IS_LLD
# -> ALPHA_LTO -> HAS_LTO_CLANG on alpha while may_reach says it cannot.

ALPHA_HEAD = "config ALPHA\n\tdef_bool y\n\nconfig LD_IS_LLD\n\tdef_bool ALPHA_LTO\n\n"


def _fix_case(capsys, tmp_path: Path, monkeypatch, pre: str, body: str) -> list[str]:
    """The failing loads among the arches where ld-bfd's fix is proven, with
    arch/alpha/Kconfig made of `pre` (before any entry, so that no entry's
    lines hold it), ALPHA_HEAD and `body`. Alpha loads before the fix."""
    proven = _fix_proven(capsys, tmp_path, monkeypatch, {"Kconfig": pre + ALPHA_HEAD + body})
    assert _failing(Tree(tmp_path / "tree"), {"alpha"}) == []
    return [f for arch, fixed in proven for f in _failing(fixed, {arch})]


# A name made by joining a macro to text, where no check looks for it:
# inside a variable's value (_names reads `$(P)_CLANG` as P and _CLANG), on
# a line _EXPRESSION_LINE does not list (int, hex, string and their def_*),
# or across a backslash-newline (`$(P)\` then `_CLANG`: _joins_macro reads
# the physical line only).
@pytest.mark.parametrize("pre, body", [
    ("P := HAS_LTO\nV := $(P)_CLANG\n", 'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(V)\n'),
    ("f = $(1)_CLANG\n", 'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(f,HAS_LTO)\n'),
    ("P := HAS_LTO\n", 'config ALPHA_LTO\n\tint "x" if $(P)_CLANG\n\nconfig LD_IS_LLD\n\tdef_bool ALPHA_LTO > 0\n'),
    ("P := HAS_LTO\n", 'config ALPHA_LTO\n\tdef_int 1 if $(P)_CLANG\n\nconfig LD_IS_LLD\n\tdef_bool ALPHA_LTO > 0\n'),
    ("P := HAS_LTO\n", 'config ALPHA_LTO\n\tstring "x" if $(P)_CLANG\n\nconfig LD_IS_LLD\n\tdef_bool ALPHA_LTO = "x"\n'),
    ("P := HAS_LTO\n", 'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(P)\\\n_CLANG\n'),
], ids=["in-a-value", "in-a-function", "int-prompt-if", "def_int-if", "string-prompt-if", "across-a-backslash"])
def test_a_fix_closes_a_loop_through_a_name_joined_to_a_macro(capsys, tmp_path, monkeypatch, pre, body):
    assert _fix_case(capsys, tmp_path, monkeypatch, pre, body) == []


# A macro whose value no assignment in the text holds: the environment a
# load has (SRCARCH is the arch, SUBARCH x86), kconfiglib's built-ins
# ($(lineno), $(filename)); kltolint's own $(shell) probe symbols
# (KLTO_PROBE_<n>) the load refuses in the text. Facts.reads gives a macro
# reader only the names assignments hold (_assigned).
@pytest.mark.parametrize("body", [
    'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(SRCARCH)\n\nconfig alpha\n\tdef_bool HAS_LTO_CLANG\n',
    'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(SUBARCH)\n\nconfig x86\n\tdef_bool HAS_LTO_CLANG\n',
    'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(lineno)\n\nconfig 9\n\tdef_bool HAS_LTO_CLANG\n',
    'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(filename)\n\nconfig arch/alpha/Kconfig\n\tdef_bool HAS_LTO_CLANG\n',
    # A probe's name (KLTO_PROBE_<n>) in the text: the load refuses it (test_load.py).
], ids=["srcarch", "subarch", "lineno", "filename"])
def test_a_fix_closes_a_loop_through_a_macro_no_assignment_holds(capsys, tmp_path, monkeypatch, body):
    assert _fix_case(capsys, tmp_path, monkeypatch, "", body) == []


# An assignment kconfiglib parses and _ASSIGNMENT does not
# read: a macro in the name (kconfiglib's first token takes `$`), a \v
# between the name and the operator (kconfiglib's \s), the operator on a
# joined line (the prefilter _ASSIGNMENT reads physical lines).
@pytest.mark.parametrize("pre, use", [
    ("X := A\n$(X)_Y := HAS_LTO_CLANG\n", "A_Y"),
    ("X := A\nB$(X) := HAS_LTO_CLANG\n", "BA"),
    ("V\v:= HAS_LTO_CLANG\n", "V"),
    ("V \\\n:= HAS_LTO_CLANG\n", "V"),
], ids=["macro-then-name", "name-then-macro", "vtab-before-operator", "operator-joined"])
def test_a_fix_closes_a_loop_through_an_assignment_not_read(capsys, tmp_path, monkeypatch, pre, use):
    body = f'config ALPHA_LTO\n\tbool "x"\n\tdepends on $({use})\n'
    assert _fix_case(capsys, tmp_path, monkeypatch, pre, body) == []


# `m` in a condition is `m && MODULES` to kconfiglib (_parse_factor,
# transform_m): the entry reads MODULES; _names drops `m`.
@pytest.mark.parametrize("line", ['\tbool "x"\n\tdepends on m\n', '\tbool "x" if m\n', '\tbool "x"\n\tdefault y if m\n'],
                         ids=["depends-on-m", "prompt-if-m", "default-if-m"])
def test_a_fix_closes_a_loop_through_modules(capsys, tmp_path, monkeypatch, line):
    body = "config ALPHA_LTO\n" + line + "\nconfig ALPHA_S\n\tdef_bool HAS_LTO_CLANG\n\tselect MODULES\n"
    assert _fix_case(capsys, tmp_path, monkeypatch, "", body) == []


# A keyword joined to a macro (`help$(E) := y`) is an assignment to
# kconfiglib (its first token takes `$`, so it is no keyword); source.py's
# _FIRST_WORD stops at `$` and reads the keyword: a help text starts (the
# lines after are swallowed), or a new entry (the lines after change hands),
# or a block ends. _joins_macro looks only at _EXPRESSION_LINE lines.
@pytest.mark.parametrize("body", [
    'config ALPHA_LTO\n\tbool "x"\nhelp$(E) := y\n\tdepends on HAS_LTO_CLANG\n',
    'config ALPHA_LTO\n\tbool "x"\ncomment$(E) := y\n\tdepends on HAS_LTO_CLANG\n',
    'if HAS_LTO_CLANG\nendif$(E) := y\nconfig ALPHA_LTO\n\tbool "x"\nendif\n',
], ids=["help", "comment", "endif"])
def test_a_fix_closes_a_loop_behind_a_keyword_joined_to_a_macro(capsys, tmp_path, monkeypatch, body):
    assert _fix_case(capsys, tmp_path, monkeypatch, "E :=\n", body) == []


# A keyword joined to its expression (`if(A)`, `def_bool!A`, `default(A)`):
# kconfiglib's first token ends where name characters do; _names(text,
# skip=1) skips the first whitespace-separated word, and A with it.
@pytest.mark.parametrize("body", [
    'if(HAS_LTO_CLANG)\nconfig ALPHA_LTO\n\tbool "x"\nendif\n',
    'if!HAS_LTO_CLANG\nconfig ALPHA_LTO\n\tbool "x"\nendif\n',
    'config ALPHA_LTO\n\tdef_bool(HAS_LTO_CLANG)\n',
    'config ALPHA_LTO\n\tdef_bool!HAS_LTO_CLANG\n',
    'config ALPHA_LTO\n\tbool "x"\n\tdefault(HAS_LTO_CLANG)\n',
], ids=["if-paren", "if-not", "def_bool-paren", "def_bool-not", "default-paren"])
def test_a_fix_closes_a_loop_through_a_keyword_joined_to_its_expression(capsys, tmp_path, monkeypatch, body):
    assert _fix_case(capsys, tmp_path, monkeypatch, "", body) == []


# A backslash before CR CR LF: source.py strips every \r and \n off a line
# before it looks for the backslash and joins the next line; kconfiglib
# joins only at backslash-newline. _File.__init__ gives up on "\\\r\n"
# only, so a comment swallows ALPHA_LTO's `depends on` to source.py alone.
def test_a_fix_closes_a_loop_behind_a_backslash_before_cr_cr_lf(capsys, tmp_path, monkeypatch):
    body = 'config ALPHA_LTO\n\tbool "x"\n\t# a comment \\\r\r\n\tdepends on HAS_LTO_CLANG\n'
    assert _fix_case(capsys, tmp_path, monkeypatch, "", body) == []


# kconfiglib takes any line that is `help` once stripped of dashes (`--help--`,
# `help-`, `-help`) for a help keyword (_tokenize's old-tools fallback);
# source.py's _FIRST_WORD knows `help` and `---help---` only, so it reads the
# help text as lines: an indented `config X` in it starts an entry that takes
# the properties after the help text (ALPHA_LTO's `depends on`).
@pytest.mark.parametrize("spelling", ["--help--", "help-"])
def test_a_fix_closes_a_loop_behind_a_help_spelled_with_dashes(capsys, tmp_path, monkeypatch, spelling):
    body = f'config ALPHA_LTO\n\tbool "x"\n\t{spelling}\n\t  config ALPHA_T\n\tdepends on HAS_LTO_CLANG\n'
    assert _fix_case(capsys, tmp_path, monkeypatch, "", body) == []


# The fix path's first shortcut: an arch whose walk does not read the edited
# file is "unchanged" (fix.Verification.proven_unchanged, `reads=False`),
# before Facts.unknown is asked. Here arch/Kconfig (HAS_LTO_CLANG, which the
# fix edits) is sourced by each arch's Kconfig; alpha sources it in a way the
# walk misses, and there the fix closes HAS_LTO_CLANG -> LD_IS_LLD ->
# ALPHA_LTO -> HAS_LTO_CLANG. `kltolint check` offers that fix as safe with
# the proofs; without them it loads alpha and offers another.
TOP_WITHOUT_ARCH_KCONFIG = ('mainmenu "Linux/$(ARCH) $(KERNELVERSION) Kernel Configuration"\n\n'
                            'source "scripts/Kconfig.include"\n\nsource "init/Kconfig"\n\n'
                            'source "arch/$(SRCARCH)/Kconfig"\n')


def _check(capsys, root: Path, *flags: str) -> tuple[int, object]:
    code = main(["check", "--tree", str(root), "-q", "--no-cache", "--arch", "arm64", "--format", "json", *flags])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else err


@pytest.mark.parametrize("hidden", ['\fsource "arch/Kconfig"\n', 'if y\nendif\n# c \\\r\r\nsource "arch/Kconfig"\n',
                                    'E :=\nif y\nendif\nconfig ALPHA_T\n\tbool\nhelp$(E) := y\n\tsource "arch/Kconfig"\n'],
                         ids=["form-feed", "backslash-cr-cr-lf", "help-joined-to-a-macro"])
def test_the_check_offers_a_fix_that_closes_a_loop_on_an_arch_whose_source_the_walk_misses(capsys, tmp_path, hidden):
    root = tree_with(TREES / "ld-bfd", tmp_path, {"Kconfig": TOP_WITHOUT_ARCH_KCONFIG})
    for arch in ("arm64", "x86"):
        path = root / "arch" / arch / "Kconfig"
        text = path.read_text()
        path.unlink()  # a hard link to the fixture
        path.write_text(text + '\nsource "arch/Kconfig"\n')
    (root / "arch/alpha").mkdir()
    (root / "arch/alpha/Kconfig").write_text(ALPHA_HEAD + 'config ALPHA_LTO\n\tbool "x"\n\tdepends on HAS_LTO_CLANG\n\n'
                                             + hidden)
    assert _failing(Tree(root), {"alpha", "arm64", "x86"}) == []
    proved = _check(capsys, root)
    assert proved == _check(capsys, root, "--no-text-proofs")


# -- review: what an arch reads, and what may be on ------------------------------------------
# As test_inert_adversarial_2: common/Kconfig's Y depends on S, the patch
# turns its `default n` to `default y`; S is on on arch one only, so the
# proof claims arch two. Loads disagree where two reads S on after all.


# SRCARCH set in the text wins over the environment (kconfiglib looks its
# variables up first); _walk gives up on that through _ASSIGNMENT, which
# misses these spellings: arch two then reads arch/one/Kconfig, where S is on.
@pytest.mark.parametrize("pre", ["S := SRCARCH\n$(S) := one\n", "S := ARCH\nSRC$(S) := one\n", "SRCARCH\v:= one\n",
                                 "SRCARCH \\\n:= one\n", "SRCA\\\nRCH := one\n"],
                         ids=["macro-name", "name-then-macro", "vtab-before-operator", "operator-joined",
                              "name-joined"])
def test_srcarch_set_in_the_text_in_other_spellings(tmp_path, pre):
    proven, changed = _default_y(tmp_path, {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON}, pre + TOP)
    assert changed == []


# The keyword joined to a macro again, on arch two: S's `default y` (or T's
# `select S`) hides in what source.py takes for a help text or another entry.
@pytest.mark.parametrize("two", [
    "E :=\nconfig S\n\tbool\nhelp$(E) := y\n\tdefault y\n",
    "E :=\nconfig S\n\tbool\n---help---$(E) := y\n\tdefault y\n",
    "E :=\nconfig S\n\tbool\ncomment$(E) := y\n\tdefault y\n",
    "E :=\nconfig S\n\tbool\nendif$(E) := y\n\tdefault y\n",
    "E :=\nconfig S\n\tbool\nmainmenu$(E) := y\n\tdefault y\n",
    "E :=\nconfig T\n\tdef_bool y\nhelp$(E) := y\n\tselect S\n\nconfig S\n\tbool\n",
], ids=["help", "---help---", "comment", "endif", "mainmenu", "help-hides-a-select"])
def test_a_default_behind_a_keyword_joined_to_a_macro(tmp_path, two):
    files = {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON, "arch/two/Kconfig": two}
    proven, changed = _default_y(tmp_path, files)
    assert changed == []


@pytest.mark.parametrize("spelling", ["--help--", "help-", "-help"])
def test_a_default_after_a_help_spelled_with_dashes(tmp_path, spelling):
    two = f"config S\n\tbool\n\t{spelling}\n\t  config T\n\tdefault y\n"
    proven, changed = _default_y(tmp_path, {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON, "arch/two/Kconfig": two})
    assert changed == []


# The same on the review path: own_reads reads `default(A)` as no name, so
# the patch adds no read to X (never on), yet closes X -> A -> X.
NEVER_X_A = 'config NEVER\n\tbool\n\nconfig X\n\tbool\n\tdepends on NEVER\n\nconfig A\n\tbool "a"\n\tdepends on X\n'


@pytest.mark.parametrize("line", ["\tdefault(A)\n", "\tdefault!A\n"], ids=["paren", "not"])
def test_a_default_joined_to_its_keyword_closes_a_loop(tmp_path, line):
    new = NEVER_X_A.replace("\tdepends on NEVER\n", "\tdepends on NEVER\n" + line)
    before, after, proven = _proven(tmp_path, {"common/Kconfig": NEVER_X_A}, "common/Kconfig", new)
    assert _failing(before, set(ARCHES)) == []
    assert _failing(after, proven) == []


# The same two misreadings hide a `source` from _walk (source.py's lines are
# read for the sources of a file with a block): arch two reads arch/two/s,
# where S is on, and the proof never sees it.
@pytest.mark.parametrize("two", ['if y\nendif\n# a comment \\\r\r\nsource "arch/two/s"\n',
                                 'E :=\nif y\nendif\nconfig T\n\tbool\nhelp$(E) := y\n\tsource "arch/two/s"\n'],
                         ids=["backslash-cr-cr-lf", "help-joined-to-a-macro"])
def test_a_source_the_walk_does_not_see(tmp_path, two):
    files = {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON, "arch/two/Kconfig": two, "arch/two/s": S_ON}
    proven, changed = _default_y(tmp_path, files)
    assert changed == []


def test_a_default_after_a_backslash_before_cr_cr_lf(tmp_path):
    two = "config S\n\tbool\n\t# a comment \\\r\r\n\tdefault y\n"
    proven, changed = _default_y(tmp_path, {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON, "arch/two/Kconfig": two})
    assert changed == []


# -- what a user sees: `kltolint review` with and without the proofs --------------------------


def _review_both(capsys, tmp_path: Path, files: dict[str, str], rel: str, new: str) -> tuple[object, object]:
    """`kltolint review` of the patch changing `rel` to `new`, with the text proofs and with --no-text-proofs."""
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, **files}, ARCHES)
    mail = format_patch(tmp_path / "p", rel, files[rel], new, "a change")
    proved = _review(capsys, tmp_path, root, mail)
    code = main(["review", "--tree", str(root), str(tmp_path / "p.patch"), "--format", "json", "--no-text-proofs"])
    out, err = capsys.readouterr()
    return proved, (code, json.loads(out) if out.strip() else err)


def test_the_review_misses_a_finding_behind_a_help_joined_to_a_macro(capsys, tmp_path):
    common = "config CPU_BIG_ENDIAN\n\tdef_bool y\n\nconfig LTO_CLANG\n\tbool\n\tdepends on S\n\tdefault n\n"
    files = {"common/Kconfig": common, "arch/two/Kconfig": "E :=\nconfig S\n\tbool\nhelp$(E) := y\n\tdefault y\n"}
    proved, loaded = _review_both(capsys, tmp_path, files, "common/Kconfig", common.replace("default n", "default y"))
    assert isinstance(loaded[1], dict) and {f["arch"] for f in loaded[1]["findings"]} == {"two"}
    assert proved == loaded


# A patch of a line source.py takes for help text (after `help$(E) := y`),
# which kconfiglib reads as LTO_CLANG's `default`: review.proven_unchanged
# finds the skeletons equal ("help texts and comments only") and proves every
# arch; only one is loaded, and arch two's new finding is missed.
@pytest.mark.parametrize("keyword", ["help", "---help---"])
def test_the_review_misses_a_finding_in_what_source_py_takes_for_help(capsys, tmp_path, keyword):
    common = f"E :=\nconfig LTO_CLANG\n\tbool\n{keyword}$(E) := y\n\tdefault n\n"
    files = {"common/Kconfig": common, "arch/two/Kconfig": "config CPU_BIG_ENDIAN\n\tdef_bool y\n"}
    proved, loaded = _review_both(capsys, tmp_path, files, "common/Kconfig", common.replace("default n", "default y"))
    assert isinstance(loaded[1], dict) and {f["arch"] for f in loaded[1]["findings"]} == {"two"}
    assert proved == loaded


# -- what held ------------------------------------------------------------------------------


@pytest.mark.parametrize("pre, body", [
    ("V := HAS_LTO_CLANG\r\n", 'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(V)\n'),  # CRLF
    ("", 'if y\n\tV := HAS_LTO_CLANG\nendif\nconfig ALPHA_LTO\n\tbool "x"\n\tdepends on $(V)\n'),  # indented, in a block
    ("", 'config ALPHA_H\n\tbool\n\thelp\n\t  text\n\tV := HAS_LTO_CLANG\nconfig ALPHA_LTO\n\tbool "x"\n'
         '\tdepends on $(V)\n'),  # ends a help text
    ("V += HAS_LTO_CLANG\n", 'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(V)\n'),  # += of a new variable
    ("W = $(V)\nV = HAS_LTO_CLANG\n", 'config ALPHA_LTO\n\tbool "x"\n\tdepends on $(W)\n'),  # recursive, set later
    ("", 'config ALPHA_LTO\n\tint "x"\n\trange 0 ALPHA_N\n\nconfig ALPHA_N\n\tint\n\tdefault 1 if HAS_LTO_CLANG\n'
         '\nconfig LD_IS_LLD\n\tdef_bool ALPHA_LTO > 0\n'),  # a range's bound
    ("", 'menu "m"\n\tvisible if(HAS_LTO_CLANG)\nconfig ALPHA_LTO\n\tbool "x"\nendmenu\n'),  # skip=1 keeps `if(`
], ids=["crlf", "indented-in-an-if", "after-a-help-text", "append", "recursive", "range-bound", "visible-if-paren"])
def test_a_fix_loop_held(capsys, tmp_path, monkeypatch, pre, body):
    assert _fix_case(capsys, tmp_path, monkeypatch, pre, body) == []


@pytest.mark.parametrize("old, new", [
    # `select T if(A)` and `default y if(A)`: _parses refuses them (E.parse), so nothing is proven.
    (NEVER_X_A.replace("config A\n", "config T\n\tbool\n\nconfig A\n").replace("depends on X", "depends on T"),
     NEVER_X_A.replace("config A\n", "config T\n\tbool\n\nconfig A\n").replace("depends on X", "depends on T")
     .replace("depends on NEVER\n", "depends on NEVER\n\tselect T if(A)\n")),
    (NEVER_X_A, NEVER_X_A.replace("depends on NEVER\n", "depends on NEVER\n\tdefault y if(A)\n")),
], ids=["select-if-paren", "default-if-paren"])
def test_a_review_loop_held(tmp_path, old, new):
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _failing(before, set(ARCHES)) == []
    assert _failing(after, proven) == []
