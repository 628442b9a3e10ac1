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
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from cachetools import TTLCache
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from ._jobs import Job, JobEvent
from ._notify import Notifier, wait_for

__all__ = ["SessionChannels", "call_stream", "diff", "heartbeat_stream", "session_stream"]

SEP = "\n"


def _response(
    content: AsyncIterator[dict[str, Any]], heartbeat: float, ping: Callable[[], ServerSentEvent]
) -> EventSourceResponse:
    return EventSourceResponse(content, ping=heartbeat, sep=SEP, ping_message_factory=ping)


# -- the /call stream ------------------------------------------------------------------


_CALL_EVENTS = frozenset({"generating", "complete", "error"})
#: The headers sse-starlette puts on a stream, for the finished-job answer below.
_SSE_HEADERS = {"cache-control": "no-store", "connection": "keep-alive", "x-accel-buffering": "no"}


def _call_frame(event: JobEvent) -> dict[str, Any]:
    return {"event": event.kind, "data": json.dumps(event.payload)}


#: How long a ``/call`` GET may hold its headers back waiting for the job's first frame.
#: Most calls end within it and are answered in one write; a client that waits for the
#: headers of a longer job (to know its stream is open) waits no longer than this.
FIRST_FRAME_WAIT = 0.1


async def call_stream(job: Job, heartbeat: float) -> Response:
    """The ``/call`` stream of ``job``: its frames from the start, then live.

    A job that has ended, or ends within ``FIRST_FRAME_WAIT``, is answered in one write: the
    very bytes a stream sends, without the tasks a live stream needs (they are most of the
    cost of a call). Any other job gets a live sse-starlette stream.
    """
    await _first_frame(job, min(heartbeat, FIRST_FRAME_WAIT))
    if job.done:
        body = b"".join(
            ServerSentEvent(**_call_frame(e), sep=SEP).encode()
            for e in job.events
            if e.kind in _CALL_EVENTS
        )
        return Response(body, media_type="text/event-stream", headers=_SSE_HEADERS)

    async def frames() -> AsyncIterator[dict[str, Any]]:
        async for event in job.follow():
            if event.kind in _CALL_EVENTS:
                yield _call_frame(event)

    def ping() -> ServerSentEvent:
        return ServerSentEvent(event="heartbeat", data="null", sep=SEP)

    return _response(frames(), heartbeat, ping)


async def _first_frame(job: Job, timeout: float) -> bool:
    """Wait until ``job`` has a frame to send (or has ended); False after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not job.done and not any(e.kind in _CALL_EVENTS for e in job.events):
        remaining = deadline - loop.time()
        if remaining <= 0 or not await wait_for(job.changed(), remaining):
            return False
    return True


# -- the /queue/data stream ------------------------------------------------------------


class _Channel:
    __slots__ = ("jobs", "notifier")

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.notifier = Notifier()


class SessionChannels:
    """The jobs of each session not yet delivered to a ``/queue/data`` stream."""

    def __init__(self, ttl: float = 3600.0, max_sessions: int = 10_000) -> None:
        self._channels: TTLCache[str, _Channel] = TTLCache(maxsize=max_sessions, ttl=ttl)

    def add(self, session_hash: str, job: Job) -> None:
        channel = self._channels.get(session_hash) or _Channel()
        self._channels[session_hash] = channel  # (re)set: the expiry counts from the last job
        channel.jobs[job.id] = job
        job.watchers.append(channel.notifier)
        channel.notifier.notify()

    def get(self, session_hash: str) -> _Channel | None:
        channel = self._channels.get(session_hash)
        return channel if channel is not None and channel.jobs else None

    def clear(self) -> None:
        self._channels.clear()


def _message(msg: str, event_id: str | None, **fields: Any) -> dict[str, Any]:
    body = {"msg": msg, "event_id": event_id, **fields}
    return {"data": json.dumps(body, separators=(",", ":"))}


def _output(data: Any, generating: bool, duration: float | None) -> dict[str, Any]:
    return {
        "data": data,
        "is_generating": generating,
        "duration": duration,
        "average_duration": duration,
        "render_config": None,
        "changed_state_ids": [],
        "used_cache": None,
    }


def _session_message(job: Job, event: JobEvent, last: list[Any] | None) -> dict[str, Any] | None:
    if event.kind == "queued":
        return _message(
            "estimation", job.id, rank=event.rank, queue_size=event.queue_size, rank_eta=None
        )
    if event.kind == "started":
        return _message("process_starts", job.id, eta=None)
    if event.kind == "generating":
        data = event.payload if last is None else [diff(a, b) for a, b in zip(last, event.payload)]
        return _message(
            "process_generating",
            job.id,
            output=_output(data, True, event.duration),
            success=True,
            time_limit=None,
        )
    if event.kind == "complete":
        return _message(
            "process_completed",
            job.id,
            output=_output(event.payload, False, event.duration),
            success=True,
            title=None,
            used_cache=None,
            cache_duration=event.duration,
            avg_time=event.duration,
        )
    return _message(
        "process_completed",
        job.id,
        output=event.payload,
        success=False,
        title="Error",
        used_cache=None,
        cache_duration=None,
        avg_time=None,
    )


def session_stream(
    channels: SessionChannels,
    session_hash: str,
    heartbeat: float,
    cancel: Callable[[str], object],
) -> EventSourceResponse:
    """Every pending job of the session, until none is left. A client that hangs up before
    that cancels them with ``cancel`` (their results could no longer reach it), as Gradio
    does."""

    async def frames() -> AsyncIterator[dict[str, Any]]:
        cursors: dict[str, int] = {}
        last_outputs: dict[str, list[Any]] = {}
        closed = False
        try:
            while True:
                channel = channels.get(session_hash)
                if channel is None:
                    closed = True
                    yield _message("close_stream", None)
                    return
                waiter = channel.notifier.waiter()
                for job in list(channel.jobs.values()):
                    index = cursors.get(job.id, 0)
                    # Re-read the length at each step: events may come while a frame is sent.
                    while index < len(job.events):
                        event = job.events[index]
                        index = cursors[job.id] = index + 1
                        message = _session_message(job, event, last_outputs.get(job.id))
                        if event.kind == "generating":
                            last_outputs[job.id] = event.payload
                        if message is not None:
                            yield message
                    if job.done:
                        channel.jobs.pop(job.id, None)
                        cursors.pop(job.id, None)
                        last_outputs.pop(job.id, None)
                if channel.jobs:
                    await wait_for(waiter, None)
        finally:
            if not closed:
                channel = channels.get(session_hash)
                for event_id in list(channel.jobs) if channel is not None else []:
                    cancel(event_id)

    def ping() -> ServerSentEvent:
        return ServerSentEvent(data='{"msg":"heartbeat"}', sep=SEP)

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
