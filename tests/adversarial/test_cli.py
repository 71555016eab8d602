"""The exit status contract and hostile output streams (report F18, F19, F28, F31)."""

from __future__ import annotations

import dataclasses
import io
import json
import os

import pytest

from kltolint import cli
from kltolint.commands import ExitCode
from tests.adversarial.conftest import (RAW_CONTROL, UNGUARDED, demo, kltolint, proc_contract, run)

# The least each command's parser accepts (its run is replaced or fails early).
MINIMAL_ARGV = {"check": [], "review": ["-"], "query": ["A"], "explain": ["A", "--config", "c"],
                "rules": [], "rule": ["X"]}


def _boom(_options):
    return {}["boom"]


def _failing(monkeypatch, name):
    monkeypatch.setitem(cli.COMMANDS, name, dataclasses.replace(cli.COMMANDS[name], run=_boom))


def test_internal_error_exits_3_with_one_line(capsys, monkeypatch):
    _failing(monkeypatch, "rules")
    code = cli.main(["rules"])
    _, err = capsys.readouterr()
    assert code == 3
    (line,) = err.splitlines()
    assert line.startswith("kltolint: internal error: KeyError") and "report" in line and "--debug" in line


def test_debug_shows_the_traceback(capsys, monkeypatch):
    _failing(monkeypatch, "rules")
    assert cli.main(["rules", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_exit_statuses_are_the_documented_ones():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130]
    assert ExitCode.found(True) == 1 and ExitCode.found(False) == 0


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_an_exception_inside_any_command_exits_3_not_1(capsys, monkeypatch, name):
    _failing(monkeypatch, name)
    assert cli.main([name, *MINIMAL_ARGV[name]]) == ExitCode.INTERNAL_ERROR
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("kltolint: internal error: KeyError")


@pytest.mark.parametrize(("argv", "where"), [
    (["check", "--no-cache"], "kltolint.session.Session.run"),
    (["check", "--no-cache"], "kltolint.suppress.apply_inline"),
    (["review", "-"], "kltolint.review.review"),
    (["rules"], "kltolint.ruledocs.render_listing"),
    (["rule", "KLTO001"], "kltolint.ruledocs.render_rule"),
])
def test_an_exception_deep_in_a_command_exits_3(capsys, monkeypatch, tmp_path, argv, where):
    tree = demo(tmp_path, "before")
    monkeypatch.chdir(tree)
    first = (tree / "arch/Kconfig").read_text().splitlines()[0]
    diff = f"--- a/arch/Kconfig\n+++ b/arch/Kconfig\n@@ -1 +1,2 @@\n {first}\n+# a comment\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(diff.encode())))
    monkeypatch.setattr(where, lambda *a, **k: {}["deep"])
    assert cli.main(argv) == ExitCode.INTERNAL_ERROR
    assert "internal error: KeyError: 'deep'" in capsys.readouterr().err


def test_conflicting_options_are_refused(capsys, tmp_path):
    path = str(demo(tmp_path, "before") / "arch/arm64/Kconfig")
    assert "--fix and --diff" in run(capsys, "check", "--fix", "--diff", path).error
    assert "--format" in run(capsys, "check", "--format", "json", "--diff", path).error


def _strict(pairs):
    for _, value in pairs:
        if isinstance(value, str):
            value.encode("utf-8")  # a lone surrogate fails here
    return dict(pairs)


def _hostile_comment(tmp_path):
    tree = demo(tmp_path, "before")
    path = tree / "arch/arm64/Kconfig"
    text = path.read_text().replace(UNGUARDED, UNGUARDED[:-1] + " # \x1b]0;PWNED\x07\x1b[2J caf\udce9\n")
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


@pytest.mark.parametrize("encoding", ["utf-8:strict", "latin-1:strict", "ascii:strict"])
@pytest.mark.parametrize("extra", [[], ["--diff"], ["--format", "json"]])
def test_odd_bytes_and_controls_under_any_locale(tmp_path, encoding, extra):
    path = _hostile_comment(tmp_path)
    proc = proc_contract(kltolint("check", "--no-cache", *extra, str(path), env={"PYTHONIOENCODING": encoding}))
    assert proc.returncode == 1
    if extra == ["--diff"]:  # the file's own bytes: the patch must apply
        assert b"caf\xe9" in proc.stdout
    elif extra:  # JSON a strict parser accepts: no lone surrogate escapes
        doc = json.loads(proc.stdout, object_pairs_hook=_strict)
        assert doc["findings"] and rb"caf\\xe9" in proc.stdout
    else:
        out = proc.stdout.decode("ascii", "replace") if encoding.startswith("ascii") else proc.stdout.decode(
            encoding.split(":")[0])
        assert not RAW_CONTROL.search(out.replace("\n", "")), out
        assert "PWNED" in out


def test_bad_line_with_escapes_is_reported_escaped(capsys, tmp_path):
    tree = demo(tmp_path)
    path = tree / "arch/arm64/Kconfig"
    path.write_text(path.read_text() + "\x1b[31mconfig BAD\x00\n")
    result = run(capsys, "check", "--no-cache", str(path))
    assert result.code == 2 and "arch/arm64/Kconfig:" in result.error
    assert not RAW_CONTROL.search(result.err.replace("\n", ""))


def _pipe_closed_stdout():
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("target", ["broken pipe", "/dev/full", "closed"])
@pytest.mark.parametrize("argv", [["rules"], ["check", "--no-cache", "--diff"], ["check", "--no-cache"]])
def test_output_that_cannot_be_written(tmp_path, target, argv):
    tree = demo(tmp_path, "before")
    if target == "broken pipe":
        fd = _pipe_closed_stdout()
        proc = kltolint(*argv, cwd=tree, stdout=fd, env={"PYTHONUNBUFFERED": "1"})
        os.close(fd)
    elif target == "/dev/full":
        with open("/dev/full", "w") as full:
            proc = kltolint(*argv, cwd=tree, stdout=full)
    else:
        proc = kltolint(*argv, cwd=tree, stdout=None, pass_fds=(), preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    proc_contract(proc)
    assert "<stdout>" in proc.stderr.decode()


def test_main_returns_plain_ints(capsys, monkeypatch):
    """sys.exit and pre-commit see the number, whatever path main took."""
    assert type(cli.main(["rules"])) is int
    _failing(monkeypatch, "rules")
    assert type(cli.main(["rules"])) is int
    assert type(cli.main(["rule", "NO_SUCH_RULE"])) is int


def test_interrupt_exits_130_quietly(capsys, monkeypatch):
    def interrupted(_options):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "rules", dataclasses.replace(cli.COMMANDS["rules"], run=interrupted))
    assert cli.main(["rules"]) == 130 and capsys.readouterr().err == ""
