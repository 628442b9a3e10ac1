"""A broadcast signal for asyncio: every waiter wakes on ``notify()``.

``asyncio.Event`` stays set once set and would need clearing races; here each ``notify()``
resolves the current future and the next ``waiter()`` starts a new one. Take the waiter
*before* reading the state you wait on, and no notification can slip between the two.
"""

from __future__ import annotations

import asyncio

__all__ = ["Notifier"]


class Notifier:
    __slots__ = ("_future", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._future: asyncio.Future[None] | None = None
        #: The loop its waiters wait on, if known (else the running one, asked each time:
        #: on Python 3.11, asking costs a system call, ``getpid``, to notice a fork).
        self._loop = loop

    def waiter(self) -> asyncio.Future[None]:
        """The future the next ``notify()`` resolves. Await it through ``wait_for``: a task
        cancelled while awaiting a future directly cancels the future, for every waiter."""
        if self._future is None or self._future.done():
            loop = self._loop
            self._future = (loop or asyncio.get_running_loop()).create_future()
        return self._future

    def notify(self) -> None:
        future, self._future = self._future, None
        if future is not None and not future.done():
            future.set_result(None)


async def wait_for(future: asyncio.Future[None], timeout: float | None) -> bool:
    """Wait for ``future`` at most ``timeout`` seconds; True if it resolved.

    A waiter of its own, so a timeout does not cancel a future other waiters share (and it
    is lighter than ``asyncio.wait_for(asyncio.shield(...))`` on this hot path).
    """
    if future.done():
        return True
    loop = future.get_loop()  # (not get_running_loop(): a system call on Python 3.11)
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    future.add_done_callback(wake)
    timer = loop.call_later(timeout, wake) if timeout is not None else None
    try:
        await waiter
    finally:
        future.remove_done_callback(wake)
        if timer is not None:
            timer.cancel()
    return future.done()
