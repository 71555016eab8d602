"""`kltolint rules` / `kltolint rule ID` and the rule examples, Fixit-style."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kltolint import analysis, sweep
from kltolint.cli import main
from kltolint.ruledocs import run_examples
from kltolint.rules import builtin_dir, load_dir
from tests.conftest import FIXTURES

RULES = load_dir(builtin_dir()) + load_dir(FIXTURES / "rules" / "narrow")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_example_of_every_bundled_rule(rule):
    """Valid: no finding. Invalid: its rule only, at its line, fixed into its text."""
    results = run_examples([rule])
    assert len(results) == len(rule.valid) + len(rule.invalid)
    assert [r.line() for r in results if r.failure] == []


PACK = '''
[[rule]]
id = "MY001"
name = "lto-with-gcov"
forbid = "LTO_CLANG && GCOV_KERNEL"
message = "LTO with gcov"
rationale = "a house rule"
fix = { strategy = "add-depends", guard = "!GCOV_KERNEL" }
valid = [\'\'\'
config LTO_CLANG
	bool "lto"
	depends on !GCOV_KERNEL
config GCOV_KERNEL
	bool "gcov"
\'\'\', \'\'\'
config LTO_CLANG
	bool "lto"
config GCOV_KERNEL
	bool "gcov"
\'\'\']

[[rule.invalid]]
at = "Kconfig:AT"
kconfig = \'\'\'
config LTO_CLANG
	bool "lto"
config GCOV_KERNEL
	bool "gcov"
\'\'\'
fixed = \'\'\'
config LTO_CLANG
	bool "lto"
	depends on FIXED
config GCOV_KERNEL
	bool "gcov"
\'\'\'
'''


def pack(tmp_path: Path, at: int = 1, fixed: str = "!GCOV_KERNEL") -> Path:
    (tmp_path / "pack").mkdir(exist_ok=True)
    (tmp_path / "pack" / "mine.toml").write_text(PACK.replace("AT", str(at)).replace("FIXED", fixed))
    return tmp_path / "pack"


def test_a_pack_whose_examples_hold(capsys, tmp_path):
    path = pack(tmp_path)
    text = (path / "mine.toml").read_text().replace(", \'\'\'\nconfig LTO_CLANG\n\tbool \"lto\"\nconfig GCOV_KERNEL"
                                                    "\n\tbool \"gcov\"\n\'\'\']", "]")
    (path / "mine.toml").write_text(text)
    code, out, _ = run(capsys, "rules", "--test", str(path))
    assert code == 0 and out.count("\n") == 1  # the summary only


def test_each_failing_example_is_one_line(capsys, tmp_path):
    """The second valid example is flagged; the invalid one is at line 1, not 3,
    and its fix adds `depends on !GCOV_KERNEL`, not `depends on GCOV_KERNEL`."""
    results = run_examples(load_dir(pack(tmp_path, at=3, fixed="GCOV_KERNEL")))
    assert [(r.label, r.index, bool(r.failure)) for r in results] == [
        ("valid", 1, False), ("valid", 2, True), ("invalid", 1, True)]
    assert "Kconfig:1" in results[2].failure  # where the finding is
    results = run_examples(load_dir(pack(tmp_path, at=1, fixed="GCOV_KERNEL")))
    assert "differs from 'fixed' at Kconfig:3" in results[2].failure
    code, out, _ = run(capsys, "rules", "--test", str(pack(tmp_path, at=3)))
    assert code == 1 and len(out.splitlines()) == 3  # two failures and the summary
    code, out, _ = run(capsys, "rules", "--test", str(pack(tmp_path, at=3)), "--format", "json")
    assert code == 1 and [e["passed"] for e in json.loads(out)["examples"]] == [True, False, False]


def test_a_bad_pack_exits_2_naming_the_file(capsys, tmp_path):
    path = pack(tmp_path)
    (path / "mine.toml").write_text(PACK.replace("add-depends", "add-select"))
    code, out, err = run(capsys, "rules", "--test", str(path))
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and str(path / "mine.toml") in err
    code, out, err = run(capsys, "check", "--rules", str(path), "--tree", str(tmp_path))
    assert code == 2 and out == "" and "unknown fix.strategy 'add-select'" in err
    (path / "mine.toml").write_text(PACK.replace('forbid = "', 'kind = "forbids"\nforbid = "'))
    code, out, err = run(capsys, "rules", "--rules", str(path))
    assert code == 2 and "unknown kind 'forbids'" in err and len(err.splitlines()) == 1


def test_rule_of_a_narrow_default_pack(capsys):
    """It crashed with KeyError: 'narrow-default' (cli.py's two-key dict)."""
    narrow = str(FIXTURES / "rules" / "narrow")
    code, out, _ = run(capsys, "rule", "TEST001", "--rules", narrow, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["fix"]["strategy"] == "narrow-default" and "narrow the default" in data["fix"]["how"]
    assert run(capsys, "rule", "TEST001", "--rules", narrow)[0] == 0


def test_rule_docs_come_from_the_kind(capsys):
    """KSEL001 said "configurations where `n` holds" and "guard ... with `y`":
    the docs of a forbid rule, applied to the sweep's placeholder."""
    (rule,) = [r for r in RULES if r.id == "KSEL001"]
    code, out, _ = run(capsys, "rule", "KSEL001", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "unmet-select"
    assert data["finds"] == sweep.KIND.finds(rule) and data["fix"]["how"] == sweep.KIND.how_fixed(rule)
    assert data["status"] == "off" and data["enable_with"] == ["--rule KSEL001", "--sweep"]
    assert data["fix"]["availability"] == "sometimes" and data["fix"]["applicability"] == ["safe", "unsafe"]
    assert data["examples"]["invalid"][0]["at"] == "Kconfig:8"
    code, out, _ = run(capsys, "rule", "KSEL001")
    assert code == 0 and "`n`" not in out and "`y`" not in out and sweep.KIND.finds(rule) in out


@pytest.mark.parametrize("rule_id, strategy", [("KLTO001", "guard-select"), ("KSEL001", None), ("KRED001", None),
                                               ("KDEAD002", None)])
def test_rule_docs_say_whether_the_packs_strategy_is_used(capsys, rule_id, strategy):
    """KSEL001, KRED001 and KDEAD002 name a fix.strategy in their pack that
    their kind does not use: the docs say so, the JSON has none."""
    code, out, _ = run(capsys, "rule", rule_id)
    (line,) = [line for line in out.splitlines() if line.startswith("Fix strategy:")]
    assert code == 0 and (line.startswith(f"Fix strategy: {strategy} ") if strategy else "not used" in line)
    assert json.loads(run(capsys, "rule", rule_id, "--format", "json")[1])["fix"]["strategy"] == strategy


def test_rules_json_lists_status_fix_and_retired(capsys, tmp_path):
    path = pack(tmp_path)
    (path / "retired.toml").write_text('[[retired]]\nid = "MY000"\nname = "old-rule"\nreason = "split in two"\n')
    code, out, _ = run(capsys, "rules", "--rules", str(path), "--format", "json")
    data = json.loads(out)
    by_id = {r["id"]: r for r in data["rules"]}
    assert code == 0 and set(by_id) == {r.id for r in load_dir(builtin_dir())} | {"MY001"}
    for rule in load_dir(builtin_dir()):
        kind = analysis.RULE_KINDS[rule.kind]
        assert by_id[rule.id]["status"] == ("on" if rule.enabled else "off")
        assert by_id[rule.id]["fix"]["availability"] == kind.fix
    assert by_id["KDEAD001"]["fix"]["applicability"] == [] and by_id["KDEAD001"]["enable_with"][1] == "--dead"
    assert data["retired"] == [{"id": "MY000", "name": "old-rule", "reason": "split in two",
                                "defined_in": str(path / "retired.toml")}]
    code, out, _ = run(capsys, "rules", "--rules", str(path))
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert rows["MY000"][2] == "retired" and rows["KSEL001"][2:4] == ["off", "(--sweep)"]
    assert rows["KDEAD001"][4:6] == ["fix:", "none"] and rows["KLTO001"][2] == "on"
