"""The request journal in the shared store: ``GET /__mock/requests`` on any process lists
what every process received.

Each process journals its own requests as always (``mock.Journal``) and copies each entry to
a Redis stream (``journal``, at most ``--journal-size`` entries, oldest out first) once it is
settled: when its response has started and, for a call, its job has ended, so each entry is
written once, whole. An entry's ``id`` in the store is its stream id as one increasing number
(``since`` and the live stream's order work across processes); a cleared journal leaves a
``reset`` mark for the live readers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from ..mock._journal import Entry

if TYPE_CHECKING:
    from ._redis import RedisStore

__all__ = ["SharedJournal"]


#: ``json.dumps(..., default=repr)`` without making an encoder per call.
_encode = json.JSONEncoder(default=repr).encode


def _number(stream_id: bytes | str) -> int:
    """A stream id (``<ms>-<seq>``) as one number that keeps its order."""
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    ms, _, seq = text.partition("-")
    return int(ms) * 1000 + int(seq or 0)


def _stream_id(number: int) -> str:
    return f"{number // 1000}-{number % 1000}"


class SharedJournal:
    def __init__(self, store: RedisStore, size: int) -> None:
        self.store = store
        self.size = size
        self.key = store.key("journal")

    def record(self, entry: Entry) -> None:
        """A ``Journal`` listener: copy ``entry`` to the store once it is settled."""
        if entry.status is None or (entry.call and entry.outcome is None):
            return
        # (packed: written for every request, read only when someone asks)
        data = _encode(entry.packed())
        command = ("XADD", self.key, "MAXLEN", "~", self.size, "*", "e", data)
        self.store.writer.put(command)

    async def _read(self, *command: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
        client = self.store.blocking if command[0] == "XREAD" else self.store.redis
        try:
            found: list[tuple[bytes, dict[bytes, bytes]]] = await client.execute_command(*command)
        except (RedisError, OSError) as error:
            raise self.store.unavailable(error) from None
        return found

    async def entries(
        self,
        *,
        api_name: str | None = None,
        unmatched: bool | None = None,
        since: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The settled entries of every process, oldest first, as ``Journal.entries``."""
        await self.store.writer.flush()  # (what this process received so far, included)
        start = "(" + _stream_id(since) if since else "-"
        wanted = None if api_name is None else "/" + api_name.strip("/")
        found = []
        for stream_id, fields in await self._read("XRANGE", self.key, start, "+"):
            if b"e" not in fields:
                continue  # (a reset mark)
            entry = Entry.unpack(json.loads(fields[b"e"]))
            entry["id"] = _number(stream_id)
            if wanted is not None and entry.get("api_name") != wanted:
                continue
            if unmatched is not None and (entry.get("unmatched") is not None) != unmatched:
                continue
            found.append(entry)
        return found[-limit:] if limit else found

    async def clear(self) -> None:
        try:
            await (
                self.store.redis.pipeline(transaction=True)
                .delete(self.key)
                .xadd(self.key, {"reset": 1})
                .execute()
            )
        except (RedisError, OSError) as error:
            raise self.store.unavailable(error) from None

    async def follow(self, backlog: int) -> AsyncIterator[dict[str, Any] | None]:
        """The last ``backlog`` entries (0: all), then each new one as it is written
        (None: the journal was cleared)."""
        last = "$"
        count = ("COUNT", backlog) if backlog else ()
        newest = await self._read("XREVRANGE", self.key, "+", "-", *count)
        if newest:
            last = newest[0][0].decode()
        for stream_id, fields in reversed(newest):
            if b"e" in fields:
                yield {**Entry.unpack(json.loads(fields[b"e"])), "id": _number(stream_id)}
        while True:
            found: Any = await self._read(
                "XREAD", "BLOCK", self.store.lease_ms, "COUNT", 100, "STREAMS", self.key, last
            )
            for _key, entries in found or []:
                for stream_id, fields in entries:
                    last = stream_id.decode()
                    if b"e" in fields:
                        yield {**Entry.unpack(json.loads(fields[b"e"])), "id": _number(stream_id)}
                    else:
                        yield None
