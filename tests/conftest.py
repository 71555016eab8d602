"""Shared helpers: fixture trees, real kernel trees, the kernel's conf tool."""

from __future__ import annotations

import multiprocessing.pool
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kltolint.tree import Tree

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TREES = FIXTURES / "trees"

# CI sets this: a missing kernel tree or toolchain then fails instead of skipping.
REQUIRE = os.environ.get("KLTOLINT_REQUIRE_REALTREE") == "1"


@pytest.fixture(autouse=True, scope="session")
def _private_state_home(tmp_path_factory):
    """Saved models' signing key (saved.py) in a directory of the test run's
    own, not the user's $XDG_STATE_HOME."""
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    yield
    if old is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = old


@pytest.fixture(autouse=True)
def _saved_models_in_process(monkeypatch):
    """Models saved before the command returns, so a test sees them at once
    (the detached save has a test of its own: tests/test_saved.py)."""
    from kltolint.saved import Models

    monkeypatch.setattr(Models, "save_detached", Models.save_pending)


@pytest.fixture(autouse=True)
def _text_proofs_on(monkeypatch):
    """Each test starts with the text proofs on (a CLI run with
    `--no-text-proofs` turns them off for the rest of its process)."""
    from kltolint import inert

    monkeypatch.setattr(inert.SWITCH, "on", True)


def kernels_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kltolint" / "kernels"
    return Path(os.environ.get("KLTOLINT_KERNELS", default))


def need(condition: bool, why: str) -> None:
    if not condition:
        if REQUIRE:
            pytest.fail(why + " (KLTOLINT_REQUIRE_REALTREE=1)")
        pytest.skip(why)


def real_tree(version: str) -> Path:
    path = kernels_dir() / f"linux-source-{version}"
    need((path / ".complete").exists(), f"{path} missing: run scripts/fetch-kernels")
    return path


def make_tree(tmp_path: Path, files: dict[str, str], arches: tuple[str, ...] = ("demo",)) -> Path:
    """A throwaway tree: `files` plus an (empty) Kconfig for each arch."""
    for arch in arches:
        files.setdefault(f"arch/{arch}/Kconfig", "")
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def tree_with(base: Path, tmp_path: Path, changes: dict[str, str]) -> Path:
    """A copy of `base` (hard links; changed files written fresh)."""
    dest = tmp_path / "tree"
    shutil.copytree(base, dest, copy_function=os.link)
    for rel, text in changes.items():
        target = dest / rel
        target.unlink()
        target.write_text(text)
    return dest


def line_of(text: str, needle: str) -> int:
    """1-based number of the only line equal to `needle` after stripping."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if line.strip() == needle]
    assert len(hits) == 1, f"{needle!r} found {len(hits)} times"
    return hits[0]


LLVM_SUFFIX = "-19"


def run_conf(tree: Path, arch: str, make_vars: str, fragment: str, work: Path) -> dict[str, str]:
    return run_conf_full(tree, arch, make_vars, fragment, work)[0]


def run_conf_full(tree: Path, arch: str, make_vars: str, fragment: str, work: Path,
                  target: str = "allnoconfig") -> tuple[dict[str, str], str]:
    """Replay a witness with the kernel's own conf tool: the .config as a
    dict, and what the tool printed (its warnings).

    `LLVM=1` in a witness means "an LLVM toolchain"; here that is clang-19
    (Debian's versioned packages), so it becomes LLVM=-19.
    """
    need(shutil.which(f"clang{LLVM_SUFFIX}") is not None and shutil.which("flex") is not None
         and shutil.which("bison") is not None, "clang-19, lld-19, flex and bison needed for the conf tool")
    work.mkdir(parents=True, exist_ok=True)
    frag = work / "witness.config"
    frag.write_text(fragment)
    words = [w.replace("LLVM=1", f"LLVM={LLVM_SUFFIX}") for w in make_vars.split()]
    words = [w.replace("ld.lld", f"ld.lld{LLVM_SUFFIX}") for w in words]
    result = subprocess.run(
        ["make", "-s", f"O={work / 'out'}", f"ARCH={arch}", *words, f"KCONFIG_ALLCONFIG={frag}", target],
        cwd=tree, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    config: dict[str, str] = {}
    for line in (work / "out" / ".config").read_text().splitlines():
        if line.startswith("CONFIG_"):
            name, _, value = line.partition("=")
            config[name[len("CONFIG_"):]] = value
    return config, result.stdout + result.stderr


@pytest.fixture
def fixture_tree():
    def get(name: str) -> Tree:
        return Tree(TREES / name)
    return get


def format_patch(work: Path, rel: str, old: str, new: str, subject: str) -> str:
    """A `git format-patch` mail changing `rel` from old to new."""
    repo = work / "repo"
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.org",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.org"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True,
                              capture_output=True, text=True).stdout

    git("init", "-q")
    (repo / rel).write_text(old)
    git("add", "-A")
    git("commit", "-qm", "base")
    (repo / rel).write_text(new)
    git("commit", "-qam", subject)
    return git("format-patch", "-1", "--stdout", "--thread", "--signoff")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's cache."""
    monkeypatch.setenv("KLTOLINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def run_make_config(tree: Path, arch: str, make_vars: str, target: str, work: Path,
                    config: str | None = None) -> tuple[dict[str, str], str]:
    """Run a config target (defconfig, olddefconfig, ...) of the kernel's
    conf tool, starting from `config` as the .config when given: the
    resulting .config as a dict, and its text."""
    need(shutil.which(f"clang{LLVM_SUFFIX}") is not None and shutil.which("flex") is not None
         and shutil.which("bison") is not None, "clang-19, lld-19, flex and bison needed for the conf tool")
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (out / ".config").write_text(config)
    words = [w.replace("LLVM=1", f"LLVM={LLVM_SUFFIX}") for w in make_vars.split()]
    result = subprocess.run(["make", "-s", f"O={out}", f"ARCH={arch}", *words, target],
                            cwd=tree, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    text = (out / ".config").read_text()
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("CONFIG_"):
            name, _, value = line.partition("=")
            values[name[len("CONFIG_"):]] = value
    return values, text


@pytest.fixture
def terminations(monkeypatch) -> list[object]:
    """Every Pool.terminate() made from now on."""
    calls: list[object] = []
    terminate = multiprocessing.pool.Pool.terminate

    def recording(self):
        calls.append(self)
        return terminate(self)

    monkeypatch.setattr(multiprocessing.pool.Pool, "terminate", recording)
    return calls
