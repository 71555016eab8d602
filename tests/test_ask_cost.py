"""What keeps `query` and `explain` interactive (issue 16 item 4): the
collector paused while an arch is answered, and imports limited to what
the command uses."""

from __future__ import annotations

import gc
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kltolint import explain as X
from kltolint import expr as E
from kltolint import query as Q
from kltolint.saved import SCHEMA
from kltolint.source import Sources
from tests.helpers import cli
from tests.test_explain import CLANG
from tests.test_query import DEMO, INIT, _tree


def test_the_collector_is_paused_while_an_arch_is_answered_only(capsys, monkeypatch, tmp_path):
    seen: list[bool] = []
    for module, name in ((Q, "answer"), (Q, "prepare"), (X, "explain")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, **k: seen.append(gc.isenabled()) or _real(*a, **k))
    assert gc.isenabled()
    code, _, _ = cli(capsys, "query", "LTO_CLANG_FULL", "--tree", DEMO, "--arch", "arm64", "--no-cache")
    assert code == 0 and seen == [False, False] and gc.isenabled()
    tree = _tree(tmp_path / "tree")
    config = tmp_path / ".config"
    config.write_text(CLANG)
    code, _, _ = cli(capsys, "explain", "KNOB", "--tree", tree.root, "--config", config, "--arch", "demo", "--no-cache")
    assert code == 0 and seen[2:] == [False, False] and gc.isenabled()


def test_a_one_arch_answer_is_frozen_out_of_the_collector_before_it_is_back_on(capsys, tmp_path):
    """From a saved model (no parse, which compat freezes on its own): what
    a one-arch answer made is frozen (its next collection, and the one at
    exit, would walk it all to find nothing)."""
    root, cache, config = tmp_path / "tree", tmp_path / "cache", tmp_path / ".config"
    shutil.copytree(DEMO, root)
    config.write_text("CONFIG_ARM64=y\n# CONFIG_LTO_CLANG_FULL is not set\nCONFIG_CC_IS_GCC=y\n")
    argv = ["--tree", root, "--arch", "arm64", "--cache-dir", cache]
    assert cli(capsys, "query", "LTO_CLANG_FULL", *argv)[0] == 0  # loads the tree, saves the model
    try:
        for question in (["query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN"], ["explain", "LTO_CLANG_FULL", "--config", config]):
            gc.unfreeze()
            assert cli(capsys, *question, *argv)[0] == 1
            assert gc.get_freeze_count() > 0 and gc.isenabled(), question
    finally:
        gc.unfreeze()


# -- imports: each command loads what it uses ----------------------------------------------

MODULES_AFTER = """\
import json, sys
from kltolint.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exit_:  # --help
    code = exit_.code
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
sys.exit(code)
"""
PARSER = {"kconfiglib", "kltolint.compat", "kltolint.load"}  # a fresh load of the tree
SOLVER = {"pysat", "pysolvers", "kltolint.logic", "kltolint.query", "kltolint.explain", "kltolint.saved"}
CHECKING = {"kltolint.session", "kltolint.fix", "kltolint.review", "kltolint.ruledocs", "kltolint.patch"}
# What a new question on a saved model has no use for (each cost it some milliseconds): the
# analysis (provenance needed one function of it), the rule loader (tomllib), the signing
# key's maker, importlib.resources (with zipfile) for the toolchain catalogue, and
# pysat.solvers (the solver is driven through python-sat's C module, pysolvers).
NOT_ASKING = {"kltolint.analysis", "kltolint.dead", "kltolint.redundant", "kltolint.sweep", "kltolint.rules",
              "tomllib", "secrets", "importlib.resources", "zipfile", "pysat.solvers", "pysat.formula"}


def modules_after(tmp_path: Path, *argv: object) -> tuple[int, set[str]]:
    """Exit status of `kltolint ARGV` in a fresh process, and every module it imported."""
    listing = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", MODULES_AFTER, listing, *map(str, argv)],
                          capture_output=True, text=True, timeout=120)
    assert done.stderr == "", done.stderr
    return done.returncode, set(json.loads(listing.read_text()))


def wait_for_model(cache: Path) -> None:
    deadline = time.monotonic() + 60
    while not list(cache.glob(f"models-v{SCHEMA}/*.model")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(cache.glob(f"models-v{SCHEMA}/*.model"))


@pytest.mark.parametrize("argv", [["--help"], ["query", "--help"], ["rules", "--help"], ["--version"]])
def test_help_loads_neither_the_parser_nor_the_solver_nor_the_checks(tmp_path, argv):
    code, modules = modules_after(tmp_path, *argv)
    assert code == 0 and not modules & (PARSER | SOLVER | CHECKING | {"kltolint.analysis"})


def test_an_answer_from_the_cache_or_a_saved_model_never_loads_the_parser(tmp_path):
    root, cache, config = tmp_path / "tree", tmp_path / "cache", tmp_path / ".config"
    shutil.copytree(DEMO, root)
    config.write_text("CONFIG_ARM64=y\n# CONFIG_LTO_CLANG_FULL is not set\nCONFIG_CC_IS_GCC=y\n")
    argv = ["--tree", root, "--arch", "arm64", "--cache-dir", cache]
    code, modules = modules_after(tmp_path, "query", "LTO_CLANG_FULL", *argv)
    assert code == 0 and modules >= PARSER  # the first question loads the tree
    wait_for_model(cache)
    code, modules = modules_after(tmp_path, "query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv)
    assert code == 1 and modules & (PARSER | CHECKING | NOT_ASKING) == set() and "pysolvers" in modules  # solved
    code, modules = modules_after(tmp_path, "explain", "LTO_CLANG_FULL", "--config", config, *argv)
    assert code == 1 and not modules & (PARSER | CHECKING | NOT_ASKING)
    code, modules = modules_after(tmp_path, "query", "LTO_CLANG_FULL && CPU_BIG_ENDIAN", *argv)
    assert code == 1 and not modules & (PARSER | SOLVER | CHECKING)  # the same question: the answer cache
    code, modules = modules_after(tmp_path, "explain", "LTO_CLANG_FULL", "--config", config, *argv)
    assert code == 1 and not modules & (PARSER | SOLVER | CHECKING)


# -- the unreachable core: lines only where the proof needs them ------------------------------

def _random_kconfig(rng: random.Random, size: int) -> str:
    """A small random Kconfig: prompts with conditions, `depends on`, selects,
    implies and defaults with `if`s, an `if` block, a menu and a choice."""
    names = [f"S{i}" for i in range(size)]

    def cond(depth: int = 0) -> str:
        pick = rng.random()
        if depth < 2 and pick < 0.3:
            return f"{cond(depth + 1)} {rng.choice(['&&', '||'])} {cond(depth + 1)}"
        return ("!" if rng.random() < 0.3 else "") + rng.choice(names)

    out = [INIT]
    for index, name in enumerate(names):
        if index == size // 2:
            out.append(f"if {cond()}\n")
        if index == size - 3:
            out.append('choice\n\tprompt "pick"\n')
        kind = rng.choice(["bool", "tristate"]) if index < size - 3 else "bool"
        prompt = f' "{name}"' + (f" if {cond()}" if rng.random() < 0.3 else "")
        lines = [f"config {name}", f"\t{kind}" + (prompt if rng.random() < 0.6 or index >= size - 3 else "")]
        if rng.random() < 0.5:
            lines.append(f"\tdepends on {cond()}")
        if index < size - 3:
            for _ in range(rng.randrange(3)):
                lines.append(f"\t{rng.choice(['select', 'imply'])} {rng.choice(names[:size - 3])}"
                             + (f" if {cond()}" if rng.random() < 0.5 else ""))
            if rng.random() < 0.4:
                lines.append(f"\tdefault {rng.choice(['y', 'm', cond()])}" + (f" if {cond()}" if rng.random() < 0.5 else ""))
        out.append("\n".join(lines) + "\n")
        if index == size - 1:
            out.append("endchoice\n")
        if index == size - 4:
            out.append("endif\n")
    return "\n".join(out)


def test_random_cores_are_minimal_on_the_whole_lined_model(tmp_path):
    """On random trees, every unreachable goal's core rules the goal out with
    every other line of the tree relaxed, and each of its lines is needed:
    checked on the whole lined model (`reachable_without`), which the core's
    search never builds."""
    rng = random.Random(16)
    checked = 0
    for case in range(40):
        tree = _tree(tmp_path / str(case), _random_kconfig(rng, 9))
        sources = Sources(tree)
        for _ in range(4):
            goal = " && ".join(("!" if rng.random() < 0.4 else "") + f"S{rng.randrange(9)}" for _ in range(2))
            asked = Q.prepare(tree, "demo", E.parse(goal), [])
            answer = Q.answer(asked, sources)
            if answer.reachable:
                continue
            checked += 1
            core = list(answer.core)
            assert not Q.reachable_without(asked, sources, core, answer.facts), (case, goal)
            for line in core:
                assert Q.reachable_without(asked, sources, [c for c in core if c != line], answer.facts), (case, goal, line)
    assert checked >= 40


def test_explain_asks_no_second_time_what_the_facts_rule_out(tmp_path, monkeypatch):
    """No change gives FAST with gcc: the change search has found it
    unreachable under the .config's facts, so only the core is asked for
    (no second reachability search), and the answer is as when asked again."""
    from tests.test_explain import GCC, explain

    asked_again = []
    real = Q.answer
    monkeypatch.setattr(Q, "answer", lambda *a: asked_again.append(a) or real(*a))
    result, _ = explain(tmp_path / "short", GCC, "FAST")
    assert result.changes is None and result.impossible is not None and asked_again == []
    real_changes = X.Explainer.changes

    def unsure(self, *args):
        found = real_changes(self, *args)
        self.ruled_out = False
        return found
    monkeypatch.setattr(X.Explainer, "changes", unsure)
    again, _ = explain(tmp_path / "long", GCC, "FAST")
    assert len(asked_again) == 1 and X.render_text(again) == X.render_text(result)


def test_a_core_gives_lines_only_to_the_symbols_near_its_proof(tmp_path, monkeypatch):
    """TARGET is out of reach because nothing sets GATE; its cone also holds
    thirty chains X -> Y -> Z and a selector of each X. The core is the one
    line, and the symbols three deep or selecting into the cone never get
    deletable lines (the whole lined model gave lines to all of them)."""
    from kltolint.provenance import Lined

    chains = "".join(f'config X{i}\n\tbool "x{i}"\n\tdepends on Y{i}\nconfig Y{i}\n\tbool "y{i}"\n\tdepends on Z{i}\n'
                     f'config Z{i}\n\tbool "z{i}"\nconfig W{i}\n\tbool "w{i}"\n\tselect X{i}\n' for i in range(30))
    kconfig = INIT + 'config GATE\n\tbool\nconfig TARGET\n\tbool "target"\n\tdepends on GATE && (' \
        + " || ".join(f"X{i}" for i in range(30)) + ")\n" + chains
    tree = _tree(tmp_path, kconfig)
    lined: set[str] = set()
    real = Lined.symbol
    monkeypatch.setattr(Lined, "symbol", lambda self, name: lined.add(name) or real(self, name))
    answer = Q.answer(Q.prepare(tree, "demo", E.parse("TARGET"), []), Sources(tree))
    assert not answer.reachable and [line.text for line in answer.core] == [
        "depends on GATE && (" + " || ".join(f"X{i}" for i in range(30)) + ")"]
    assert answer.never_set == ("GATE",)
    assert lined and not {n for n in lined if n[0] in "ZW"}
