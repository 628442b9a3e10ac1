"""A small HTTP server on 127.0.0.1, in a thread, for the URL-input tests (never the internet).

    with FileServer() as web:
        web.add("/cat.png", png_bytes)
        web.redirect("/old", "/cat.png")
        url = web.url("/old")

Every request is recorded in ``web.requests`` (path and headers), so a test can show that a
URL the server must refuse was never fetched. ``hold=True`` routes wait before answering until
``web.release`` is set (at the latest when the server stops): a slow server, without sleeps.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

__all__ = ["FileServer", "Route", "Seen"]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: False: no Content-Length, the body ends when the connection closes.
    content_length: bool = True
    #: Wait for ``FileServer.release`` before sending anything.
    hold: bool = False


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class FileServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.release = threading.Event()
        #: Set when a held request has arrived (and is waiting for ``release``).
        self.holding = threading.Event()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                with owner._lock:
                    owner.requests.append(Seen(self.path, dict(self.headers.items())))
                route = owner.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = Route(b"not found", status=404)
                if route.hold:
                    owner.holding.set()
                    owner.release.wait(10)
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.content_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                # The client may give up early (size limit, timeout): expected.
                with contextlib.suppress(OSError):
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes = b"", **options: object) -> str:
        """Serve ``body`` at ``path``; returns the URL."""
        self.routes[path] = Route(body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = Route(status=status, headers={"Location": location})
        return self.url(path)

    def paths(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    def start(self) -> FileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
