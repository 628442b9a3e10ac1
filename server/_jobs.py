"""The job queue and its event log: the one core every wire format reads from.

A POST (``/call`` or ``/queue/join``) becomes a ``Job``. The ``JobQueue`` runs it on its
endpoint's function, at most ``concurrency_limit`` at a time per endpoint, and records what
happens as ``JobEvent``s in the job's log: ``queued``, ``started``, any number of
``generating``, then one ``complete`` or ``error``. Readers (the SSE streams in ``_streams.py``)
replay the log from its start and then follow it live, so any number of readers at any time
see the same events. Data flows one way: routes → queue → log → streams.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from ._app import Endpoint
from ._cache import ResultCache
from ._exceptions import Error, InputError
from ._notify import Notifier, wait_for
from ._sessions import Session

__all__ = ["Job", "JobEvent", "JobQueue", "QueueFull"]

logger = logging.getLogger("gradio_mock")

EventKind = Literal["queued", "started", "generating", "complete", "error"]
TERMINAL: frozenset[str] = frozenset({"complete", "error"})
#: Events only the clients' session streams show (as ``estimation``, ``process_starts``).
_BOOKKEEPING: frozenset[str] = frozenset({"queued", "started"})


class QueueFull(Exception):
    """More jobs are waiting than the app's ``max_queue_size`` allows."""


@dataclass(frozen=True, slots=True)
class JobEvent:
    kind: EventKind
    #: Outputs (generating, complete) or the error payload (error).
    payload: Any = None
    #: For ``queued``: jobs ahead of this one and the queue's length.
    rank: int = 0
    queue_size: int = 0
    #: Seconds since the job started (generating, complete, error).
    duration: float | None = None

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL


class Job:
    """One call of one endpoint, with its event log."""

    __slots__ = (
        "_notifier",
        "context",
        "endpoint",
        "events",
        "id",
        "inputs",
        "session",
        "started_at",
        "watchers",
    )

    def __init__(
        self,
        endpoint: Endpoint,
        inputs: list[Any],
        session: Session | None,
        context: dict[str, Any],
    ) -> None:
        self.id = uuid.uuid4().hex
        self.endpoint = endpoint
        self.inputs = inputs
        self.session = session
        #: Facts from the request that created the job (the base URL for file links).
        self.context = context
        self.events: list[JobEvent] = []
        self.started_at: float | None = None
        #: Notifiers of the session streams carrying this job, woken with the job's own.
        self.watchers: list[Notifier] = []
        self._notifier = Notifier()

    @property
    def done(self) -> bool:
        return bool(self.events) and self.events[-1].terminal

    def append(self, event: JobEvent) -> None:
        if self.done:
            return  # the log is closed: a late cancel cannot add a second ending
        self.events.append(event)
        if event.kind not in _BOOKKEEPING:
            self._notifier.notify()
        for watcher in self.watchers:
            watcher.notify()

    def changed(self) -> asyncio.Future[None]:
        """Resolves at the next event appended to the log, bookkeeping events aside: the
        ``/call`` readers waiting here show none, so waking them for one is wasted work.
        Session streams (``watchers``) are woken by every event."""
        return self._notifier.waiter()

    def elapsed(self) -> float | None:
        return None if self.started_at is None else time.monotonic() - self.started_at

    async def follow(self, start: int = 0) -> AsyncIterator[JobEvent]:
        """The log from ``start``, then live, until the job ends (bookkeeping events come
        with the next event that wakes the reader)."""
        index = start
        while True:
            waiter = self._notifier.waiter()
            while index < len(self.events):
                event = self.events[index]
                index += 1
                yield event
                if event.terminal:
                    return
            await wait_for(waiter, None)


class _Lane:
    """The queue of one endpoint: its concurrency limit and who is waiting.

    A plain sync function's limit is a thread pool of ``limit`` threads of its own: calls
    queue there and a thread that ends one starts the next at once, without a round trip
    through the event loop (that hand-off cost as much as the rest of a call). Any other
    limited function waits on a semaphore of ``limit`` slots; an unlimited one, on nothing.
    """

    def __init__(self, endpoint: Endpoint, shared: ThreadPoolExecutor) -> None:
        limit = endpoint.concurrency_limit
        self.waiting = 0
        self.semaphore: asyncio.Semaphore | None = None
        self.executor = shared
        self.own_pool = limit is not None and endpoint.runs_in_thread
        if self.own_pool and limit is not None:
            name = f"gradio-mock /{endpoint.api_name}"
            self.executor = ThreadPoolExecutor(max_workers=limit, thread_name_prefix=name)
        elif limit is not None:
            self.semaphore = asyncio.Semaphore(limit)

    def close(self) -> None:
        if self.own_pool:
            self.executor.shutdown(wait=False, cancel_futures=True)


#: ``Processor.execute``: runs a job's function (its sync code in the executor given,
#: calling the hook given as it starts) and yields its outputs.
Execute = Callable[[Job, ThreadPoolExecutor, "Callable[[], None] | None"], AsyncIterator[list[Any]]]
#: ``Processor.prepare``: the work of a job done before it takes a concurrency slot
#: (fetching URL inputs), so that a slow fetch never holds the slot.
Prepare = Callable[[Job], Awaitable[None]]


class JobQueue:
    """Accepts jobs, runs them with per-endpoint limits, and files the results in the cache."""

    def __init__(
        self,
        cache: ResultCache,
        execute: Execute,
        *,
        max_size: int = 1000,
        show_error: bool = False,
        prepare: Prepare | None = None,
    ) -> None:
        self.cache = cache
        # Sync code of unlimited endpoints runs here; 40 threads, as anyio (and so Starlette)
        # allows by default.
        self.executor = ThreadPoolExecutor(max_workers=40, thread_name_prefix="gradio-mock")
        self.max_size = max_size
        self.show_error = show_error
        self._execute = execute
        self._prepare = prepare
        self._lanes: dict[str, _Lane] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: Set by ``stop``: the message every job still running ends with.
        self._stop_message: str | None = None
        #: Unexpected exceptions raised by endpoint functions, newest last (the pytest
        #: plugin fails a test that leaves any behind).
        self.errors: collections.deque[BaseException] = collections.deque(maxlen=100)

    @property
    def waiting(self) -> int:
        return sum(lane.waiting for lane in self._lanes.values())

    def submit(
        self,
        endpoint: Endpoint,
        inputs: list[Any],
        session: Session | None,
        context: dict[str, Any],
    ) -> Job:
        if self.waiting >= self.max_size:
            raise QueueFull()
        lane = self._lanes.get(endpoint.api_name)
        if lane is None:
            lane = self._lanes[endpoint.api_name] = _Lane(endpoint, self.executor)
        job = Job(endpoint, inputs, session, context)
        job.append(JobEvent("queued", rank=lane.waiting, queue_size=self.waiting + 1))
        self.cache.add(job)
        lane.waiting += 1
        task = asyncio.get_running_loop().create_task(self._run(job, lane))
        self._tasks[job.id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(job.id, None))
        if self._stop_message is not None:
            task.cancel()  # a call that came in as the server stops ends at once, saying so
        return job

    def cancel(self, event_id: str) -> bool:
        """Stop a queued or running job; its log ends with an ``error`` event."""
        task = self._tasks.get(event_id)
        if task is None:
            return False
        task.cancel()
        return True

    async def shutdown(self) -> None:
        """Cancel every job (the queue stays usable: the per-test reset does this)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self, message: str) -> None:
        """End every unfinished job now with an ``error`` event saying ``message`` (the server
        is stopping): their streams then end properly, each with a final event."""
        self._stop_message = message
        for task in self._tasks.values():
            task.cancel()

    async def close(self) -> None:
        await self.shutdown()
        # Threads still inside a function are left to finish; nothing waits for them.
        for lane in self._lanes.values():
            lane.close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, job: Job, lane: _Lane) -> None:
        try:
            if self._prepare is not None:
                await self._prepare(job)
            if lane.own_pool:
                # Started when a thread of the lane picks the call up.
                loop = asyncio.get_running_loop()

                def started() -> None:  # in the lane's thread
                    loop.call_soon_threadsafe(self._start, job, lane)

                job.append(await self._outcome(job, lane, started))
                return
            if lane.semaphore is None:
                self._start(job, lane)
                job.append(await self._outcome(job, lane, None))
                return
            async with lane.semaphore:
                self._start(job, lane)
                job.append(await self._outcome(job, lane, None))
        except asyncio.CancelledError:
            message = self._stop_message or "Cancelled."
            job.append(JobEvent("error", _error_payload(message), duration=job.elapsed()))
        finally:
            if job.started_at is None:
                lane.waiting -= 1  # it never started: it waits no more
            job.inputs = []  # not needed once run: a cached result should hold only its outputs
            self.cache.finish(job)

    @staticmethod
    def _start(job: Job, lane: _Lane) -> None:
        if job.started_at is not None or job.done:
            return  # a thread's late news of a job that was cancelled meanwhile
        lane.waiting -= 1
        job.started_at = time.monotonic()
        job.append(JobEvent("started"))

    async def _outcome(
        self, job: Job, lane: _Lane, on_start: Callable[[], None] | None
    ) -> JobEvent:
        """Run the function; the event that ends the job."""
        outputs: list[Any] | None = None
        try:
            async for outputs in self._execute(job, lane.executor, on_start):
                if job.endpoint.is_generator:
                    job.append(JobEvent("generating", outputs, duration=job.elapsed()))
        except Error as error:
            payload = _error_payload(error.message, error.duration, error.visible, error.title)
            return JobEvent("error", payload, duration=job.elapsed())
        except InputError as error:
            return JobEvent("error", _error_payload(str(error)), duration=job.elapsed())
        except Exception as error:
            logger.exception(
                "/%s raised %s (event %s)", job.endpoint.api_name, type(error).__name__, job.id
            )
            self.errors.append(error)
            # Gradio's shapes: the message and nothing else with show_error, else nothing.
            payload = {"error": str(error), "visible": True} if self.show_error else {"error": None}
            return JobEvent("error", payload, duration=job.elapsed())
        if outputs is None:  # a generator that yielded nothing
            outputs = [None] * len(job.endpoint.outputs)
        return JobEvent("complete", outputs, duration=job.elapsed())


def _error_payload(
    message: str | None, duration: float | None = 10, visible: bool = True, title: str = "Error"
) -> dict[str, Any]:
    return {"error": message, "duration": duration, "visible": visible, "title": title}
