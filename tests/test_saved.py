"""Saved arch models (saved.py): the saved model is the loaded one, a new
question on an unchanged tree is answered from it exactly as from a fresh
load, and any change of the tree (or `--no-cache`) leaves it unused."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kltolint import explain as X
from kltolint import load as L
from kltolint import query as Q
from kltolint import cache as cache_mod
from kltolint.cli import main
from kltolint.provenance import Nodes
from kltolint.saved import SCHEMA, Models, entry_body, entry_data
from kltolint.source import Sources
from kltolint.toolfacts import parse_facts
from kltolint.tree import Tree
from tests.test_explain import CLANG, GCC
from tests.conftest import make_tree
from tests.test_query import DEMO, _tree


def saved_models(cache: Path, tree: Tree, arch: str) -> Models:
    """A cache holding arch's saved model, and a fresh reader of it."""
    first = Models(cache)
    first.load(tree, arch)
    first.save_pending()
    return Models(cache)


@pytest.fixture
def parses(monkeypatch):
    """Counts kconfiglib parses (every load goes through load_kconfig)."""
    count = []
    real = L.load_kconfig

    def counting(*args, **kwargs):
        count.append(args[1])
        return real(*args, **kwargs)
    monkeypatch.setattr(L, "load_kconfig", counting)
    return count


@pytest.mark.parametrize("which", ["small", "demo"])
def test_saved_model_is_the_loaded_model(tmp_path, which):
    if which == "small":
        tree, arch = _tree(tmp_path / "tree"), "demo"
    else:
        shutil.copytree(DEMO, tmp_path / "tree")
        tree, arch = Tree(tmp_path / "tree"), "arm64"
    kconf, record = L.load_kconfig(tree, arch)
    fresh = L.convert(kconf, arch)
    saved = saved_models(tmp_path / "cache", tree, arch).get(tree, arch)
    assert saved is not None
    model = saved.model
    assert list(model.symbols) == list(fresh.symbols)
    assert all(model.symbols[name] == fresh.symbols[name] for name in fresh.symbols)
    assert list(model.choices) == list(fresh.choices) and list(model.edges) == list(fresh.edges)
    assert model.probes == fresh.probes and model.files == fresh.files and model.kernel == fresh.kernel
    for edge in fresh.edges:
        for kind in ("select", "imply"):
            assert model.incoming(kind, edge.target) == fresh.incoming(kind, edge.target)
    assert saved.nodes.everything() == Nodes.of(kconf).everything()
    assert saved.record == record


def test_an_entry_is_a_header_then_one_json_line_per_part_and_reads_back_as_written(tmp_path):
    """The layout (saved.entry_body): the large parts one line each, so that
    opening an entry parses the header and splits the rest, and each part is
    parsed when first read."""
    tree = _tree(tmp_path / "tree")
    saved_models(tmp_path / "cache", tree, "demo")
    (entry,) = (tmp_path / "cache" / f"models-v{SCHEMA}").iterdir()
    _, _, body = entry.read_bytes().partition(b"\n")
    data = entry_data(body)
    assert entry_body(data) == body
    lines = body.split(b"\n")
    assert len(lines) == 2 + len(data["names"]) + len(data["incoming"]) + len(data["nodes"])
    header = json.loads(lines[0])
    assert header["names"] == data["names"] and header["schema"] == SCHEMA
    assert not {"exprs", "symbols", "incoming", "nodes"} & set(header)
    rows = [json.loads(line) for line in lines[2:2 + len(data["names"])]]
    assert [row[0] for row in rows] == data["names"]  # a symbol's line, in the order of names
    assert json.loads(lines[1]) == json.loads(data["exprs"])


QUESTIONS = [  # reachable and unreachable, with and without toolchain facts
    ("KNOB && SLOW", []), ("KNOB && !EXPERT", []), ("AFTER_FORCED && !FAST", []), ("KNOB && EXPERT", []),
    ("TARGET && !SLOW", []), ("FAST", ["gcc"]), ("PICKER && TARGET", ["clang"]),
]


def test_answers_from_the_saved_model_are_the_fresh_ones(tmp_path):
    tree = _tree(tmp_path / "tree")
    models = saved_models(tmp_path / "cache", tree, "demo")
    for text, facts in QUESTIONS:
        goal = Q.parse_goal(text)
        fresh = Q.answer(Q.prepare(tree, "demo", goal, parse_facts(facts)), Sources(tree))
        asked = Q.prepare(tree, "demo", goal, parse_facts(facts), models.load)
        assert isinstance(asked.kconf, Nodes)  # from the saved model, not a parse
        again = Q.answer(asked, Sources(tree))
        assert Q.to_data(text, facts, [again]) == Q.to_data(text, facts, [fresh]), text
    assert {a.reachable for a in [Q.answer(Q.prepare(tree, "demo", Q.parse_goal(t), parse_facts(f), models.load),
                                           Sources(tree)) for t, f in QUESTIONS]} == {True, False}


@pytest.mark.parametrize("config, target", [(CLANG, "KNOB"), (GCC, "FAST"), (CLANG, "TARGET"),
                                            (CLANG.replace("# CONFIG_SLOW is not set", "CONFIG_SLOW=y").replace(
                                                "# CONFIG_PICKER is not set", "CONFIG_PICKER=y")
                                             + "CONFIG_TARGET=y\n", "TARGET=n")])
def test_explanations_from_the_saved_model_are_the_fresh_ones(tmp_path, parses, config, target):
    tree = _tree(tmp_path / "tree")
    path = tmp_path / ".config"
    path.write_text(config)
    models = saved_models(tmp_path / "cache", tree, "demo")
    outputs = []
    for load in (Q.load_fresh, models.load):
        out = io.StringIO()
        X.run(target, path, ["demo"], [], "json", tree, out, [], load)
        outputs.append(json.loads(out.getvalue()))
    assert outputs[0] == outputs[1]
    assert outputs[0]["reasons"]
    assert parses == ["demo", "demo"]  # saving, the fresh answer; none for the saved one


def test_a_new_question_on_an_unchanged_tree_reads_the_saved_model(tmp_path, capsys, parses):
    root, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(DEMO, root)
    argv = ["--tree", str(root), "--arch", "arm64", "--cache-dir", str(cache)]
    assert main(["query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv]) == 1
    cold = capsys.readouterr().out
    assert parses == ["arm64"] and len(list((cache / f"models-v{SCHEMA}").iterdir())) == 1
    assert main(["query", "LTO_CLANG_FULL", *argv, "--toolchain", "clang"]) == 0  # a new question
    new = capsys.readouterr().out
    assert parses == ["arm64"]  # no parse: the saved model
    assert main(["query", "LTO_CLANG_FULL", *argv, "--toolchain", "clang", "--no-cache"]) == 0
    assert capsys.readouterr().out == new and parses == ["arm64", "arm64"]
    assert main(["query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv, "--no-cache"]) == 1
    assert capsys.readouterr().out == cold


def test_no_cache_neither_reads_nor_writes_saved_models(tmp_path, capsys, parses):
    root, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(DEMO, root)
    argv = ["--tree", str(root), "--arch", "arm64", "--cache-dir", str(cache)]
    assert main(["query", "LTO_CLANG_FULL", *argv, "--no-cache"]) == 0
    assert not cache.exists()
    main(["query", "LTO_CLANG_FULL", *argv])  # saves it
    main(["query", "CPU_BIG_ENDIAN", *argv, "--no-cache"])
    assert parses == ["arm64"] * 3
    capsys.readouterr()


def test_explain_reads_the_saved_model_too(tmp_path, capsys, parses):
    tree = _tree(tmp_path / "tree")
    config = tmp_path / ".config"
    config.write_text(CLANG)
    argv = ["--tree", str(tree.root), "--config", str(config), "--arch", "demo", "--cache-dir", str(tmp_path / "c")]
    assert main(["explain", "KNOB", *argv]) == 0
    capsys.readouterr()
    assert main(["explain", "SLOW", *argv]) == 0 and parses == ["demo"]
    from_saved = capsys.readouterr().out
    assert main(["explain", "SLOW", *argv, "--no-cache"]) == 0 and parses == ["demo", "demo"]
    assert capsys.readouterr().out == from_saved


def test_an_edit_keeping_size_and_mtime_is_a_new_model(tmp_path, capsys, parses):
    root, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(DEMO, root)
    argv = ["--tree", str(root), "--arch", "arm64", "--cache-dir", str(cache)]
    assert main(["query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv]) == 1  # the guard holds
    kconfig = root / "arch/arm64/Kconfig"
    before = kconfig.stat()
    text = kconfig.read_text()
    guard = " if CPU_LITTLE_ENDIAN"
    assert guard in text
    kconfig.write_text(text.replace(guard, " " * len(guard)))  # same size, no guard
    os.utime(kconfig, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert kconfig.stat().st_size == before.st_size and kconfig.stat().st_mtime_ns == before.st_mtime_ns
    # A new question (no answer cached): the saved model is stale, the tree is parsed again.
    assert main(["query", "CPU_BIG_ENDIAN && LTO_CLANG_FULL", *argv]) == 0
    assert parses == ["arm64", "arm64"]
    assert "arm64: reachable" in capsys.readouterr().out


def test_files_unchanged_but_for_their_ctime_are_hashed_once_then_the_entry_knows_them(tmp_path, capsys, parses,
                                                                                      monkeypatch):
    """A hard link made to every file (cp -al, as the bench's copies do) moves
    their ctime: the model is still good (their content is the same), and the
    entry is saved again with their identities as found, so that the next
    question stats them instead of reading and hashing them all again."""
    root, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(DEMO, root)
    argv = ["--tree", str(root), "--arch", "arm64", "--cache-dir", str(cache)]
    assert main(["query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv]) == 1
    unreachable = capsys.readouterr().out
    shutil.copytree(root, tmp_path / "linked", copy_function=os.link)  # every file's ctime moves
    reads: list[int] = []  # files hashed to be found unchanged
    real = cache_mod.identity_of
    monkeypatch.setattr(cache_mod, "identity_of", lambda st, data: reads.append(st.st_ino) or real(st, data))
    assert main(["query", "CPU_BIG_ENDIAN && LTO_CLANG_FULL", *argv]) == 1  # a new question
    assert parses == ["arm64"]  # the saved model
    assert len(reads) >= 5  # every file it read, hashed again
    capsys.readouterr()
    reads.clear()
    assert main(["query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN && ARM64", *argv]) == 1  # another new question
    assert parses == ["arm64"] and capsys.readouterr().out.replace(" && ARM64", "") == unreachable
    assert reads == []  # the saved model's files are hashed no more
    assert main(["query", "CPU_BIG_ENDIAN && LTO_CLANG_FULL", *argv]) == 1  # the second question again
    assert reads == [] and parses == ["arm64"]  # its answer, cached with the identities as found
    capsys.readouterr()
    # A file then edited (same size and mtime) is still found out: its content is hashed.
    kconfig = root / "arch/arm64/Kconfig"
    before = kconfig.stat()
    kconfig.write_text(kconfig.read_text().replace(" if CPU_LITTLE_ENDIAN", " " * len(" if CPU_LITTLE_ENDIAN")))
    os.utime(kconfig, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert main(["query", "CPU_BIG_ENDIAN && LTO_CLANG_FULL && ARM64", *argv]) == 0
    assert parses == ["arm64", "arm64"]


def test_every_arch_asked_is_saved(tmp_path, capsys, parses):
    root, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(DEMO, root)
    argv = ["--tree", str(root), "--arch", "arm64", "--arch", "x86", "--cache-dir", str(cache)]
    main(["query", "LTO_CLANG_FULL", *argv])
    main(["query", "CPU_BIG_ENDIAN || LTO_CLANG_FULL", *argv])
    capsys.readouterr()
    assert len(list((cache / f"models-v{SCHEMA}").iterdir())) == 2
    assert sorted(parses) == ["arm64", "x86"]  # the second question parses nothing


NO_PARSE = """\
import sys
import kltolint.load as L
def refuse(*_args, **_kwargs):
    sys.exit("the tree was parsed")
L.load_kconfig = refuse
from kltolint import cache as cache_mod
from kltolint.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_command_ends_with_its_answer_and_saves_the_model_after(tmp_path):
    """The real thing, in processes: the model is written by a detached
    process after the command has answered, and the next question reads it."""
    root, cache = tmp_path / "tree", tmp_path / "cache"
    shutil.copytree(DEMO, root)
    argv = ["query", "LTO_CLANG_FULL", "--tree", str(root), "--arch", "arm64", "--cache-dir", str(cache)]
    first = subprocess.run([sys.executable, "-m", "kltolint", *argv], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and "arm64: reachable" in first.stdout and first.stderr == ""
    deadline = time.monotonic() + 60
    while not list(cache.glob(f"models-v{SCHEMA}/*.model")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(cache.glob(f"models-v{SCHEMA}/*.model"))
    argv[1] = "CPU_BIG_ENDIAN && LTO_CLANG_FULL"
    second = subprocess.run([sys.executable, "-c", NO_PARSE, *argv], capture_output=True, text=True, timeout=120)
    assert second.returncode == 1 and "arm64: unreachable" in second.stdout, second.stderr
    assert not list(cache.glob(f"models-v{SCHEMA}/.entry.*"))  # no temporary file left


def test_arches_answered_in_worker_processes_are_saved_there(tmp_path, capsys):
    """Three arches: the first is answered here, the others in forked workers,
    each saving its own model; the next question reads all three."""
    arches = ("one", "two", "three")
    tree = make_tree(tmp_path / "tree", {"Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\nconfig COMMON\n\tbool "common"\n',
                                         **{f"arch/{a}/Kconfig": f'config {a.upper()}\n\tdef_bool y\n'
                                            f'config WANTS_{a.upper()}\n\tbool "x"\n\tdepends on COMMON\n'
                                            for a in arches}}, arches)
    argv = ["--tree", str(tree), *(x for a in arches for x in ("--arch", a)), "--cache-dir", str(tmp_path / "c")]
    assert main(["query", "COMMON", *argv]) == 0
    assert len(list((tmp_path / "c" / f"models-v{SCHEMA}").iterdir())) == 3
    capsys.readouterr()
    assert main(["query", "COMMON && !COMMON", *argv]) == 1
    saved = capsys.readouterr().out
    assert main(["query", "COMMON && !COMMON", *argv, "--no-cache"]) == 1
    assert capsys.readouterr().out == saved and saved.count("unreachable") == 3
