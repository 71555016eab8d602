import json
import re

import pytest

from kltolint.cli import main
from tests.conftest import TREES, line_of, make_tree
from tests.helpers import cli, cli_error, rule_pack, rule_toml

BEFORE = TREES / "arm64-big-endian" / "before"
AFTER = TREES / "arm64-big-endian" / "after"



def test_finding_exits_1_with_gcc_style_line(capsys):
    code, out, _ = cli(capsys, "check", str(BEFORE / "arch/arm64/Kconfig"))
    assert code == 1
    line = line_of((BEFORE / "arch/arm64/Kconfig").read_text(), "select ARCH_SUPPORTS_LTO_CLANG")
    assert re.search(rf"^arch/arm64/Kconfig:{line}: error: .*\[KLTO001\]$", out, re.M)
    assert "make ARCH=arm64 LLVM=1 KCONFIG_ALLCONFIG=witness.config allnoconfig" in out
    assert "| CONFIG_CPU_BIG_ENDIAN=y" in out


def test_clean_tree_exits_0(capsys):
    code, out, _ = cli(capsys, "check", "--tree", str(AFTER))
    assert code == 0 and "no findings on 2 arches" in out


def test_check_is_the_default_command(capsys, monkeypatch):
    monkeypatch.chdir(BEFORE)
    code, out, _ = cli(capsys, "arch/arm64/Kconfig")
    assert code == 1 and "[KLTO001]" in out


def test_arch_inferred_or_all(capsys, monkeypatch):
    monkeypatch.chdir(AFTER)
    assert "on 1 arch" in cli(capsys, "check", "arch/x86/Kconfig")[1]
    assert "on 2 arches" in cli(capsys, "check", "arch/Kconfig")[1]
    assert "on 1 arch" in cli(capsys, "check", "--arch", "arm64")[1]


def test_json_schema(capsys):
    code, out, _ = cli(capsys, "check", "--format", "json", str(BEFORE / "arch/arm64/Kconfig"))
    doc = json.loads(out)
    assert code == 1 and doc["version"] == 1 and doc["arches"] == ["arm64"]
    (finding,) = doc["findings"]
    assert {"rule", "file", "line", "arch", "message", "witness"} <= set(finding)
    assert finding["witness"]["make"] == "LLVM=1"
    assert "CONFIG_CPU_BIG_ENDIAN=y" in finding["witness"]["config"]
    assert doc["summary"] == {"findings": 1, "arches": 1}


def test_rules_and_rule(capsys):
    code, out, _ = cli(capsys, "rules")
    assert code == 0 and "KLTO001" in out and "KLTO007" in out
    code, out, _ = cli(capsys, "rule", "KLTO001")
    assert code == 0 and "LTO_CLANG && CPU_BIG_ENDIAN" in out and "Why it is bad" in out


def test_user_rules_directory(capsys, tmp_path):
    rule_pack(tmp_path, rule_toml("MY001", "CPU_BIG_ENDIAN", "add-depends", "n", name="big-endian-at-all",
                                  message="big-endian is reachable"))
    code, out, _ = cli(capsys, "check", "--rules", str(tmp_path), "--rule", "MY001", "--tree", str(AFTER))
    assert code == 1 and "[MY001]" in out



def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path):
    assert "not inside a kernel tree" in cli_error(capsys, "check", str(tmp_path))
    assert "unknown arch 'vax'" in cli_error(capsys, "check", "--tree", str(AFTER), "--arch", "vax")
    assert "no such file" in cli_error(capsys, "check", str(tmp_path / "missing"))
    (tmp_path / "bad.toml").write_text("[[rule]]\nid = 1\n")
    assert "bad.toml" in cli_error(capsys, "check", "--rules", str(tmp_path), "--tree", str(AFTER))


def test_kconfig_syntax_error_names_file_and_line(capsys, tmp_path):
    root = make_tree(tmp_path, {"Kconfig": "config A\n\tbool \"a\"\n\tdepends on &&\n"})
    err = cli_error(capsys, "check", "--tree", str(root))
    assert err.startswith("kltolint: error: Kconfig:3:")


def test_unreadable_kconfig(capsys, tmp_path):
    root = make_tree(tmp_path, {"Kconfig": 'source "sub"\n'})
    (root / "sub").mkdir()
    err = cli_error(capsys, "check", "--tree", str(root))
    assert "sub" in err and "cannot read" in err


def test_help_teaches(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "witness" in out and "allnoconfig" in out and "exit status" in out


def test_readme_demo_output_is_what_the_demo_prints(capsys, monkeypatch):
    """The README's first command, on the bundled demo tree, prints exactly
    the sample the README shows (exit status 1)."""
    import textwrap

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = readme.split("which prints (exit status 1):\n\n", 1)[1].split("\n\nOn a real tree", 1)[0]
    monkeypatch.chdir(ROOT)
    code = main(["check", "fixtures/trees/arm64-big-endian/before/arch/arm64/Kconfig"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert out.rstrip("\n") == textwrap.dedent(block).rstrip("\n")
