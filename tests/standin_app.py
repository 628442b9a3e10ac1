"""A small real Gradio app for tests/test_record.py to record: run by the Python of a venv that
has gradio 6.31.0 (never this project's own), ``python standin_app.py PORT``.

- /greet: text in, text out;
- /count: a generator, ``n`` values 0.15 s apart, each the digits so far ("0", "01", ...),
  with a progress message before each and an info message at the end;
- /invert: an image in, its colours inverted out (a PNG);
- /fail: raises ``gr.Error``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import gradio as gr  # type: ignore[import-not-found]
from PIL import Image, ImageOps  # type: ignore[import-not-found]

STEP = 0.15


def greet(name: str) -> str:
    return f"Hello, {name}!"


def count(n: float, progress: gr.Progress = gr.Progress()) -> Iterator[str]:  # noqa: B008
    text = ""
    for i in range(int(n)):
        progress((i, int(n)), desc="counting")
        time.sleep(STEP)
        text += str(i)
        yield text
    gr.Info(f"counted to {int(n)}")


def invert(image: Image.Image) -> Image.Image:
    return ImageOps.invert(image.convert("RGB"))


def fail(text: str) -> str:
    raise gr.Error(f"custom failure: {text}")


with gr.Blocks(title="standin") as demo:
    name = gr.Textbox(label="Name")
    greeting = gr.Textbox(label="Greeting")
    gr.Button("greet").click(greet, name, greeting, api_name="greet")
    n = gr.Number(label="N", value=3)
    digits = gr.Textbox(label="Digits")
    gr.Button("count").click(count, n, digits, api_name="count")
    picture = gr.Image(type="pil", label="Picture")
    inverted = gr.Image(type="pil", format="png", label="Inverted")
    gr.Button("invert").click(invert, picture, inverted, api_name="invert")
    reason = gr.Textbox(label="Reason")
    outcome = gr.Textbox(label="Outcome")
    gr.Button("fail").click(fail, reason, outcome, api_name="fail")

if __name__ == "__main__":
    demo.queue().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), show_error=False)
