"""Small apps for the @gradio/client tests (tests/test_js_client.py).

``make_app()`` builds a fresh app per test, so the ``threading.Event`` that the endless
generator sets when it stops belongs to that test alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from server import App, Error

#: Pause between the endless generator's values (short, so a cancel is seen quickly).
TICK = 0.05


@dataclass
class JsTestApp:
    app: App
    #: Set by the endless generator's ``finally:``, i.e. when the server stopped it.
    stopped: threading.Event = field(default_factory=threading.Event)


def make_app() -> JsTestApp:
    """/fail raises ``Error("custom failure")``; /forever counts until it is cancelled."""
    app = App("js client tests")
    result = JsTestApp(app)

    @app.api("fail")
    def fail(text: str) -> str:
        raise Error("custom failure")

    @app.api("forever")
    async def forever(text: str) -> AsyncIterator[str]:
        count = 0
        try:
            while True:
                count += 1
                yield f"{text} {count}"
                await asyncio.sleep(TICK)
        finally:
            result.stopped.set()

    return result
