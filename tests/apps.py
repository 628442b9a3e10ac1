"""Apps the protocol tests serve.

``make_app()`` builds the endpoints of ``/work/shared/reference/reference_app.py`` (the app the
reference traffic was captured from: the demos plus /boom, /crash and /slow) and endpoints
whose progress a test controls with ``Gate``s, so that tests synchronise on events, never on
timing. Each call of ``make_app()`` gives fresh gates, so every test has its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from server import App, Error, Session

#: How long a gated function waits for its test before giving up (a test that forgot to
#: open a gate then fails with a TimeoutError instead of hanging).
WAIT = 30.0


class Gate:
    """A function calls ``pass_through()``: it counts as entered, then blocks until the test
    calls ``open()``. ``most_inside`` is the most callers that were ever inside at once."""

    def __init__(self) -> None:
        self._entered = threading.Semaphore(0)
        self._open = threading.Event()
        self._lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.entries = 0

    def pass_through(self) -> None:
        with self._lock:
            self.inside += 1
            self.entries += 1
            self.most_inside = max(self.most_inside, self.inside)
        self._entered.release()
        try:
            if not self._open.wait(WAIT):
                raise TimeoutError("the test never opened the gate")
        finally:
            with self._lock:
                self.inside -= 1

    def wait_entered(self, count: int = 1, timeout: float = WAIT) -> None:
        """Block until ``count`` more callers have reached the gate."""
        for _ in range(count):
            assert self._entered.acquire(timeout=timeout), "no function reached the gate"

    def open(self) -> None:
        self._open.set()


@dataclass
class Controls:
    slow: Gate = field(default_factory=Gate)
    pair: Gate = field(default_factory=Gate)
    steps: Gate = field(default_factory=Gate)
    async_steps: Gate = field(default_factory=Gate)

    def open_all(self) -> None:
        for gate in (self.slow, self.pair, self.steps, self.async_steps):
            gate.open()


def make_app(*, max_queue_size: int = 1000, with_demos: bool = True) -> tuple[App, Controls]:
    """The reference app's endpoints plus controllable ones, and their gates."""
    controls = Controls()
    app = App("reference", max_queue_size=max_queue_size)
    if with_demos:
        from demos import app as demos_app

        app.include(demos_app)

    @app.api("boom")
    def boom(x: str) -> str:
        raise Error("custom failure")

    @app.api("crash")
    def crash(x: str) -> str:
        raise ValueError("secret internals")

    @app.api("oops")
    def oops(x: str) -> str:
        raise Error("Careful", duration=None, visible=False, title="Oops")

    @app.api("slow")
    def slow(x: str) -> str:
        """Blocks (in a worker thread) until the test opens ``controls.slow``."""
        controls.slow.pass_through()
        return x

    @app.api("pair", concurrency_limit=2)
    def pair(x: str) -> str:
        controls.pair.pass_through()
        return x

    @app.api("steps")
    def steps(x: str) -> Iterator[str]:
        """Yields ``x``, then waits for ``controls.steps``, then yields ``x + x``."""
        yield x
        controls.steps.pass_through()
        yield x + x

    @app.api("async_steps", concurrency_limit=None)
    async def async_steps(x: str) -> AsyncIterator[str]:
        yield x
        await asyncio.to_thread(controls.async_steps.pass_through)
        yield x + x

    @app.api("echo", concurrency_limit=1)
    async def echo(x: str) -> str:
        return x

    @app.api("sync_fn")
    def sync_fn(x: str) -> str:
        return x.upper()

    @app.api("async_fn")
    async def async_fn(x: str) -> str:
        await asyncio.sleep(0)
        return x.lower()

    @app.api("sync_gen")
    def sync_gen(x: str) -> Iterator[str]:
        for i in range(1, 4):
            yield x * i

    @app.api("async_gen")
    async def async_gen(x: str) -> AsyncIterator[str]:
        for i in range(1, 4):
            await asyncio.sleep(0)
            yield x * i

    @app.api("counter")
    def counter(step: int, session: Session) -> int:
        session["total"] = session.get("total", 0) + step
        return int(session["total"])

    return app, controls
