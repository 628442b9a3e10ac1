"""``--faithful``: the chosen Gradio version's own behaviour where gradio-mock is kinder.

The README's table "How gradio-mock differs from real Gradio" lists what gradio-mock does on
purpose unlike Gradio (a replay on a re-read, a 404 for an unknown endpoint, an error for too
many inputs, ...). A contract test needs the warts: with ``--faithful`` each of those places
asks the ``Faithful`` object on ``ServerState`` (``None`` by default, so the default path
pays one ``is None`` test at most) what the version does. Every answer here is taken from
the captures of real Gradio in ``tests/reference/gradio-<version>/``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response

from ._exceptions import InputError
from ._types import ASGIApp, Receive, Scope, Send

__all__ = ["BrokenStream", "Faithful", "FaithfulRoutes", "MissingInputs"]

#: The first path segments of Gradio's API routes (what moved under ``/gradio_api`` in 5.0;
#: ``/config`` and the page stayed at the root).
_API_ROUTES = frozenset({"call", "queue", "info", "upload", "heartbeat", "cancel", "reset"})
_PREFIX = "/gradio_api"


class MissingInputs(InputError):
    """Too few inputs under ``--faithful``: the job fails as Gradio's does, saying nothing
    (``{"error": null}``)."""


class Faithful:
    """What Gradio ``version`` (4, 5 or 6) does where gradio-mock's default is kinder."""

    def __init__(self, version: int) -> None:
        self.version = version

    @property
    def fills_state_inputs(self) -> bool:
        """A ``/call`` may leave out the state inputs from Gradio 6 on (before: too few)."""
        return self.version >= 6

    def too_many_inputs(self, data: list[object], expected: int) -> list[object]:
        """Gradio drops the extra values silently: the call runs with the first ``expected``."""
        return data[:expected]

    def missing_inputs(self, api_name: str, expected: int, got: int) -> MissingInputs:
        return MissingInputs(f"/{api_name} expects {expected} inputs; got {got}")

    @property
    def call_error_data(self) -> bytes | None:
        """What a ``/call`` stream's ``event: error`` carries: Gradio 4.44 and 5.50 send
        ``data: null`` for every error; 6.31 the payload (None: as logged)."""
        return b"null" if self.version < 6 else None

    def error_message(self, message: str) -> str:
        """A ``gr.Error``'s message on ``/queue/data``: Gradio 4.44 sends it as ``str`` of
        its exception, which is the message's ``repr`` (``'custom failure'``)."""
        return repr(message) if self.version < 5 else message

    def unknown_endpoint(self, what: str) -> Response:
        """An unknown ``api_name`` or ``fn_index``: an uncaught exception in Gradio, a 500
        (5.50 sends the traceback, of which only the last line is known to the captures)."""
        if self.version == 5:
            body = f"Traceback (most recent call last):\n  ...\n{what}\n"
        else:
            body = "Internal Server Error"
        return PlainTextResponse(body, status_code=500)

    def not_json(self, raw: bytes) -> list[dict[str, Any]] | None:
        """The 422 details of a ``/call`` body that is not JSON, if the version words them
        otherwise than gradio-mock (4.44's FastAPI, ``json_invalid``): the FastAPI of 5.x
        and 6.x refuses the body as a string that is not an object (None: no change)."""
        if self.version < 5:
            return None
        return [
            {
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": raw.decode("utf-8", "replace"),
            }
        ]

    @property
    def named_calls(self) -> bool:
        """``POST /call/v2/<api>`` exists from Gradio 6 on (before: 405, as the captures)."""
        return self.version >= 6

    @staticmethod
    def method_not_allowed() -> Response:
        return JSONResponse(
            {"detail": "Method Not Allowed"}, status_code=405, headers={"allow": "GET"}
        )


class BrokenStream(Response):
    """Gradio's answer to ``GET /call/<api>/<event_id>`` of an unknown event: the stream
    starts, a frame begins (Gradio 5's ``event: error`` / ``data: "404: Not Found"``), and the
    connection breaks (the captures: "connection broken" in every version). Returning
    without the final body message makes uvicorn close the connection (it logs that)."""

    def __init__(self) -> None:
        super().__init__(media_type="text/event-stream; charset=utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream; charset=utf-8")],
            }
        )
        body = b'event: error\ndata: "404: Not Found"'
        await send({"type": "http.response.body", "body": body, "more_body": True})


class FaithfulRoutes:
    """The route forms of the version: the API only at the root in 4.x, only under
    ``/gradio_api`` in 5 and 6 (``/config`` stays at the root in every version); the other
    form is a 404, as Gradio's. Added in front of ``PathNormalizer`` only under
    ``--faithful``."""

    def __init__(self, app: ASGIApp, version: int, root_path: str = "") -> None:
        self.app = app
        self.version = version
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.refused(scope["path"]):
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refused(self, path: str) -> bool:
        root = self.root_path
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root) :] or "/"
        prefixed = path == _PREFIX or path.startswith(_PREFIX + "/")
        if self.version < 5:
            return prefixed
        if prefixed:
            rest = path[len(_PREFIX) :].rstrip("/")
            return rest == "/config"
        first = path.lstrip("/").split("/", 1)[0]
        return first in _API_ROUTES or first.startswith("file=")
