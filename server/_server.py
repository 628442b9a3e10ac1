"""Building the ASGI app: settings, the per-server state, and ``create_app``.

Everything a server holds lives on its ``ServerState`` (``fastapi_app.state.mock``), never
in module globals, so several servers can run in one process (as the tests do).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from ._app import App
from ._auth import TokenAuth
from ._cache import DEFAULT_CACHE_BYTES, DEFAULT_MAX_RESULT_SIZE, ResultCache
from ._exceptions import StoreUnavailable
from ._faithful import Faithful, FaithfulRoutes
from ._files import FileStore
from ._hotpath import Dispatcher, HotPath, MockApp
from ._jobs import JobQueue
from ._limits import BodyLimit, default_max_body_size
from ._memory import MemoryReleaser
from ._notify import Deadlines
from ._processing import Processor
from ._routing import (
    PathNormalizer,
    api_router,
    call,
    call_events,
    start_call,
    store_unavailable,
    validation_error,
)
from ._schema import AppSchema
from ._sessions import SessionStore
from ._streams import FIRST_FRAME_WAIT, SessionChannels
from ._types import ASGIApp
from .mock import Journal, JournalRecorder, admin_router
from .mock._journal import finish_entry
from .mock._stubs import RouteStubs, Stubs
from .store import RedisStore, app_namespace
from .web import is_public, page_router

__all__ = ["ServerState", "Settings", "create_app"]

logger = logging.getLogger("gradio_mock")


@dataclass(frozen=True)
class Settings:
    """How a server runs. Each field has a CLI option (see ``gradio-mock --help``)."""

    host: str = "127.0.0.1"
    port: int = 7860
    #: Seconds between heartbeats on an idle stream (Gradio: ``GRADIO_HEARTBEAT_INTERVAL``).
    heartbeat: float = 15.0
    #: Finished results kept for reading and re-reading, least recently used out first.
    cache_size: int = 2000
    #: When set, every request needs ``Authorization: Bearer <token>``.
    token: str | None = None
    #: Hosts URL inputs may be fetched from even when they resolve to private addresses.
    allow_url_hosts: tuple[str, ...] = ()
    #: Send the message of unexpected exceptions to clients (Gradio's ``show_error``).
    show_error: bool = False
    #: The path prefix a reverse proxy serves the app under (Gradio's ``root_path``).
    root_path: str = ""
    #: The Gradio major version announced by ``/config`` (4, 5 or 6).
    gradio_version: int = 6
    max_file_size: int = 100 * 1024 * 1024
    #: Seconds an unused session is kept.
    session_ttl: float = 3600.0
    url_timeout: float = 10.0
    #: Requests kept in the journal (``GET /__mock/requests``), newest last; 0: none.
    journal_size: int = 10_000
    #: Bytes all stored results may take together (running jobs' logs included); past it
    #: the least recently used finished results are evicted.
    cache_bytes: int = DEFAULT_CACHE_BYTES
    #: Bytes one job's log may keep: a larger output ends the job with an error, and a
    #: generator's oldest values are dropped past it.
    max_result_size: int = DEFAULT_MAX_RESULT_SIZE
    #: Sessions kept (their state and their undelivered jobs); least recently used out first.
    max_sessions: int = 10_000
    #: Threads of the pool shared by unlimited sync functions and every sync generator.
    thread_pool_size: int = 40
    #: Largest request body, in bytes (None: 16 MiB plus a ``data:`` URL of the largest file).
    max_body_size: int | None = None
    #: Seconds a stop (SIGINT, SIGTERM) may take before the process leaves regardless.
    shutdown_timeout: float = 5.0
    #: Seconds an idle connection is kept open (uvicorn's ``timeout_keep_alive``).
    keep_alive_timeout: float = 5.0
    #: Seconds a client has to send a whole request, headers and body.
    request_timeout: float = 60.0
    #: Connections served at once; one more gets 503 (None: no limit).
    max_connections: int | None = 1000
    #: Behave as the chosen Gradio version does where gradio-mock is kinder (``_faithful.py``).
    faithful: bool = False
    #: ``redis://HOST:PORT/DB``: share jobs, results, sessions and the queue bound with
    #: every process using the same store (``server/store/``); None: all in this process.
    store: str | None = None
    #: Seconds a process may stop answering before its running jobs are declared lost.
    lease_timeout: float = 5.0
    #: Processes serving on one port (``--workers``; needs ``store``).
    workers: int = 1
    #: The folder files are kept in (Gradio's ``GRADIO_TEMP_DIR``); None: a private temp
    #: folder, or with ``store`` one folder a host shares between its processes.
    temp_dir: str | None = None


def _host_temp_dir(app: App) -> str:
    """With a shared store and no ``--temp-dir``: one folder for every process of this app
    on this host (several hosts need a folder they all mount: ``--temp-dir``)."""
    return os.path.join(tempfile.gettempdir(), f"gradio-mock-shared-{app_namespace(app)}")


class ServerState:
    """One server's moving parts, wired so data flows one way: routes → queue → log → streams."""

    def __init__(self, app: App, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.schema = AppSchema(
            app, settings.gradio_version, settings.show_error, settings.max_file_size
        )
        self.cache = ResultCache(
            settings.cache_size, settings.cache_bytes, settings.max_result_size
        )
        self.max_body_size = settings.max_body_size or default_max_body_size(settings.max_file_size)
        self.files = FileStore(
            allow_hosts=settings.allow_url_hosts,
            max_file_size=settings.max_file_size,
            url_timeout=settings.url_timeout,
            root=settings.temp_dir or (_host_temp_dir(app) if settings.store else None),
            shared=bool(settings.store or settings.temp_dir),
        )
        self.sessions = SessionStore(ttl=settings.session_ttl, max_sessions=settings.max_sessions)
        self.channels = SessionChannels(
            self.cache, ttl=settings.session_ttl, max_sessions=settings.max_sessions
        )
        self.cache.on_evict = self.channels.evicted
        #: Hands the memory of released results back to the OS (glibc keeps it otherwise).
        self.memory = MemoryReleaser()
        self.cache.on_release = self.memory.released
        #: The version's own behaviour under ``--faithful``; None: gradio-mock's kinder one.
        self.faithful = Faithful(settings.gradio_version) if settings.faithful else None
        self.processor = Processor(self.files, self.faithful)
        #: Set when the server starts shutting down; streams with no job to end them watch it.
        self.stopping = asyncio.Event()
        #: How long a ``/call`` GET waits for its job's first frame before it answers with
        #: a live stream (``_streams.call_stream``).
        self.first_frame = Deadlines(min(settings.heartbeat, FIRST_FRAME_WAIT))
        self.queue = JobQueue(
            self.cache,
            self.processor.execute,
            max_size=app.max_queue_size,
            show_error=settings.show_error,
            thread_pool_size=settings.thread_pool_size,
            prepare=self.processor.prepare,
            faithful=self.faithful,
        )
        self.journal = Journal(settings.journal_size)
        self.stubs = Stubs()
        #: The stubs of ``--stubs FILE`` (with a shared store, put there by the first
        #: process to start with them).
        self.file_stubs: list[Any] = []
        self.queue.listeners.append(functools.partial(finish_entry, self.journal))
        #: The shared store (``--store``): None keeps everything in this process.
        self.shared: RedisStore | None = None
        if settings.store:
            self.shared = RedisStore(
                settings.store,
                app,
                self.cache,
                self.stubs,
                session_ttl=settings.session_ttl,
                lease_timeout=settings.lease_timeout,
                max_queue_size=app.max_queue_size,
                faithful=settings.faithful,
                journal_size=settings.journal_size,
            )
            if self.journal.enabled:
                self.journal.listen(self.shared.journal.record)

    async def start(self) -> None:
        """Connect to the shared store, if any (``StoreUnavailable`` if it cannot be)."""
        self.queue.loop = asyncio.get_running_loop()
        if self.shared is not None:
            self.shared.on_reset = self.forget
            await self.shared.start(self.queue)
            await self.shared.stubs.adopt_file_stubs(self.file_stubs)

    def stop(self) -> None:
        """The server is stopping: end every job (so every ``/call`` stream gets a final
        ``error`` event and every ``/queue/data`` stream its ``close_stream``) and every
        ``/heartbeat`` stream."""
        self.stopping.set()
        self.queue.stop("The server is stopping.")

    async def reset(self) -> None:
        """Forget every job, result and session (the pytest plugin's per-test reset); with a
        shared store, in the store and on every process."""
        if self.shared is not None:
            await self.shared.reset()
        await self.forget()

    async def forget(self) -> None:
        """Forget every job, result and session this process holds."""
        await self.queue.shutdown()
        self.queue.estimates.clear()
        self.cache.clear()
        self.sessions.clear()
        self.channels.clear()
        self.journal.clear()
        self.stubs.clear()

    async def close(self) -> None:
        await self.queue.close()
        self.queue.loop = None
        if self.shared is not None:
            await self.shared.close()
        await self.files.aclose()
        self.files.cleanup()


def create_app(app: App, settings: Settings | None = None) -> FastAPI:
    """The ASGI application serving ``app``: run it with uvicorn, or in-process in tests."""
    settings = settings or Settings()
    if settings.root_path:
        root_path = "/" + settings.root_path.strip("/")
        settings = replace(settings, root_path="" if root_path == "/" else root_path)
    state = ServerState(app, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await state.start()
        yield
        await state.close()

    options: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:
        # FastAPI's native OpenTelemetry hooks cost a check per request; a mock emits none.
        options["telemetry"] = {"tracing": False, "metrics": False, "logs": False}
    fastapi_app = MockApp(
        title=app.title,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        **options,
    )
    fastapi_app.state.mock = state
    fastapi_app.mock = state
    fastapi_app.include_router(api_router)
    fastapi_app.include_router(admin_router)
    fastapi_app.include_router(page_router)
    fastapi_app.add_exception_handler(RequestValidationError, validation_error)
    fastapi_app.add_exception_handler(StoreUnavailable, store_unavailable)
    # gradio-mock's own layers, outermost first: the journal records (it sees the path as the
    # client sent it), a body over the cap is refused before anything reads it, paths are
    # normalised, route stubs answer, the token is checked; then the hot /call routes are
    # answered at once and the rest go on into FastAPI.
    entry: ASGIApp = Dispatcher(fastapi_app, call, call_events)
    if settings.token:
        entry = TokenAuth(entry, token=settings.token, is_public=is_public)
    entry = RouteStubs(
        entry, stubs=state.stubs, shared=state.shared.stubs if state.shared else None
    )
    entry = PathNormalizer(entry, root_path=settings.root_path)
    if settings.faithful:
        entry = FaithfulRoutes(entry, settings.gradio_version, root_path=settings.root_path)
    entry = BodyLimit(entry, max_body_size=state.max_body_size)
    if state.journal.enabled:
        entry = JournalRecorder(entry, journal=state.journal, root_path=settings.root_path)
    if not settings.token and not settings.faithful:
        # In front of them all: the hot /call routes without a step per layer (_hotpath.py).
        entry = HotPath(
            entry,
            call=start_call,
            call_events=call_events,
            journal=state.journal,
            stubs=state.stubs,
            root_path=settings.root_path,
            max_body_size=state.max_body_size,
            shared=state.shared is not None,
        )
    fastapi_app.entry = entry
    return fastapi_app
