"""A round-robin HTTP load balancer on 127.0.0.1, in a thread: each request goes to the next
backend, whichever connection it came on. That is what breaks real Gradio behind replicas
(a ``POST /call`` on one, its ``GET`` on another), and what the shared store must survive.

    with Balancer([server_a.url, server_b.url]) as lb:
        httpx.post(lb.url + "/call/predict", json={"data": ["Hi"]})

Responses are streamed back as they come (SSE included); the ``Host`` header is passed on,
so URLs the backends build point at the balancer. ``lb.hits`` counts requests per backend.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from types import TracebackType

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from server._runner import _Server, bind

__all__ = ["Balancer"]

#: Hop-by-hop headers (RFC 9110 7.6.1) a proxy must not pass on, and the length, which
#: the streamed answer sets again.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class Balancer:
    def __init__(self, backends: Sequence[str]) -> None:
        self.backends = [b.rstrip("/") for b in backends]
        self.hits: Counter[str] = Counter()
        self._next = itertools.cycle(self.backends)
        self._lock = threading.Lock()
        self._socket = bind("127.0.0.1", 0)
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = Starlette(
            routes=[
                Route(
                    "/{path:path}",
                    self._forward,
                    methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"],
                )
            ]
        )
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = _Server(config)  # sets .ready once listening
        self._thread = threading.Thread(target=self._serve, name="balancer", daemon=True)
        self._client: httpx.AsyncClient | None = None

    def pick(self) -> str:
        with self._lock:
            backend = next(self._next)
            self.hits[backend] += 1
            return backend

    async def _forward(self, request: Request) -> Response:
        if self._client is None:
            # A new connection for each request, closed after it (as nginx talks to its
            # upstreams by default): httpcore's pool can close an idle connection already
            # handed to a request about to be sent on it (the request fails: ReadError, a
            # 502 here). Keeping every idle connection made it rarer, not gone: 500 clients
            # at once still met it now and then, on a POST or a GET, and sooner when idle
            # connections expired sooner.
            limits = httpx.Limits(max_connections=1000, max_keepalive_connections=0)
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(60.0), limits=limits)
        backend = self.pick()
        url = backend + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP]
        upstream = self._client.build_request(
            request.method, url, headers=headers, content=await request.body()
        )
        try:
            answer = await self._client.send(upstream, stream=True)
        except httpx.HTTPError as error:
            return Response(f"balancer: {backend} failed: {error!r}", status_code=502)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in answer.aiter_raw():
                yield chunk

        return StreamingResponse(
            body(),
            status_code=answer.status_code,
            headers={k: v for k, v in answer.headers.items() if k.lower() not in _HOP},
            background=BackgroundTask(answer.aclose),
        )

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._socket]))
            if self._client is not None:
                loop.run_until_complete(self._client.aclose())
        finally:
            loop.close()

    def start(self, timeout: float = 10.0) -> Balancer:
        self._thread.start()
        if not self._server.ready.wait(timeout) or not self._server.started:
            raise RuntimeError(f"the balancer on port {self.port} did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    def __enter__(self) -> Balancer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
