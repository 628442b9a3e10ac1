"""``server/_notify.py``: the signals the streams wait on, and the waits of a ``/call`` GET for
its job's first frame, timed by one timer for them all (``Deadlines``)."""

from __future__ import annotations

import asyncio

from server._notify import Deadlines, Notifier, wait_for

#: How long a test waits for what should come at once (it fails then, never hangs).
TIMEOUT = 5.0


async def _waits(deadlines: Deadlines) -> tuple[list[bool], float]:
    """Three waits begun together: on a future never resolved, on one resolved at once,
    and on another never resolved; what each returned and how long they all took."""
    loop = asyncio.get_running_loop()
    never, soon, also_never = (loop.create_future() for _ in range(3))
    started = loop.time()
    loop.call_soon(soon.set_result, None)
    waits = [wait_for(f, deadlines) for f in (never, soon, also_never)]
    results = await asyncio.wait_for(asyncio.gather(*waits), TIMEOUT)
    return results, loop.time() - started


def test_each_wait_ends_when_its_future_resolves_or_its_time_is_up() -> None:
    deadlines = Deadlines(0.05)
    results, took = asyncio.run(_waits(deadlines))
    assert results == [False, True, False]
    assert took >= 0.05


def test_waits_are_timed_again_on_a_new_loop() -> None:
    # A server served again on another loop (a test client's second session): the timer
    # of the loop before never runs, and the waits begun now must not count on it.
    deadlines = Deadlines(0.05)

    async def leave_a_timer_behind() -> None:
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()
        loop.call_soon(waiting.set_result, None)
        assert await wait_for(waiting, deadlines)  # its time is still to come as the loop ends

    asyncio.run(leave_a_timer_behind())
    results, _ = asyncio.run(_waits(deadlines))
    assert results == [False, True, False]


def test_a_notifier_wakes_every_waiter_once() -> None:
    async def main() -> list[bool]:
        notifier = Notifier(asyncio.get_running_loop())
        first, second = notifier.waiter(), notifier.waiter()
        assert first is second  # one future for all who wait for the same notify
        notifier.notify()
        later = notifier.waiter()
        return [first.done(), second.done(), later.done()]

    assert asyncio.run(main()) == [True, True, False]
