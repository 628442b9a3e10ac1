"""``{"detail": ...}`` answers sent straight over ASGI, for the layers that run before any
framework does (the token check, the body cap, the connection cap): the same JSON error shape
as every route's, without building a Starlette response for it."""

from __future__ import annotations

import json

from ._types import Send

__all__ = ["send_detail"]


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
