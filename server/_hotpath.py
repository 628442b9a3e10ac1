"""The shortest path for the two routes every call takes: ``POST /call/<api>`` and
``GET /call/<api>/<event_id>``.

gradio-mock's own ASGI layers (the journal, the body cap, path normalisation, route stubs,
the token) are built once around a ``Dispatcher``. The dispatcher hands the two ``/call``
routes straight to their handlers; everything else goes on into FastAPI (its error,
telemetry, body-limit, exception and exit-stack middlewares, then the router). A profile of a
call showed those framework layers and the router's matching costing as much CPU as the
handlers themselves: the hot routes need none of them (they parse their bodies by hand and
answer their own errors), so they skip them.

``HotPath``, in front of those layers, goes one step further for the hot routes: it does
what each layer would do for them in one place (the journal's entry and its status, the
body cap's check, the path's normalisation), without a coroutine and a wrapped ``send`` per
layer. It takes only requests for which that is all the layers would do: no route stub, no
token, no ``--faithful``, a body of a declared length within the cap. Any other request
goes through the layers, which answer it as always.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from ._exceptions import StoreUnavailable
from ._routing import split_path
from ._types import ASGIApp, Receive, Scope, Send
from .mock._journal import CALL, DURATION, STARTED, STATUS, Journal, Row
from .mock._stubs import Stubs

if TYPE_CHECKING:
    from ._server import ServerState

__all__ = ["Dispatcher", "HotPath", "MockApp", "Route"]

logger = logging.getLogger("gradio_mock")

Handler = Callable[[Request], Awaitable[Response]]
#: ``start_call``: the ``POST /call`` handler, given the body it is to read.
BodyHandler = Callable[[Request, bytes], Awaitable[Response]]
#: ``HotPath.route``: a POST (True) or a GET, its path parameters, its normalised path, the
#: route form it came in (``_routing.split_path``).
Route = tuple[bool, dict[str, str], str, str]


class MockApp(FastAPI):
    """The FastAPI app, entered through gradio-mock's own layers (``entry``), which end in a
    ``Dispatcher``. Middleware added with ``add_middleware`` runs inside them, for the routes
    that go on into FastAPI."""

    entry: ASGIApp | None = None
    #: The server's state, as ``state.mock`` holds it, for the routes to read without a
    #: lookup through Starlette's ``State`` (a Python ``__getattr__``) on every request.
    mock: ServerState | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self.entry is None:
            await super().__call__(scope, receive, send)
        else:
            await self.entry(scope, receive, send)


def hot_route(method: str, path: str) -> tuple[bool, dict[str, str]] | None:
    """``(True, params)`` for ``POST /call/<api>``, ``(False, params)`` for
    ``GET /call/<api>/<event_id>``, None for any other request (``path`` normalised)."""
    if not path.startswith("/call/"):
        return None
    parts = path.split("/")
    if method == "POST" and len(parts) == 3 and parts[2]:
        return True, {"api_name": parts[2]}
    if method == "GET" and len(parts) == 4 and parts[2] and parts[3]:
        return False, {"api_name": parts[2], "event_id": parts[3]}
    return None


async def read_body(receive: Receive) -> bytes:
    """The request's body, as ``Request.body()`` reads it (``ClientDisconnect`` if the
    client leaves first), without its async generator."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


class Dispatcher:
    """The innermost of gradio-mock's layers: the hot routes, or FastAPI."""

    def __init__(self, app: MockApp, call: Handler, call_events: Handler) -> None:
        self.app = app
        self.call = call
        self.call_events = call_events

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        # The paths come normalised (no root path, no /gradio_api, no trailing slash).
        found = hot_route(method, path)
        if found is None:
            return None
        return (self.call if found[0] else self.call_events), found[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.match(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await FastAPI.__call__(self.app, scope, receive, send)
            return
        handler, params = found
        scope["path_params"] = params
        try:
            response = await handler(Request(scope, receive))
        except StoreUnavailable as error:  # (as the FastAPI routes' handler answers it)
            body = json.dumps({"detail": str(error)}).encode()
            response = Response(body, status_code=503, media_type="application/json")
        except Exception:
            # What FastAPI's ServerErrorMiddleware would do for these routes.
            logger.exception("%s %s failed", scope["method"], scope["path"])
            response = PlainTextResponse("Internal Server Error", status_code=500)
        await response(scope, receive, send)


class HotPath:
    """The outermost layer: the hot routes' short path (see the module's docstring), or
    ``rest``, gradio-mock's layers."""

    def __init__(
        self,
        rest: ASGIApp,
        *,
        call: BodyHandler,
        call_events: Handler,
        journal: Journal | None,
        stubs: Stubs,
        root_path: str,
        max_body_size: int,
        shared: bool = False,
    ) -> None:
        self.rest = rest
        #: With a shared store, an answer may wait on it (for as long as it is away): see
        #: ``_wire.WireProtocol``, which then runs it in a task, one that can be cancelled.
        self.shared = shared
        self.call = call
        self.call_events = call_events
        self.journal = journal if journal is not None and journal.enabled else None
        self.stubs = stubs
        self.root_path = root_path.rstrip("/")
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.route(scope)
        if route is None:
            await self.rest(scope, receive, send)
            return
        entry = self.open_entry(scope, route)
        response = await self.answer(scope, route, receive, None)
        self.answered(entry, response)
        await response(scope, receive, send)
        self.sent(entry)

    def route(self, scope: Scope, max_body: int | None = None) -> Route | None:
        """Where the short path sends this request (``Route``), or None for the layers to
        answer it; also None for a body announced over ``max_body`` (if given, and under the
        cap)."""
        if scope["type"] != "http" or self.stubs.has_routes:
            return None
        local, form = split_path(scope["path"], self.root_path)
        found = hot_route(scope["method"], local)
        limit = self.max_body_size if max_body is None else min(max_body, self.max_body_size)
        if found is None or not _plain_body(scope["headers"], limit):
            return None
        return found[0], found[1], local, form

    def open_entry(self, scope: Scope, route: Route) -> Row | None:
        """The request's journal entry (what ``JournalRecorder`` does; the hot routes are
        never the admin API's)."""
        journal = self.journal
        return None if journal is None else journal.open(scope, route[3])

    async def answer(
        self, scope: Scope, route: Route, receive: Receive | None, body: bytes | None
    ) -> Response:
        """The hot route's response (what ``PathNormalizer`` and ``Dispatcher`` do). A POST's
        body is ``body`` if given, else read from ``receive``."""
        is_post, params, local, _ = route
        if local != scope["path"]:
            scope = {**scope, "path": local, "raw_path": None}
        scope["path_params"] = params
        request = Request(scope) if receive is None else Request(scope, receive)
        try:
            if not is_post:
                return await self.call_events(request)
            if body is None:
                assert receive is not None
                body = await read_body(receive)
            return await self.call(request, body)
        except StoreUnavailable as error:  # (as the FastAPI routes' handler answers it)
            detail = json.dumps({"detail": str(error)}).encode()
            return Response(detail, status_code=503, media_type="application/json")
        except Exception:
            logger.exception("%s %s failed", scope["method"], local)
            return PlainTextResponse("Internal Server Error", status_code=500)

    def answered(self, entry: Row | None, response: Response) -> None:
        """The response is about to be sent: its status goes in the journal."""
        if entry is not None:
            entry[STATUS] = response.status_code
            journal = self.journal
            assert journal is not None
            if journal.watched:
                journal.updated(entry)

    @staticmethod
    def sent(entry: Row | None) -> None:
        """The response has been sent."""
        if entry is not None and not entry[CALL]:  # a call's entry lasts until its job ends
            entry[DURATION] = time.monotonic() - entry[STARTED]

    def replied(self, entry: Row | None, response: Response) -> None:
        """A response made whole has been sent: ``answered`` and ``sent`` in one call (for
        ``_wire``, which writes such a response at once)."""
        if entry is not None:
            entry[STATUS] = response.status_code
            if not entry[CALL]:
                entry[DURATION] = time.monotonic() - entry[STARTED]
            journal = self.journal
            assert journal is not None
            if journal.watched:
                journal.updated(entry)


def _plain_body(headers: list[tuple[bytes, bytes]], limit: int) -> bool:
    """No body, or one of a declared length of at most ``limit`` (the cap: nothing for
    ``BodyLimit`` to do; a chunked body, or one announced over it, goes through it)."""
    for name, value in headers:
        if name == b"content-length":
            if not value.isdigit() or int(value) > limit:
                return False
        elif name == b"transfer-encoding":
            return False
    return True
