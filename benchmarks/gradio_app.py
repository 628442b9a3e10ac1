"""The benchmark's echo endpoint on REAL Gradio, for comparison with gradio-mock.

Run by ``benchmarks/bench.py`` with a Python that has ``gradio`` installed (never a
dependency of this project)::

    python benchmarks/gradio_app.py PORT

Serves ``/echo`` on 127.0.0.1:PORT with the queue enabled, as a default Gradio app would:
``/gradio_api/call/echo`` on Gradio 5 and 6, ``/call/echo`` on 4.x.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home during a benchmark

import gradio as gr


def echo(text: str) -> str:
    return text


async def aecho(text: str) -> str:
    return text


def build() -> gr.Blocks:
    with gr.Blocks(analytics_enabled=False) as demo:
        text = gr.Textbox(label="text")
        result = gr.Textbox(label="result")
        button = gr.Button("echo")
        button.click(echo, inputs=text, outputs=result, api_name="echo")
        gr.Button("aecho").click(aecho, inputs=text, outputs=result, api_name="aecho")
    return demo


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 7861
    demo = build()
    demo.queue(default_concurrency_limit=1)
    demo.launch(server_name="127.0.0.1", server_port=port, show_error=False, quiet=False)


if __name__ == "__main__":
    main()
