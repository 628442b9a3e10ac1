"""One connection to Redis that sends the store's writes as pipelines, read with hiredis.

Everything a process writes to the shared store goes out through one writer task
(``_redis._Writer``) as pipelines, one at a time, in order: on a busy server, one round trip
for many calls; on a quiet one, a few round trips a call. redis-py's asyncio pipeline cost
about 100 µs of CPU a round trip on this project's 2-core machine (a pipeline object, a
connection taken from its pool and given back under an ``asyncio.Condition``, a timeout
context and a parse a reply), against about 40 µs for the same round trip here: that
difference was most of what the shared store added to a call.

``Pipe`` does what the writer needs and nothing more: the commands packed by hiredis into
one write, the replies parsed by hiredis as they arrive, one future a round trip. It is not
a client: every other command goes through redis-py. It connects as redis-py would from the
same URL (redis-py's URL parser; its TLS context for ``rediss://``), then authenticates and
selects the database, and connects again, before the next round trip, when it was lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import parse_url
from redis.exceptions import AuthenticationError, NoScriptError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ._check import where

__all__ = ["Pipe"]


class Pipe:
    """A pipelined connection for one writer: ``execute`` is never called twice at once."""

    def __init__(self, url: str, *, connect_timeout: float, reply_timeout: float) -> None:
        self.where = where(url)
        self.connect_timeout = connect_timeout
        self.reply_timeout = reply_timeout
        params: dict[str, Any] = dict(parse_url(url))
        kind = params.pop("connection_class", None)
        self._ssl: Any = None
        if kind is not None and issubclass(kind, aioredis.SSLConnection):
            # (the TLS context redis-py makes from the URL's ssl_* parameters)
            self._ssl = kind(**params).ssl_context.get()
        self._path: str | None = params.get("path")
        self._host: str = params.get("host") or "localhost"
        self._port = int(params.get("port") or 6379)
        self._hello: list[tuple[Any, ...]] = []
        password, username = params.get("password"), params.get("username")
        if password is not None:
            self._hello.append(("AUTH", username, password) if username else ("AUTH", password))
        if int(params.get("db") or 0):
            self._hello.append(("SELECT", int(params["db"])))
        self._link: _Link | None = None

    async def execute(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Each command's reply, in order: an error reply as redis-py's exception object
        (``NoScriptError``, ``ResponseError``), not raised. Raises redis-py's
        ``ConnectionError`` or ``TimeoutError`` when Redis cannot be reached or does not
        answer in time (the connection is then made again for the next call)."""
        link = self._link
        if link is None or link.closed:
            link = self._link = await self._connect()
        return await link.round_trip(commands, self.reply_timeout)

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    async def _connect(self) -> _Link:
        self.close()
        loop = asyncio.get_running_loop()
        link = _Link(self.where)
        if self._path is not None:
            connecting = loop.create_unix_connection(lambda: link, self._path)
        else:
            connecting = loop.create_connection(lambda: link, self._host, self._port, ssl=self._ssl)
        try:
            await asyncio.wait_for(connecting, self.connect_timeout)
        except asyncio.TimeoutError:
            raise RedisTimeoutError(f"Timeout connecting to {self.where}") from None
        except OSError as error:
            raise RedisConnectionError(f"Error connecting to {self.where}: {error}") from None
        if self._hello:
            for reply in await link.round_trip(self._hello, self.reply_timeout):
                if isinstance(reply, Exception):
                    link.close()
                    if "AUTH" in str(reply).upper():
                        raise AuthenticationError(str(reply))
                    raise RedisConnectionError(f"{self.where} refused the connection: {reply}")
        return link


class _Link(asyncio.Protocol):
    """One connection of a ``Pipe`` (a new one each time it connects again: a lost one's
    late ``connection_lost`` touches nothing but itself)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.closed = False
        self._transport: asyncio.Transport | None = None
        self._reader = hiredis.Reader()
        self._replies: list[Any] = []
        self._expected = 0
        self._waiter: asyncio.Future[None] | None = None

    async def round_trip(self, commands: Sequence[tuple[Any, ...]], timeout: float) -> list[Any]:
        transport = self._transport
        if transport is None or self.closed:
            raise RedisConnectionError(f"Connection to {self.where} lost")
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        self._expected = len(commands)
        transport.write(b"".join(map(hiredis.pack_command, commands)))
        timer = loop.call_later(timeout, self._time_out, waiter, timeout)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None
            if not waiter.done() or waiter.cancelled() or waiter.exception() is not None:
                # Replies still owed on this connection would answer the next round trip.
                self.close()
        replies, self._replies = self._replies, []
        return [_error(r) if isinstance(r, hiredis.ReplyError) else r for r in replies]

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _time_out(self, waiter: asyncio.Future[None], timeout: float) -> None:
        if not waiter.done():
            waiter.set_exception(
                RedisTimeoutError(f"Timeout reading from {self.where} ({timeout:g} s)")
            )

    def _fail(self, error: Exception) -> None:
        self.close()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports are not asyncio.Transport subclasses, but have its methods)
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        replies = self._replies
        reader.feed(data)
        try:
            while (reply := reader.gets()) is not False:
                replies.append(reply)
        except hiredis.ProtocolError as error:
            self._fail(RedisConnectionError(f"{self.where} sent a malformed reply: {error}"))
            return
        waiter = self._waiter
        if waiter is not None and len(replies) >= self._expected and not waiter.done():
            waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._fail(RedisConnectionError(f"Connection to {self.where} lost"))


def _error(reply: hiredis.ReplyError) -> ResponseError:
    message = str(reply)
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    return ResponseError(message)
