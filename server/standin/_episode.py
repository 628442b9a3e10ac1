"""One call as it is being recorded (an episode): its inputs, then each event the upstream
sent with its time, and at its end the files that went each way, fetched from the upstream
and kept in the cassette by content hash. Shared by ``gradio-mock record`` (the proxy) and
``--record-missing`` (a replay that asks the upstream what the cassette does not hold).
"""

from __future__ import annotations

import copy
import os
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._cassette import HASH_PREFIX, Cassette, Recording, file_hash, map_files

__all__ = ["Episode", "Upstream", "apply_diff", "error_payload", "local_file_hash"]


@dataclass
class Episode:
    api_name: str
    #: The inputs as the client sent them (the upstream's paths for files).
    data: list[Any]
    wire: str
    started: float = field(default_factory=time.monotonic)
    events: list[dict[str, Any]] = field(default_factory=list)
    #: The full values of the last ``process_generating`` (the next ones are diffs).
    values: list[Any] | None = None
    last_offset: float = 0.0
    #: Files already kept, by the path they were sent with (a replay's local uploads).
    known_files: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, data: Any) -> None:
        offset = time.monotonic() - self.started
        delay = max(0.0, offset - self.last_offset)
        self.last_offset = offset
        self.events.append(
            {"type": kind, "data": data, "delay": round(delay, 4), "offset": round(offset, 4)}
        )

    @property
    def done(self) -> bool:
        return bool(self.events) and self.events[-1]["type"] in ("complete", "error")

    def generating(self, output: Any) -> None:
        """A ``process_generating``'s ``output.data``: full values first, diffs after."""
        if not isinstance(output, list):
            return
        if self.values is None or len(output) != len(self.values):
            self.values = copy.deepcopy(output)
        else:
            self.values = [apply_diff(v, d) for v, d in zip(self.values, output)]
        self.add("generating", copy.deepcopy(self.values))


def apply_diff(value: Any, diff: Any) -> Any:
    """Gradio's stream diffs (``[["append", [], "x"], ["replace", ["a", 0], 1]]``) applied
    as its clients apply them."""
    if not isinstance(diff, list) or not all(
        isinstance(op, list) and len(op) == 3 and isinstance(op[1], list) for op in diff
    ):
        return diff  # not a diff: a full value
    result = copy.deepcopy(value)
    for action, path, item in diff:
        if not path:
            result = item if action == "replace" else result + item
            continue
        target = result
        for key in path[:-1]:
            target = target[key]
        last = path[-1]
        if action == "replace":
            target[last] = item
        elif action == "append":
            target[last] += item
        elif action == "add":
            if isinstance(target, list):
                target.insert(int(last), item)
            else:
                target[last] = item
        elif action == "delete":
            if isinstance(target, list):
                del target[int(last)]
            else:
                target.pop(last, None)
    return result


def error_payload(data: Any) -> dict[str, Any]:
    """An ``error`` event's data as the timeline takes it (Gradio 4 sends ``null``)."""
    if isinstance(data, dict) and "error" in data:
        return {k: data[k] for k in ("error", "title", "duration", "visible") if k in data}
    return {"error": data if isinstance(data, str) else None}


class Upstream:
    """The app being recorded: its address, where its API lives, and its files."""

    def __init__(self, url: str, client: httpx.AsyncClient, api_prefix: str = "") -> None:
        self.root = url.rstrip("/")
        self.client = client
        self.api_prefix = api_prefix

    def file_url(self, file_data: dict[str, Any]) -> str | None:
        url = file_data.get("url")
        if isinstance(url, str) and url.startswith(self.root + "/"):
            return url
        path = file_data.get("path")
        if not isinstance(path, str) or path.startswith(("http://", "https://", "data:")):
            return None
        return f"{self.root}{self.api_prefix}/file={urllib.parse.quote(path, safe='/')}"

    async def keep_files(self, cassette: Cassette, value: Any, known: dict[str, str]) -> Any:
        """``value`` with each FileData in it kept in the cassette: its ``path`` becomes
        ``sha256:<hex>`` and its ``url`` null. A file the upstream does not serve (a URL
        input, a path it refuses) is left as it was."""
        found: list[dict[str, Any]] = []
        map_files(value, found.append)
        hashes: dict[str, str] = {}
        for file_data in found:
            path = file_data.get("path")
            if not isinstance(path, str) or path in hashes:
                continue
            if path.startswith(HASH_PREFIX):
                hashes[path] = path[len(HASH_PREFIX) :]
                continue
            if path in known:
                hashes[path] = known[path]
                continue
            url = self.file_url(file_data)
            if url is None:
                continue
            try:
                response = await self.client.get(url)
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                hashes[path] = cassette.store_bytes(response.content)

        def marked(file_data: dict[str, Any]) -> Any:
            path = file_data.get("path")
            if not isinstance(path, str) or path not in hashes:
                return file_data
            return {**file_data, "path": HASH_PREFIX + hashes[path], "url": None}

        return map_files(value, marked)

    async def finish(self, cassette: Cassette, episode: Episode, state_inputs: list[bool]) -> None:
        """Keep the episode's files and append it to the cassette."""
        data = episode.data
        if len(data) == len(state_inputs) and any(state_inputs):
            data = [value for value, state in zip(data, state_inputs) if not state]
        data = await self.keep_files(cassette, data, episode.known_files)
        events = []
        for event in episode.events:
            if event["type"] in ("generating", "complete"):
                event = {**event, "data": await self.keep_files(cassette, event["data"], {})}
            events.append(event)
        cassette.add(Recording(episode.api_name, data, events, episode.wire, time.time()))


def local_file_hash(cassette: Cassette, path: str) -> str:
    """A local file (a replay's upload) kept in the cassette; its hash."""
    digest = file_hash(path)
    if not os.path.isfile(cassette.file_path(digest)):
        cassette.store_file(path)
    return digest
