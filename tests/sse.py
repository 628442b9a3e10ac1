"""Small helpers the tests share: start a call, read an SSE stream into frames.

Every stream a test reads is bounded by the test's own deadline (``STREAM_DEADLINE``), not by
the client's read timeout: heartbeats keep a stream that never ends busy forever, so a read
timeout alone would let a test whose stream never closes hang.
"""

from __future__ import annotations

import atexit
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

#: One client for every test: building one (its TLS context) costs ~0.1 s here.
HTTP = httpx.Client(timeout=10)
atexit.register(HTTP.close)

#: The longest any stream in the tests may stay open (gates give up after 30 s).
STREAM_DEADLINE = 40.0


class StreamDeadline(AssertionError):
    """A stream was still open at the reader's deadline."""


def bounded_lines(response: httpx.Response, deadline: float = STREAM_DEADLINE) -> Iterator[str]:
    """The lines of a streamed response, failing once ``deadline`` seconds have gone by.

    Checked after every line, heartbeats included; a silent stream is cut by the client's
    read timeout, which ``stream_timeout`` sets to the same deadline."""
    end = time.monotonic() + deadline
    for line in response.iter_lines():
        yield line
        if time.monotonic() > end:
            raise StreamDeadline(f"the stream at {response.url} was still open after {deadline} s")


def read_body(response: httpx.Response, deadline: float = STREAM_DEADLINE) -> str:
    """The whole body of a streamed response, within ``deadline`` seconds."""
    return "".join(line + "\n" for line in bounded_lines(response, deadline))


def get_stream(
    client: httpx.Client, url: str, deadline: float = STREAM_DEADLINE
) -> tuple[int, str]:
    """GET ``url`` with ``client``: (status, whole body), within ``deadline`` seconds."""
    with client.stream("GET", url, timeout=stream_timeout(deadline)) as response:
        return response.status_code, read_body(response, deadline)


def stream_timeout(deadline: float = STREAM_DEADLINE) -> httpx.Timeout:
    """A client timeout no longer than the reader's own deadline."""
    return httpx.Timeout(deadline, connect=10)


def iter_frames(response: httpx.Response, deadline: float = STREAM_DEADLINE) -> Iterator[Any]:
    """(event, parsed data) for each frame as it arrives, within ``deadline`` seconds."""
    fields: dict[str, str] = {}
    for line in bounded_lines(response, deadline):
        if line:
            name, _, value = line.partition(": ")
            fields[name] = value
        elif fields:
            yield fields.get("event", ""), json.loads(fields["data"])
            fields = {}
    assert not fields, f"the stream ended inside a frame: {fields}"


def parse_frames(body: str) -> list[tuple[str, Any]]:
    frames = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        frames.append((fields.get("event", ""), json.loads(fields["data"])))
    return frames


def start_call(base: str, api: str, data: list[Any], **body: Any) -> str:
    response = HTTP.post(f"{base}/call/{api}", json={"data": data, **body})
    assert response.status_code == 200, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def read_frames(url: str, timeout: float = 10, **kwargs: Any) -> list[tuple[str, Any]]:
    """(event, parsed data) for each frame of the stream at ``url``, until it closes (at
    most ``timeout`` seconds)."""
    with HTTP.stream("GET", url, timeout=stream_timeout(timeout), **kwargs) as response:
        assert response.status_code == 200, response.read()
        return list(iter_frames(response, timeout))


def call(base: str, api: str, data: list[Any], **body: Any) -> list[tuple[str, Any]]:
    """POST then GET: the frames of one call."""
    event_id = start_call(base, api, data, **body)
    return read_frames(f"{base}/call/{api}/{event_id}")
