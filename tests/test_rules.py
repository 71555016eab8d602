from pathlib import Path

import pytest

from kltolint import analysis
from kltolint.errors import UserError
from kltolint.expr import Not, Sym
from kltolint.load import load_arch
from kltolint.rules import builtin_dir, load_dir, load_file, select
from kltolint.tree import Tree
from tests.conftest import make_tree

RULES = load_dir(builtin_dir())


def findings_for(rule, kconfig: str, tmp_path: Path):
    tree = Tree(make_tree(tmp_path, {"Kconfig": kconfig}))
    return analysis.check(load_arch(tree, "demo"), [rule], analysis.Sources(tree))


def test_shipped_rules():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) >= 7
    names = {r.name for r in RULES}
    for expected in ("lto-with-big-endian-cpu", "lto-linked-with-ld-bfd", "lto-without-clang",
                     "lto-without-integrated-assembler", "lto-with-gcov-kernel",
                     "lto-with-recordmcount", "thinlto-on-arch-without-thinlto"):
        assert expected in names
    for rule in RULES:
        assert rule.valid and rule.invalid, f"{rule.id} needs examples"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_invalid_examples_are_flagged(rule, tmp_path):
    for i, example in enumerate(rule.invalid):
        found = findings_for(rule, example, tmp_path / str(i))
        assert [f.rule for f in found] and {f.rule for f in found} == {rule.id}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_valid_examples_pass(rule, tmp_path):
    for i, example in enumerate(rule.valid):
        assert findings_for(rule, example, tmp_path / str(i)) == []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(text)
    return path


GOOD = '''
[[rule]]
id = "X001"
name = "a-with-b"
forbid = "A && B"
message = "A with B"
rationale = "because"
fix = { strategy = "add-depends" }
'''


def test_a_user_rule_file(tmp_path):
    (rule,) = load_file(write(tmp_path, GOOD))
    assert rule.id == "X001" and rule.subject == "A"
    assert rule.fix.guards == (Not(Sym("B")),)


@pytest.mark.parametrize("change, message", [
    (('forbid = "A && B"', 'forbid = "A &&"'), "bad expression in 'forbid'"),
    (('rationale = "because"', 'rationale = "because"\ncolour = "red"'), "unknown key 'colour'"),
    (('fix = { strategy = "add-depends" }', 'fix = { strategy = "add-depends", how = 1 }'), "unknown key 'fix.how'"),
    (('fix = { strategy = "add-depends" }', 'fix = { strategy = "rewrite" }'), "fix.strategy must be"),
    (('message = "A with B"\n', ''), "missing key 'message'"),
    (('[[rule]]', '[[rule]\n'), "not valid TOML"),
])
def test_bad_rule_files_name_file_and_key(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(UserError) as err:
        load_file(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_select_by_id_or_name():
    assert select(RULES, ["KLTO001"]) == select(RULES, ["lto-with-big-endian-cpu"])
    with pytest.raises(UserError, match="unknown rule"):
        select(RULES, ["NOPE"])


def test_rules_listing_keeps_its_columns(capsys):
    """`kltolint rules`: every message starts in the same column, however long a name is."""
    from kltolint.cli import main

    assert main(["rules"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    shipped = [r for r in load_dir(builtin_dir()) if r.id in rows]
    assert len(shipped) >= 8 and max(len(r.name) for r in shipped) > 36
    assert len({rows[r.id].index(r.message) for r in shipped}) == 1
