from pathlib import Path

import pytest

from kltolint import analysis
from kltolint.errors import UserError
from kltolint.expr import Not, Sym
from kltolint.rules import EXAMPLE_FILE, Retired, builtin_dir, check_unique, load_all, load_dir, load_file, \
    load_pack, select

RULES = load_dir(builtin_dir())


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
def test_every_shipped_invalid_example_states_its_line_and_fix(rule):
    """Fixit's Invalid(..., expected_replacement=...): the line always, the
    fixed text wherever the rule's kind offers fixes."""
    fixable = analysis.RULE_KINDS[rule.kind].fix == "sometimes"
    for example in rule.invalid:
        assert example.at is not None and example.at[0] == EXAMPLE_FILE
        assert (example.fixed is not None) == fixable


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
    (('fix = { strategy = "add-depends" }', 'fix = { strategy = "rewrite" }'), "unknown fix.strategy 'rewrite'"),
    (('name = "a-with-b"', 'name = "a-with-b"\nkind = "forbidden"'), "unknown kind 'forbidden'"),
    (('rationale = "because"', 'rationale = "because"\ninvalid = [{ kconfig = "x", at = "Kconfig:0" }]'),
     "'at' must be"),
    (('rationale = "because"', 'rationale = "because"\ninvalid = [{ kconfig = "x", line = 3 }]'),
     "unknown key 'line'"),
    (('message = "A with B"\n', ''), "missing key 'message'"),
    (('[[rule]]', '[[rule]\n'), "not valid TOML"),
])
def test_bad_rule_files_name_file_and_key(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(UserError) as err:
        load_file(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_narrow_default_is_a_strategy(tmp_path):
    (rule,) = load_file(write(tmp_path, GOOD.replace("add-depends", "narrow-default")))
    assert rule.fix.strategy == "narrow-default"


def test_an_invalid_example_table(tmp_path):
    pack = GOOD + """
[[rule.invalid]]
kconfig = '''
config A
\tbool "a"
'''
at = "Kconfig:1"
fixed = "after"
"""
    (rule,) = load_file(write(tmp_path, pack))
    (example,) = rule.invalid
    assert (example.kconfig, example.at, example.fixed) == ('config A\n\tbool "a"\n', ("Kconfig", 1), "after")


def test_an_id_twice_is_refused(tmp_path):
    (rule,) = load_file(write(tmp_path, GOOD))
    with pytest.raises(UserError, match="X001 is defined twice"):
        check_unique([rule, rule])


def test_a_retired_id_is_never_reused(tmp_path):
    (rule,) = load_file(write(tmp_path, GOOD))
    retired = Retired("X001", "old-a-with-b", "replaced by X002", "old.toml")
    with pytest.raises(UserError, match="X001 is retired"):
        check_unique([rule], [retired])
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "a.toml").write_text(GOOD)
    (tmp_path / "pack" / "b.toml").write_text('[[retired]]\nid = "X001"\nname = "old"\nreason = "gone"\n')
    assert load_pack(tmp_path / "pack").retired[0].id == "X001"
    with pytest.raises(UserError, match="X001 is retired"):
        load_all(False, [tmp_path / "pack"])


def test_shipped_ids_are_unique_and_not_retired():
    pack = load_all(True, [])  # refuses a duplicate or a retired id
    assert {r.id for r in pack.rules}.isdisjoint({r.id for r in pack.retired})
    assert len({r.id for r in pack.rules}) == len(pack.rules)


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
