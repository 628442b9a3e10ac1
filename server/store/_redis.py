"""The shared store: any number of gradio-mock processes serving one app through one Redis.

Jobs run where they were posted. What they log is copied to Redis as it happens (one
writer task a process, pipelining whatever is ready at once over a connection of its own,
``_pipe.py``; a job's bookkeeping waits at most 2 ms for company), so a GET on any process
can stream any job, live, with the same bytes. Keys, under ``gradio-mock:<app>:``:

* ``meta:<id>`` (hash: api, owner, done, delivered, channel, size) and ``job:<id>`` (a
  stream, one entry a logged event, numbered by its ``seq``);
* ``lru`` (sorted set of finished jobs by last use), ``bytes`` (their size), ``clock``:
  ``--cache-size`` and ``--cache-bytes`` bound every process's results together;
* ``waiting`` (hash: process → jobs waiting there): the queue bound counts every live
  process; ``lease:<process>``, a key each process renews while it lives: a reader that
  sees a job's owner lapse ends the job with an ``error`` event for every reader;
* ``session:<hash>`` (JSON), ``pending:<hash>`` and ``chan:<hash>`` (the session's jobs not
  yet delivered, and a stream that wakes its ``/queue/data`` readers);
* ``ctl:<process>``, a pub/sub channel: ``/cancel`` of a job running on that process.

Readers of a job running elsewhere follow its stream with ``XREAD BLOCK`` (Redis pushes, we
do not poll) into a local replica, a ``Job`` like any other, so the SSE code is the same.
Losing Redis turns the requests that need it into 503s; the lease task notices when it is
back, and everything resumes by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .._app import App
from .._cache import EVENT_OVERHEAD, JOB_OVERHEAD, ResultCache
from .._components import State
from .._exceptions import OutputError, StoreUnavailable, UnstorableValue
from .._jobs import (
    BOOKKEEPING,
    TERMINAL,
    EventKind,
    Job,
    JobQueue,
    Logged,
    encode_payload,
    error_payload,
)
from .._notify import Notifier
from .._sessions import Session
from ..mock._stubs import Stubs
from . import _scripts
from ._check import where
from ._journal import SharedJournal
from ._pipe import Pipe
from ._stubs import SharedStubs

__all__ = ["RedisStore", "SharedChannel", "SharedSession", "app_namespace"]

logger = logging.getLogger("gradio_mock")

#: Connections a process keeps for commands (readers waiting in XREAD BLOCK have their own).
COMMAND_CONNECTIONS = 32
#: Running jobs' keys expire after this, in case their process and every reader are gone.
_RUNNING_TTL = 24 * 3600


def app_namespace(app: App) -> str:
    """A short name for ``app``'s API: processes serving the same app share keys, and two
    apps on one Redis never mix."""
    names = ",".join(f"{e.api_name}:{len(e.inputs)}:{len(e.outputs)}" for e in app.endpoints)
    return hashlib.sha1(f"{app.title}|{names}".encode()).hexdigest()[:10]


def _error_data(message: str) -> bytes:
    return encode_payload(error_payload(message))


class SharedSession(Session):
    """A session whose state is kept in Redis as JSON between calls: a value that JSON
    cannot hold is refused at once, naming the key and the type, rather than lost later.
    Its ``State`` values go along, each under its rank among the app's states (the same on
    every process: they serve the same app)."""

    def __init__(self, session_hash: str, states: list[State] | None = None) -> None:
        super().__init__(session_hash)
        self._app_states = states or []

    def __setitem__(self, key: str, value: Any) -> None:
        _check_storable(key, value)
        super().__setitem__(key, value)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def check(self) -> None:
        """Called as the function returns: a value it put in place (``session["h"].append``
        of something JSON cannot hold) ends the call with an error naming it."""
        try:
            self.encode()
        except UnstorableValue as error:
            raise OutputError(str(error)) from None

    def encode(self) -> bytes:
        for key, value in self.items():
            _check_storable(key, value)
        states = {}
        for rank, state in enumerate(self._app_states):
            if state in self.states:
                _check_storable(f"State {rank}", self.states[state])
                states[str(rank)] = self.states[state]
        return json.dumps({"v": dict(self), "s": states}, separators=(",", ":")).encode()

    def decode(self, raw: bytes) -> None:
        stored = json.loads(raw)
        dict.update(self, stored.get("v", {}))
        for rank, value in stored.get("s", {}).items():
            if int(rank) < len(self._app_states):
                self.states[self._app_states[int(rank)]] = value


def _check_storable(key: str, value: Any) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise UnstorableValue(
            f"session[{key!r}] = a {type(value).__name__} value cannot be kept in the shared "
            f"store ({error}); with --store, session state must be JSON: strings, numbers, "
            "booleans, None, lists and dicts of them"
        ) from None


#: The longest a write nobody waits for (``_Writer.defer``) waits for company.
DEFER_SECONDS = 0.002


class _Writer:
    """One task sending the store's writes in order, as pipelines of what is ready.

    A write someone may be waiting to see (an answer, a journal entry, a stub's hit) wakes
    the writer at once (``put``). The rest of a job's bookkeeping (its events for readers
    elsewhere, its end, its session, the queue's count) goes with the next of those, or
    within ``DEFER_SECONDS`` (``defer``): on a quiet process, they then ride with a write
    that goes anyway, not in round trips of their own. Order is kept either way, and a
    reader that needs them now flushes (``flush``: a GET of a job that ended here)."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self._pending: list[tuple[tuple[Any, ...], Callable[[Any], None] | None]] = []
        self._queued = 0
        self._sent = 0
        self._wake = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._sent_notifier = Notifier()

    def put(self, command: tuple[Any, ...], then: Callable[[Any], None] | None = None) -> None:
        """Send ``command`` now (with whatever else is ready)."""
        self._pending.append((command, then))
        self._queued += 1
        self._wake.set()

    def defer(self, command: tuple[Any, ...], then: Callable[[Any], None] | None = None) -> None:
        """Send ``command`` with the next batch, at most ``DEFER_SECONDS`` from now."""
        self._pending.append((command, then))
        self._queued += 1
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(DEFER_SECONDS, self._due)

    def _due(self) -> None:
        self._timer = None
        self._wake.set()

    async def ask(self, command: tuple[Any, ...]) -> Any:
        """Send ``command`` with the next batch and return its answer (an exception
        object if it failed): the requests that need an answer at once share pipelines
        too, so a burst of them costs one round trip, not one each."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def answer(result: Any) -> None:
            if not future.done():  # (its request may have gone meanwhile)
                future.set_result(result)

        self.put(command, answer)
        return await future

    async def flush(self) -> None:
        """Wait until every write put so far has been sent (or has failed)."""
        target = self._queued
        if self._sent < target:
            self._wake.set()  # (deferred writes among them: now)
        while self._sent < target:
            await self._sent_notifier.waiter()

    async def _send(
        self, batch: list[tuple[tuple[Any, ...], Callable[[Any], None] | None]]
    ) -> list[Any]:
        pipe = self.store.pipe
        commands = [command for command, _ in batch]
        results = await pipe.execute(commands)
        unknown = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
        if unknown:  # Redis restarted and forgot the scripts: teach it, send those again
            digests = {commands[i][1] for i in unknown}
            await pipe.execute([("SCRIPT", "LOAD", _scripts.KNOWN[d]) for d in digests])
            for i, result in zip(unknown, await pipe.execute([commands[i] for i in unknown])):
                results[i] = result
        return results

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                if self._timer is not None:  # (what it waits to send goes now)
                    self._timer.cancel()
                    self._timer = None
                batch, self._pending = self._pending, []
                results: list[Any]
                try:
                    results = await self._send(batch)
                    self.store.up()
                except (RedisError, OSError) as error:
                    self.store.down(error)
                    results = [error] * len(batch)
                for (command, then), result in zip(batch, results):
                    if isinstance(result, Exception) and not isinstance(result, RedisError):
                        logger.warning("shared store: %s failed: %s", command[0], result)
                    if then is not None:
                        try:
                            then(result)
                        except Exception:
                            logger.exception("shared store: after %s", command[0])
                self._sent += len(batch)
                self._sent_notifier.notify()


class RedisStore:
    """A process's link to the shared store (see the module's docstring)."""

    def __init__(
        self,
        url: str,
        app: App,
        cache: ResultCache,
        stubs: Stubs,
        *,
        session_ttl: float = 3600.0,
        lease_timeout: float = 5.0,
        max_queue_size: int = 1000,
        faithful: bool = False,
        journal_size: int = 10_000,
    ) -> None:
        self.url = url
        self.app = app
        self.cache = cache
        self.session_ttl = max(1, int(session_ttl))
        self.lease_timeout = lease_timeout
        self.max_queue_size = max_queue_size
        #: ``--faithful`` reads whether an event was delivered (its re-read hangs).
        self.faithful = faithful
        #: This process, in the store (the owner of the jobs it runs).
        self.process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.prefix = f"gradio-mock:{app_namespace(app)}:"
        #: The app's ``State``s, each kept in a shared session under its rank here.
        self.app_states: list[State] = list(
            dict.fromkeys(
                c for e in app.endpoints for c in (*e.inputs, *e.outputs) if isinstance(c, State)
            )
        )
        # (Any: redis-py's annotations do not follow its response callbacks' shapes.)
        # One retry: a connection made before Redis restarted fails once, then a new one is
        # made; more would only hold requests up while Redis is really away.
        retry = Retry(NoBackoff(), 1)
        options: dict[str, Any] = {"socket_connect_timeout": 5, "retry": retry}
        # Commands share a few connections; readers that wait in XREAD BLOCK (for a lease's
        # length: the socket may be quiet as long) have their own, so they never hold up a
        # command.
        commands = _pool(url, bounded=True, socket_timeout=10, **options)
        self.redis: Any = aioredis.Redis(connection_pool=commands, retry=retry)
        blocking = _pool(url, socket_timeout=lease_timeout + 10, **options)
        #: The writer's own connection (``_pipe.py``: redis-py's pipelines cost more).
        self.pipe = Pipe(url, connect_timeout=5, reply_timeout=10)
        self.blocking: Any = aioredis.Redis(connection_pool=blocking, retry=retry)
        self.available = True
        #: Sessions of the calls running here: session hash → (the object, calls using it).
        self._live_sessions: dict[str, tuple[SharedSession, int]] = {}
        self.writer = _Writer(self)
        self.queue: JobQueue | None = None
        #: The stubs, kept in the store (``_stubs.py``).
        self.stubs = SharedStubs(self, app, stubs)
        #: Every process's journal entries (``_journal.py``).
        self.journal = SharedJournal(self, max(journal_size, 1))
        #: Called when another process resets the deployment (``POST /__mock/reset``).
        self.on_reset: Callable[[], Awaitable[None]] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._followers: set[asyncio.Task[None]] = set()

    # -- keys ------------------------------------------------------------------------------
    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @property
    def where(self) -> str:
        """The store's URL without its password, for messages."""
        return where(self.url)

    # -- life ------------------------------------------------------------------------------
    async def start(self, queue: JobQueue) -> None:
        """Connect (raising ``StoreUnavailable`` if Redis cannot be reached) and start the
        writer, the lease and the control channel."""
        self.queue = queue
        queue.mirror = self
        try:
            await self.redis.set(self.key("lease", self.process), 1, px=self.lease_ms)
        except (RedisError, OSError) as error:
            raise StoreUnavailable(
                f"cannot reach the shared store at {self.where}: {error}"
            ) from None
        loop = asyncio.get_running_loop()
        for work in (self.writer.run(), self._keep_lease(), self._listen()):
            self._tasks.append(loop.create_task(work))

    async def close(self) -> None:
        # What is still to be written (deferred bookkeeping: a job's end) goes first, if the
        # store takes it within a moment.
        if self._tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.writer.flush(), 2)
        for task in [*self._tasks, *self._followers]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._followers, return_exceptions=True)
        with contextlib.suppress(RedisError, OSError, asyncio.TimeoutError):
            await asyncio.wait_for(self.redis.delete(self.key("lease", self.process)), 2)
        self.pipe.close()
        await self.redis.aclose(close_connection_pool=True)
        await self.blocking.aclose(close_connection_pool=True)

    @property
    def lease_ms(self) -> int:
        return max(100, int(self.lease_timeout * 1000))

    def up(self) -> None:
        if not self.available:
            logger.warning("shared store %s is reachable again", self.where)
        self.available = True

    def down(self, error: BaseException) -> None:
        if self.available:
            logger.error("shared store %s is unreachable: %s", self.where, error)
        self.available = False

    def unavailable(self, error: BaseException | None = None) -> StoreUnavailable:
        if error is not None:
            self.down(error)
        return StoreUnavailable(
            f"The shared store ({self.where}) is unreachable, so this request cannot be "
            "served; retry when it is back (the server reconnects by itself)."
        )

    async def call(self, script: str, keys: Iterable[str], args: Iterable[Any]) -> Any:
        """Run a script now (for the requests that need its answer), in the writer's next
        pipeline."""
        result = await self.writer.ask(_evalsha(script, list(keys), list(args)))
        if isinstance(result, (RedisConnectionError, RedisTimeoutError, OSError)):
            raise self.unavailable(result)
        if isinstance(result, Exception):
            raise result
        return result

    async def call_now(self, script: str, keys: Iterable[str], args: Iterable[Any]) -> Any:
        """Run a script now, on a connection of its own (for the readers' rare checks)."""
        command = _evalsha(script, list(keys), list(args))
        try:
            try:
                result = await self.redis.execute_command(*command)
            except NoScriptError:  # Redis restarted (it forgets scripts): teach it again
                await self.redis.script_load(script)
                result = await self.redis.execute_command(*command)
        except (RedisError, OSError) as error:
            raise self.unavailable(error) from None
        self.up()
        return result

    async def _keep_lease(self) -> None:
        """Renew this process's lease (its running jobs live while it does); also how a
        process that lost Redis notices that it is back."""
        key = self.key("lease", self.process)
        while True:
            try:
                await self.redis.set(key, 1, px=self.lease_ms)
                self.up()
            except (RedisError, OSError) as error:
                self.down(error)
            await asyncio.sleep(self.lease_timeout / 4)

    async def _listen(self) -> None:
        """Cancels sent by other processes for the jobs running here, and the news every
        process hears (``broadcast``)."""
        channel, everyone = self.key("ctl", self.process), self.key("broadcast")
        while True:
            pubsub = self.blocking.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel, everyone)
                # Whatever changed while this process was not listening: read it now.
                await self.stubs.reload()
                async for message in pubsub.listen():
                    if message.get("channel") == everyone.encode():
                        self._news(message.get("data"))
                    else:
                        self._control(message.get("data"))
            except (RedisError, OSError, StoreUnavailable):
                await asyncio.sleep(self.lease_timeout / 4)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def broadcast(self, news: str) -> None:
        """Tell every process (``stubs``: read them anew; ``reset``: forget everything)."""
        try:
            await self.redis.publish(self.key("broadcast"), f"{news} {self.process}")
        except (RedisError, OSError) as error:
            raise self.unavailable(error) from None

    def _news(self, data: object) -> None:
        if not isinstance(data, bytes):
            return
        news, _, sender = data.decode(errors="replace").partition(" ")
        if news == "stubs":
            self._spawn(self._quietly(self.stubs.reload()))
        elif news == "reset" and sender != self.process and self.on_reset is not None:
            self._spawn(self._quietly(self.on_reset()))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    async def _quietly(self, work: Awaitable[None]) -> None:
        # (a store away: read again when it is back, as ``_listen`` reloads on reconnecting)
        with contextlib.suppress(StoreUnavailable):
            await work

    async def reset(self) -> None:
        """Forget every job, result, session and stub of this app in the store (not the
        processes' leases and queue counts) and tell every process to forget its own."""
        keep = (self.key("lease", ""), self.key("waiting"))
        try:
            batch = []
            async for key in self.redis.scan_iter(match=self.prefix + "*", count=1000):
                if not key.decode().startswith(keep):
                    batch.append(key)
                if len(batch) >= 1000:
                    await self.redis.unlink(*batch)
                    batch = []
            if batch:
                await self.redis.unlink(*batch)
        except (RedisError, OSError) as error:
            raise self.unavailable(error) from None
        await self.stubs.reload()
        await self.broadcast("reset")
        await self.broadcast("stubs")

    def _control(self, data: object) -> None:
        if not isinstance(data, bytes) or self.queue is None:
            return
        action, _, event_id = data.decode(errors="replace").partition(" ")
        if action == "cancel":
            self.queue.cancel(event_id)
        elif action == "cancel-as-gradio":
            self.queue.cancel_as_gradio(event_id)

    # -- jobs: admission --------------------------------------------------------------------
    async def admit(self, job_id: str, api_name: str, channel: str | None) -> tuple[bool, int]:
        """Count a new job against the queue bound of every process and record it (and, for
        ``/queue/join``, add it to its session's pending jobs); False if the queue is full.
        Also the stubs' version, for ``SharedStubs.current``."""
        admitted, version = await self.call(
            _scripts.ADMIT,
            [self.key("meta", job_id), self.key("waiting")],
            [
                self.prefix,
                self.process,
                api_name,
                channel or "",
                self.max_queue_size,
                _RUNNING_TTL,
                job_id,
            ],
        )
        return bool(admitted), int(version)

    def unadmit(self, job_id: str) -> None:
        """A job admitted here that the local queue refused after all."""
        self.writer.put(("HINCRBY", self.key("waiting"), self.process, -1))
        self.writer.put(("DEL", self.key("meta", job_id)))

    # -- jobs: the log mirror (``_jobs.LogMirror``) -----------------------------------------
    def logged(self, job: Job, event: Logged) -> None:
        waiting = self.key("waiting")
        if event.kind in BOOKKEEPING and not job.context.get("channel"):
            # Only session streams show these (a /call stream never does): a job no
            # session stream carries keeps them to itself, and costs the store nothing
            # (it logs no queued and started: its start comes through ``started``).
            return
        fields = _fields(event)
        if not event.terminal:
            self.writer.defer(("XADD", self.key("job", job.id), *fields))
            if event.kind == "started":
                self.writer.defer(("HINCRBY", waiting, self.process, -1))
            return
        # The session first: a client that reads this end and calls again, on any
        # process, finds the state this call left.
        self.save_session(job)
        self.release_session(job.session)
        if job.started_at is None:
            self.writer.defer(("HINCRBY", waiting, self.process, -1))
        cache = self.cache

        def forget(_result: Any) -> None:
            # Readers here and elsewhere read it from the store from now on; the LRU there
            # decides when it goes.
            cache.forget(job)

        keys = [self.key("meta", job.id), self.key("job", job.id)]
        size = job.size + JOB_OVERHEAD
        args = [self.prefix, job.id, size, cache.maxsize, cache.max_bytes, *fields]
        self.writer.defer(_evalsha(_scripts.FINISH, keys, args), forget)

    def started(self, job: Job) -> None:
        self.writer.defer(("HINCRBY", self.key("waiting"), self.process, -1))

    def trimmed(self, job: Job, first_seq: int) -> None:
        self.writer.defer(("XTRIM", self.key("job", job.id), "MINID", f"{first_seq + 1}-0"))

    async def settle(self, job: Job) -> None:
        if self.cache.local(job.id) is job:  # (a replica's end came from the store)
            await self.writer.flush()

    def delivered(self, job: Job) -> None:
        values = sum(1 for event in job.since(0) if event.kind == "generating")
        if not self.faithful and values <= 1:
            # Nothing to compact (at most one value and the end), and only --faithful reads
            # the flag (a second read of a delivered event hangs there, as in Gradio).
            return
        keys = [self.key("meta", job.id), self.key("job", job.id)]
        self.writer.put(_evalsha(_scripts.DELIVER, keys, [self.prefix, EVENT_OVERHEAD]))

    # -- jobs: reading -----------------------------------------------------------------------
    async def find(self, event_id: str) -> Job | None:
        """The job ``event_id`` wherever it runs or ran (None: never, or evicted): this
        process's own while it runs here, else a replica read from the store (and
        followed live while the job runs elsewhere)."""
        local = self.cache.local(event_id)
        if local is not None:
            # Running here, or ended here so lately that it is the newest in the LRU (or
            # not there yet; it cannot have been evicted before): no round trip.
            return local
        found = await self.call(
            _scripts.LOOKUP,
            [self.key("meta", event_id), self.key("job", event_id)],
            [self.prefix, event_id],
        )
        if not found:
            return None
        meta, entries = found
        api, owner, done, delivered = (v.decode() if v else "" for v in meta[:4])
        endpoint = self.app.endpoint(api)
        if endpoint is None:
            return None  # a job of another app version: not this app's to answer
        replica = Job(endpoint, [], None, {}, event_id)
        last_id = "0-0"
        for entry_id, fields in entries:
            replica.restore(_logged(entry_id, fields))
            last_id = entry_id.decode()
        replica.delivered = delivered == "1"
        replica.mirror = self  # (for ``delivered`` only: a replica logs nothing itself)
        if not replica.done:
            if done != "0":  # ended, but its end was trimmed or lost: say so
                replica.restore(Logged.raw("error", replica_next(replica), _lost_data(event_id)))
            else:
                task = asyncio.get_running_loop().create_task(self._follow(replica, owner, last_id))
                self._followers.add(task)
                task.add_done_callback(self._followers.discard)
        return replica

    async def _follow(self, replica: Job, owner: str, last_id: str) -> None:
        """Copy a job running elsewhere into ``replica`` as its events come; end it with an
        ``error`` event if its owner's lease lapses (or the store stays unreachable)."""
        stream = self.key("job", replica.id)
        block = self.lease_ms
        failing_since: float | None = None
        loop = asyncio.get_running_loop()
        while not replica.done:
            try:
                found = await self.blocking.xread({stream: last_id}, count=1000, block=block)
                failing_since = None
                self.up()
            except (RedisError, OSError) as error:
                self.down(error)
                failing_since = failing_since or loop.time()
                if loop.time() - failing_since > self.lease_timeout:
                    message = (
                        f"The shared store ({self.where}) became unreachable while this "
                        f"stream was reading event {replica.id}; its result could not be read."
                    )
                    data = _error_data(message)
                    replica.restore(Logged.raw("error", replica_next(replica), data))
                    return
                await asyncio.sleep(min(0.5, self.lease_timeout / 4))
                continue
            if found:
                for entry_id, fields in found[0][1]:
                    replica.restore(_logged(entry_id, fields))
                    last_id = entry_id.decode()
                continue
            # Nothing for a whole lease: is the job's owner alive, is the job still there?
            try:
                alive, exists = await (
                    self.redis.pipeline(transaction=False)
                    .exists(self.key("lease", owner))
                    .exists(self.key("meta", replica.id))
                    .execute()
                )
                if not exists:
                    replica.restore(
                        Logged.raw("error", replica_next(replica), _lost_data(replica.id))
                    )
                    return
                if not alive:
                    await self._lose(replica.id, owner)
            except (RedisError, OSError) as error:
                self.down(error)

    async def _lose(self, event_id: str, owner: str) -> None:
        message = (
            f"Event {event_id} was lost: the gradio-mock process running it ({owner}) "
            f"stopped answering for more than {self.lease_timeout:g} s (--lease-timeout)."
        )
        data = _error_data(message)
        meta, stream = self.key("meta", event_id), self.key("job", event_id)
        lost = await self.call_now(_scripts.LOSE, [meta, stream], [data])
        if lost:
            logger.warning("%s", message)
            size = len(data) + EVENT_OVERHEAD + JOB_OVERHEAD
            args = [self.prefix, event_id, size, self.cache.maxsize, self.cache.max_bytes]
            await self.call_now(_scripts.FINISH, [meta, stream], args)

    async def owner_of(self, event_id: str) -> str | None:
        """The process running ``event_id`` (None: unknown here, or ended)."""
        try:
            owner, done = await self.redis.hmget(self.key("meta", event_id), "owner", "done")
        except (RedisError, OSError) as error:
            raise self.unavailable(error) from None
        if owner is None or done != b"0":
            return None
        return str(owner.decode())

    async def cancel(self, event_id: str, as_gradio: bool = False) -> bool:
        """Stop ``event_id`` wherever it runs; False if it is not running anywhere."""
        assert self.queue is not None
        owner = await self.owner_of(event_id)
        if owner is None:
            return False
        if owner == self.process:
            if as_gradio:
                self.queue.cancel_as_gradio(event_id)
                return True
            return self.queue.cancel(event_id)
        action = "cancel-as-gradio" if as_gradio else "cancel"
        try:
            await self.redis.publish(self.key("ctl", owner), f"{action} {event_id}")
        except (RedisError, OSError) as error:
            raise self.unavailable(error) from None
        return True

    def cancel_soon(self, event_id: str) -> None:
        """``cancel`` from code that cannot wait (a session stream's client hung up)."""
        self._spawn(self._quietly(self._cancel(event_id)))

    async def _cancel(self, event_id: str) -> None:
        await self.cancel(event_id)

    # -- sessions --------------------------------------------------------------------------
    async def session(self, session_hash: str | None) -> Session:
        """The session ``session_hash`` as the store has it (a fresh one if none). Calls of
        one session running here at once share one object, as in memory, so a call queued
        behind another sees what that one left (it is saved as each call ends)."""
        if not session_hash:
            return Session(uuid.uuid4().hex)
        live = self._live_sessions.get(session_hash)
        if live is not None:
            self._live_sessions[session_hash] = (live[0], live[1] + 1)
            return live[0]
        try:
            raw = await self.redis.get(self.key("session", session_hash))
        except (RedisError, OSError) as error:
            raise self.unavailable(error) from None
        live = self._live_sessions.get(session_hash)
        if live is not None:  # (another call loaded it meanwhile)
            self._live_sessions[session_hash] = (live[0], live[1] + 1)
            return live[0]
        session = SharedSession(session_hash, self.app_states)
        if raw:
            try:
                session.decode(raw)
            except (ValueError, AttributeError):
                logger.warning("session %s in the store is not JSON: starting afresh", session_hash)
        self._live_sessions[session_hash] = (session, 1)
        return session

    def release_session(self, session: Session | None) -> None:
        """A call of ``session`` has ended (or was refused)."""
        if not isinstance(session, SharedSession):
            return
        live = self._live_sessions.get(session.session_hash)
        if live is None or live[0] is not session:
            return
        if live[1] <= 1:
            del self._live_sessions[session.session_hash]
        else:
            self._live_sessions[session.session_hash] = (session, live[1] - 1)

    def save_session(self, job: Job) -> None:
        """Keep what ``job``'s function left in its session (as its end is logged)."""
        session = job.session
        if not isinstance(session, SharedSession):
            return
        try:
            data = session.encode()
        except UnstorableValue as error:
            logger.error("/%s: %s (event %s)", job.endpoint.api_name, error, job.id)
            return
        key = self.key("session", session.session_hash)
        self.writer.defer(("SET", key, data, "EX", self.session_ttl))

    def touch_session(self, session_hash: str) -> None:
        self.writer.defer(("EXPIRE", self.key("session", session_hash), self.session_ttl))
        self.writer.defer(("EXPIRE", self.key("pending", session_hash), self.session_ttl))

    # -- session streams -------------------------------------------------------------------
    async def pending(self, session_hash: str) -> tuple[list[str], str]:
        """The session's jobs not yet delivered, oldest first, and the id of the last
        entry of its wake-up stream (to wait for the next one from)."""
        try:
            ids, last = await (
                self.redis.pipeline(transaction=False)
                .zrange(self.key("pending", session_hash), 0, -1)
                .xrevrange(self.key("chan", session_hash), "+", "-", count=1)
                .execute()
            )
        except (RedisError, OSError) as error:
            raise self.unavailable(error) from None
        return [i.decode() for i in ids], (last[0][0].decode() if last else "0-0")

    def delivered_to_session(self, session_hash: str, event_id: str) -> None:
        self.writer.put(("ZREM", self.key("pending", session_hash), event_id))

    async def wait_for_join(self, session_hash: str, after: str) -> str:
        """Wait until a job joins the session after stream id ``after``; the new last id."""
        stream = self.key("chan", session_hash)
        while True:
            try:
                found = await self.blocking.xread({stream: after}, count=100, block=self.lease_ms)
            except (RedisError, OSError) as error:
                self.down(error)
                await asyncio.sleep(min(0.5, self.lease_timeout / 4))
                continue
            if found:
                return str(found[0][1][-1][0].decode())


class _Packing:
    """Commands packed by hiredis (C) rather than redis-py's Python packer, which cost more
    than the rest of a command here (redis-py's synchronous client packs with hiredis)."""

    def pack_command(self, *args: Any) -> list[bytes]:
        if isinstance(args[0], str) and " " in args[0]:  # ("SCRIPT LOAD", ...) as redis-py
            args = (*args[0].split(), *args[1:])
        return [hiredis.pack_command(args)]


class _Connection(_Packing, aioredis.Connection):
    pass


class _SSLConnection(_Packing, aioredis.SSLConnection):
    pass


class _UnixConnection(_Packing, aioredis.UnixDomainSocketConnection):
    pass


def _pool(url: str, bounded: bool = False, **options: Any) -> aioredis.ConnectionPool:
    """A connection pool for ``url`` (redis://, rediss://, unix://) packing with hiredis.
    ``bounded``: at most ``COMMAND_CONNECTIONS`` connections, a command waiting for a free
    one (a burst of requests would otherwise open a connection each, all at once)."""
    parsed: dict[str, Any] = dict(parse_url(url))
    base = parsed.pop("connection_class", aioredis.Connection)
    classes: dict[type[Any], type[Any]] = {
        aioredis.SSLConnection: _SSLConnection,
        aioredis.UnixDomainSocketConnection: _UnixConnection,
    }
    connection_class = classes.get(base, _Connection)
    if bounded:
        return aioredis.BlockingConnectionPool(
            connection_class=connection_class,
            max_connections=COMMAND_CONNECTIONS,
            timeout=10,
            **parsed,
            **options,
        )
    return aioredis.ConnectionPool(connection_class=connection_class, **parsed, **options)


def _fields(event: Logged) -> tuple[Any, ...]:
    """A logged event as a stream entry: its id (``seq + 1``) and fields k d r q t."""
    duration = "" if event.duration is None else repr(event.duration)
    return (
        f"{event.seq + 1}-0",
        *("k", event.kind, "d", event.data, "r", event.rank, "q", event.queue_size),
        *("t", duration),
    )


def _evalsha(script: str, keys: list[str], args: list[Any]) -> tuple[Any, ...]:
    """The command running ``script`` by its digest (Redis keeps scripts it has seen; after
    a restart it answers NOSCRIPT, and the script is loaded again)."""
    return ("EVALSHA", _scripts.sha(script), len(keys), *keys, *args)


def replica_next(job: Job) -> int:
    last = job.last
    return 0 if last is None else last.seq + 1


def _lost_data(event_id: str) -> bytes:
    return _error_data(
        f"The result of event {event_id} is no longer in the shared store (evicted from the "
        "result cache: --cache-size, --cache-bytes)."
    )


def _logged(entry_id: bytes, fields: dict[bytes, bytes] | list[bytes]) -> Logged:
    """An event as the store keeps it (stream entry ``seq+1``, fields k d r q t)."""
    if isinstance(fields, list):  # (from a script: a flat list)
        fields = dict(zip(fields[::2], fields[1::2]))
    kind: EventKind = fields[b"k"].decode()  # type: ignore[assignment]
    assert kind in TERMINAL or kind in {"queued", "started", "progress", "log", "generating"}
    seq = int(entry_id.split(b"-")[0]) - 1
    duration = fields.get(b"t") or b""
    return Logged.raw(
        kind,
        seq,
        fields.get(b"d", b""),
        int(fields.get(b"r", 0)),
        int(fields.get(b"q", 0)),
        float(duration) if duration else None,
    )


class SharedChannel:
    """The ``_streams.ChannelView`` of a session kept in the shared store: its pending jobs
    are read from Redis, each job wherever it runs (a replica if elsewhere), and a task
    waits in ``XREAD BLOCK`` for new joins to wake the stream."""

    def __init__(self, store: RedisStore, session_hash: str) -> None:
        self.store = store
        self.session_hash = session_hash
        self.notifier = Notifier()
        self._jobs: dict[str, Job] = {}
        self._pending: list[str] = []
        #: Delivered by this stream (the store may not have heard yet: never twice).
        self._done: set[str] = set()
        self._waker: asyncio.Task[None] | None = None

    async def pending(self) -> list[str] | None:
        ids, last = await self.store.pending(self.session_hash)
        self._pending = [i for i in ids if i not in self._done]
        if self._waker is None:
            self._waker = asyncio.get_running_loop().create_task(self._wake(last))
        return self._pending or None

    async def _wake(self, last: str) -> None:
        while True:
            last = await self.store.wait_for_join(self.session_hash, last)
            self.notifier.notify()

    async def job(self, event_id: str) -> Job | None:
        job = self._jobs.get(event_id)
        if job is None:
            job = await self.store.find(event_id)
            if job is None:
                return None
            self._jobs[event_id] = job
            job.watch(self.notifier)
        return job

    def done(self, event_id: str) -> None:
        self._done.add(event_id)
        if event_id in self._pending:
            self._pending.remove(event_id)
        job = self._jobs.pop(event_id, None)
        if job is not None:
            job.unwatch(self.notifier)
        self.store.delivered_to_session(self.session_hash, event_id)

    def waiter(self) -> asyncio.Future[None]:
        return self.notifier.waiter()

    def still_pending(self) -> list[str]:
        return list(self._pending)

    def close(self) -> None:
        if self._waker is not None:
            self._waker.cancel()
        for job in self._jobs.values():
            job.unwatch(self.notifier)
        self._jobs.clear()
