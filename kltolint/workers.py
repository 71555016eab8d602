"""Work spread over forked processes, one call each.

Check, review, fix verification and query hand each arch to its own forked
worker, which makes one call and exits, so memory goes back after every
arch. A worker inherits the function from the fork; only an index, the
call's payload and its result are pickled. Errors travel back as values:
the pool is always left by close() and join(). terminate(), what leaving
`with Pool` does, was seen to hang in the pool's own threads while it
replaced workers that had just failed; only an interrupt still terminates.
After an error, calls not yet started are skipped (a tree that does not
load fails on every arch: no need to load the others first).
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from multiprocessing.synchronize import Event
from types import TracebackType
from typing import Generic, TypeVar

R = TypeVar("R")


class _Work:
    """What the workers forked from now on do; set in this process before forking."""

    function: Callable[[int, object], object] | None = None
    stop: Event | None = None  # set after an error: calls not yet started are skipped


_WORK = _Work()


class Workers(Generic[R]):
    """At most `processes` forked workers, each making one call of
    `function(index, payload)`; used as a context manager. `start` queues a
    call, `next` waits for a result (in whatever order they end)."""

    def __init__(self, function: Callable[[int, object], R], processes: int) -> None:
        assert _WORK.function is None, "Workers do not nest"
        # Set until the pool has ended: it forks a new worker each time one exits.
        _WORK.function = function
        context = multiprocessing.get_context("fork")
        _WORK.stop = self._stop = context.Event()
        self._ended: queue.SimpleQueue[tuple[int, object] | BaseException] = queue.SimpleQueue()
        self.running = 0
        try:
            self._pool = context.Pool(processes, maxtasksperchild=1)
        except BaseException:
            _WORK.function = _WORK.stop = None
            raise

    def start(self, index: int, payload: object = None) -> None:
        self._pool.apply_async(_call, (index, payload), callback=self._ended.put, error_callback=self._ended.put)
        self.running += 1

    def next(self) -> tuple[int, R] | None:
        """The next call to end: its index and result; None for a call
        skipped after an error. A call's error (or a result that did not
        pickle back) is raised here, and calls not yet started are skipped."""
        ended = self._ended.get()
        self.running -= 1
        if isinstance(ended, BaseException):
            self.stop()
            raise ended
        index, result = ended
        if isinstance(result, _Failed):
            self.stop()
            raise result.error
        if isinstance(result, _Skipped):
            return None
        return index, result  # type: ignore[return-value]  # what function(index, payload) returned

    def stop(self) -> None:
        """Skip the calls not yet started (after an error)."""
        self._stop.set()

    def __enter__(self) -> Workers[R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None or issubclass(kind, Exception):
                self.stop()  # an error here: what has not started is not needed
                self._pool.close()
                self._pool.join()
            else:  # an interrupt
                self._pool.terminate()
        finally:
            _WORK.function = _WORK.stop = None


def forked(function: Callable[[int], R], count: int, processes: int,
           take: Callable[[int, R], None],
           meanwhile: Callable[[], None] = lambda: None) -> None:
    """`function(0)` ... `function(count - 1)` in at most `processes` forked
    workers while this process runs `meanwhile`; each result goes to
    `take(index, result)` here, as it comes. The first error (of
    `meanwhile`, of a call, or of `take`) is raised once every worker has
    ended; after it, results are no longer taken."""
    failed: Exception | None = None
    with Workers(lambda index, _payload: function(index), processes) as workers:
        for index in range(count):
            workers.start(index)
        try:
            meanwhile()
        except Exception as error:
            failed = error
            workers.stop()
        while workers.running:
            try:
                ended = workers.next()
                if ended is not None and failed is None:
                    take(*ended)
            except Exception as error:
                failed = failed or error
                workers.stop()
    if failed is not None:
        raise failed


class _Failed:
    """A worker's error, as a value (a call may well return an exception)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Skipped:
    """A call not made: an error came first."""


def _call(index: int, payload: object) -> tuple[int, object]:  # runs in a worker
    assert _WORK.function is not None
    if _WORK.stop is not None and _WORK.stop.is_set():
        return index, _Skipped()
    try:
        return index, _WORK.function(index, payload)
    except Exception as error:
        return index, _Failed(error)
