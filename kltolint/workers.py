"""Work spread over forked processes, one item each.

Check, review, fix verification and query hand each arch to its own forked
worker, which handles one item and exits, so memory goes back after every
arch. A worker inherits the work to do from the fork (nothing but indexes
and results is pickled). Errors travel back as values: the pool is always
left by close() and join(). terminate(), what leaving `with Pool` does,
was seen to hang in the pool's own threads while it replaced workers that
had just failed; only an interrupt still terminates.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.synchronize import Event
from typing import TypeVar

R = TypeVar("R")


class _Work:
    """What the workers forked from now on do; set in this process before forking."""

    function: Callable[[int], object] | None = None
    stop: Event | None = None  # set after an error: calls not yet started are skipped


_WORK = _Work()


def forked(function: Callable[[int], R], count: int, processes: int,
           take: Callable[[int, R], None],
           meanwhile: Callable[[], None] = lambda: None) -> None:
    """`function(0)` ... `function(count - 1)` in at most `processes` forked
    workers, one call each, while this process runs `meanwhile`; each result
    goes to `take(index, result)` here, as it comes. The first error (of
    `meanwhile`, of a call, or of `take`) is raised once every worker has
    ended; after an error, results are no longer taken and calls not yet
    started are skipped (a tree that does not load fails on every arch)."""
    assert _WORK.function is None, "forked() does not nest"
    # Set until the pool has ended: it forks a new worker each time one exits.
    _WORK.function = function
    try:
        _run(count, processes, take, meanwhile)
    finally:
        _WORK.function = None


def _run(count: int, processes: int, take: Callable[[int, R], None], meanwhile: Callable[[], None]) -> None:
    failed: Exception | None = None
    context = multiprocessing.get_context("fork")
    stop = _WORK.stop = context.Event()
    pool = context.Pool(processes, maxtasksperchild=1)
    try:
        results = pool.imap_unordered(_call, range(count))
        try:
            meanwhile()
        except Exception as error:
            failed = error
            stop.set()
        for _ in range(count):
            try:  # a call's error, or a result that did not pickle back (raised by next())
                index, result = next(results)
                if isinstance(result, _Failed):
                    raise result.error
                if failed is None and not isinstance(result, _Skipped):
                    take(index, result)  # type: ignore[arg-type]  # what function(index) returned
            except Exception as error:
                failed = failed or error
                stop.set()
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        raise
    finally:
        _WORK.stop = None
    if failed is not None:
        raise failed


class _Failed:
    """A worker's error, as a value (a call may well return an exception)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Skipped:
    """A call not made: an error came first."""


def _call(index: int) -> tuple[int, object]:  # runs in a worker
    assert _WORK.function is not None
    if _WORK.stop is not None and _WORK.stop.is_set():
        return index, _Skipped()
    try:
        return index, _WORK.function(index)
    except Exception as error:
        return index, _Failed(error)
