"""How a review spreads its loads over the cores."""

from __future__ import annotations

import json
import multiprocessing.context
import os

import pytest

from tests.conftest import format_patch, make_tree
from tests.test_review import review
from tests.test_review_sweep import ADD_SELECT, BASE


def _pool_sizes(monkeypatch) -> list[int]:
    """Two CPUs; the size of every pool of workers made from now on, in order."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    sizes: list[int] = []
    pool = multiprocessing.context.BaseContext.Pool

    def recording(self, processes=None, *args, **kwargs):
        sizes.append(processes)
        return pool(self, processes, *args, **kwargs)

    monkeypatch.setattr(multiprocessing.context.BaseContext, "Pool", recording)
    return sizes


def test_a_shared_file_patch_keeps_every_core_busy(capsys, tmp_path, monkeypatch):
    """Before and after of every arch that reads the file are checked by as
    many workers as there are jobs: this process checks one arch meanwhile
    and cannot take work from the pool afterwards, so one worker fewer would
    leave a core idle for all the other arches."""
    sizes = _pool_sizes(monkeypatch)
    root = make_tree(tmp_path / "tree", {"Kconfig": BASE}, arches=("a", "b", "c"))
    mail = format_patch(tmp_path / "p", "Kconfig", BASE, ADD_SELECT, "change")
    code, out, _ = review(capsys, mail, tmp_path, "--format", "json", tree=root)
    assert code == 1 and sorted(f["arch"] for f in json.loads(out)["findings"]) == ["a", "b", "c"]
    assert sizes[0] == 2  # the review's pass: 5 arches checked in workers, one here


def test_a_one_arch_patch_uses_the_core_this_process_leaves(capsys, tmp_path, monkeypatch):
    """One arch: its tree before the patch in a worker, after it here."""
    sizes = _pool_sizes(monkeypatch)
    root = make_tree(tmp_path / "tree", {"Kconfig": BASE}, arches=("a",))
    mail = format_patch(tmp_path / "p", "Kconfig", BASE, ADD_SELECT, "change")
    code, _, _ = review(capsys, mail, tmp_path, "--format", "json", tree=root)
    assert code == 1 and sizes[:1] == [1]


@pytest.mark.parametrize("where", ["here and in the workers", "in the workers only"])
def test_a_tree_that_fails_to_load_leaves_the_pool_without_terminating_it(capsys, tmp_path, monkeypatch, where,
                                                                           terminations):
    """A patched tree that does not load ends in one line and exit 2, and the
    pool is drained and joined: terminate() could hang (seen in CI) while the
    pool replaces workers that have just failed."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    root = make_tree(tmp_path / "tree", {"Kconfig": BASE, "arch/a/extra": ""}, arches=("a", "b", "c"))
    added = 'source "/etc/passwd"\n' if where.startswith("here") else 'source "arch/$(SRCARCH)/extra"\n'
    mail = format_patch(tmp_path / "p", "Kconfig", BASE, BASE + added, "change")
    code, out, err = review(capsys, mail, tmp_path, tree=root)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert ("outside the tree" if where.startswith("here") else "arch/b/extra") in err
    assert terminations == []
