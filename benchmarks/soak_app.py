"""The app ``benchmarks/soak.py`` serves (``python -m server benchmarks/soak_app.py``).

* ``/echo``: returns its input (the soak sends 1 KB of it).
* ``/remember``: keeps the last few notes in the caller's session (one per session hash).
* ``/many``: an async generator of N small values (the soak asks for 20,000).
* ``/grow``: a generator whose values grow by ``step`` characters each (quadratic in total).
* ``/drip``: N values 5 ms apart, for clients that hang up mid-stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from server import App, Session

app = App("gradio-mock soak")


@app.api("echo", concurrency_limit=None)
async def echo(text: str) -> str:
    return text


@app.api("remember", concurrency_limit=None)
async def remember(note: str, session: Session) -> int:
    notes: list[str] = session.setdefault("notes", [])
    notes.append(note)
    del notes[:-5]
    return len(notes)


@app.api("many", concurrency_limit=None)
async def many(n: int) -> AsyncIterator[str]:
    for i in range(int(n)):
        if i % 1000 == 0:
            await asyncio.sleep(0)  # let the other clients in
        yield f"value {i}"


@app.api("grow", concurrency_limit=None)
def grow(n: int, step: int) -> Iterator[str]:
    for i in range(1, int(n) + 1):
        yield "g" * (i * int(step))


@app.api("drip", concurrency_limit=None)
async def drip(n: int) -> AsyncIterator[str]:
    for i in range(int(n)):
        yield f"drop {i}"
        await asyncio.sleep(0.005)
