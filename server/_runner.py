"""Running a server with uvicorn: in the foreground (the CLI) or in a thread (tests).

The listening socket is bound here, before uvicorn starts, so that port 0 works (the real
port is known at once) and a port in use is a clear error rather than a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from ._app import App
from ._gc import tune_gc
from ._limits import LimitedProtocol, connection_limits
from ._server import ServerState, Settings, create_app
from ._types import ASGIApp
from ._wire import WireProtocol

__all__ = [
    "BackgroundServer",
    "bind",
    "make_server",
    "serve_in_foreground",
    "serve_workers",
]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``OSError`` if it cannot be had)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every response waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, telling a waiting thread when it listens (or has given up), and
    ending every job and stream with a final event when it stops.

    Signals (in the main thread only): the first SIGINT or SIGTERM starts a graceful stop
    and the process exits 0; a second one exits at once (``os._exit``), after removing the
    temporary folder, without a traceback. uvicorn's own handling re-raises SIGTERM after
    the stop (exit -15), and sse-starlette cuts every stream without its closing chunk when
    it sees a uvicorn server's ``should_exit`` through the SIGTERM handler: the handlers here
    are plain functions, so each stream ends on its own final event instead.
    """

    def __init__(self, config: uvicorn.Config, state: ServerState | None = None) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.state = state
        self.stop_requested_at: float | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.state is not None:
            self.state.stop()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_signal(sig: int, frame: FrameType | None) -> None:
            self.handle_exit(sig, frame)

        originals = {sig: signal.signal(sig, on_signal) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.exit_now()
        self.stop_requested_at = time.monotonic()
        self.should_exit = True

    def exit_now(self) -> None:
        """Leave at once: threads still inside a function are not waited for."""
        if self.state is not None:
            self.state.files.cleanup()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def make_server(
    asgi_app: ASGIApp,
    *,
    access_log: bool = True,
    log_level: str = "info",
    graceful_timeout: float | None = None,
    settings: Settings | None = None,
) -> _Server:
    """uvicorn set up as gradio-mock runs: its connection limits and timeouts come from
    ``settings`` (by default, the app's own; the benchmark's floor passes the defaults)."""
    state: ServerState | None = getattr(getattr(asgi_app, "state", None), "mock", None)
    if settings is None:
        if state is None:
            raise TypeError("make_server needs settings for an app that is not gradio-mock's")
        settings = state.settings
    if graceful_timeout is None:
        graceful_timeout = settings.shutdown_timeout
    config = uvicorn.Config(
        asgi_app,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        # uvicorn types it int; a float works (asyncio.wait_for).
        timeout_graceful_shutdown=graceful_timeout,  # type: ignore[arg-type]
        # gradio-mock's app: the hot /call routes answered by the protocol (_wire.py).
        http=connection_limits(
            settings.request_timeout,
            settings.max_connections,
            LimitedProtocol if state is None else WireProtocol,
            settings.keep_alive_timeout,
        ),
        timeout_keep_alive=settings.keep_alive_timeout,  # type: ignore[arg-type]
        ws="none",
        # The routes read X-Forwarded-* themselves (for URLs); uvicorn's own rewrite of the
        # client address would only cost a middleware layer on every request.
        proxy_headers=False,
    )
    # uvicorn installs its signal handlers only in the main thread, so a server in a
    # background thread leaves the host process's Ctrl+C alone.
    return _Server(config, state)


def serve_in_foreground(server: _Server, sock: socket.socket, shutdown_timeout: float) -> None:
    """Serve until SIGINT or SIGTERM, then stop within ``shutdown_timeout`` seconds.

    Streams end at once with a final event; uvicorn waits up to the timeout for responses
    to finish; then what is left of it for threads still inside a sync function (cancelling
    a call cannot stop its thread). Past that, or at a second signal, the process leaves
    without them (``os._exit``) rather than hang on them at interpreter exit."""
    tune_gc()  # this process serves and does nothing else
    server.run(sockets=[sock])
    # uvicorn has put the original handlers back: a signal from now on means "now".
    for sig in _SIGNALS:
        signal.signal(sig, lambda _sig, _frame: server.exit_now())
    deadline = (server.stop_requested_at or time.monotonic()) + shutdown_timeout
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    for thread in others:
        if not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() and not thread.daemon for thread in others):
        logging.getLogger("gradio_mock").warning(
            "Stopping without waiting for the functions still running in threads "
            "(--shutdown-timeout %s s)",
            shutdown_timeout,
        )
        server.exit_now()


async def _cancel_leftovers() -> None:
    """End the tasks libraries leave behind (sse-starlette's shutdown watcher) with the loop."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


class BackgroundServer:
    """A real server on a loopback port, in a thread of its own, for tests and benchmarks.

    with BackgroundServer(app, Settings(port=0)) as server:
        httpx.post(server.url + "/call/predict", json={"data": ["Hi"]})
    """

    def __init__(self, app: App, settings: Settings | None = None, **uvicorn_options: Any) -> None:
        settings = settings or Settings(port=0)
        self.asgi_app = create_app(app, settings)
        self.state: ServerState = self.asgi_app.state.mock
        self._socket = bind(settings.host, settings.port)
        self.port: int = self._socket.getsockname()[1]
        host = settings.host if ":" not in settings.host else f"[{settings.host}]"
        self.url = f"http://{host}:{self.port}"
        options = {
            "access_log": False,
            "log_level": "warning",
            "graceful_timeout": 1,
            **uvicorn_options,
        }
        self._server = make_server(self.asgi_app, **options)
        self._thread = threading.Thread(
            target=self._serve, name=f"gradio-mock:{self.port}", daemon=True
        )
        self.loop: asyncio.AbstractEventLoop | None = None

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        finally:
            self._server.ready.set()  # wake start() even if the server failed to start
            try:
                self.loop.run_until_complete(_cancel_leftovers())
            finally:
                self.loop.close()

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        if not self._server.ready.wait(timeout) or not self._server.started:
            raise RuntimeError(f"the server on port {self.port} did not start")
        return self

    def run(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the server's event loop and return its result."""
        assert self.loop is not None, "start the server first"
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_workers(
    workers: int,
    make_app: Callable[[], ASGIApp],
    sock: socket.socket,
    *,
    access_log: bool = True,
) -> int:
    """Serve ``sock`` from ``workers`` child processes (they share a store): each builds its
    own app and accepts on the same listening socket. SIGINT or SIGTERM stops them all (each
    child stops as ``serve_in_foreground`` does); a child that dies is replaced."""
    stopping = False
    children: dict[int, int] = {}  # pid → worker number

    def spawn(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the child: serve until told to stop
            code = 0
            try:
                for sig in _SIGNALS:
                    signal.signal(sig, signal.SIG_DFL)
                asgi_app = make_app()
                server = make_server(asgi_app, access_log=access_log)
                state: ServerState = asgi_app.state.mock  # type: ignore[attr-defined]
                serve_in_foreground(server, sock, state.settings.shutdown_timeout)
                code = 0 if server.started else 5
            except BaseException:
                logging.getLogger("gradio_mock").exception("worker %d failed", number)
                code = 1
            finally:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = number

    def on_signal(sig: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    for sig in _SIGNALS:
        signal.signal(sig, on_signal)
    for number in range(workers):
        spawn(number)
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        number = children.pop(pid, -1)
        code = os.waitstatus_to_exitcode(status)
        if stopping:
            continue
        logging.getLogger("gradio_mock").error(
            "worker %d (pid %d) exited with %d; starting another", number, pid, code
        )
        if code == 5:  # the store is gone: another would fail the same way
            failed = True
            on_signal(signal.SIGTERM, None)
            continue
        spawn(number)
    sock.close()
    return 5 if failed else 0
