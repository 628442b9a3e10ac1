"""/stream: a generator. Each yielded value is an ``event: generating``, the last one also the
``event: complete``: "Hello, world!" streams "H", "He", … "Hello, world!"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from server import App

app = App("Streaming text")

#: Pause between characters, so that the stream is visible with ``curl -N``.
DELAY = 0.01


@app.api("stream")
async def stream(text: str) -> AsyncIterator[str]:
    """Yield the text one more character at a time."""
    text = text or ""  # a client may send null for a Textbox, as Gradio passes it on
    for i in range(len(text)):
        await asyncio.sleep(DELAY)
        yield text[: i + 1]
