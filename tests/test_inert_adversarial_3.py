"""Third adversarial round against inert.py's proofs (see
test_inert_adversarial.py and test_inert_adversarial_2.py): a tree and a
patch where the text proves an arch unchanged and a kconfiglib load
disagrees. Each break is xfail(strict=True): the test asserts what
soundness requires; the cases that held are plain tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kltolint import review
from kltolint.patch import apply, parse
from kltolint.tree import Tree
from tests.conftest import make_tree
from tests.test_inert import RULES
from tests.test_inert_adversarial import ARCHES, TOP, _changed, _failing, _proven
from tests.test_inert_adversarial_2 import OLD_Y, S_ON, _default_y, _fix_proven

# kconfiglib reads def_string, def_int and def_hex (a type and a default);
# inert.py's _definition knows neither keyword: X has no type and no
# default to it, so "never on, not numeric", and a `default "n"` put first
# (its value read as the constant n, never on) changes X's value on every arch.
DEF_STRING = 'config X\n\tdef_string "a"\n'


@pytest.mark.parametrize("old", [DEF_STRING, "config X\n\tdef_int 1\n", "config X\n\tdef_hex 0x1\n"],
                         ids=["def_string", "def_int", "def_hex"])
def test_a_def_string_symbol_is_not_proven_unchanged(tmp_path, old):
    new = old.replace("config X\n", 'config X\n\tdefault "n"\n')
    before, after, proven = _proven(tmp_path, {"common/Kconfig": old}, "common/Kconfig", new)
    assert _changed(before, after, proven, "X") == []


# -- a patch of two files: one whose name does not start with Kconfig --------------------


def _git_patch(work: Path, old: dict[str, str], new: dict[str, str]) -> str:
    """A `git format-patch` mail changing each file of `old` to its text in `new`, in one commit."""
    repo = work / "repo"
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.org",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.org"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout

    def write(files: dict[str, str]) -> None:
        for rel, text in files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)

    repo.mkdir(parents=True)
    git("init", "-q")
    write(old)
    git("add", "-A")
    git("commit", "-qm", "base")
    write(new)
    git("commit", "-qam", "two files")
    return git("format-patch", "-1", "--stdout")


# common/Kconfig sources common/more: review.proven_unchanged skips every file
# patch.is_kconfig rejects, so a help-only change of common/Kconfig with a real
# change of common/more proves every arch unchanged (held: see the test).
SOURCING = 'config NEVER\n\tbool\n\thelp\n\t  Never on.\n\nsource "common/more"\n'
MORE = "config Y\n\tbool\n\tdefault n\n"


def test_a_sourced_file_not_named_kconfig_held(tmp_path):
    """Held: patch.apply leaves such a file as it is too, so loads agree with the proof."""
    old = {"common/Kconfig": SOURCING, "common/more": MORE}
    new = {"common/Kconfig": SOURCING.replace("Never on.", "Never on, ever."),
           "common/more": MORE.replace("default n", "default y")}
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, **old}, ARCHES)
    patch = parse(_git_patch(tmp_path / "p", old, new))[0]
    before = Tree(root)
    after = Tree(root, apply(before, patch))
    proven = review.proven_unchanged(before, after, patch, before.arches(), RULES)
    assert _changed(before, after, proven, "Y") == []


# -- gsource and grsource: kconfiglib's old spellings of osource and orsource ------------


@pytest.mark.parametrize("line", ['gsource "arch/two/s"\n', 'grsource "s"\n'], ids=["gsource", "grsource"])
def test_a_file_read_through_gsource_proves_nothing(tmp_path, line):
    # S (on) is defined in arch/two/s, read only through the alias: Y depends on S.
    files = {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON, "arch/two/Kconfig": line, "arch/two/s": S_ON}
    proven, changed = _default_y(tmp_path, files)
    assert changed == []


# -- boolean: kconfiglib's alias of bool ---------------------------------------------------


def test_a_boolean_prompt_may_be_on(tmp_path):
    # S has a prompt on arch two (`boolean "s"`): a user sets it, Y depends on S.
    files = {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON, "arch/two/Kconfig": 'config S\n\tboolean "s"\n'}
    before, after, proven = _proven(tmp_path, files, "common/Kconfig", OLD_Y.replace("default n", "default y"))
    assert _changed(before, after, proven, "Y", {"S": 2}) == []


# -- a named choice defined twice (the fix's verification) ---------------------------------
# As test_inert_adversarial_2's fix cases: ld-bfd's fix adds `depends on LD_IS_LLD`
# to HAS_LTO_CLANG; on arch alpha LD_IS_LLD reads ALPHA_B, a member of choice AC
# whose other definition holds ALPHA_A, which depends on HAS_LTO_CLANG.


def test_a_fix_closes_a_loop_through_a_named_choice_defined_twice(capsys, tmp_path, monkeypatch):
    alpha = ('config ALPHA\n\tdef_bool y\n\nconfig LD_IS_LLD\n\tdef_bool ALPHA_B\n\n'
             'choice AC\n\tprompt "c"\nconfig ALPHA_A\n\tbool "a"\n\tdepends on HAS_LTO_CLANG\nendchoice\n\n'
             'choice AC\n\tprompt "c"\nconfig ALPHA_B\n\tbool "b"\nendchoice\n')
    proven = _fix_proven(capsys, tmp_path, monkeypatch, {"Kconfig": alpha})
    assert [f for arch, fixed in proven for f in _failing(fixed, {arch})] == []


# -- what held --------------------------------------------------------------------------


@pytest.mark.parametrize("two, more", [
    ('choice S\n\tprompt "s"\nconfig T\n\tbool "t"\nendchoice\n', {}),
    ("config T\n\tdef_bool y\n\timply S\n\nconfig S\n\tbool\n", {}),
    ("config T\n\tdef_bool y\n\tselect S if T\n\nconfig S\n\tbool\n", {}),
    ("config S\n\ttristate\n\tdefault m\n", {}),
    ('if n\nsource "common/s"\nendif\nif y\nsource "common/s"\nendif\n', {"common/s": S_ON}),
    ('choice C\n\tprompt "c"\nconfig T\n\tbool "t"\nendchoice\n\nchoice C\nconfig S\n\tbool "s"\nendchoice\n', {}),
    ('rsource "../../common/s*"\n', {"common/s1": S_ON}),
], ids=["depends-on-a-choice-name", "imply-from-on", "select-if", "default-m-no-modules", "sourced-twice-in-ifs",
        "named-choice-twice", "rsource-dotdot-glob"])
def test_what_held(tmp_path, two, more):
    files = {"common/Kconfig": OLD_Y, "arch/one/Kconfig": S_ON, "arch/two/Kconfig": two, **more}
    proven, changed = _default_y(tmp_path, files)
    assert changed == []
