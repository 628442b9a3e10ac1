"""Faults of the stream, on purpose: what a client meets when a Space's stream goes wrong.

A stub's stream fault (``mock._stubs.Fault``) applies from the ``after``-th event of its job:

* ``drop``: the stream ends there, without the job's last event;
* ``stall``: nothing more is sent, not even heartbeats, and the stream never ends (until the
  client hangs up or the server stops);
* ``malformed``: a ``data:`` line that is not JSON, then the end;
* ``dribble``: every byte arrives, ``chunk`` bytes at a time, ``interval`` seconds apart.

The frames are sse-starlette's, as on every stream; only what a fault breaks is hand-made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response, StreamingResponse

from .._jobs import Job
from .._notify import Notifier, wait_for
from ._stubs import Fault

__all__ = ["MALFORMED", "fault_of", "faulty_call_stream", "stall_forever"]

#: What a ``malformed`` fault sends: the start of a JSON value, cut off.
MALFORMED = '{"msg": "process_completed", "output": {"data": ["'


def fault_of(job: Job) -> Fault | None:
    fault: Fault | None = job.context.get("fault")
    return fault


async def stall_forever(response: EventSourceResponse) -> None:
    """Send nothing more, heartbeats included, until the client hangs up (which cancels us).

    Heartbeats are sent under the response's send lock; holding it keeps them back. The lock
    is sse-starlette's own (``_send_lock``): the stall test notices if that ever changes."""
    async with response._send_lock:
        await wait_for(Notifier().waiter(), None)


def faulty_call_stream(
    job: Job,
    fault: Fault,
    heartbeat: float,
    frames: Callable[[Job], AsyncIterator[tuple[str, bytes]]],
    sep: str,
) -> Response:
    """The ``/call`` stream of ``job`` (``frames``: each of its frames, whole), broken by
    ``fault``."""
    if fault.kind == "dribble":

        async def dribble() -> AsyncIterator[bytes]:
            async for _kind, data in frames(job):
                for start in range(0, len(data), fault.chunk):
                    yield data[start : start + fault.chunk]
                    await asyncio.sleep(fault.interval)

        return StreamingResponse(dribble(), media_type="text/event-stream")

    response: EventSourceResponse

    async def broken() -> AsyncIterator[bytes]:
        sent = 0
        async for kind, data in frames(job):
            if sent >= fault.after:
                break
            sent += 1
            yield data
            if kind in ("complete", "error"):
                return  # the job ended before the fault's turn came
        if fault.kind == "malformed":
            yield f"event: complete{sep}data: {MALFORMED}{sep}{sep}".encode()
        elif fault.kind == "stall":
            await stall_forever(response)
        # drop: the stream just ends here

    def ping() -> ServerSentEvent:
        return ServerSentEvent(event="heartbeat", data="null", sep=sep)

    response = EventSourceResponse(broken(), ping=heartbeat, sep=sep, ping_message_factory=ping)
    return response
