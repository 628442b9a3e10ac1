"""Building the ASGI app: settings, the per-server state, and ``create_app``.

Everything a server holds lives on its ``ServerState`` (``fastapi_app.state.mock``), never
in module globals, so several servers can run in one process (as the tests do).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from ._app import App
from ._auth import TokenAuth
from ._cache import ResultCache
from ._files import FileStore
from ._jobs import JobQueue
from ._processing import Processor
from ._routing import PathNormalizer, api_router, validation_error
from ._schema import AppSchema
from ._sessions import SessionStore
from ._streams import SessionChannels

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


class ServerState:
    """One server's moving parts, wired so data flows one way: routes → queue → log → streams."""

    def __init__(self, app: App, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.schema = AppSchema(
            app, settings.gradio_version, settings.show_error, settings.max_file_size
        )
        self.cache = ResultCache(settings.cache_size)
        self.files = FileStore(
            allow_hosts=settings.allow_url_hosts,
            max_file_size=settings.max_file_size,
            url_timeout=settings.url_timeout,
        )
        self.sessions = SessionStore(ttl=settings.session_ttl)
        self.channels = SessionChannels(ttl=settings.session_ttl)
        self.processor = Processor(self.files)
        self.queue = JobQueue(
            self.cache,
            self.processor.execute,
            max_size=app.max_queue_size,
            show_error=settings.show_error,
        )

    async def reset(self) -> None:
        """Forget every job, result and session (the pytest plugin's per-test reset)."""
        await self.queue.shutdown()
        self.cache.clear()
        self.sessions.clear()
        self.channels.clear()

    async def close(self) -> None:
        await self.queue.close()
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
        yield
        await state.close()

    options: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:
        # FastAPI's native OpenTelemetry hooks cost a check per request; a mock emits none.
        options["telemetry"] = {"tracing": False, "metrics": False, "logs": False}
    fastapi_app = FastAPI(
        title=app.title,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        **options,
    )
    fastapi_app.state.mock = state
    fastapi_app.include_router(api_router)
    fastapi_app.add_exception_handler(RequestValidationError, validation_error)
    # Middleware added last runs first: paths are normalised, then the token is checked.
    if settings.token:
        fastapi_app.add_middleware(TokenAuth, token=settings.token)
    fastapi_app.add_middleware(PathNormalizer, root_path=settings.root_path)
    return fastapi_app
