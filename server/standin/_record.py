"""``gradio-mock record UPSTREAM -o cassette.json``: a transparent proxy in front of a real
Gradio app that records every call that passes through it.

Every request is forwarded as it came (both route forms, every route: /config, /info,
/upload, /file=, heartbeats, cancel...); answers come back as they arrive (SSE streams line
by line, files in chunks), with the upstream's address in JSON and SSE bodies rewritten to
the proxy's, so that clients keep talking to the proxy. Calls are recorded from both wire
formats: ``POST /call/<api>`` (or ``/call/v2/<api>``, named arguments) then
``GET /call/<api>/<event_id>``, and ``POST /queue/join``
then ``GET /queue/data`` (whose diffs are applied to keep full values). When a call ends
its files are fetched from the upstream into the cassette's folder and the cassette is
written again, so stopping the recorder at any time keeps every finished call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ._cassette import Cassette
from ._episode import Episode, Upstream, error_payload
from ._spec import Spec

__all__ = ["Recorder", "recorder_app"]

#: Headers that belong to one connection, not to the request or answer.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
    "content-encoding",
}
#: Calls under way kept at most (the oldest go first).
MAX_PENDING = 10_000
_CALL = re.compile(r"^/call/(?!v2/)([^/]+)/?$")
_CALL_NAMED = re.compile(r"^/call/v2/([^/]+)/?$")
_CALL_STREAM = re.compile(r"^/call/(?!v2/)([^/]+)/([^/]+)/?$")


class Recorder:
    """What the proxy knows: the upstream, the cassette, and the calls under way."""

    def __init__(self, upstream: Upstream, cassette: Cassette, spec: Spec) -> None:
        self.upstream = upstream
        self.cassette = cassette
        self.spec = spec
        #: Calls whose event_id the upstream gave and whose end has not been seen.
        self.pending: dict[str, Episode] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._by_index = {e.fn_index: e.api_name for e in spec.endpoints if e.fn_index is not None}
        self.recorded = 0

    def state_inputs(self, api_name: str) -> list[bool]:
        endpoint = self.spec.endpoint(api_name)
        return [i.state for i in endpoint.inputs] if endpoint is not None else []

    def start(self, api_name: str | None, data: Any, event_id: Any, wire: str) -> None:
        if api_name is None or not isinstance(data, list) or not isinstance(event_id, str):
            return
        if self.spec.endpoint(api_name) is None:
            return  # not part of the API (a UI event): nothing a client replays
        self.pending[event_id] = Episode("/" + api_name.strip("/"), data, wire)
        while len(self.pending) > MAX_PENDING:  # calls whose end never came (cancelled, lost)
            del self.pending[next(iter(self.pending))]

    def positional(self, api_name: str, named: dict[str, Any]) -> list[Any] | None:
        """``/call/v2``'s named arguments as the list of inputs (defaults filling gaps)."""
        endpoint = self.spec.endpoint(api_name)
        if endpoint is None:
            return None
        values = []
        for parameter in endpoint.parameters:
            if parameter.name in named:
                values.append(named[parameter.name])
            elif parameter.info.get("parameter_has_default"):
                values.append(parameter.info.get("parameter_default"))
            else:
                return None  # the upstream refused it, or will
        return values

    def api_name_of(self, body: dict[str, Any]) -> str | None:
        name = body.get("api_name")
        if isinstance(name, str):
            return name
        fn_index = body.get("fn_index")
        return self._by_index.get(fn_index) if isinstance(fn_index, int) else None

    def event(self, event_id: str, kind: str, data: Any) -> None:
        """An event of a call on either wire (already in the timeline's words)."""
        episode = self.pending.get(event_id)
        if episode is None:
            return
        if kind == "generating_diff":
            episode.generating(data)
        else:
            episode.add(kind, data)
        if episode.done:
            del self.pending[event_id]
            task = asyncio.create_task(self._finish(episode))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _finish(self, episode: Episode) -> None:
        await self.upstream.finish(self.cassette, episode, self.state_inputs(episode.api_name))
        self.recorded += 1

    async def drain(self) -> None:
        """Wait for the recordings being written (at shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- the two wire formats' streams ---------------------------------------------------
    def call_frame(self, event_id: str, frame: dict[str, str]) -> None:
        kind = frame.get("event")
        if kind not in ("generating", "complete", "error"):
            return
        try:
            data = json.loads(frame.get("data", "null"))
        except ValueError:
            data = frame.get("data")
        if kind == "error":
            data = error_payload(data)
        self.event(event_id, kind, data)

    def queue_frame(self, frame: dict[str, str]) -> None:
        try:
            message = json.loads(frame.get("data", ""))
        except ValueError:
            return
        if not isinstance(message, dict) or not isinstance(message.get("event_id"), str):
            return
        event_id, msg = message["event_id"], message.get("msg")
        raw_output = message.get("output")
        output: dict[str, Any] = raw_output if isinstance(raw_output, dict) else {}
        if msg == "estimation":
            rank, size = message.get("rank"), message.get("queue_size")
            estimation = {
                "rank": rank if isinstance(rank, int) else 0,
                "queue_size": size if isinstance(size, int) else 1,
                "rank_eta": message.get("rank_eta"),
            }
            self.event(event_id, "estimation", estimation)
        elif msg == "progress" and isinstance(message.get("progress_data"), list):
            self.event(event_id, "progress", message["progress_data"])
        elif msg == "log":
            fields = ("log", "level", "duration", "visible", "title")
            self.event(event_id, "log", {k: message[k] for k in fields if k in message})
        elif msg == "process_generating":
            self.event(event_id, "generating_diff", output.get("data"))
        elif msg == "process_completed":
            if message.get("success"):
                self.event(event_id, "complete", output.get("data"))
            else:
                self.event(event_id, "error", error_payload(output))


def _frames(buffer: list[str], line: str) -> dict[str, str] | None:
    """SSE lines in, a frame (``{"event": ..., "data": ...}``) out at each blank line."""
    if line:
        buffer.append(line)
        return None
    frame: dict[str, str] = {}
    for field_line in buffer:
        name, _, value = field_line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        frame[name] = frame[name] + "\n" + value if name in frame else value
    buffer.clear()
    return frame or None


def recorder_app(recorder: Recorder) -> Starlette:
    upstream = recorder.upstream
    client = upstream.client

    async def proxy(request: Request) -> Response:
        path = request.url.path
        local = path[len("/gradio_api") :] if path.startswith("/gradio_api/") else path
        query = request.url.query
        # As the client wrote it: /file= paths keep their own escapes.
        raw = request.scope.get("raw_path") or path.encode()
        target = upstream.root + raw.decode("latin-1") + (f"?{query}" if query else "")
        # A call's body is read (it is recorded); any other (an upload) streams through.
        starts_call = request.method == "POST" and (
            _CALL.match(local) is not None
            or _CALL_NAMED.match(local) is not None
            or local.rstrip("/") == "/queue/join"
        )
        body = await request.body() if starts_call else b""
        content: bytes | AsyncIterator[bytes] = body if starts_call else request.stream()
        headers = [
            (name, value) for name, value in request.headers.items() if name.lower() not in _HOP
        ]
        try:
            response = await client.send(
                client.build_request(request.method, target, headers=headers, content=content),
                stream=True,
            )
        except httpx.HTTPError as error:
            return Response(
                json.dumps(
                    {
                        "detail": f"gradio-mock record: the upstream {upstream.root} "
                        f"cannot be reached: {error}"
                    }
                ),
                status_code=502,
                media_type="application/json",
            )
        proxy_root = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        old, new = upstream.root.encode(), proxy_root.encode()
        out_headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers.multi_items()
            if name.lower() not in _HOP
        ]
        kind = response.headers.get("content-type", "")
        if "text/event-stream" in kind:
            stream_match = _CALL_STREAM.match(local)
            on_frame: Any = None
            if request.method == "GET" and stream_match:
                event_id = stream_match.group(2)

                def on_frame(frame: dict[str, str] | None) -> None:
                    if frame is None:  # the stream ended: a call without its end is dropped
                        recorder.pending.pop(event_id, None)
                    else:
                        recorder.call_frame(event_id, frame)

            elif request.method == "GET" and local.rstrip("/") == "/queue/data":

                def on_frame(frame: dict[str, str] | None) -> None:
                    if frame is not None:
                        recorder.queue_frame(frame)

            streamed = StreamingResponse(
                _sse_through(response, old, new, on_frame),
                status_code=response.status_code,
                background=BackgroundTask(response.aclose),
            )
            streamed.raw_headers = out_headers
            return streamed
        if "application/json" in kind:
            try:
                answered = await response.aread()
            finally:
                await response.aclose()
            if response.status_code == 200 and starts_call:
                _note_start(recorder, local, body, answered)
            answered = answered.replace(old, new)
            answer = Response(answered, status_code=response.status_code)
            answer.raw_headers = [
                *out_headers,
                (b"content-length", str(len(answered)).encode()),
            ]
            return answer
        streamed = StreamingResponse(
            response.aiter_bytes(),
            status_code=response.status_code,
            background=BackgroundTask(response.aclose),
        )
        streamed.raw_headers = out_headers
        return streamed

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await recorder.drain()
            await client.aclose()

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", proxy, methods=methods)], lifespan=lifespan)
    app.state.recorder = recorder
    return app


def _note_start(recorder: Recorder, local: str, body: bytes, content: bytes) -> None:
    """A POST that started a call (``/call/<api>`` or ``/queue/join``): its episode opens."""
    try:
        sent, answer = json.loads(body), json.loads(content)
    except ValueError:
        return
    if not isinstance(sent, dict) or not isinstance(answer, dict):
        return
    call, named = _CALL.match(local), _CALL_NAMED.match(local)
    if call:
        recorder.start(call.group(1), sent.get("data"), answer.get("event_id"), "call")
    elif named:  # Gradio 6's named arguments: recorded as the list they stand for
        data = recorder.positional(named.group(1), sent)
        recorder.start(named.group(1), data, answer.get("event_id"), "call")
    elif local.rstrip("/") == "/queue/join":
        api_name = recorder.api_name_of(sent)
        recorder.start(api_name, sent.get("data"), answer.get("event_id"), "queue")


async def _sse_through(
    response: httpx.Response, old: bytes, new: bytes, on_frame: Any
) -> AsyncIterator[bytes]:
    """The upstream's stream, each complete line passed on as soon as it arrives (the
    upstream's address rewritten), and each frame handed to ``on_frame``."""
    pending = b""
    fields: list[str] = []
    async for chunk in response.aiter_bytes():
        pending += chunk
        cut = pending.rfind(b"\n") + 1
        if not cut:
            continue
        lines, pending = pending[:cut], pending[cut:]
        if on_frame is not None:
            for raw in lines.split(b"\n")[:-1]:
                frame = _frames(fields, raw.rstrip(b"\r").decode("utf-8", "replace"))
                if frame is not None:
                    on_frame(frame)
        yield lines.replace(old, new)
    if pending:
        yield pending.replace(old, new)
    if on_frame is not None:
        on_frame(None)


def run_recorder(
    upstream_url: str,
    output: str,
    *,
    host: str = "127.0.0.1",
    port: int = 7861,
    token: str | None = None,
    access_log: bool = True,
) -> int:
    """``gradio-mock record``: snapshot the upstream, then proxy and record until stopped."""
    import logging
    import os
    import sys

    from .._runner import bind, make_server, serve_in_foreground
    from .._server import Settings
    from ._cassette import is_cassette, load_cassette
    from ._snapshot import fetch_api, spec_from_captures
    from ._spec import SpecError

    def fail(message: str, code: int) -> int:
        print(f"gradio-mock record: error: {message}", file=sys.stderr)
        return code

    upstream_url = upstream_url.rstrip("/")
    try:
        config, info = fetch_api(upstream_url, token)
        spec = spec_from_captures(config, info, source=upstream_url)
        if os.path.exists(output):
            if not is_cassette(output):
                return fail(f"{output} exists and is not a cassette: not overwriting it", 3)
            cassette = load_cassette(output)
            cassette.spec, cassette.upstream = spec, upstream_url
        else:
            cassette = Cassette(output, spec, upstream_url)
        cassette.save()
    except SpecError as error:
        return fail(str(error), 3)
    except OSError as error:
        return fail(f"cannot write {output}: {error.strerror or error}", 3)
    prefix = config.get("api_prefix") or ""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = httpx.AsyncClient(
        headers=headers, timeout=httpx.Timeout(30.0, read=None), follow_redirects=False
    )
    recorder = Recorder(Upstream(upstream_url, client, prefix), cassette, spec)
    app = recorder_app(recorder)
    settings = Settings(host=host, port=port, shutdown_timeout=3.0)
    try:
        sock = bind(host, port)
    except OSError as error:
        return fail(f"cannot listen on {host}:{port}: {error.strerror or error}", 4)
    shown = f"[{host}]" if ":" in host else host
    had = len(cassette.recordings)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per upstream request
    print(
        f"Recording {upstream_url} (Gradio {spec.gradio_version}, {len(spec.endpoints)} "
        f"endpoints) into {output}"
        + (f" (adding to its {had} recordings)" if had else "")
        + f"\nProxy on http://{shown}:{sock.getsockname()[1]}: point your client there."
        "\nPress Ctrl+C to stop.",
        flush=True,
    )
    server = make_server(app, settings=settings, access_log=access_log)
    serve_in_foreground(server, sock, settings.shutdown_timeout)
    print(f"Recorded {recorder.recorded} calls into {output}", flush=True)
    return 0
