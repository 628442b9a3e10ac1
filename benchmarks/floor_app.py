"""The floor: the least a server on gradio-mock's stack can do for one ``/call`` round trip.

    python benchmarks/floor_app.py            # prints "Running on http://127.0.0.1:PORT"

A bare Starlette app on the same uvicorn set-up as gradio-mock (``server._runner``: the same
socket options, event loop, HTTP parser and log settings). ``POST /gradio_api/call/echo``
keeps the inputs in a dict and answers an ``event_id``; ``GET /gradio_api/call/echo/{id}``
answers the ``complete`` frame in one write. No queue, no job, no function call, no
checks: what is left of a round trip's cost is uvicorn, Starlette and the sockets, which
gradio-mock cannot go below. ``bench.py`` reports gradio-mock's figures as ratios to it.
"""

from __future__ import annotations

import itertools
import json
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server import Settings
from server._gc import tune_gc
from server._runner import bind, make_server

PREFIX = "/gradio_api"


def build() -> Starlette:
    pending: dict[str, list[object]] = {}
    ids = itertools.count()

    async def config(_: Request) -> Response:
        return JSONResponse({"api_prefix": PREFIX, "version": "floor"})

    async def post(request: Request) -> Response:
        event_id = f"{next(ids):032x}"
        pending[event_id] = json.loads(await request.body())["data"]
        return Response(b'{"event_id":"%s"}' % event_id.encode(), media_type="application/json")

    async def get(request: Request) -> Response:
        data = pending.pop(request.path_params["event_id"], None)
        if data is None:
            return JSONResponse({"detail": "unknown event"}, status_code=404)
        body = b"event: complete\ndata: %s\n\n" % json.dumps(data).encode()
        return Response(body, media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/config", config),
            Route(PREFIX + "/call/{api_name}", post, methods=["POST"]),
            Route(PREFIX + "/call/{api_name}/{event_id}", get),
        ]
    )


def main() -> None:
    sock = bind("127.0.0.1", 0)
    print(f"Running on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    # gradio-mock's uvicorn set-up, with its default connection limits and timeouts, and
    # its process's garbage collector settings.
    server = make_server(build(), access_log=False, log_level="warning", settings=Settings())
    tune_gc()
    server.run(sockets=[sock])  # as the CLI runs gradio-mock: uvicorn's event loop choice


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
