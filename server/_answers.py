"""``{"detail": ...}`` answers sent straight over ASGI, for the layers that run before any
framework does (the token check, the body cap, the connection cap): the same JSON error shape
as every route's, without building a Starlette response for it. And ``Prepared``, the hot
routes' answers: Starlette responses whose headers come ready."""

from __future__ import annotations

import json

from starlette.responses import Response

from ._types import Send

__all__ = ["Prepared", "send_detail"]


class Prepared(Response):
    """``Response(body, media_type=...)`` with the same headers, in the same order
    (``extra`` first, then ``content-length`` and ``content-type``), given ready as bytes:
    Starlette works them out from strings for each response."""

    def __init__(
        self,
        body: bytes,
        content_type: bytes,
        extra: tuple[tuple[bytes, bytes], ...] = (),
        status_code: int = 200,
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [
            *extra,
            (b"content-length", b"%d" % len(body)),
            (b"content-type", content_type),
        ]


async def send_detail(
    send: Send, status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Answer ``status`` with ``{"detail": detail}`` and the extra ``headers``."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
