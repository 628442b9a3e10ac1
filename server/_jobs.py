"""The job queue and its event log: the one core every wire format reads from.

A POST (``/call`` or ``/queue/join``) becomes a ``Job``. The ``JobQueue`` runs it on its
endpoint's function, at most ``concurrency_limit`` at a time per endpoint, and records what
happens as ``JobEvent``s in the job's log: ``queued``, ``started``, any number of
``generating``, then one ``complete`` or ``error``. Readers (the SSE streams in ``_streams.py``)
replay the log from its start and then follow it live, so any number of readers at any time
see the same events. Data flows one way: routes → queue → log → streams.

The log stores each payload once, as the JSON text a ``/call`` frame carries (``Logged``):
every reader sends the same bytes, and the result cache counts them against its byte budget.
What it keeps is bounded:

* while a job runs, its values take at most ``max_result_size`` bytes: past that the oldest
  ``generating`` values are dropped (a reader that is behind skips to the oldest one kept);
  a single value larger than that ends the job with an ``error`` event;
* once a reader has been given a finished job's last event, the log is compacted to its
  last ``generating`` value and its final event: reading it again replays just those;
* a job evicted from the cache keeps only an ``error`` event saying so, for the readers
  still sending it.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import json
import logging
import math
import os
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ._app import Endpoint
from ._cache import EVENT_OVERHEAD
from ._calling import LanePool, ThreadPool
from ._estimates import Estimates
from ._exceptions import Error, FunctionRaised, InputError, OutputError
from ._faithful import Faithful, MissingInputs
from ._notify import Notifier, wait_for
from ._sessions import Session

if TYPE_CHECKING:
    from ._cache import ResultCache

__all__ = [
    "BOOKKEEPING",
    "Job",
    "JobEvent",
    "JobQueue",
    "LogMirror",
    "Logged",
    "OutputRefused",
    "QueueFull",
    "error_payload",
]

logger = logging.getLogger("gradio_mock")

EventKind = Literal["queued", "started", "progress", "log", "generating", "complete", "error"]
TERMINAL: frozenset[str] = frozenset({"complete", "error"})
#: Events only the clients' session streams show (as ``estimation``, ``process_starts``,
#: ``progress``, ``log``): the ``/call`` stream shows none of them, as Gradio's does not.
_BOOKKEEPING: frozenset[str] = frozenset({"queued", "started", "progress", "log"})
BOOKKEEPING = _BOOKKEEPING
#: Bookkeeping events a newer one of their kind makes stale (see ``Job._drop_superseded``).
_SUPERSEDED: frozenset[str] = frozenset({"queued", "progress"})


#: When a dropped prefix of a log's values is compacted away (amortised O(1) per drop).
_COMPACT_AFTER = 1024


class LogMirror(Protocol):
    """Copies job logs to a shared store (``server.store``), as they change."""

    def logged(self, job: Job, event: Logged) -> None: ...

    def started(self, job: Job) -> None:
        """``job`` has started, and logs no ``started`` event (no session stream shows it)."""

    def trimmed(self, job: Job, first_seq: int) -> None: ...

    def delivered(self, job: Job) -> None: ...

    async def settle(self, job: Job) -> None:
        """Wait until ``job``'s end (and the session it left) is in the store: a client that
        reads the end and calls again, on any process, finds what this call left."""


class QueueFull(Exception):
    """More jobs are waiting than the app's ``max_queue_size`` allows."""


class OutputRefused(Error):
    """An output too large to keep, or not JSON: it ends its job with an ``error`` event."""


@dataclass(frozen=True, slots=True)
class JobEvent:
    kind: EventKind
    #: Outputs (generating, complete), the error payload (error), the progress units
    #: (progress), the log message's fields (log), ``{"rank_eta": s}`` (queued, if known),
    #: ``{"eta": s}`` (started, if known).
    payload: Any = None
    #: For ``queued``: jobs ahead of this one and the queue's length.
    rank: int = 0
    queue_size: int = 0
    #: Seconds since the job started (generating, complete, error).
    duration: float | None = None

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL


class Logged:
    """An event as the log keeps it: the payload as the JSON text of its ``/call`` frame.

    ``seq`` numbers the events of one job from 0 in the order they happened; readers keep the
    next ``seq`` they want, so dropped and compacted events are skipped, never repeated.
    """

    __slots__ = ("data", "duration", "kind", "queue_size", "rank", "seq")

    def __init__(self, event: JobEvent, seq: int, data: bytes) -> None:
        self.kind: EventKind = event.kind
        self.seq = seq
        #: ``json.dumps(payload)`` as bytes (``b""`` for the bookkeeping events).
        self.data = data
        self.rank = event.rank
        self.queue_size = event.queue_size
        self.duration = event.duration

    @classmethod
    def raw(
        cls,
        kind: EventKind,
        seq: int,
        data: bytes,
        rank: int = 0,
        queue_size: int = 0,
        duration: float | None = None,
    ) -> Logged:
        """An event as another process logged it (read back from the shared store)."""
        return cls(JobEvent(kind, None, rank, queue_size, duration), seq, data)

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL

    @property
    def payload(self) -> Any:
        return json.loads(self.data) if self.data else None

    @property
    def size(self) -> int:
        """What this event is counted as against the result cache's byte budget."""
        return len(self.data) + EVENT_OVERHEAD

    def __repr__(self) -> str:
        return f"Logged({self.kind!r}, seq={self.seq}, {len(self.data)} bytes)"


#: ``json.dumps(..., allow_nan=False)`` without making an encoder per call.
_encode = json.JSONEncoder(allow_nan=False).encode


def _seq(event: Logged | None) -> int:
    assert event is not None  # (only events before ``_start`` are dropped)
    return event.seq


def _in_order(found: list[Logged], cut: int | None) -> list[Logged]:
    """``since``'s events by ``seq``: a progress or log event logged after values not yet
    read goes after them, and none numbered ``cut`` or later (the first value left out by
    the byte limit: a reader resumes there, so nothing after it may be given yet)."""
    if not found or found[0].kind not in _BOOKKEEPING:
        return found
    if cut is not None:
        found = [e for e in found if e.seq < cut]
    if len(found) > 1:
        found.sort(key=lambda e: e.seq)
    return found


def encode_payload(payload: Any) -> bytes:
    """The JSON text of a payload, as ``/call`` frames carry it (Python's default spacing,
    as Gradio). NaN and infinities are refused: they are not JSON."""
    return _encode(payload).encode()


def _event_id(raw: bytes | None = None) -> str:
    """``uuid.uuid4().hex``, without the ``UUID`` object (most of its cost); made of the
    16 random bytes ``raw`` if given."""
    uuid = bytearray(os.urandom(16) if raw is None else raw)
    uuid[6] = uuid[6] & 0x0F | 0x40  # version 4
    uuid[8] = uuid[8] & 0x3F | 0x80  # the RFC 4122 variant
    return uuid.hex()


class EventIds:
    """Event ids as ``uuid.uuid4().hex`` makes them, from the system's random bytes drawn
    for 256 ids at a time: one system call per 256 calls, not one per call.

    Bytes drawn before a ``fork`` are forgotten in the child, which draws its own: two
    processes sharing a store never hand out the same ids."""

    BATCH = 256

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0
        ref = weakref.ref(self)

        def forget() -> None:
            ids = ref()
            if ids is not None:
                ids._pool, ids._at = b"", 0

        os.register_at_fork(after_in_child=forget)

    def __call__(self) -> str:
        at = self._at
        if at >= len(self._pool):
            self._pool, at = os.urandom(16 * self.BATCH), 0
        self._at = at + 16
        return _event_id(self._pool[at : at + 16])


#: The inputs of every job that has run (``JobQueue._run``), and the log's parts of a job
#: with none of their kind yet: shared, never added to.
_NO_INPUTS: list[Any] = []
_NO_EVENTS: list[Logged] = []
#: The context of every job that has ended (``JobQueue._run``): read-only, and empty.
_ENDED_CONTEXT: dict[str, Any] = MappingProxyType({})  # type: ignore[assignment]


class Job:
    """One call of one endpoint, with its event log.

    A job keeps as few objects as it can: each is made, kept in the result cache and freed
    once a call, and together they cost more than their work. A ``/call`` job in this
    process's memory or in a shared store logs no ``queued`` and ``started`` events (no
    reader is shown them: the ``/call`` stream has none; a job on a session stream,
    ``/queue/join``, logs them), and the log's lists, the notifier and the watchers are made
    only when needed; once it has ended, its context goes. Measured side by side at 64
    clients, CPU a call: 6.6% less for the two events, the watchers and the inputs, 1.3%
    less again for the lists and the notifier, 0.9% for the context."""

    __slots__ = (
        "_end",
        "_head",
        "_next_seq",
        "_notifier",
        "_stale",
        "_start",
        "_values",
        "channel",
        "context",
        "delivered",
        "endpoint",
        "id",
        "inputs",
        "ledger",
        "loop",
        "mirror",
        "session",
        "size",
        "started_at",
        "watchers",
    )

    def __init__(
        self,
        endpoint: Endpoint,
        inputs: list[Any],
        session: Session | None,
        context: dict[str, Any],
        job_id: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.id = job_id or _event_id()
        self.endpoint = endpoint
        self.inputs = inputs
        self.session = session
        #: Facts from the request that created the job (the base URL for file links).
        self.context = context
        #: The log, in three parts: bookkeeping events (``queued``, ``started``, ``progress``,
        #: ``log``), the values (``generating``; ``_values[_start:]`` are kept, in ``seq``
        #: order), the end.
        #: (Both the shared empty list, never added to, until a first event: most jobs
        #: log no bookkeeping, a plain function's no values.)
        self._head: list[Logged] = _NO_EVENTS
        self._values: list[Logged | None] = _NO_EVENTS  # type: ignore[assignment]
        self._start = 0
        self._end: Logged | None = None
        #: The ``_head`` event a newer one of its kind makes stale, by kind (the progress;
        #: the latest estimation but the first): see ``_drop_superseded``.
        self._stale: dict[str, Logged] | None = None  # (made when first needed)
        self._next_seq = 0
        #: Bytes the log is counted as (``EVENT_OVERHEAD`` included, ``JOB_OVERHEAD`` not).
        self.size = 0
        #: The result cache counting this job's bytes (set when it is added there).
        self.ledger: ResultCache | None = None
        #: True once a reader has been given the final event: the log is then compacted.
        self.delivered = False
        #: The session whose ``/queue/data`` stream carries this job (``/queue/join``).
        self.channel: str | None = None
        self.started_at: float | None = None
        #: Notifiers of the session streams carrying this job, woken with the job's own
        #: (a tuple, replaced as it changes: most jobs have none, and keep no list).
        self.watchers: tuple[Notifier, ...] = ()
        #: With a shared store (``--store``): told of every change to the log, to copy it.
        self.mirror: LogMirror | None = None
        #: The loop the job runs on, if known (see ``Notifier._loop``): its task, its
        #: readers' waits and its function's thread hand-offs use it.
        self.loop = loop
        #: Woken at each event for the ``/call`` readers (made when one first waits).
        self._notifier: Notifier | None = None

    @property
    def done(self) -> bool:
        return self._end is not None

    def watch(self, notifier: Notifier) -> None:
        """Wake ``notifier`` at every event (a session stream carrying this job)."""
        self.watchers = (*self.watchers, notifier)

    def unwatch(self, notifier: Notifier) -> None:
        self.watchers = tuple(w for w in self.watchers if w is not notifier)

    @property
    def events(self) -> list[Logged]:
        """The events the log keeps, in order (a copy: for inspection and tests)."""
        values = [v for v in self._values[self._start :] if v is not None]
        return self._head + values + ([self._end] if self._end is not None else [])

    @property
    def last(self) -> Logged | None:
        if self._end is not None:
            return self._end
        if len(self._values) > self._start:
            return self._values[-1]
        return self._head[-1] if self._head else None

    def since(self, seq: int, limit: int = 1 << 62) -> list[Logged]:
        """The logged events numbered ``seq`` or later, oldest first; at most ``limit``
        bytes of them (but at least one)."""
        found: list[Logged] = [e for e in self._head if e.seq >= seq]
        total = 0
        values = self._values
        if len(values) > self._start:
            # (Their seqs increase but skip the progress and log events logged between them.)
            index = bisect.bisect_left(values, seq, lo=self._start, key=_seq)
            while index < len(values):
                if found and total >= limit:
                    cut = values[index]
                    assert cut is not None
                    return _in_order(found, cut.seq)
                event = values[index]
                assert event is not None
                found.append(event)
                total += len(event.data)
                index += 1
        if self._end is not None and self._end.seq >= seq and not (found and total >= limit):
            found.append(self._end)
        return _in_order(found, None)

    def append(self, event: JobEvent) -> None:
        """Log ``event``. A value that is too large or not JSON raises ``OutputRefused``
        (a generator's loop turns it into the job's ``error`` event); a final event that
        is, is logged as an ``error`` event instead."""
        if self.done:
            return  # the log is closed: a late cancel cannot add a second ending
        if event.kind in _BOOKKEEPING:
            # Their payloads (progress units, log messages, an ETA) are small: kept as is.
            data = b"" if event.payload is None else encode_payload(event.payload)
            logged = Logged(event, self._next_seq, data)
            if event.kind in _SUPERSEDED:
                self._drop_superseded(logged)
            self._log_head(logged)
        else:
            try:
                data = self._encode(event)
            except OutputRefused as error:
                if not event.terminal:
                    raise
                data = encode_payload(error_payload(error.message))
                event = JobEvent("error", None, duration=event.duration)
            logged = Logged(event, self._next_seq, data)
            if event.terminal:
                previous = self._values[-1] if len(self._values) > self._start else None
                if previous is not None and previous.data == data:
                    logged.data = previous.data  # a generator's end repeats its last value
                    self._grow(EVENT_OVERHEAD)
                else:
                    self._grow(logged.size)
                self._end = logged
            else:
                self._log_value(logged)
                self._grow(logged.size)
                self._trim_values()
        self._next_seq += 1
        if logged.kind not in _BOOKKEEPING and self._notifier is not None:
            self._notifier.notify()
        for watcher in self.watchers:
            watcher.notify()
        if logged.kind in _BOOKKEEPING:
            self._grow(logged.size)
        if self.mirror is not None:
            self.mirror.logged(self, logged)

    def restore(self, logged: Logged) -> None:
        """Add an event logged elsewhere (a job of another process, read from the shared
        store), as it was: numbered, encoded and ended there."""
        if self.done:
            return
        if logged.kind in _BOOKKEEPING:
            self._log_head(logged)
        elif logged.terminal:
            self._end = logged
        else:
            self._log_value(logged)
        self._next_seq = logged.seq + 1
        if logged.kind not in _BOOKKEEPING and self._notifier is not None:
            self._notifier.notify()
        for watcher in self.watchers:
            watcher.notify()

    def _log_head(self, logged: Logged) -> None:
        if self._head is _NO_EVENTS:
            self._head = [logged]
        else:
            self._head.append(logged)

    def _log_value(self, logged: Logged) -> None:
        if self._values is _NO_EVENTS:
            self._values = [logged]
        else:
            self._values.append(logged)

    def _drop_superseded(self, logged: Logged) -> None:
        """Log a new ``progress`` in place of the last one, a new ``queued`` in place of the
        last one but the first: a reader that has not read them needs only the latest
        (Gradio, too, sends only the latest progress), and a job that waits long or reports
        progress in a loop keeps a log of constant size."""
        if logged.kind == "queued" and not any(e.kind == "queued" for e in self._head):
            return  # a job's first estimation: nothing to replace, kept for good
        if self._stale is None:
            self._stale = {}
        stale = self._stale.get(logged.kind)
        if stale is not None:
            self._head.remove(stale)
            self._grow(-stale.size)
        self._stale[logged.kind] = logged

    def _encode(self, event: JobEvent) -> bytes:
        api = self.endpoint.api_name
        try:
            data = encode_payload(event.payload)
        except (TypeError, ValueError) as error:
            raise OutputRefused(
                f"/{api} returned an output that is not JSON ({error}); outputs must be "
                "JSON values (strings, numbers, booleans, null, lists and objects)"
            ) from None
        limit = self.ledger.max_result_size if self.ledger is not None else None
        if limit is not None and len(data) + EVENT_OVERHEAD > limit:
            raise OutputRefused(
                f"/{api} returned an output of {len(data)} bytes (as JSON); this server keeps "
                f"results of at most {limit} bytes (--max-result-size)"
            )
        return data

    def _grow(self, delta: int) -> None:
        self.size += delta
        if self.ledger is not None:
            self.ledger.resized(self, delta)

    def _trim_values(self) -> None:
        """Drop the oldest values while the log is over its per-job limit (keeping the
        newest, which fits: ``_encode`` checked it)."""
        limit = self.ledger.max_result_size if self.ledger is not None else None
        if limit is None:
            return
        freed = 0
        while self.size - freed > limit and len(self._values) - self._start > 1:
            dropped = self._values[self._start]
            assert dropped is not None
            self._values[self._start] = None
            self._start += 1
            freed += dropped.size
        if freed:
            self._grow(-freed)
            if self.mirror is not None:
                first = self._values[self._start]
                assert first is not None
                self.mirror.trimmed(self, first.seq)
        if self._start > _COMPACT_AFTER and self._start * 2 > len(self._values):
            del self._values[: self._start]
            self._start = 0

    def mark_delivered(self) -> None:
        """A reader has been given the final event: from now on the log keeps only the last
        value and the end (reading the job again replays those two)."""
        if self.delivered or self._end is None:
            return
        self.delivered = True
        if self.mirror is not None:
            self.mirror.delivered(self)
        kept = len(self._values) - self._start
        if kept <= 1:
            return
        freed = sum(v.size for v in self._values[self._start : -1] if v is not None)
        self._values = self._values[-1:]
        self._start = 0
        self._grow(-freed)

    def evict(self) -> None:
        """The cache has let the job go: keep only an ``error`` event saying so, for any
        reader still sending it (the values are freed even if a reader stalls)."""
        if self._end is None:
            return
        ident = self.id.encode()
        if ident.isalnum():  # (as every id this server makes: its JSON text is itself)
            data = _EVICTED[0] + ident + _EVICTED[1]
        else:
            data = _EVICTED[0] + encode_payload(self.id)[1:-1] + _EVICTED[1]
        end = Logged(JobEvent("error", None, duration=self._end.duration), self._next_seq, data)
        self._next_seq += 1
        self._values = _NO_EVENTS  # type: ignore[assignment]
        self._start = 0
        self._head = _NO_EVENTS
        self._stale = None
        self._end = end
        self.size = end.size
        self.delivered = True

    def changed(self) -> asyncio.Future[None]:
        """Resolves at the next event appended to the log, bookkeeping events aside: the
        ``/call`` readers waiting here show none, so waking them for one is wasted work.
        Session streams (``watchers``) are woken by every event."""
        if self._notifier is None:
            self._notifier = Notifier(self.loop)
        return self._notifier.waiter()

    def elapsed(self) -> float | None:
        return None if self.started_at is None else time.monotonic() - self.started_at

    async def follow(self, start: int = 0, batch: int = 1 << 62) -> AsyncIterator[list[Logged]]:
        """The log from ``seq`` ``start``, then live, until the job ends, in batches of the
        events ready at once (at most ``batch`` bytes each). Bookkeeping events come with
        the next event that wakes the reader."""
        seq = start
        while True:
            waiter = self.changed()
            events = self.since(seq, batch)
            if events:
                seq = events[-1].seq + 1
                yield events
                if events[-1].terminal:
                    return
                continue
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
        self.api_name = endpoint.api_name
        self.limit = limit
        #: The jobs waiting for a slot, in the order they came (their ranks), and the start
        #: times of those running: what the queue's estimates are made of.
        self.queue: dict[str, Job] = {}
        #: How many of those a session stream carries (the only ones told of the queue's
        #: moves): none, and a start costs no walk through the queue.
        self.watched = 0
        self.running: dict[str, float] = {}
        self.semaphore: asyncio.Semaphore | None = None
        self.executor = shared
        self.own_pool = limit is not None and endpoint.runs_in_thread
        if self.own_pool and limit is not None:
            name = f"gradio-mock /{endpoint.api_name}"
            self.executor = LanePool(max_workers=limit, thread_name_prefix=name)
        elif limit is not None:
            self.semaphore = asyncio.Semaphore(limit)

    @property
    def waiting(self) -> int:
        return len(self.queue)

    def enter(self, job: Job) -> None:
        self.queue[job.id] = job
        if "channel" in job.context:
            self.watched += 1

    def leave(self, job: Job) -> None:
        """``job`` waits no more (it started, or ended before it could)."""
        if self.queue.pop(job.id, None) is not None and "channel" in job.context:
            self.watched -= 1

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
        thread_pool_size: int = 40,
        prepare: Prepare | None = None,
        faithful: Faithful | None = None,
    ) -> None:
        self.cache = cache
        #: ``--faithful``: errors and cancels as the Gradio version has them.
        self.faithful = faithful
        #: Each endpoint's measured runs, for the ETAs of ``estimation`` and ``process_starts``.
        self.estimates = Estimates()
        #: Under ``--faithful``: jobs stopped by ``/cancel``, which end as a success with no
        #: outputs (``output: {}``), as Gradio's do.
        self._cancelled: set[str] = set()
        # Sync code of unlimited endpoints (and every sync generator) runs here; 40 threads
        # by default, as anyio (and so Starlette) allows.
        self.executor = ThreadPool(thread_pool_size, thread_name_prefix="gradio-mock")
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
        #: Called with each job as it ends (the request journal records its outcome).
        self.listeners: list[Callable[[Job], None]] = []
        #: With a shared store: copies every job's log there (set on each new job).
        self.mirror: LogMirror | None = None
        #: The loop serving the jobs, set while the server runs (``ServerState.start``);
        #: None: the running loop, asked for each job (a system call on Python 3.11).
        self.loop: asyncio.AbstractEventLoop | None = None
        #: Makes the ids of new jobs.
        self.new_id = EventIds()

    @property
    def waiting(self) -> int:
        return sum(lane.waiting for lane in self._lanes.values())

    def submit(
        self,
        endpoint: Endpoint,
        inputs: list[Any],
        session: Session | None,
        context: dict[str, Any],
        job_id: str | None = None,
    ) -> Job:
        if self.waiting >= self.max_size:
            raise QueueFull()
        lane = self._lanes.get(endpoint.api_name)
        if lane is None:
            lane = self._lanes[endpoint.api_name] = _Lane(endpoint, self.executor)
        loop = self.loop or asyncio.get_running_loop()
        job = Job(endpoint, inputs, session, context, job_id or self.new_id(), loop)
        job.mirror = self.mirror
        # Gradio's estimation for the newcomer: its rank and ETA in its endpoint's lane
        # (only a session stream shows it: a /call job logs none, see ``Job``).
        if "channel" in context:
            rank = lane.waiting
            eta = _eta("rank_eta", self._rank_eta(lane)(rank))
            job.append(JobEvent("queued", eta, rank, rank + 1))
        self.cache.add(job)
        lane.enter(job)
        task = loop.create_task(self._run(job, lane))
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

    def cancel_as_gradio(self, event_id: str) -> None:
        """``/cancel`` under ``--faithful``: the job ends with a ``complete`` event carrying
        ``{}`` (the session stream's ``process_completed`` with ``output: {}``,
        ``success: true``), as Gradio ends a cancelled job."""
        task = self._tasks.get(event_id)
        if task is not None:
            self._cancelled.add(event_id)
            # (also forgotten here: a task cancelled before its first step runs no finally)
            task.add_done_callback(lambda _t: self._cancelled.discard(event_id))
            task.cancel()

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
            timeline = job.context.get("timeline")
            if timeline:  # a stub's answer: played, neither queued in the lane nor run
                job.append(await self._play(job, lane, timeline))
                return
            if self._prepare is not None:
                await self._prepare(job)
            if lane.own_pool:
                # Started when a thread of the lane picks the call up.
                pool = lane.executor
                assert isinstance(pool, LanePool)

                def started() -> None:  # in the lane's thread
                    pool.soon(self._start, job, lane)

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
            if job.id in self._cancelled and self._stop_message is None:
                job.append(JobEvent("complete", {}, duration=job.elapsed()))
            else:
                message = self._stop_message or "Cancelled."
                job.append(JobEvent("error", error_payload(message), duration=job.elapsed()))
        finally:
            self._cancelled.discard(job.id)
            lane.leave(job)  # (if it never started: it waits no more)
            lane.running.pop(job.id, None)
            # Not needed once run: a cached result should hold only its outputs (and no
            # list of its own: the shared empty one, never added to).
            job.inputs = _NO_INPUTS
            self._count_run(job, self.estimates)
            self.cache.finish(job)
            for listener in self.listeners:
                listener(job)
            if "fault" not in job.context:  # (a stub's fault of the stream: each GET reads it)
                # Read by nothing more: the result cache keeps no dict of it (see ``Job``).
                job.context = _ENDED_CONTEXT

    async def _play(self, job: Job, lane: _Lane, timeline: list[Any]) -> JobEvent:
        """A stub's timeline (``mock._stubs.TimelineEvent``s), each after its delay; the
        event that ends the job."""
        for event in timeline:
            if event.delay:
                await asyncio.sleep(event.delay)
            if event.type == "estimation":
                data = event.data
                rank_eta = {"rank_eta": data["rank_eta"]}
                job.append(JobEvent("queued", rank_eta, data["rank"], data["queue_size"]))
                continue
            self._start(job, lane)
            if event.type in ("complete", "error"):
                return JobEvent(event.type, event.data, duration=job.elapsed())
            job.append(JobEvent(event.type, event.data, duration=job.elapsed()))
        raise AssertionError("unreachable: a checked timeline ends with complete or error")

    @staticmethod
    def _count_run(job: Job, estimates: Estimates) -> None:
        """A job that succeeded counts towards its endpoint's ETA (a cancel's ``{}`` not)."""
        end = job.last
        if end is None or end.kind != "complete" or end.duration is None:
            return
        if end.data != b"{}" and job.context.get("timeline") is None:  # (a stub's: not run)
            estimates.ran(job.endpoint.api_name, end.duration)

    def _start(self, job: Job, lane: _Lane) -> None:
        if job.started_at is not None or job.done:
            return  # a thread's late news of a job that was cancelled meanwhile
        lane.leave(job)
        job.started_at = time.monotonic()
        lane.running[job.id] = job.started_at
        if "channel" in job.context:
            eta = _eta("eta", self.estimates.average(job.endpoint.api_name))
            job.append(JobEvent("started", eta))
        elif job.mirror is not None:
            job.mirror.started(job)
        # (A lane's own thread starts the next job as soon as the one before returns, which
        # may be before that one's task has counted its run: these estimates then leave
        # that run out.)
        self._estimate(lane)

    def _rank_eta(self, lane: _Lane) -> Callable[[int], float | None]:
        return self.estimates.rank_eta(lane.api_name, lane.running.values(), lane.limit)

    def _estimate(self, lane: _Lane) -> None:
        """The queue has moved: a new ``estimation`` for each job still waiting in ``lane``
        (rank and ETA), as Gradio sends when a job starts. Only jobs on a session stream
        get one: the ``/call`` stream shows none."""
        if not lane.watched:
            return
        eta = self._rank_eta(lane)
        size = len(lane.queue)
        for rank, waiting in enumerate(lane.queue.values()):
            if waiting.channel is not None:
                waiting.append(JobEvent("queued", _eta("rank_eta", eta(rank)), rank, size))

    async def _outcome(
        self, job: Job, lane: _Lane, on_start: Callable[[], None] | None
    ) -> JobEvent:
        """Run the function; the event that ends the job."""
        outputs: list[Any] | None = None
        try:
            async for outputs in self._execute(job, lane.executor, on_start):
                if job.endpoint.is_generator:
                    job.append(JobEvent("generating", outputs, duration=job.elapsed()))
            if job.session is not None:
                job.session.check()  # what it left there can be kept (a shared store's)
        except Error as error:
            # Its fields are the function's: made JSON here, whatever they are.
            duration = error.duration
            if not isinstance(duration, (int, float)) or not math.isfinite(duration):
                duration = None
            message = _text(error.message)
            if self.faithful is not None:
                message = self.faithful.error_message(message)
            payload = error_payload(message, duration, bool(error.visible), _text(error.title))
            return JobEvent("error", payload, duration=job.elapsed())
        except InputError as error:
            job.context["input_error"] = str(error)  # the journal calls the request unmatched
            if isinstance(error, MissingInputs):  # --faithful: Gradio says nothing
                return JobEvent("error", {"error": None}, duration=job.elapsed())
            return JobEvent("error", error_payload(str(error)), duration=job.elapsed())
        except OutputError as error:
            # The function's mistake, said plainly: which output, what was wrong.
            logger.error("%s (event %s)", error, job.id)
            self.errors.append(error)
            return JobEvent("error", error_payload(str(error)), duration=job.elapsed())
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                raise  # a cancel: _run ends the job with "Cancelled."
            # Whatever else the function raised, SystemExit and KeyboardInterrupt included
            # (they come wrapped in FunctionRaised), ends this job only.
            original = error.original if isinstance(error, FunctionRaised) else error
            logger.error(
                "/%s raised %s (event %s)",
                job.endpoint.api_name,
                type(original).__name__,
                job.id,
                exc_info=original,
            )
            self.errors.append(original)
            # Gradio's shapes: the message and nothing else with show_error, else nothing.
            message = _text(error)
            payload = {"error": message, "visible": True} if self.show_error else {"error": None}
            return JobEvent("error", payload, duration=job.elapsed())
        if outputs is None:  # a generator that yielded nothing
            outputs = [None] * len(job.endpoint.outputs)
        return JobEvent("complete", outputs, duration=job.elapsed())


def _eta(key: str, seconds: float | None) -> dict[str, float] | None:
    """An estimation's or a start's payload: none while there is no ETA (the streams send
    ``null``), which spares encoding it."""
    return None if seconds is None else {key: seconds}


def _text(value: object) -> str:
    """``str(value)``, even for an object whose ``__str__`` fails (it is the function's)."""
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except BaseException:
        return f"<{type(value).__name__} that cannot be shown>"


def error_payload(
    message: str | None, duration: float | None = 10, visible: bool = True, title: str = "Error"
) -> dict[str, Any]:
    return {"error": message, "duration": duration, "visible": visible, "title": title}


#: The ``error`` payload of an evicted job, as JSON, before and after its id: an eviction,
#: one a call once the cache is full, then costs no encoding.
_EVICTED: tuple[bytes, bytes] = tuple(  # type: ignore[assignment]
    encode_payload(
        error_payload(
            "The result of event \0 was evicted from the result cache before this stream had "
            "read it (the cache keeps at most --cache-size results and --cache-bytes bytes)."
        )
    ).split(b"\\u0000")
)
