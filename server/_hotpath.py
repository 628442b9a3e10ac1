"""The shortest path for the two routes every call takes: ``POST /call/<api>`` and
``GET /call/<api>/<event_id>``.

gradio-mock's own ASGI layers (the journal, path normalisation, route stubs, the token) are
built once around a ``Dispatcher``, and every request passes them. The dispatcher hands the two
``/call`` routes straight to their handlers; everything else goes on into FastAPI (its error,
telemetry, body-limit, exception and exit-stack middlewares, then the router). A profile of a
call showed those framework layers and the router's matching costing as much CPU as the
handlers themselves: the hot routes need none of them (they parse their bodies by hand and
answer their own errors), so they skip them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ._exceptions import StoreUnavailable
from ._types import ASGIApp, Receive, Scope, Send

__all__ = ["Dispatcher", "MockApp"]

logger = logging.getLogger("gradio_mock")

Handler = Callable[[Request], Awaitable[Response]]


class MockApp(FastAPI):
    """The FastAPI app, entered through gradio-mock's own layers (``entry``), which end in a
    ``Dispatcher``. Middleware added with ``add_middleware`` runs inside them, for the routes
    that go on into FastAPI."""

    entry: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self.entry is None:
            await super().__call__(scope, receive, send)
        else:
            await self.entry(scope, receive, send)


class Dispatcher:
    """The innermost of gradio-mock's layers: the hot routes, or FastAPI."""

    def __init__(self, app: MockApp, call: Handler, call_events: Handler) -> None:
        self.app = app
        self.call = call
        self.call_events = call_events

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        # The paths come normalised (no root path, no /gradio_api, no trailing slash).
        if not path.startswith("/call/"):
            return None
        parts = path.split("/")
        if method == "POST" and len(parts) == 3 and parts[2]:
            return self.call, {"api_name": parts[2]}
        if method == "GET" and len(parts) == 4 and parts[2] and parts[3]:
            return self.call_events, {"api_name": parts[2], "event_id": parts[3]}
        return None

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
