"""Call any function the same way: sync or async, plain or generator.

Sync code runs in a thread pool (as Starlette runs sync endpoints), so a slow or blocking
function never stalls the event loop; each server has a pool of its own. Every kind of
function becomes an async iterator of the values it produces: one value for a plain
function, each yielded value for a generator.

Whatever the function raises reaches the caller as an exception that asyncio can carry:
``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit``, ``StopIteration``,
``StopAsyncIteration`` and a ``CancelledError`` that is not our own cancel come wrapped in
``FunctionRaised`` (raised as themselves, the first two would stop the event loop, and a
``StopIteration`` cannot be set on a future: the call would never end).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import functools
import inspect
import logging
import os
import threading
import time
import types
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from ._exceptions import FunctionRaised

__all__ = ["LanePool", "ThreadPool", "call_once", "in_order", "iterate_call", "run_sync"]

logger = logging.getLogger("gradio_mock")

T = TypeVar("T")
P = ParamSpec("P")
_DONE = object()
#: A sync generator runs ahead of the event loop by at most this many values.
_AHEAD = 256


class _Effect:
    """Something a sync generator's thread asks the loop to do between two of its values
    (log a progress or log message): queued with the values, so it happens in their order."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn = fn


#: The pump of the sync generator the current thread runs (set in its thread's context).
_PUMP: contextvars.ContextVar[_Pump | None] = contextvars.ContextVar(
    "gradio_mock_pump", default=None
)


def in_order(fn: Callable[..., None], *args: Any) -> bool:
    """In a sync generator's thread: have the loop call ``fn(*args)`` in order with the
    values yielded (a loop callback could come after the values yielded after it, or after
    the job's end); True if so, False elsewhere (the caller schedules it itself)."""
    pump = _PUMP.get()
    if pump is None:
        return False
    pump.effect(functools.partial(fn, *args))
    return True


#: An async generator that never awaits gives the event loop a turn this often (seconds).
_TURN = 0.005


def _travels(error: BaseException) -> bool:
    """Whether ``error``, raised by the function, may propagate as itself."""
    if isinstance(error, asyncio.CancelledError):
        # Ours (the job was cancelled) or the function's own doing.
        task = asyncio.current_task()
        return task is not None and task.cancelling() > 0
    return isinstance(error, Exception) and not isinstance(
        error, (StopIteration, StopAsyncIteration)
    )


def _in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a pool thread, where no cancel of ours can arrive."""
    try:
        return fn(*args, **kwargs)
    except BaseException as error:
        if isinstance(error, Exception) and not isinstance(
            error, (StopIteration, StopAsyncIteration)
        ):
            raise
        raise FunctionRaised(error) from None


async def _awaited(awaitable: Awaitable[T]) -> T:
    try:
        return await awaitable
    except BaseException as error:
        if _travels(error):
            raise
        raise FunctionRaised(error) from None


async def run_sync(
    loop: asyncio.AbstractEventLoop,
    executor: Executor,
    fn: Callable[..., T],
    args: Sequence[Any],
    kwargs: dict[str, Any],
) -> T:
    """``fn(*args, **kwargs)`` in ``executor``, with the caller's context variables;
    ``loop``: the running loop (the caller's to give: asking costs a system call on Python
    3.11).

    ``loop.run_in_executor`` costs about half of ``anyio.to_thread.run_sync`` per call,
    which matters on the hot path of every sync endpoint; a ``LanePool`` less again.
    """
    context = contextvars.copy_context()
    call = functools.partial(context.run, _in_thread, fn, *args, **kwargs)
    if isinstance(executor, LanePool):
        return await executor.call(loop, call)
    return await loop.run_in_executor(executor, call)


#: A call's outcome as a pool thread hands it over: (its future, value, exception), or
#: (None, a function for the loop to call, None) (``LanePool.soon``).
_Outcome = tuple["asyncio.Future[Any] | None", Any, "BaseException | None"]


def _defer_to_loop() -> None:
    """Run in each pool thread as it starts: schedule it as a batch thread (Linux's
    ``SCHED_BATCH``: its fair share of CPU, the same nice, but no preempting on wake-up).

    A pool thread is woken by the event loop's thread, which holds the GIL: woken as an
    ordinary thread it preempts the loop's at once (on one core), only to find the GIL held
    and sleep again; two switches of threads for nothing, each time. As a batch thread it
    runs when the loop's thread blocks (in its poll, the GIL released) or its time slice
    ends, and then takes the GIL at once. Measured on one core, 16 clients calling a sync
    echo: context switches per call fell from 1.1 to 0.17, and CPU per call by 8-10%.
    Elsewhere (no ``SCHED_BATCH``, or not allowed), threads stay as they are."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))  # (0: this thread)


class LanePool(ThreadPoolExecutor):
    """The thread pool of one endpoint's concurrency limit (``max_workers`` threads), whose
    calls from the event loop (``call``) skip the futures ``run_in_executor`` makes for each.

    Calls wait in a queue of the pool's own. Up to ``max_workers`` pool threads each take
    them one after the other, and wait a moment (``LINGER``) for the next before giving their
    thread back; they hand the results to the loop in batches, one loop wake-up for all the
    results ready at once. A waiting thread is woken once a turn of the loop, for all the
    calls queued in that turn: woken at each call, it would only wait for the GIL the loop
    holds, two switches of threads a call on one core. A job's start goes to the loop with
    the results (``soon``). A concurrent future per call (with its condition), the asyncio
    future chained to it, a submission to the pool and a wake-up per result cost about as
    much CPU as the rest of a call to an echo function. Anything else submitted (``submit``,
    ``run_in_executor``) runs as in any ``ThreadPoolExecutor``.
    """

    #: Seconds a taker thread waits for another call before it gives its thread back.
    LINGER = 0.25

    def __init__(self, max_workers: int, thread_name_prefix: str = "") -> None:
        super().__init__(
            max_workers=max_workers,
            thread_name_prefix=thread_name_prefix,
            initializer=_defer_to_loop,
        )
        self._limit = max_workers
        self._lock = threading.Lock()
        self._more = threading.Condition(self._lock)
        #: Calls not yet taken: (the future to resolve, the call).
        self._calls: collections.deque[tuple[asyncio.Future[Any], Callable[[], Any]]] = (
            collections.deque()
        )
        #: Pool threads taking calls; those running one now; those waiting for one.
        self._takers = 0
        self._busy = 0
        self._waiting = 0
        self._closed = False
        #: Outcomes not yet handed to the loop.
        self._results: list[_Outcome] = []
        self._delivery_due = False
        self._wake_due = False
        #: The loop the calls come from (the first one's: a pool serves one server).
        self._loop: asyncio.AbstractEventLoop | None = None

    def call(self, loop: asyncio.AbstractEventLoop, fn: Callable[[], T]) -> asyncio.Future[T]:
        """``fn()`` in a pool thread; a future of ``loop`` resolves to what it returns."""
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:  # not this pool's loop: the usual way
            return loop.run_in_executor(self, fn)
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._calls.append((future, fn))
            # A taker that is not running a call takes this one (waking it if it waits);
            # else a new taker starts, within the limit.
            start = self._takers - self._busy < len(self._calls) and self._takers < self._limit
            if start:
                self._takers += 1
            elif self._waiting and not self._wake_due:
                # Woken once the loop has queued this turn's calls: a thread woken now
                # would only wait for the loop's GIL, and wake again for each call.
                self._wake_due = True
                loop.call_soon(self._wake)
        if start:
            try:
                self.submit(self._take)
            except BaseException:
                with self._lock:
                    self._takers -= 1
                raise
        return future

    def _wake(self) -> None:  # on the loop
        with self._lock:
            self._wake_due = False
            if self._calls:
                self._more.notify(min(self._waiting, len(self._calls)))

    def _take(self) -> None:  # in a pool thread
        while True:
            with self._lock:
                while not self._calls:
                    if self._closed:
                        self._takers -= 1
                        return
                    self._waiting += 1
                    self._more.wait(self.LINGER)
                    self._waiting -= 1
                    if not self._calls:  # (a call whose wake-up came as it timed out: taken)
                        self._takers -= 1
                        return
                future, fn = self._calls.popleft()
                self._busy += 1
            outcome: _Outcome | None = None
            if not future.cancelled():  # (a job cancelled while its call waited: not run)
                try:
                    outcome = (future, fn(), None)
                except BaseException as error:
                    outcome = (future, None, error)
            with self._lock:
                self._busy -= 1
                if outcome is None:
                    continue
            self._hand_over(outcome)

    def soon(self, fn: Callable[..., None], *args: Any) -> None:
        """Have the loop call ``fn(*args)`` (from a pool thread or the loop), in order with
        the results handed over: a job's start, told with its result when the call is quick,
        costs no loop wake-up of its own."""
        self._hand_over((None, functools.partial(fn, *args), None))

    def _hand_over(self, outcome: _Outcome) -> None:
        loop = self._loop
        assert loop is not None
        with self._lock:
            self._results.append(outcome)
            wake = not self._delivery_due
            self._delivery_due = True
        if wake:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits
                loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:  # on the loop
        with self._lock:
            results, self._results = self._results, []
            self._delivery_due = False
        for future, value, error in results:
            if future is None:  # (see ``soon``)
                value()
                continue
            if future.cancelled():
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                self._calls.clear()  # their jobs were cancelled: nobody waits for them
            self._more.notify_all()
        super().shutdown(wait=wait, cancel_futures=cancel_futures)


def _started(
    on_start: Callable[[], None] | None, fn: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    if on_start is not None:
        on_start()
    return fn(*args, **kwargs)


class _Pump:
    """Runs a sync generator in one pool thread, start to end, and hands its values to the
    event loop in batches: the thread wakes the loop only when the loop has taken every
    value so far and waits for more. A hand-off per value (a future, a thread wake-up, a
    loop callback) cost more than most generators' work: 100,000 values took 36 s.

    The generator runs at most ``_AHEAD`` values ahead of the loop; each value is
    transformed (checked and copied) in the thread before the generator resumes. Stopped
    (a cancel, or a value that could not be sent), it is closed in its thread after its
    current step, so its ``finally`` blocks run there, not on the event loop.
    """

    def __init__(
        self,
        iterator: Generator[Any, Any, Any],
        loop: asyncio.AbstractEventLoop,
        transform: Callable[[Any], Any],
    ) -> None:
        self.iterator = iterator
        self.transform = transform
        self.loop = loop
        self.lock = threading.Condition()
        self.values: collections.deque[Any] = collections.deque()
        self.ended = False
        self.error: BaseException | None = None
        self.stopped = False
        #: Set by the loop when it found nothing to take; the thread resolves it.
        self.waiter: asyncio.Future[None] | None = None

    def run(self) -> None:  # in the pool thread
        _PUMP.set(self)
        try:
            while True:
                with self.lock:
                    while len(self.values) >= _AHEAD and not self.stopped:
                        self.lock.wait()
                    if self.stopped:
                        break
                value = _in_thread(next, self.iterator, _DONE)
                if value is _DONE:
                    break
                # Here, before the generator resumes: it may change what it yielded.
                value = _in_thread(self.transform, value)
                with self.lock:
                    self.values.append(value)
                    waiter, self.waiter = self.waiter, None
                if waiter is not None:
                    self._wake(waiter)
        except BaseException as error:
            self.error = error
        finally:
            try:
                self.iterator.close()  # no-op unless stopped early: runs its finally blocks
            except BaseException:
                logger.warning("a generator raised while being closed", exc_info=True)
            with self.lock:
                self.ended = True
                waiter, self.waiter = self.waiter, None
            if waiter is not None:
                self._wake(waiter)

    def _wake(self, waiter: asyncio.Future[None]) -> None:
        # A closed loop (the server stopped): nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_resolve, waiter)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.lock.notify()

    def effect(self, fn: Callable[[], None]) -> None:  # in the pool thread
        with self.lock:
            self.values.append(_Effect(fn))
            waiter, self.waiter = self.waiter, None
        if waiter is not None:
            self._wake(waiter)

    async def values_from(self) -> AsyncIterator[Any]:
        while True:
            with self.lock:
                values = list(self.values)
                self.values.clear()
                self.lock.notify()
                ended = self.ended
                waiter = None
                if not values and not ended:
                    waiter = self.waiter = self.loop.create_future()
            for value in values:
                if type(value) is _Effect:
                    value.fn()
                    continue
                yield value
            if waiter is not None:
                await waiter
            elif ended and not values:
                break
        if self.error is not None:
            raise self.error


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _iterate_sync_generator(
    iterator: Generator[Any, Any, Any], executor: Executor, transform: Callable[[Any], Any]
) -> AsyncIterator[Any]:
    loop = asyncio.get_running_loop()
    pump = _Pump(iterator, loop, transform)
    context = contextvars.copy_context()
    future = loop.run_in_executor(executor, functools.partial(context.run, pump.run))
    try:
        async for value in pump.values_from():
            yield value
    finally:
        pump.stop()
        future.cancel()  # still queued (the pool is busy): it never starts


async def _aclose(generator: Any) -> None:
    """Close an async generator we stopped iterating; what it raises is only logged."""
    try:
        await generator.aclose()
    except BaseException as error:
        if isinstance(error, asyncio.CancelledError) and _travels(error):
            raise
        logger.warning("an async generator raised while being closed", exc_info=True)


async def call_once(
    fn: Callable[..., Any],
    args: list[Any],
    kwargs: dict[str, Any],
    executor: Executor,
    on_start: Callable[[], None] | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Any:
    """What ``fn(*args, **kwargs)`` returns, for a function that is not a generator: a
    coroutine function is awaited here, any other runs in ``executor`` (``on_start`` called
    in its thread just before). ``iterate_call``'s one value, without its generator.
    ``loop``: the running loop, if the caller knows it (asking costs a system call on
    Python 3.11)."""
    if _is_coroutine_function(fn):
        return await _awaited(fn(*args, **kwargs))
    loop = loop or asyncio.get_running_loop()
    result = await run_sync(loop, executor, _started, (on_start, fn, *args), kwargs)
    # (a sync callable that returned a coroutine; ``isawaitable`` asks an ABC, so the
    # usual values are let through first)
    if type(result) not in _NEVER_AWAITABLE and inspect.isawaitable(result):
        result = await _awaited(result)
    return result


#: The types of the values functions return most, which are never awaitable.
_NEVER_AWAITABLE = frozenset({str, int, float, bool, bytes, list, tuple, dict, type(None)})


def _is_coroutine_function(fn: Callable[..., Any]) -> bool:
    """``inspect.iscoroutinefunction``, in one step for a plain function (the usual case:
    the general one unwraps partials and methods first, on every call)."""
    if type(fn) is types.FunctionType:
        return bool(fn.__code__.co_flags & inspect.CO_COROUTINE)
    return inspect.iscoroutinefunction(fn)


async def iterate_call(
    fn: Callable[..., Any],
    args: list[Any],
    kwargs: dict[str, Any],
    executor: Executor,
    on_start: Callable[[], None] | None = None,
    transform: Callable[[Any], Any] = lambda value: value,
) -> AsyncGenerator[Any, None]:
    """The values ``fn(*args, **kwargs)`` produces, each passed through ``transform``
    before the function goes on (so a generator cannot change a value once it is taken).
    ``on_start``, for a plain sync function only, is called in its thread just before it
    runs (the call may queue in ``executor``)."""
    if inspect.isasyncgenfunction(fn):
        generator = fn(*args, **kwargs)
        loop = asyncio.get_running_loop()
        turn = loop.time() + _TURN
        try:
            while True:
                try:
                    value = await generator.__anext__()
                except StopAsyncIteration:
                    break
                except BaseException as error:
                    if _travels(error):
                        raise
                    raise FunctionRaised(error) from None
                yield transform(value)
                # A generator that never awaits would hold the loop to its end: give others
                # a turn now and then (checking the clock costs less than a turn per value).
                if loop.time() >= turn:
                    await asyncio.sleep(0)
                    turn = loop.time() + _TURN
        finally:
            await _aclose(generator)
    elif inspect.isgeneratorfunction(fn):
        iterator = fn(*args, **kwargs)  # a generator's body runs only at its first next()
        async for value in _iterate_sync_generator(iterator, executor, transform):
            yield value
    else:
        yield transform(await call_once(fn, args, kwargs, executor, on_start))


class ThreadPool(ThreadPoolExecutor):
    """The shared thread pool, which logs a warning when every thread is busy and a call
    has to wait for one (at most once a minute)."""

    def __init__(self, size: int, thread_name_prefix: str = "") -> None:
        super().__init__(
            max_workers=size, thread_name_prefix=thread_name_prefix, initializer=_defer_to_loop
        )
        self.size = size
        self._count_lock = threading.Lock()
        self._busy = 0  # submitted and not yet finished
        self._last_warning = -60.0

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future = super().submit(fn, *args, **kwargs)
        with self._count_lock:
            self._busy += 1
            now = time.monotonic()
            warn = self._busy > self.size and now - self._last_warning >= 60
            if warn:
                self._last_warning = now
        future.add_done_callback(self._finished)
        if warn:
            logger.warning(
                "all %d threads of the shared thread pool are busy: calls of sync functions "
                "wait for one (a cancelled sync function keeps its thread until it returns); "
                "raise --thread-pool-size if this is expected",
                self.size,
            )
        return future

    def _finished(self, _future: Future[Any]) -> None:
        with self._count_lock:
            self._busy -= 1
