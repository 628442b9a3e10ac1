"""Token auth, as a private Hugging Face Space asks for it.

With a token set, every request must carry ``Authorization: Bearer <token>`` (or
``X-HF-Authorization: Bearer <token>``, which the official clients also send). The comparison
is ``hmac.compare_digest``: constant time, so the answer's timing says nothing about how much
of a guess was right. Without a token, everything is open, as a public Space. Requests
``is_public`` names (the page at ``/`` and its assets, which hold no data) need no token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from ._answers import send_detail
from ._types import ASGIApp, Receive, Scope, Send

__all__ = ["TokenAuth", "token_matches"]

_HEADERS = (b"authorization", b"x-hf-authorization")


def token_matches(expected: str, headers: list[tuple[bytes, bytes]]) -> bool | None:
    """True or False for the first credential sent, None if none was sent."""
    wanted = expected.encode()
    sent = None
    for name, value in headers:
        if name.lower() in _HEADERS:
            scheme, _, credential = value.strip().partition(b" ")
            if scheme.lower() == b"bearer":
                sent = credential.strip()
                if hmac.compare_digest(sent, wanted):
                    return True
    return None if sent is None else False


class TokenAuth:
    def __init__(
        self, app: ASGIApp, token: str, is_public: Callable[[str, str], bool] | None = None
    ) -> None:
        self.app = app
        self.token = token
        self.is_public = is_public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        verdict = token_matches(self.token, scope["headers"])
        if verdict or (self.is_public and self.is_public(scope["method"], scope["path"])):
            await self.app(scope, receive, send)
            return
        if verdict is None:
            detail = (
                "This server needs a token: send the header "
                "'Authorization: Bearer <token>' (or 'X-HF-Authorization')."
            )
        else:
            detail = "The token sent does not match this server's token."
        await send_detail(
            send, 401, detail, ((b"www-authenticate", b'Bearer realm="gradio-mock"'),)
        )
