"""Request limits enforced while reading: the body cap.

``BodyLimit`` is an ASGI middleware in front of every route. A request whose
``Content-Length`` announces more than the cap is answered ``413`` before any of its body is
read; a body without one (chunked) is counted as it arrives and answered ``413`` the moment it
passes the cap. Either way the connection is then closed, so the rest is never read, and the
route sees a client that went away (``http.disconnect``).
"""

from __future__ import annotations

import json
import logging

from ._types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "default_max_body_size"]

logger = logging.getLogger("gradio_mock")

MIB = 1024 * 1024


def default_max_body_size(max_file_size: int) -> int:
    """16 MiB for the JSON itself, plus a ``data:`` URL (base64: 4/3) of the largest file."""
    return 16 * MIB + -(-max_file_size * 4 // 3)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    def _message(self) -> bytes:
        return json.dumps(
            {
                "detail": f"The request body is larger than the server's limit of "
                f"{self.max_body_size} bytes (--max-body-size); send files larger than that "
                "with POST /upload, one request per file."
            }
        ).encode()

    async def _refuse(self, send: Send) -> None:
        body = self._message()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),  # the rest of the body is not read
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

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

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
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
            if not refused:
                raise
            # The route saw a client that went away mid-body: nothing to report.
            logger.debug("a route failed after its request body was refused", exc_info=True)
