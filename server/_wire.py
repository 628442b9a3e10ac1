"""The hot ``/call`` routes answered by the HTTP protocol itself, without an ASGI cycle.

uvicorn gives every request a ``RequestResponseCycle`` (with its ``asyncio.Event``), a task to
run the ASGI app in, and a ``send`` that checks each header against two regular expressions
and writes the head and the body in two system calls. For the two routes every call takes
(``POST /call/<api>``, ``GET /call/<api>/<event_id>``), whose answers ``HotPath`` makes whole
(status, headers and body at once), that is most of what a request costs beyond the call.

``WireProtocol`` (uvicorn's protocol, with ``_limits.LimitedProtocol``'s limits) takes such a
request when nothing else is asked of it, collects its body and runs ``HotPath.answer`` at
once: a POST's, or a GET's for a job that has ended, finishes without waiting, and its
response goes out in one write with uvicorn's bytes (the default ``date`` and ``server``
headers, the same access log line). An answer that has to wait (a job still running, the
shared store) goes on in a task; a streaming answer (a job that outlasts the first wait) is
handed to a ``RequestResponseCycle`` made then, as uvicorn would have made it. Anything else
(another route, HTTP/1.0, ``Connection: close``, ``Expect: 100-continue``, a pipelined
request, a body over 64 KiB or without a length) goes through uvicorn's cycle as always.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import httptools
from starlette.responses import PlainTextResponse, Response
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from ._hotpath import HotPath, Route
from ._limits import LimitedProtocol
from ._types import Receive, Scope, Send
from .mock._journal import Row

__all__ = ["WireProtocol"]

logger = logging.getLogger("gradio_mock")

#: Bodies up to this size are collected here; a larger one goes through uvicorn's cycle,
#: whose flow control pauses reading until the app reads (uvicorn's own high-water mark).
MAX_WIRE_BODY = 65536


class _Wire:
    """A request the protocol answers itself: what uvicorn's parser callbacks and its
    ``connection_lost`` and ``shutdown`` touch of a cycle, and the request's route."""

    __slots__ = (
        "body",
        "disconnected",
        "hot",
        "keep_alive",
        "more_body",
        "response_complete",
        "response_started",
        "route",
        "scope",
    )

    def __init__(self, hot: HotPath, scope: Scope, route: Route) -> None:
        self.hot = hot
        self.scope = scope
        self.route = route
        self.body = bytearray()
        self.more_body = True
        self.response_started = False
        self.response_complete = False
        self.keep_alive = True
        self.disconnected = False

    @property
    def message_event(self) -> _Wire:
        return self  # (uvicorn sets it as each piece of the body comes: nothing waits here)

    def set(self) -> None:
        pass


class WireProtocol(LimitedProtocol):
    """uvicorn's HTTP protocol, answering the hot routes itself (see the module's docstring)."""

    def _hot(self) -> HotPath | None:
        entry = getattr(self.app, "entry", None)
        return entry if isinstance(entry, HotPath) else None

    def on_headers_complete(self) -> None:
        hot = self._hot() if b"/call/" in self.url else None
        parser = self.parser
        if (
            hot is None
            or self._refused
            or self.limit_concurrency is not None
            or self.expect_100_continue
            or (self.cycle is not None and not self.cycle.response_complete)
            or parser.get_http_version() != "1.1"
            or not parser.should_keep_alive()
            or parser.should_upgrade()
        ):
            super().on_headers_complete()
            return
        method = parser.get_method()
        parsed = httptools.parse_url(self.url)
        raw_path: bytes = parsed.path
        path = raw_path.decode("ascii")
        if (method != b"POST" and method != b"GET") or "%" in path:
            super().on_headers_complete()
            return
        scope = self.scope
        # (the two strings every request shares: an entry keeps no copy of its own)
        scope["method"] = "POST" if method == b"POST" else "GET"
        scope["path"] = self.root_path + path
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = parsed.query or b""
        route = hot.route(scope, MAX_WIRE_BODY)  # type: ignore[arg-type]
        if route is None:
            super().on_headers_complete()
            return
        self.cycle = _Wire(hot, scope, route)  # type: ignore[arg-type, assignment]

    def on_message_complete(self) -> None:
        wire: Any = self.cycle
        if type(wire) is not _Wire:
            super().on_message_complete()
            return
        self._disarm()
        wire.more_body = False
        hot = wire.hot
        scope = wire.scope
        scope["app"] = self.app
        journal = hot.journal  # (what hot.open_entry does, without its call)
        entry = None if journal is None else journal.open(scope, wire.route[3])
        body = bytes(wire.body) if wire.route[0] else None
        answer = hot.answer(scope, wire.route, None, body)
        if hot.shared:
            task = self.loop.create_task(self._finish(wire, entry, answer))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)
        else:
            self._step(wire, entry, answer)

    def _step(self, wire: _Wire, entry: Row | None, answer: Coroutine[Any, Any, Response]) -> None:
        """Run ``answer`` until it waits, and again each time what it waits for is done;
        reply when it returns. Most answers never wait, and none needs a task: in memory,
        an answer waits at most for a job's first frame (``_streams.FIRST_FRAME_WAIT``)."""
        try:
            waiting = answer.send(None)
        except StopIteration as done:
            self._reply(wire, entry, done.value)
            return
        except BaseException:  # (``answer`` turns exceptions into 500s: not these)
            logger.exception("%s %s failed", wire.scope["method"], wire.scope["path"])
            self._reply(wire, entry, PlainTextResponse("Internal Server Error", 500))
            return
        if waiting is None:  # a bare yield (``asyncio.sleep(0)``)
            self.loop.call_soon(self._step, wire, entry, answer)
            return
        waiting._asyncio_future_blocking = False
        waiting.add_done_callback(lambda _: self._step(wire, entry, answer))

    async def _finish(
        self, wire: _Wire, entry: Row | None, answer: Coroutine[Any, Any, Response]
    ) -> None:
        self._reply(wire, entry, await answer)

    def _reply(self, wire: _Wire, entry: Row | None, response: Response) -> None:
        hot = wire.hot
        if type(response).__call__ is not Response.__call__ or response.background is not None:
            hot.answered(entry, response)
            self._stream(wire, entry, response)
            return
        wire.response_started = True
        wire.response_complete = True
        if wire.disconnected or self.transport.is_closing():
            hot.answered(entry, response)
            return
        scope = wire.scope
        if self.access_log:
            self.access_logger.info(
                '%s - "%s %s HTTP/%s" %d',
                get_client_addr(scope),  # type: ignore[arg-type]
                scope["method"],
                get_path_with_query_string(scope),  # type: ignore[arg-type]
                scope["http_version"],
                response.status_code,
            )
        content = [STATUS_LINE[response.status_code]]
        for name, value in self.server_state.default_headers:
            content.extend((name, b": ", value, b"\r\n"))
        for name, value in response.raw_headers:
            content.extend((name, b": ", value, b"\r\n"))
        if not wire.keep_alive:  # the server is stopping (``shutdown``)
            content.append(b"connection: close\r\n")
        content.append(b"\r\n")
        content.append(bytes(response.body))
        self.transport.write(b"".join(content))
        hot.replied(entry, response)
        if not wire.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _stream(self, wire: _Wire, entry: Row | None, response: Response) -> None:
        """Send a streaming response through the cycle uvicorn would have made."""
        cycle = RequestResponseCycle(
            scope=wire.scope,  # type: ignore[arg-type]
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=wire.keep_alive,
            on_response=self.on_response_complete,
        )
        cycle.more_body = False
        cycle.disconnected = wire.disconnected
        if self.cycle is wire:  # type: ignore[comparison-overlap]  # (else a pipelined request came in meanwhile: it is newer)
            self.cycle = cycle
        hot = wire.hot

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await response(scope, receive, send)
            hot.sent(entry)

        self._start_asgi_task(cycle, app)  # type: ignore[arg-type]
