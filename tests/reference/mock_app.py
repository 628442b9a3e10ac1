"""``reference_app.py``'s endpoints as far as gradio-mock expresses them, for
``capture.py --mock N`` (the demos for /predict, /hello, /stream, /image, /chat; no gr.State,
no progress or log messages: /chat keeps its history in the session, /progress is plain)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from demos import app as demos_app
from server import App, Chatbot, Dropdown, Error, File, Json, Number

app = App("reference")
app.include(demos_app)


@app.api("file", inputs=[File()], outputs=[File()])
def file_copy(path: str) -> str:
    return path


@app.api(
    "kinds",
    inputs=[Number(), Dropdown(["a", "b", "c"]), Json(), Chatbot()],
    outputs=[Number(), Dropdown(["a", "b", "c"]), Json(), Chatbot()],
)
def kinds(number: float, choice: str, data: Any, messages: list[Any]) -> tuple[Any, ...]:
    return number * 2, choice, {"got": data}, [*messages, {"role": "assistant", "content": "ok"}]


@app.api("progress")
def progress(text: str) -> str:
    return text.upper()


@app.api("count", inputs=[Number()])
def count(n: float) -> Iterator[str]:
    for i in range(int(n)):
        yield str(i)
        time.sleep(0.2)


@app.api("boom")
def boom(x: str) -> str:
    raise Error("custom failure")


@app.api("crash")
def crash(x: str) -> str:
    raise ValueError("secret internals")
