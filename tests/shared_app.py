"""The app the multi-process tests of the shared store serve (``gradio-mock tests/shared_app.py``):
an echo, and a generator that yields once and then hangs until its process is killed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from server import App

app = App("shared-store test app")


@app.api("echo", concurrency_limit=None)
def echo(text: str) -> str:
    return text


@app.api("hang")
def hang(text: str) -> Iterator[str]:
    yield f"started {text}"
    threading.Event().wait(120)  # until the test kills this process
    yield "never"
