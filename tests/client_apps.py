"""Small apps for the ``gradio_client`` tests (tests/test_python_client.py).

Each factory builds a fresh ``App`` with fresh ``threading.Event``s, so a test owns the
signals it waits on: a function tells the test it started, the test tells it to finish, and
a generator's ``finally:`` tells the test it really stopped.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from server import App, Error, Textbox

#: How long a blocked function waits for its release before giving up (so that a failing
#: test never leaves a thread stuck behind it).
BLOCK_TIMEOUT = 10.0


def failing_app() -> App:
    """/fail raises ``Error`` (a visible message), /crash an unexpected exception."""
    app = App("Failures")

    @app.api("fail")
    def fail(text: str) -> str:
        raise Error(f"custom failure: {text}")

    @app.api("fail_titled")
    def fail_titled(text: str) -> str:
        raise Error("with a title", duration=None, title="Oops")

    @app.api("crash")
    def crash(text: str) -> str:
        raise ValueError("secret internals")

    return app


@dataclass
class Blocking:
    """An app whose /block function waits for ``release`` (one call at a time)."""

    app: App
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def blocking_app(max_queue_size: int = 1) -> Blocking:
    blocking = Blocking(App("Blocking", max_queue_size=max_queue_size))

    @blocking.app.api("block", concurrency_limit=1)
    def block(text: str) -> str:
        blocking.started.set()
        if not blocking.release.wait(BLOCK_TIMEOUT):
            raise TimeoutError("the test never released /block")
        return f"done {text}"

    return blocking


@dataclass
class Endless:
    """Generators that yield until stopped; ``*_stopped`` is set by their ``finally:``."""

    app: App
    async_stopped: threading.Event = field(default_factory=threading.Event)
    sync_stopped: threading.Event = field(default_factory=threading.Event)


def endless_app() -> Endless:
    endless = Endless(App("Endless"))

    @endless.app.api("forever", inputs=[Textbox()], outputs=[Textbox()])
    async def forever(text: str) -> AsyncIterator[str]:
        count = 0
        try:
            while True:
                count += 1
                yield f"{text} {count}"
                await asyncio.sleep(0.02)
        finally:
            endless.async_stopped.set()

    @endless.app.api("forever_sync", inputs=[Textbox()], outputs=[Textbox()])
    def forever_sync(text: str) -> Iterator[str]:
        count = 0
        try:
            while True:
                count += 1
                yield f"{text} {count}"
                time.sleep(0.02)  # the pace of the stream, not synchronisation
        finally:
            endless.sync_stopped.set()

    return endless
