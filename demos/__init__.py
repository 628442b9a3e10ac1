"""The bundled demos, one file per example of Gradio's "query apps with curl" guide.

Each file is runnable alone (``gradio-mock demos/hello.py``); ``app`` here serves them all
together, which is what ``gradio-mock`` without a TARGET does.
"""

from server import App

from . import chat, hello, image, stream, translate

app = App("gradio-mock demos")
for _demo in (translate, hello, stream, image, chat):
    app.include(_demo.app)

__all__ = ["app"]
