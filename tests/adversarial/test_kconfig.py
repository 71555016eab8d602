"""`check` on hostile Kconfig trees (report F8, F23, F26, F27)."""

from __future__ import annotations

import os

import pytest

from tests.adversarial.conftest import demo, run

DEPENDS = "depends on AS_IS_GNU || AS_VERSION >= 150000"


def check(capsys, tree, rel="arch/arm64/Kconfig", *extra):
    return run(capsys, "check", "--no-cache", *extra, str(tree / rel))


def edit(tree, rel, change):
    path = tree / rel
    path.write_text(change(path.read_text()))


def _nested_blocks(depth: int, opener: str, closer: str) -> str:
    body = "config DEEP\n\tbool \"deep\"\n\tselect ARCH_SUPPORTS_LTO_CLANG\n"
    return opener * depth + body + closer * depth


DEEP = {
    "not chain": lambda n: lambda t: t.replace(DEPENDS, "depends on " + "!" * n + "(AS_IS_GNU || AS_VERSION >= 150000)"),
    "alternating": lambda n: lambda t: t.replace(DEPENDS, "depends on " + "A || (B && (" * (n // 2) + "C"
                                                 + "))" * (n // 2)),
    "nested if": lambda n: lambda t: t + _nested_blocks(n, "if ARM64\n", "endif\n"),
    "nested menu": lambda n: lambda t: t + _nested_blocks(n, 'menu "m"\n\tdepends on ARM64\n', "endmenu\n"),
}


@pytest.mark.parametrize("depth", [150, 600, 2400])
@pytest.mark.parametrize("shape", DEEP)
def test_deep_nesting_is_a_result_or_one_line(capsys, tmp_path, shape, depth):
    tree = demo(tmp_path)
    edit(tree, "arch/arm64/Kconfig", DEEP[shape](depth))
    result = check(capsys, tree)
    if result.code == 2:
        assert "arch/arm64/Kconfig" in result.error and "deep" in result.error


def test_deep_line_in_a_sourced_file_names_that_file(capsys, tmp_path):
    tree = demo(tmp_path)
    edit(tree, "init/Kconfig", lambda t: t + "config LONG\n\tbool\n\tdepends on "
         + " && ".join(f"S{i}" for i in range(80_000)) + "\n")
    result = check(capsys, tree)
    assert result.code == 2 and result.error.startswith("kltolint: error: init/Kconfig:")


@pytest.mark.parametrize("odd", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029"])
def test_odd_line_breaks_keep_line_numbers(capsys, tmp_path, odd):
    tree = demo(tmp_path, "before")
    edit(tree, "arch/arm64/Kconfig", lambda t: t.replace("\n", f" page{odd}break\n", 1))
    path = tree / "arch/arm64/Kconfig"
    result = run(capsys, "check", "--fix", "--no-cache", str(path))
    assert result.code == 0
    assert "\tselect ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN\n" in path.read_text()
    assert f"page{odd}break" in path.read_text()


def test_glob_through_a_symlink_lists_nothing_outside(capsys, tmp_path, monkeypatch):
    tree = demo(tmp_path)
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "passwd-").write_text("root:x:0:0\n")
    (tree / "drivers_etc").symlink_to(outside)
    edit(tree, "arch/arm64/Kconfig", lambda t: t + 'source "drivers_etc/pass*"\n')
    listed = []
    real = os.listdir
    monkeypatch.setattr(os, "listdir", lambda p=".": listed.append(str(p)) or real(p))
    result = check(capsys, tree)
    assert result.code == 2 and "outside the tree" in result.error and "arch/arm64/Kconfig:" in result.error
    assert "passwd-" not in result.error
    assert not [p for p in listed if p.startswith(str(outside)) or "drivers_etc" in p]


# -- the cases that held in the report, kept held ---------------------------------------

HOSTILE_SOURCES = ['source "/etc/passwd"', 'source "../../../../etc/passwd"', 'source "$(shell,cat /etc/passwd)"',
                   'source "/etc/*"', 'osource "/etc/passwd"', 'source "$(srctree)/../outside/Kconfig"',
                   'source "/proc/self/environ"', 'source "arch/arm64/Kconfig"', 'rsource "Kconfig*"']


@pytest.mark.parametrize("line", HOSTILE_SOURCES)
def test_hostile_source_lines(capsys, tmp_path, line, monkeypatch):
    tree = demo(tmp_path)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/Kconfig").write_text("config OUTSIDE\n\tbool\n")
    edit(tree, "arch/arm64/Kconfig", lambda t: t + line + "\n")
    opened = []
    real = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(str(p)) or real(p, *a, **k))
    result = check(capsys, tree)
    assert result.code == 2 and "arch/arm64/Kconfig:" in result.error
    assert not [p for p in opened if p.startswith(("/etc", "/proc")) or "outside" in p]


def test_probes_never_run(capsys, tmp_path):
    tree = demo(tmp_path)
    marker = tmp_path / "ran"
    probes = [f"$(shell,touch {marker})", f"$(success,touch {marker})", f"$(cc-option,-x; touch {marker})",
              f"$(as-instr,nop; touch {marker})"]
    edit(tree, "arch/arm64/Kconfig", lambda t: t + "".join(
        f"config P{i}\n\tdef_bool {p}\n" for i, p in enumerate(probes)) + f"VAR := $(shell,touch {marker})\n")
    assert check(capsys, tree).code in (0, 1)
    assert not marker.exists()


def test_a_source_of_no_file_says_so_without_the_host_path(capsys, tmp_path):
    """kconfiglib blames the environment and prints $srctree (the host's
    path, a bot's home): the message names the line's file, line and text."""
    tree = demo(tmp_path)
    line = len((tree / "init/Kconfig").read_text().splitlines()) + 1
    edit(tree, "init/Kconfig", lambda t: t + 'source "init/Kconfig.gone"\n')
    result = check(capsys, tree)
    assert result.code == 2
    assert result.error.strip() == (f"kltolint: error: init/Kconfig:{line}: no such file in the tree: "
                                     'init/Kconfig.gone (`source "init/Kconfig.gone"`)')
    assert str(tmp_path) not in result.error and "environment" not in result.error


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink loop", "dangling symlink"])
def test_sourced_file_that_is_not_a_file(capsys, tmp_path, kind):
    tree = demo(tmp_path)
    target = tree / "init/Kconfig.odd"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    elif kind == "symlink loop":
        target.symlink_to("Kconfig.odd")
    else:
        target.symlink_to("nowhere")
    line = len((tree / "init/Kconfig").read_text().splitlines()) + 1
    edit(tree, "init/Kconfig", lambda t: t + 'source "init/Kconfig.odd"\n')
    result = check(capsys, tree)
    # The `source` line is named, with the file it could not read.
    assert result.code == 2 and result.error.startswith(f"kltolint: error: init/Kconfig:{line}: ")
    assert "Kconfig.odd" in result.error and str(tmp_path) not in result.error


@pytest.mark.parametrize("name", ["", ".", "./", "init", "init/"])
def test_a_source_of_a_directory_names_the_line(capsys, tmp_path, name):
    """The C tool cannot read a directory either. The tree's top (`""`,
    `.`) was "refusing to source a file outside the tree: <host path>", and
    another directory "init: cannot read: Is a directory", with no line."""
    tree = demo(tmp_path)
    line = len((tree / "init/Kconfig").read_text().splitlines()) + 1
    edit(tree, "init/Kconfig", lambda t: t + f'source "{name}"\n')
    result = check(capsys, tree)
    assert result.code == 2 and result.error.startswith(f"kltolint: error: init/Kconfig:{line}: cannot source ")
    assert result.error.rstrip().endswith("Is a directory") and str(tmp_path) not in result.error


def test_directory_symlink_loop_in_a_glob(capsys, tmp_path):
    tree = demo(tmp_path)
    (tree / "drivers").mkdir()
    (tree / "drivers/loop").symlink_to("..")
    edit(tree, "arch/arm64/Kconfig", lambda t: t + 'osource "drivers/*/*/*/Kconfig"\n')
    assert check(capsys, tree).code in (0, 1, 2)


@pytest.mark.parametrize("variant", ["crlf", "bom", "nul", "latin1 symbol"])
def test_odd_bytes_in_a_tree(capsys, tmp_path, variant):
    tree = demo(tmp_path, "before")
    path = tree / "arch/arm64/Kconfig"
    data = path.read_bytes()
    data = {"crlf": data.replace(b"\n", b"\r\n"), "bom": b"\xef\xbb\xbf" + data,
            "nul": data.replace(b"config ARM64", b"config ARM\x0064"),
            "latin1 symbol": data.replace(b"config ARM64", b"config ARM\xe964")}[variant]
    path.write_bytes(data)
    result = check(capsys, tree)
    assert result.code == (1 if variant == "crlf" else 2)
