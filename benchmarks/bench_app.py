"""The app ``benchmarks/bench.py`` serves with gradio-mock (``python -m server bench_app.py``).

* ``/echo``: the trivial endpoint the throughput and latency figures are taken on;
  ``/aecho`` is the same as an ``async def`` (``--function async``).
* ``/blob``: a fresh 10,000-character string per call, to weigh what cached results cost.
* ``/hold`` and ``/release``: a job that blocks until the benchmark lets it go, so that
  streams can be held open idle for as long as the benchmark wants. Both are async: they
  run on the server's event loop, where an ``asyncio.Event`` may be set.
"""

from __future__ import annotations

import asyncio

from server import App

BLOB_SIZE = 10_000

app = App("gradio-mock benchmark")

_gates: dict[str, asyncio.Event] = {}


@app.api("echo")
def echo(text: str) -> str:
    return text


@app.api("aecho")
async def aecho(text: str) -> str:
    """``echo`` as a coroutine: run on the event loop, no thread-pool hop."""
    return text


@app.api("blob")
def blob(seed: str) -> str:
    """A new 10 KB string each call (never a shared object), starting with ``seed``."""
    return seed[:BLOB_SIZE].ljust(BLOB_SIZE, ".")


@app.api("hold", concurrency_limit=None)
async def hold(key: str) -> str:
    """Block until ``/release`` is called with the same ``key``."""
    await _gates.setdefault(key, asyncio.Event()).wait()
    return key


@app.api("release", concurrency_limit=None)
async def release(key: str) -> str:
    """Let every ``/hold`` call with ``key`` finish (now, or as soon as it starts)."""
    _gates.setdefault(key, asyncio.Event()).set()
    return key
