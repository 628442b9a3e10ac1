"""Small helpers the tests share: start a call, read an SSE stream into frames."""

from __future__ import annotations

import atexit
import json
from typing import Any

import httpx

#: One client for every test: building one (its TLS context) costs ~0.1 s here.
HTTP = httpx.Client(timeout=10)
atexit.register(HTTP.close)


def start_call(base: str, api: str, data: list[Any], **body: Any) -> str:
    response = HTTP.post(f"{base}/call/{api}", json={"data": data, **body})
    assert response.status_code == 200, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def read_frames(url: str, timeout: float = 10, **kwargs: Any) -> list[tuple[str, Any]]:
    """(event, parsed data) for each frame of the stream at ``url``, until it closes."""
    frames = []
    with HTTP.stream("GET", url, timeout=timeout, **kwargs) as response:
        assert response.status_code == 200, response.read()
        body = response.read().decode()
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        frames.append((fields.get("event", ""), json.loads(fields["data"])))
    return frames


def call(base: str, api: str, data: list[Any], **body: Any) -> list[tuple[str, Any]]:
    """POST then GET: the frames of one call."""
    event_id = start_call(base, api, data, **body)
    return read_frames(f"{base}/call/{api}/{event_id}")
