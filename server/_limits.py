"""Request limits enforced while reading: the body cap, and what a connection may hold.

``BodyLimit`` is an ASGI middleware in front of every route. A request whose
``Content-Length`` announces more than the cap is answered ``413`` before any of its body is
read; a body without one (chunked) is counted as it arrives and answered ``413`` the moment it
passes the cap. Either way the connection is then closed, so the rest is never read, and the
route sees a client that went away (``http.disconnect``).

``LimitedProtocol`` is uvicorn's HTTP protocol with deadlines for idle connections and for
requests that arrive too slowly, and a cap on open connections.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ._answers import send_detail
from ._types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "LimitedProtocol", "connection_limits", "default_max_body_size"]

logger = logging.getLogger("gradio_mock")

MIB = 1024 * 1024


def default_max_body_size(max_file_size: int) -> int:
    """16 MiB for the JSON itself, plus a ``data:`` URL (base64: 4/3) of the largest file."""
    return 16 * MIB + -(-max_file_size * 4 // 3)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def _refuse(self, send: Send) -> None:
        detail = (
            f"The request body is larger than the server's limit of {self.max_body_size} "
            "bytes (--max-body-size); send files larger than that with POST /upload, one "
            "request per file."
        )
        # Connection: close, the rest of the body is not read.
        await send_detail(send, 413, detail, ((b"connection", b"close"),))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body_size:
                    await self._refuse(send)
                    return
                break
        limit = self.max_body_size
        received = 0
        started = False
        refused = False
        gone = False

        async def limited_receive() -> Message:
            nonlocal received, refused, gone
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.disconnect" and not started:
                gone = True  # mid-request: the client left, or its request timed out
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and message["type"].startswith("http.response"):
                return  # the client has its 413: what the route says now goes nowhere
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not (refused or gone):
                raise
            # The route saw a client that went away mid-body: nothing to report.
            logger.debug("a route failed after its request body was refused", exc_info=True)


# -- connections -----------------------------------------------------------------------


def _raw_response(status: bytes, detail: str, extra: bytes = b"") -> bytes:
    body = json.dumps({"detail": detail}).encode()
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
        b"content-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n"
        + extra
        + b"\r\n"
    ) + body


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol with the limits it lacks (set on a subclass per server by
    ``connection_limits``):

    * a connection that sends nothing is closed after ``keep_alive_timeout`` (uvicorn
      times that wait only after a first response); the waits between requests, and the
      requests' deadlines below, are timed by a ``_Clock`` a server, not a timer each;
    * a request must arrive in full (headers and body) within ``request_timeout`` of its
      connection's opening or of its first byte (checked by the ``requests`` clock, within
      a quarter of it more); past it the client gets ``408`` (if no answer has started) and
      the connection is closed: slow headers and stalled bodies cost nothing for longer
      than that;
    * at most ``max_connections`` connections are served: one more gets ``503`` to its
      first request, and is closed.
    """

    request_timeout: float = 60.0
    max_connections: int | None = None
    #: The requests under way on this server's connections, and its connections waiting
    #: for another request after a response (set by ``connection_limits``).
    requests: _Clock = None  # type: ignore[assignment]
    idle: _Clock = None  # type: ignore[assignment]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._refused = (
            self.max_connections is not None and len(self.connections) > self.max_connections
        )
        self.idle.start(self)
        self._arm()

    def _arm(self) -> None:
        self.requests.start(self)

    def _disarm(self) -> None:
        self.requests.stop(self)

    def on_response_complete(self) -> None:
        """uvicorn's, but the wait for another request is timed by the server's ``idle``
        clock rather than by a timer of its own."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self.idle.start(self)

    def _unset_keepalive_if_required(self) -> None:
        self.idle.stop(self)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        if self._refused:
            self.app = _too_many_connections(self.max_connections)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.idle.stop(self)
        super().connection_lost(exc)

    def _timed_out(self) -> None:
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            detail = (
                f"The request did not arrive in full within {self.request_timeout:g} s "
                "(the server's --request-timeout)."
            )
            self.transport.write(_raw_response(b"408 Request Timeout", detail))
        if cycle is not None and not cycle.response_complete:
            # The route waiting for the rest of the body sees a client that went away.
            cycle.disconnected = True
            cycle.message_event.set()
        logger.info("Closed a connection whose request was not in after %gs", self.request_timeout)
        self.transport.close()


class _Clock:
    """One kind of wait of one server's connections (a request under way, a connection
    idle between requests), each ended by ``expire`` once it has lasted ``timeout``; one
    loop timer checks them all, ticking every quarter of the timeout (at most a second
    apart) while any wait is on: a wait ends between ``timeout`` and a quarter more.

    A timer for each wait (``call_later``, then ``cancel``) cost about 2 µs on uvloop, and
    every request has one of each; here a wait costs a clock read and a dict's set and pop."""

    def __init__(self, timeout: float, expire: Callable[[LimitedProtocol], None]) -> None:
        self.timeout = timeout
        self.tick = min(1.0, timeout / 4)
        self._expire = expire
        #: The connections waiting, and since when (their loop's time).
        self._since: dict[LimitedProtocol, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def start(self, protocol: LimitedProtocol) -> None:
        """``protocol``'s wait begins now (unless it is already on)."""
        if protocol not in self._since:
            loop = protocol.loop
            self._since[protocol] = loop.time()
            if self._timer is None:
                self._timer = loop.call_later(self.tick, self._check, loop)

    def stop(self, protocol: LimitedProtocol) -> None:
        self._since.pop(protocol, None)

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        over = [p for p, since in self._since.items() if now - since >= self.timeout]
        for protocol in over:
            del self._since[protocol]
            try:
                self._expire(protocol)
            except Exception:  # (one connection's trouble must not stop the clock)
                logger.exception("ending a connection's wait failed")
        if self._since:
            self._timer = loop.call_later(self.tick, self._check, loop)


def _too_many_connections(limit: int | None) -> ASGIApp:
    detail = (
        f"The server has {limit} open connections, its limit (--max-connections); "
        "try again in a moment."
    )

    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        await send_detail(send, 503, detail, ((b"retry-after", b"1"), (b"connection", b"close")))

    return refuse


def connection_limits(
    request_timeout: float,
    max_connections: int | None,
    base: type[LimitedProtocol] = LimitedProtocol,
    keep_alive_timeout: float = 5.0,
) -> type[LimitedProtocol]:
    """The protocol class uvicorn should use (``Config(http=...)``) for these limits:
    ``base`` (``LimitedProtocol`` or a subclass) with them set (``keep_alive_timeout``:
    uvicorn's ``timeout_keep_alive``, for the wait between requests)."""
    return type(
        "Protocol",
        (base,),
        {
            "request_timeout": request_timeout,
            "max_connections": max_connections,
            "requests": _Clock(request_timeout, base._timed_out),
            "idle": _Clock(keep_alive_timeout, base.timeout_keep_alive_handler),
        },
    )
