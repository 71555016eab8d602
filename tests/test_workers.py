"""Work spread over forked processes (kltolint.workers)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from kltolint.workers import Workers, forked


def test_every_call_runs_in_its_own_worker_and_comes_back_to_take():
    """More calls than processes: the pool forks a new worker for each call
    (one call per process), and each of them still knows the function."""
    taken: dict[int, tuple[int, int]] = {}
    forked(lambda index: (index * index, os.getpid()), 7, 2, taken.__setitem__)
    assert sorted(taken) == list(range(7))
    assert [square for square, _ in map(taken.get, range(7))] == [i * i for i in range(7)]
    assert len({pid for _, pid in taken.values()}) == 7 and os.getpid() not in {pid for _, pid in taken.values()}


def test_this_process_works_meanwhile():
    seen: list[str] = []
    forked(lambda index: index, 3, 2, lambda _i, _r: seen.append("taken"), lambda: seen.append("meanwhile"))
    assert seen[0] == "meanwhile" and seen.count("taken") == 3


def _fails_on_two(index: int) -> int:
    if index == 2:
        raise ValueError("two")
    return index


def test_a_workers_error_is_raised_here_once_every_worker_has_ended(terminations):
    taken: list[int] = []
    threads = threading.active_count()
    with pytest.raises(ValueError, match="two"):
        forked(_fails_on_two, 6, 2, lambda index, _r: taken.append(index))
    assert terminations == [] and 2 not in taken
    assert threading.active_count() == threads  # the pool's threads are gone: it was joined


def test_an_error_here_is_raised_after_the_workers_and_stops_taking(terminations):
    taken: list[int] = []

    def meanwhile() -> None:
        raise KeyError("here")
    with pytest.raises(KeyError, match="here"):
        forked(lambda index: index, 4, 2, lambda index, _r: taken.append(index), meanwhile)
    assert terminations == [] and taken == []


def test_a_result_that_does_not_pickle_back_is_an_error_not_a_hang(terminations):
    with pytest.raises(Exception, match="lambda|pickle"):
        forked(lambda index: (lambda: index), 3, 2, lambda _i, _r: None)
    assert terminations == []


def test_an_error_in_take_is_raised_after_the_workers(terminations):
    def take(_index: int, _result: int) -> None:
        raise RuntimeError("take")
    with pytest.raises(RuntimeError, match="take"):
        forked(lambda index: index, 4, 2, take)
    assert terminations == []


def test_calls_do_not_nest():
    with pytest.raises(AssertionError, match="nest"):
        forked(lambda index: index, 1, 1, lambda _i, _r: None, lambda: forked(lambda i: i, 1, 1, lambda _i, _r: None))


def test_after_an_error_the_calls_not_yet_started_are_skipped(tmp_path):
    """A tree that does not load fails on every arch: once this process has
    failed, the workers do not load the arches still waiting."""
    def call(index: int) -> int:
        (tmp_path / str(index)).touch()
        time.sleep(0.2)
        return index

    def meanwhile() -> None:
        raise KeyError("here")
    with pytest.raises(KeyError):
        forked(call, 8, 1, lambda _i, _r: None, meanwhile)
    assert len(list(tmp_path.iterdir())) <= 2


def test_a_call_started_later_gets_what_is_known_then():
    """Workers: calls start one by one, each with a payload made when it
    starts (a review gives an arch's worker the fixes found so far)."""
    from kltolint.workers import Workers

    got = {}
    with Workers(lambda index, payload: (index, payload), 1) as workers:
        workers.start(0, "first")
        ended = workers.next()
        assert ended is not None
        got[ended[0]] = ended[1]
        workers.start(1, f"after {ended[1][1]}")
        ended = workers.next()
        assert ended is not None and workers.running == 0
        got[ended[0]] = ended[1]
    assert got == {0: (0, "first"), 1: (1, "after first")}


def test_an_interrupt_terminates_the_pool_and_frees_the_workers_for_the_next(terminations):
    """^C while calls run: the pool is terminated at once (its workers
    killed, not awaited), and a new Workers can be made afterwards."""
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), Workers(lambda _index, _payload: time.sleep(30), 2) as workers:
        workers.start(0)
        workers.start(1)
        raise KeyboardInterrupt
    assert len(terminations) == 1
    assert time.monotonic() - started < 10  # the sleeping calls were not awaited
    with Workers(lambda index, _payload: index + 1, 1) as workers:
        workers.start(41)
        assert workers.next() == (41, 42)
