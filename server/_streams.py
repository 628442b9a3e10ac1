"""The SSE streams: two wire formats over one job log.

* ``call_stream``: the ``/call`` API's stream for one job (``event: generating`` …,
  ``event: complete`` or ``event: error``, ``event: heartbeat`` while idle).
* ``session_stream``: the ``/queue/data`` stream of the official clients, carrying every job
  of one session (``estimation``, ``process_starts``, ``process_generating`` with diffs after
  the first value, ``process_completed``, ``heartbeat``, then ``close_stream``).

Both are sse-starlette ``EventSourceResponse``s with ``\\n`` line ends; heartbeats are its
``ping``, sent under the same lock as the data. A client that hangs up on a ``/call`` stream
ends that stream and nothing else: the job runs on, its result stays readable. One that hangs
up on its session stream cancels the session's pending jobs, as Gradio does.

A reader that does not read costs its socket and nothing more: every reader sends the bytes
the job's log holds (encoded once, when the event was logged), in pieces of at most
``CHUNK`` bytes, and a reader whose client is not reading waits for the socket to drain
before it takes the next piece. No reply larger than ``CHUNK`` is built in one piece.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from cachetools import TTLCache
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ._answers import Prepared
from ._cache import ResultCache
from ._jobs import Job, Logged
from ._notify import Deadlines, Notifier, wait_for
from .mock._faults import MALFORMED, fault_of, faulty_call_stream, stall_forever

__all__ = [
    "ChannelView",
    "LocalChannel",
    "SessionChannels",
    "call_stream",
    "diff",
    "heartbeat_stream",
    "session_stream",
    "silent_call_stream",
]

SEP = "\n"
#: The largest piece a stream sends at once: a larger frame goes out in pieces, each after
#: the client has taken the one before (so a stalled client holds up no more than this),
#: and a finished job is answered in one write only if its whole reply fits.
CHUNK = 64 * 1024
#: Session messages carrying a value larger than this are encoded in a worker thread.
_LARGE = 256 * 1024


Piece = bytes | memoryview


def _pieces(frame: bytes) -> list[Piece]:
    if len(frame) <= CHUNK:
        return [frame]
    view = memoryview(frame)
    return [view[i : i + CHUNK] for i in range(0, len(frame), CHUNK)]


class _Stream(EventSourceResponse):
    """An sse-starlette stream whose large frames go out in pieces, with no heartbeat
    between two pieces of one frame: every send takes ``_lock`` (only while it sends, never
    across the iterator's yields), and a heartbeat that finds a frame half sent is dropped
    (data is flowing: it is not needed)."""

    def __init__(self, *args: Any, ping_bytes: bytes, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mid_frame = False
        self._ping_bytes = ping_bytes
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def guarded(message: Message) -> None:
            async with self._lock:
                if self.mid_frame and message.get("body") == self._ping_bytes:
                    return
                await send(message)

        await super().__call__(scope, receive, guarded)

    async def pieces(self, unit: list[Piece]) -> AsyncIterator[Piece]:
        """The pieces of one frame, marked as one (for the iterator to yield)."""
        if len(unit) == 1:
            yield unit[0]
            return
        self.mid_frame = True
        for piece in unit:
            yield piece
        self.mid_frame = False


def _response(
    content: AsyncIterator[Any], heartbeat: float, ping: Callable[[], ServerSentEvent]
) -> _Stream:
    return _Stream(
        content,
        ping=heartbeat,
        sep=SEP,
        ping_message_factory=ping,
        ping_bytes=ping().encode(),
    )


# -- the /call stream ------------------------------------------------------------------


_CALL_EVENTS = frozenset({"generating", "complete", "error"})
#: The headers sse-starlette puts on a stream, for the finished-job answer below.
_SSE_HEADERS = {"cache-control": "no-store", "connection": "keep-alive", "x-accel-buffering": "no"}
_SSE_RAW = tuple((name.encode(), value.encode()) for name, value in _SSE_HEADERS.items())
_SSE_TYPE = b"text/event-stream; charset=utf-8"
_PREFIX = {kind: f"event: {kind}{SEP}data: ".encode() for kind in _CALL_EVENTS}
_END = (SEP + SEP).encode()


def _call_frames(events: list[Logged], error_data: bytes | None = None) -> list[list[Piece]]:
    """The ``/call`` frames of ``events``, as units to send whole: small frames joined into
    one piece, a large one as the log's own bytes in pieces (never copied whole).
    ``error_data``: what an ``error`` frame carries instead of its payload (``--faithful``)."""
    units: list[list[Piece]] = []
    small: list[bytes] = []
    size = 0
    for event in events:
        if event.kind not in _CALL_EVENTS:
            continue
        if error_data is not None and event.kind == "error":
            small += (_PREFIX["error"], error_data, _END)
            continue
        if len(event.data) <= CHUNK:
            small += (_PREFIX[event.kind], event.data, _END)
            size += len(event.data)
            if size >= CHUNK:
                units.append([b"".join(small)])
                small, size = [], 0
            continue
        if small:
            units.append([b"".join(small)])
            small, size = [], 0
        units.append([_PREFIX[event.kind], *_pieces(event.data), _END])
    if small:
        units.append([b"".join(small)])
    return units


async def _frame_bytes(job: Job) -> AsyncIterator[tuple[str, bytes]]:
    """Each ``/call`` frame of ``job`` whole, with its kind (for the faults of ``mock``)."""
    async for events in job.follow(batch=CHUNK):
        for event in events:
            if event.kind in _CALL_EVENTS:
                yield event.kind, _PREFIX[event.kind] + event.data + _END


#: How long a ``/call`` GET may hold its headers back waiting for the job's first frame.
#: Most calls end within it and are answered in one write; a client that waits for the
#: headers of a longer job (to know its stream is open) waits no longer than this.
FIRST_FRAME_WAIT = 0.1


async def call_stream(
    job: Job, heartbeat: float, first_frame: Deadlines, error_data: bytes | None = None
) -> Response:
    """The ``/call`` stream of ``job``: its frames from the start, then live.

    A job that has ended, or ends within ``first_frame``'s wait (``FIRST_FRAME_WAIT``, or
    the heartbeat if shorter), and whose reply is small, is answered in one write: the very
    bytes a stream sends, without the tasks a live stream needs (they are most of the cost
    of a call). Any other job gets a live sse-starlette stream, sending the log's bytes in
    pieces of at most ``CHUNK``.
    """
    fault = fault_of(job)
    if fault is not None:  # a stub's fault of the stream, on purpose
        return faulty_call_stream(job, fault, heartbeat, _frame_bytes, SEP)
    await _first_frame(job, first_frame)
    if job.done:
        if job.mirror is not None:
            await job.mirror.settle(job)
        events = job.since(0, CHUNK + 1)
        if events and events[-1].terminal:
            units = _call_frames(events, error_data)
            body = b"".join(bytes(p) for unit in units for p in unit)
            if len(body) <= CHUNK:
                job.mark_delivered()
                return Prepared(body, _SSE_TYPE, _SSE_RAW)

    async def frames() -> AsyncIterator[Piece]:
        async for events in job.follow(batch=CHUNK):
            if events[-1].terminal and job.mirror is not None:
                await job.mirror.settle(job)
            for unit in _call_frames(events, error_data):
                async for piece in response.pieces(unit):
                    yield piece
            if events[-1].terminal:
                job.mark_delivered()

    def ping() -> ServerSentEvent:
        return ServerSentEvent(event="heartbeat", data="null", sep=SEP)

    response = _response(frames(), heartbeat, ping)
    return response


async def _first_frame(job: Job, deadlines: Deadlines) -> bool:
    """Wait until ``job`` has a frame to send (or has ended); False after ``deadlines``'
    timeout."""
    deadline = None
    while not job.done and (job.last is None or job.last.kind not in _CALL_EVENTS):
        waiter = job.changed()
        loop = waiter.get_loop()  # (not get_running_loop(): a system call on Python 3.11)
        if deadline is None:  # the first wait, the only one but for a wake with no frame
            deadline = loop.time() + deadlines.timeout
            if not await wait_for(waiter, deadlines):
                return False
            continue
        remaining = deadline - loop.time()
        if remaining <= 0 or not await wait_for(waiter, remaining):
            return False
    return True


# -- the /queue/data stream ------------------------------------------------------------


class _Channel:
    __slots__ = ("event_ids", "notifier")

    def __init__(self) -> None:
        #: The session's jobs not yet delivered, by id only (an ordered set): the jobs
        #: themselves live in the result cache, within its bounds.
        self.event_ids: dict[str, None] = {}
        self.notifier = Notifier()


class SessionChannels:
    """The jobs of each session not yet delivered to a ``/queue/data`` stream, by event id.

    A channel holds no job: it names them, and the stream looks each up in the result cache.
    A job evicted from the cache before its session stream delivered it is reported on that
    stream as a failed ``process_completed`` saying so. The ids of such evicted jobs are
    remembered up to ``max_orphans`` in all (oldest forgotten first), so a session that joins
    jobs and never reads them holds no more than the cache does.
    """

    def __init__(
        self,
        cache: ResultCache,
        ttl: float = 3600.0,
        max_sessions: int = 10_000,
        max_orphans: int = 10_000,
    ) -> None:
        self.cache = cache
        self.max_orphans = max_orphans
        self._channels: TTLCache[str, _Channel] = TTLCache(maxsize=max_sessions, ttl=ttl)
        #: Evicted jobs still named by a channel: event id → session hash, oldest first.
        self._orphans: dict[str, str] = {}

    def add(self, session_hash: str, job: Job) -> None:
        channel = self._channels.get(session_hash) or _Channel()
        self._channels[session_hash] = channel  # (re)set: the expiry counts from the last job
        channel.event_ids[job.id] = None
        job.channel = session_hash
        job.watch(channel.notifier)
        channel.notifier.notify()

    def get(self, session_hash: str) -> _Channel | None:
        channel = self._channels.get(session_hash)
        return channel if channel is not None and channel.event_ids else None

    def evicted(self, job: Job) -> None:
        """The cache let ``job`` go (its ``on_evict``): its channel keeps its id, to say so."""
        if job.channel is None or job.channel not in self._channels:
            return
        self._orphans[job.id] = job.channel
        while len(self._orphans) > self.max_orphans:
            event_id = next(iter(self._orphans))
            session_hash = self._orphans.pop(event_id)
            channel = self._channels.get(session_hash)
            if channel is not None:
                channel.event_ids.pop(event_id, None)

    def delivered(self, event_id: str) -> None:
        self._orphans.pop(event_id, None)

    @property
    def pending(self) -> int:
        """Event ids held by every channel (for tests and the soak benchmark)."""
        return sum(len(c.event_ids) for c in self._channels.values())

    def clear(self) -> None:
        self._channels.clear()
        self._orphans.clear()


def _message(msg: str, event_id: str | None, **fields: Any) -> bytes:
    body = {"msg": msg, "event_id": event_id, **fields}
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + _END


# Each Gradio version's session messages carry their own fields (tests/reference/gradio-*/
# queue/): 4.44 the bare minimum, 5.x adds ``time_limit`` and ``title``, 6.x the cache fields.


def _output(data: Any, generating: bool, duration: float | None, version: int) -> dict[str, Any]:
    output = {
        "data": data,
        "is_generating": generating,
        "duration": duration,
        "average_duration": duration,
        "render_config": None,
        "changed_state_ids": [],
    }
    if version >= 6:
        output["used_cache"] = None
    return output


def _completed(
    event_id: str, output: Any, success: bool, duration: float | None, version: int
) -> bytes:
    fields: dict[str, Any] = {"output": output, "success": success}
    if version >= 5:
        fields["title"] = None if success else "Error"
    if version >= 6:
        fields.update(used_cache=None, cache_duration=duration, avg_time=duration)
    return _message("process_completed", event_id, **fields)


def _failed(event_id: str, payload: Any, version: int) -> bytes:
    return _completed(event_id, payload, False, None, version)


def _session_message(
    event_id: str, event: Logged, last: list[Any] | None, version: int
) -> tuple[bytes, list[Any] | None]:
    """The message for ``event`` and the outputs the client holds after it (for diffs)."""
    if event.kind == "queued":
        eta = event.payload.get("rank_eta") if event.data else None
        message = _message(
            "estimation", event_id, rank=event.rank, queue_size=event.queue_size, rank_eta=eta
        )
        return message, last
    if event.kind == "started":
        eta = event.payload.get("eta") if event.data else None
        return _message("process_starts", event_id, eta=eta), last
    if event.kind == "progress":
        return _message("progress", event_id, progress_data=event.payload), last
    if event.kind == "log":
        log = event.payload
        if version < 5:
            log = {k: v for k, v in log.items() if k != "title"}  # 4.44's LogMessage
        return _message("log", event_id, **log), last
    if event.kind == "generating":
        value = event.payload
        data = value if last is None else [diff(a, b) for a, b in zip(last, value)]
        fields: dict[str, Any] = {"success": True}
        if version >= 5:
            fields["time_limit"] = None
        output = _output(data, True, event.duration, version)
        return _message("process_generating", event_id, output=output, **fields), value
    if event.kind == "complete":
        if event.data == b"{}":  # --faithful's cancel (outputs are otherwise a list)
            return _completed(event_id, {}, True, None, version), last
        output = _output(event.payload, False, event.duration, version)
        return _completed(event_id, output, True, event.duration, version), last
    payload = event.payload
    if version < 5 and isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "title"}  # 4.44's error_payload
    return _failed(event_id, payload, version), last


def _evicted(event_id: str, cache: ResultCache, version: int) -> bytes:
    message = (
        f"The result of event {event_id} was evicted from the result cache before this "
        f"session's stream delivered it (at most {cache.maxsize} results and "
        f"{cache.max_bytes} bytes are kept: --cache-size, --cache-bytes)."
    )
    payload = {"error": message, "duration": 10, "visible": True, "title": "Error"}
    return _failed(event_id, payload, version)


class ChannelView(Protocol):
    """What a session stream reads: the session's pending jobs, wherever they are kept."""

    async def pending(self) -> list[str] | None:
        """The jobs not yet delivered, oldest first; None when the session has none left."""

    async def job(self, event_id: str) -> Job | None:
        """The job (None: evicted from the result cache)."""

    def done(self, event_id: str) -> None:
        """``event_id`` was delivered (or reported evicted): it is pending no more."""

    def waiter(self) -> asyncio.Future[None]:
        """Resolves when a pending job logs an event or a job joins the session."""

    def still_pending(self) -> list[str]:
        """The pending jobs as last seen (cancelled when the client hangs up)."""

    def close(self) -> None: ...


class LocalChannel:
    """The ``ChannelView`` of a session kept in this process (``SessionChannels``)."""

    def __init__(self, channels: SessionChannels, session_hash: str) -> None:
        self.channels = channels
        self.session_hash = session_hash

    async def pending(self) -> list[str] | None:
        channel = self.channels.get(self.session_hash)
        return None if channel is None else list(channel.event_ids)

    async def job(self, event_id: str) -> Job | None:
        return self.channels.cache.get(event_id)

    def done(self, event_id: str) -> None:
        channel = self.channels.get(self.session_hash)
        if channel is not None:
            channel.event_ids.pop(event_id, None)
        self.channels.delivered(event_id)

    def waiter(self) -> asyncio.Future[None]:
        channel = self.channels.get(self.session_hash)
        if channel is None:  # (the stream ends at its next look: nothing to wait for)
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        return channel.notifier.waiter()

    def still_pending(self) -> list[str]:
        channel = self.channels.get(self.session_hash)
        return list(channel.event_ids) if channel is not None else []

    def close(self) -> None:
        pass


def session_stream(
    view: ChannelView,
    cache: ResultCache,
    heartbeat: float,
    cancel: Callable[[str], object],
    version: int,
) -> EventSourceResponse:
    """Every pending job of the session, until none is left, in the messages of Gradio
    ``version``. A client that hangs up before that cancels them with ``cancel`` (their
    results could no longer reach it), as Gradio does. A job evicted from the result cache
    before it was delivered ends with a failed ``process_completed`` saying so."""

    async def frames() -> AsyncIterator[Piece]:
        cursors: dict[str, int] = {}
        last_outputs: dict[str, list[Any] | None] = {}
        sent: dict[str, int] = {}  # messages sent per job, for a stub's fault
        closed = False
        try:
            while True:
                waiter = view.waiter()
                event_ids = await view.pending()
                if not event_ids:
                    closed = True
                    yield _message("close_stream", None)
                    return
                for event_id in event_ids:
                    job = await view.job(event_id)
                    if job is None:
                        view.done(event_id)
                        cursors.pop(event_id, None)
                        last_outputs.pop(event_id, None)
                        yield _evicted(event_id, cache, version)
                        continue
                    # Read again after each message: events may come while one is sent.
                    ended = False
                    while events := job.since(cursors.get(event_id, 0), CHUNK):
                        for event in events:
                            cursors[event_id] = max(cursors.get(event_id, 0), event.seq + 1)
                            last = last_outputs.get(event_id)
                            if len(event.data) > _LARGE:  # not encoded on the event loop
                                message, last = await asyncio.to_thread(
                                    _session_message, event_id, event, last, version
                                )
                            else:
                                message, last = _session_message(event_id, event, last, version)
                            last_outputs[event_id] = last
                            fault = fault_of(job)
                            if fault is not None and sent.get(event_id, 0) >= fault.after:
                                if fault.kind == "stall":
                                    await stall_forever(response)
                                elif fault.kind == "malformed":
                                    yield b"data: " + MALFORMED.encode() + _END
                                if fault.kind != "dribble":  # (dribble: /call streams only)
                                    closed = True  # the server broke it: not a hang-up
                                    return
                            sent[event_id] = sent.get(event_id, 0) + 1
                            if event.terminal and job.mirror is not None:
                                await job.mirror.settle(job)
                            async for piece in response.pieces(_pieces(message)):
                                yield piece
                            if event.terminal:
                                ended = True
                                job.mark_delivered()
                    if ended:
                        view.done(event_id)
                        cursors.pop(event_id, None)
                        last_outputs.pop(event_id, None)
                if view.still_pending():
                    await wait_for(waiter, None)
        finally:
            if not closed:
                for event_id in view.still_pending():
                    cancel(event_id)
            view.close()

    def ping() -> ServerSentEvent:
        return ServerSentEvent(data='{"msg":"heartbeat"}', sep=SEP)

    response = _response(frames(), heartbeat, ping)
    return response


def silent_call_stream(heartbeat: float, stopping: asyncio.Event) -> EventSourceResponse:
    """A ``/call`` stream that sends heartbeats only and never ends (until the server
    stops): what Gradio answers a second read of a finished event (``--faithful``)."""

    async def frames() -> AsyncIterator[dict[str, Any]]:
        await stopping.wait()
        return
        yield {}  # (an async generator that yields nothing)

    def ping() -> ServerSentEvent:
        return ServerSentEvent(event="heartbeat", data="null", sep=SEP)

    return _response(frames(), heartbeat, ping)


def heartbeat_stream(heartbeat: float, stopping: asyncio.Event) -> EventSourceResponse:
    """``/heartbeat/{session_hash}``: ``data: ALIVE`` now and every interval until closed,
    or until the server stops (``stopping``)."""

    async def frames() -> AsyncIterator[dict[str, Any]]:
        yield {"data": "ALIVE"}
        await stopping.wait()  # nothing more to say: pings keep it alive

    def ping() -> ServerSentEvent:
        return ServerSentEvent(data="ALIVE", sep=SEP)

    return _response(frames(), heartbeat, ping)


def diff(old: Any, new: Any) -> list[list[Any]]:
    """Gradio's edit list turning ``old`` into ``new`` (``append`` for grown strings)."""
    edits: list[list[Any]] = []

    def compare(a: Any, b: Any, path: list[Any]) -> None:
        # Whole lists and dicts are compared element by element: Python calls [1] and [1.0]
        # equal, JSON (and so the client) does not.
        if type(a) is type(b) and not isinstance(a, (list, dict)) and a == b:
            return
        if type(a) is not type(b):
            edits.append(["replace", path, b])
        elif isinstance(a, str) and b.startswith(a):
            edits.append(["append", path, b[len(a) :]])
        elif isinstance(a, list):
            common = min(len(a), len(b))
            for i in range(common):
                compare(a[i], b[i], [*path, i])
            for i in range(len(a) - 1, common - 1, -1):
                edits.append(["delete", [*path, i], None])
            for i in range(common, len(b)):
                edits.append(["add", [*path, i], b[i]])
        elif isinstance(a, dict):
            for key in a:
                if key in b:
                    compare(a[key], b[key], [*path, key])
                else:
                    edits.append(["delete", [*path, key], None])
            for key in b:
                if key not in a:
                    edits.append(["add", [*path, key], b[key]])
        else:
            edits.append(["replace", path, b])

    compare(old, new, [])
    return edits
