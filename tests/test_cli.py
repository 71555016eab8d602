import json
import re

import pytest

from kltolint.cli import COMMANDS, main
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


@pytest.mark.parametrize("text", ['config E\n\tbool "e"\n\tselect E\n',
                                  'config A\n\tbool "a"\n\tdepends on B\nconfig B\n\tbool "b"\n\tdepends on A\n'],
                         ids=["self-select", "two-symbol loop"])
def test_a_tree_with_a_dependency_loop_is_refused_as_conf_refuses_it(capsys, tmp_path, text):
    """A check (the pre-commit hook's, of a working tree) called such a
    tree clean, which the C tool refuses ("recursive dependency detected"),
    while a review of the patch making it exited 2. Now both refuse it."""
    root = make_tree(tmp_path, {"Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n' + text})
    err = cli_error(capsys, "check", "--tree", str(root), str(root / "Kconfig"))
    assert err.startswith("kltolint: error: Kconfig:") and "dependency loop: " in err


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
    assert err == "kltolint: error: Kconfig:1: cannot source 'sub': Is a directory\n"


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


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_commands_get_frozen_typed_options_not_argparse(capsys, monkeypatch, name):
    import argparse
    import dataclasses

    from tests.adversarial.test_cli import MINIMAL_ARGV

    seen = []
    monkeypatch.setitem(COMMANDS, name, dataclasses.replace(COMMANDS[name], run=lambda o: seen.append(o) or 0))
    assert main([name, *MINIMAL_ARGV[name], "--tree", "DIR"] if name not in ("rules", "rule")
                else [name, *MINIMAL_ARGV[name], "--rules", "A", "--rules", "B"]) == 0
    (options,) = seen
    assert type(options) is COMMANDS[name].options and not isinstance(options, argparse.Namespace)
    fields = dataclasses.fields(options)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(options, fields[0].name, None)
    assert not [f.name for f in fields if isinstance(getattr(options, f.name), list)]  # tuples: hashable, frozen
    if name in ("rules", "rule"):
        assert options.rule_dirs == ("A", "B")
    else:
        assert options.tree == "DIR"


def test_format_names_are_one_literal():
    from typing import get_args, get_type_hints

    from kltolint import output
    from kltolint.commands.check import CheckOptions

    assert get_args(output.Format) == output.FORMATS
    assert get_type_hints(CheckOptions)["format"] == output.Format


@pytest.mark.parametrize("argv", [["check"], ["review", "-"], ["query", "A"], ["explain", "A", "--config", "c"]])
def test_a_tree_without_arches_is_bad_input_not_a_crash(capsys, tmp_path, argv):
    (tmp_path / "Kconfig").write_text('config A\n\tbool "a"\n')  # no arch/
    assert "not a kernel tree" in cli_error(capsys, *argv, "--tree", str(tmp_path), "--no-cache"
                                         if argv[0] != "review" else "--quiet")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_help_teaches_with_examples(capsys, name):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    examples = out.split("examples:\n", 1)[1]
    assert f"kltolint {name} " in examples and "exit status" in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_options_fields_are_exactly_the_parsed_arguments(name):
    """No argument is dropped on the way to the command (nor invented)."""
    import dataclasses

    from kltolint.cli import parser
    from tests.adversarial.test_cli import MINIMAL_ARGV

    namespace = parser().parse_args([name, *MINIMAL_ARGV[name]])
    assert set(vars(namespace)) - {"command"} == {f.name for f in dataclasses.fields(COMMANDS[name].options)}
