"""``reference_app.py``'s endpoints as far as gradio-mock expresses them, for
``capture.py --mock N`` (the demos for /predict, /hello, /stream, /image; /chat with a
``State`` and /progress with ``Progress``, ``info`` and ``warning``, as the reference app)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from demos import hello, image, stream, translate
from server import (
    App,
    Chatbot,
    Dropdown,
    Error,
    File,
    Json,
    Number,
    Progress,
    State,
    Textbox,
    info,
    warning,
)

app = App("reference")
for demo in (translate, hello, stream, image):
    app.include(demo.app)

history = State([])


@app.api("chat", inputs=[Textbox(), history], outputs=[Textbox(), history])
def chat(message: str, earlier: list[str]) -> tuple[str, list[str]]:
    earlier = [*earlier, message]
    return f"You said: {message} ({len(earlier) - 1} earlier messages)", earlier


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
def progress(text: str, progress: Progress) -> str:
    # The reference app's pauses, so that each message goes out on its own.
    progress(0, desc="start")
    time.sleep(0.3)
    info("an info message")
    time.sleep(0.3)
    progress(0.5, desc="half")
    time.sleep(0.3)
    warning("a warning message")
    time.sleep(0.3)
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
