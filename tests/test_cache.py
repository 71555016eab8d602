"""The findings cache and parallel runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from kltolint.cache import SCHEMA
from kltolint.cli import main
from tests.conftest import TREES, make_tree
from tests.helpers import cli, rule_pack, rule_toml

RULE = rule_toml("C001", "A && B", name="a-with-b", message="A with B")
TOP = 'source "drivers/*/Kconfig"\nconfig A\n\tbool "a"\n'
CLEAN_B = 'config B\n\tbool "b"\n\tdepends on !A\n'


@pytest.fixture
def setup(tmp_path):
    root = make_tree(tmp_path / "tree", {"Kconfig": TOP, "drivers/b/Kconfig": CLEAN_B})
    rules = rule_pack(tmp_path / "rules", RULE)
    cache = tmp_path / "cache"
    return root, ["check", "-q", "--tree", str(root), "--no-builtin-rules", "--rules", str(rules),
                  "--cache-dir", str(cache)], cache


def no_loading(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the tree was loaded: the cache missed")
    monkeypatch.setattr("kltolint.load.load_arch", refuse)
    monkeypatch.setattr("kltolint.load.load_kconfig", refuse)


def test_second_run_is_served_from_the_cache(setup, capsys, monkeypatch):
    root, argv, cache = setup
    assert cli(capsys, *argv)[0] == 0
    assert list((cache / f"v{SCHEMA}").glob("*.json"))
    no_loading(monkeypatch)
    assert cli(capsys, *argv)[0] == 0
    (root / "Kconfig").touch()  # mtime changes, content does not: still a hit
    assert cli(capsys, *argv)[0] == 0


def test_edited_file_invalidates(setup, capsys):
    root, argv, _ = setup
    assert cli(capsys, *argv)[0] == 0
    (root / "drivers/b/Kconfig").write_text('config B\n\tbool "b"\n')
    code, out = cli(capsys, *argv)[:2]
    assert code == 1 and "[C001]" in out


def test_added_file_under_a_source_glob_invalidates(setup, capsys):
    root, argv, _ = setup
    (root / "drivers/b/Kconfig").write_text("")
    assert cli(capsys, *argv)[0] == 0
    (root / "drivers/c").mkdir()
    (root / "drivers/c/Kconfig").write_text('config B\n\tbool "b"\n')
    assert cli(capsys, *argv)[0] == 1


def test_removed_file_invalidates(setup, capsys):
    root, argv, _ = setup
    (root / "drivers/c").mkdir()
    (root / "drivers/c/Kconfig").write_text('config C\n\tbool "c"\n\tselect B\nconfig A2\n\tbool\n')
    (root / "drivers/b/Kconfig").write_text('config B\n\tbool\n\tdepends on !A\n')
    assert cli(capsys, *argv)[0] == 1  # C selects B past its dependency
    (root / "drivers/c/Kconfig").unlink()
    assert cli(capsys, *argv)[0] == 0


@pytest.mark.parametrize("junk", [b"\x00\xff not json", b'{"schema": 1, "files": "nonsense"}', b"[]", b""])
def test_corrupt_or_foreign_entries_are_misses(setup, capsys, junk):
    root, argv, cache = setup
    (root / "drivers/b/Kconfig").write_text('config B\n\tbool "b"\n')
    assert cli(capsys, *argv)[0] == 1
    for entry in (cache / f"v{SCHEMA}").glob("*.json"):
        entry.write_bytes(junk)
    code, out = cli(capsys, *argv)[:2]
    assert code == 1 and "[C001]" in out


def test_no_cache_writes_nothing(setup, capsys):
    _, argv, cache = setup
    assert cli(capsys, *argv + ["--no-cache"])[0] == 0
    assert not cache.exists()


def test_concurrent_runs_share_a_cache(setup):
    root, argv, _ = setup
    (root / "drivers/b/Kconfig").write_text('config B\n\tbool "b"\n')
    command = [sys.executable, "-m", "kltolint", *argv, "--format", "json"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    outs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [1] * 6
    assert len({json.dumps(json.loads(o)["findings"]) for o, _ in outs}) == 1


def test_parallel_output_is_deterministic(capsys, tmp_path):
    tree = TREES / "ld-bfd"
    base = ["check", "--tree", str(tree), "--no-cache", "--format", "json"]
    outs = {cli(capsys, *base + ["-j", str(jobs)])[1] for jobs in (1, 2, 2)}
    assert len(outs) == 1 and json.loads(outs.pop())["summary"]["arches"] == 2


def test_progress_only_on_a_terminal(capsys, monkeypatch):
    argv = ["check", "--tree", str(TREES / "ld-bfd"), "--no-cache", "--format", "json"]
    main(argv)
    assert "arches done" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    main(argv)
    out, err = capsys.readouterr()
    assert "2/2 arches done" in err and "arches done" not in out
    main(argv + ["--quiet"])
    assert "arches done" not in capsys.readouterr().err


# -- fixes: a warm run with findings verifies nothing ---------------------------------

def ld_bfd(tmp_path):
    import shutil
    root = tmp_path / "tree"
    shutil.copytree(TREES / "ld-bfd", root)
    return root, ["check", "--tree", str(root), "--arch", "arm64", "--format", "json",
                  "--cache-dir", str(tmp_path / "cache")]


def test_warm_run_with_findings_takes_their_fixes_from_the_cache(tmp_path, capsys, monkeypatch):
    root, argv = ld_bfd(tmp_path)
    code, cold = cli(capsys, *argv)[:2]
    assert code == 1 and json.loads(cold)["findings"][0]["fix"]["applicability"] == "safe"
    no_loading(monkeypatch)
    monkeypatch.setattr("kltolint.fix.verify", lambda *_: pytest.fail("the fix was verified again"))
    assert cli(capsys, *argv)[:2] == (1, cold)


def test_fix_is_verified_again_when_another_arch_changes(tmp_path, capsys, monkeypatch):
    """arch/Kconfig's fix was verified on x86 too: an edit there (which
    arm64's findings do not depend on) makes the cached fix stale."""
    root, argv = ld_bfd(tmp_path)
    code, cold = cli(capsys, *argv)[:2]
    (root / "arch/x86/Kconfig").write_text((root / "arch/x86/Kconfig").read_text() + "config NEW\n\tbool\n")
    from kltolint import fix
    calls = []
    real = fix.verify
    monkeypatch.setattr("kltolint.fix.verify", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert cli(capsys, *argv)[:2] == (1, cold) and calls


def test_a_relative_cache_location_never_writes_where_kltolint_runs(setup, capsys, monkeypatch):
    """Run from inside the kernel tree, a relative cache location would put
    the cache into the tree: KLTOLINT_CACHE_DIR's is refused, XDG_CACHE_HOME's
    ignored (as the XDG spec says)."""
    root, args, _ = setup
    args = [a for a in args if a not in ("--cache-dir", args[args.index("--cache-dir") + 1])]
    monkeypatch.chdir(root)
    monkeypatch.setenv("HOME", str(root.parent / "home"))
    monkeypatch.setenv("KLTOLINT_CACHE_DIR", "cache")
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == "" and err == "kltolint: error: KLTOLINT_CACHE_DIR: must be an absolute path, not 'cache'\n"
    monkeypatch.delenv("KLTOLINT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    assert cli(capsys, *args)[0] == 0
    assert not (root / "cache").exists() and (root.parent / "home" / ".cache" / "kltolint").is_dir()


@pytest.mark.parametrize("rule", ["KRED001", "KDEAD002"])
def test_findings_whose_fix_comes_from_the_tree_are_served_from_the_cache(tmp_path, capsys, monkeypatch, rule):
    """A KRED001 finding's guard is its redundant term and a KDEAD002 finding
    has none: neither is one of its rule pack's guards, which only forbid
    rules use. Comparing them made every warm run a miss."""
    from tests.test_redundant import tree

    argv = ["check", "--tree", str(tree(tmp_path / "t")), "--rule", rule, "--format", "json",
            "--cache-dir", str(tmp_path / "cache")]
    code, cold = cli(capsys, *argv)[:2]
    assert code == 1 and json.loads(cold)["findings"]
    computed = []
    monkeypatch.setattr("kltolint.session._check", lambda *a: computed.append(a) or pytest.fail("recomputed"))
    assert cli(capsys, *argv)[:2] == (1, cold) and not computed


def test_files_unchanged_but_for_their_ctime_are_hashed_once_then_the_entries_know_them(tmp_path, capsys,
                                                                                       monkeypatch):
    """A hard link made to every file (cp -al) moves their ctime: the
    findings and their verified fixes still hold (the content is the same),
    and the entries are written again with the identities as found, so the
    next run stats the files instead of reading and hashing them all."""
    from kltolint import cache as cache_mod

    root, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(TREES / "arm64-big-endian" / "before", root)
    argv = ["check", "--tree", str(root), "--cache-dir", str(cache), "--arch", "arm64", "--format", "json"]
    code, first = cli(capsys, *argv)[:2]
    assert code == 1 and '"applicability": "safe"' in first  # a finding, its fix verified (and cached)
    shutil.copytree(root, tmp_path / "linked", copy_function=os.link)  # every file's ctime moves
    hashed: list[int] = []
    real = cache_mod.identity_of
    monkeypatch.setattr(cache_mod, "identity_of", lambda st, data: hashed.append(st.st_ino) or real(st, data))
    no_loading(monkeypatch)
    assert cli(capsys, *argv)[:2] == (1, first)
    assert len(hashed) == len(set(hashed)) >= 3  # each file read, hashed once: for the arch's entry, not the fix's
    hashed.clear()
    assert cli(capsys, *argv)[:2] == (1, first)
    assert hashed == []
