"""Stubs in the shared store: every process of a deployment answers alike.

The definitions live in Redis (``stubs``: id → the stub as posted; ``stubhits``: id → calls
it answered; ``stubver``: bumped at each change). Each process keeps a parsed copy
(``mock.Stubs``) and reads it anew when told (a ``stubs`` message on the broadcast channel)
or when a call's admission shows a newer version, so a stub added through one process is
in force on the next call to any other. A stub with ``times`` is claimed in Redis (a script
that counts only while hits < times), so "the first call hits the quota, the second
succeeds" holds however the calls are spread.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from .._app import App, Endpoint
from ..mock._stubs import Stub, Stubs, parse_stub

if TYPE_CHECKING:
    from ._redis import RedisStore

__all__ = ["SharedStubs"]

#: KEYS: hits; ARGV: stub id, times. The new hit count, or -1 if it was used up already.
CLAIM = """
local hits = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if hits >= tonumber(ARGV[2]) then return -1 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
"""


def _number(stub_id: str) -> int:
    return int(stub_id.rpartition("-")[2] or 0)


class SharedStubs:
    def __init__(self, store: RedisStore, app: App, stubs: Stubs) -> None:
        self.store = store
        self.app = app
        #: This process's parsed copy (what the routes and ``RouteStubs`` read).
        self.stubs = stubs
        self.version = -1

    # -- changes ---------------------------------------------------------------------------
    async def add(self, definitions: list[Any]) -> list[Stub]:
        """Check every definition (``StubError`` names the first that is wrong), then add
        them all; other processes are told."""
        for definition in definitions:
            parse_stub(self.app, definition, "stub-0")
        redis = self.store.redis
        try:
            last = await redis.incrby(self.store.key("stubid"), len(definitions))
            ids = [f"stub-{n}" for n in range(last - len(definitions) + 1, last + 1)]
            pipe = redis.pipeline(transaction=True)
            for stub_id, definition in zip(ids, definitions):
                pipe.hset(self.store.key("stubs"), stub_id, json.dumps(definition))
            pipe.incr(self.store.key("stubver"))
            await pipe.execute()
        except (RedisError, OSError) as error:
            raise self.store.unavailable(error) from None
        await self.changed()
        return [stub for stub in self.stubs.all() if stub.id in ids]

    async def remove(self, stub_id: str) -> bool:
        try:
            removed, *_ = await (
                self.store.redis.pipeline(transaction=True)
                .hdel(self.store.key("stubs"), stub_id)
                .hdel(self.store.key("stubhits"), stub_id)
                .incr(self.store.key("stubver"))
                .execute()
            )
        except (RedisError, OSError) as error:
            raise self.store.unavailable(error) from None
        await self.changed()
        return bool(removed)

    async def clear(self) -> None:
        try:
            await (
                self.store.redis.pipeline(transaction=True)
                .delete(self.store.key("stubs"), self.store.key("stubhits"))
                .incr(self.store.key("stubver"))
                .execute()
            )
        except (RedisError, OSError) as error:
            raise self.store.unavailable(error) from None
        await self.changed()

    async def changed(self) -> None:
        """Read the stubs anew here, and tell every other process to."""
        await self.reload()
        await self.store.broadcast("stubs")

    async def adopt_file_stubs(self, definitions: list[Any]) -> None:
        """``--stubs FILE`` with a shared store: the first process to start with that file
        puts its stubs there (the others, ``--workers`` included, find them)."""
        if definitions:
            digest = hashlib.sha1(json.dumps(definitions, sort_keys=True).encode()).hexdigest()
            try:
                first = await self.store.redis.set(self.store.key("stubfile", digest), 1, nx=True)
            except (RedisError, OSError) as error:
                raise self.store.unavailable(error) from None
            if first:
                await self.add(definitions)
                return
        await self.reload()

    # -- reading ---------------------------------------------------------------------------
    async def reload(self) -> None:
        """The stubs as the store has them now, hit counts included."""
        try:
            definitions, hits, version = await (
                self.store.redis.pipeline(transaction=False)
                .hgetall(self.store.key("stubs"))
                .hgetall(self.store.key("stubhits"))
                .get(self.store.key("stubver"))
                .execute()
            )
        except (RedisError, OSError) as error:
            raise self.store.unavailable(error) from None
        stubs = []
        for raw_id, raw in sorted(definitions.items(), key=lambda item: _number(item[0].decode())):
            stub_id = raw_id.decode()
            try:
                stub = parse_stub(self.app, json.loads(raw), stub_id)
            except Exception:  # (another app version's stub: not this app's to answer)
                continue
            stub.hits = int(hits.get(raw_id, 0))
            stubs.append(stub)
        self.stubs.replace(stubs)
        self.version = int(version or 0)

    async def current(self, version: int) -> None:
        """Make sure the copy here is at least ``version`` (an admission's news)."""
        if version != self.version:
            await self.reload()

    async def take(self, endpoint: Endpoint, data: Any) -> Stub | None:
        """The newest stub answering this call, counted as used in the store."""
        for stub in reversed(self.stubs.all()):
            if not stub.matches(endpoint, data):
                continue
            if await self._claim(stub):
                return stub
        return None

    async def take_route(self, method: str, path: str) -> Stub | None:
        for stub in reversed(self.stubs.all()):
            matches = stub.path == path and stub.method == method and not stub.exhausted
            if matches and await self._claim(stub):
                return stub
        return None

    async def _claim(self, stub: Stub) -> bool:
        key = self.store.key("stubhits")
        if stub.times is None:
            stub.hits += 1
            self.store.writer.put(("HINCRBY", key, stub.id, 1))
            return True
        hits = await self.store.call(CLAIM, [key], [stub.id, stub.times])
        if hits < 0:
            stub.hits = stub.times  # used up by other processes
            return False
        stub.hits = int(hits)
        return True
