"""Random requests against every route, under ``/`` and ``/gradio_api``, in both wire formats.

Hypothesis makes the requests: random bodies (JSON of any shape, JSON that is almost right,
bytes that are not JSON), paths, query strings, headers, and session and event ids (random
ones, and real ones from an earlier request of the same example). Whatever comes in, the
server must answer below 500, every SSE frame it sends must carry JSON (or ``ALIVE``, the
heartbeat route's one non-JSON frame, as in Gradio), no stream may break off, and the server
must still work at the end. The example count is bounded, so it runs in seconds.
"""

from __future__ import annotations

import json
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from server import Settings
from server.pytest_plugin import MockServer
from tests.apps import make_app
from tests.sse import bounded_lines

#: The reference app's endpoints (and so fn_index 0 to ~20) plus names that do not exist.
API_NAMES = ["predict", "hello", "stream", "image", "chat", "boom", "crash", "counter"]
API_NAMES += ["sync_gen", "async_gen", "echo", "nope", "", "call", "v2"]
#: Frames whose data is not JSON: the heartbeat route's, as Gradio sends it.
NOT_JSON = {"ALIVE"}
#: How long one example may read a stream (streams of live jobs or heartbeats go on).
READ_FOR = 0.3


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[MockServer]:
    app, controls = make_app()
    controls.open_all()  # gated endpoints return at once
    server = MockServer(app, Settings(port=0, heartbeat=0.2, max_file_size=4096))
    with server:
        yield server


@dataclass
class Known:
    """Ids an example has been given by the server, for its later requests."""

    event_ids: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=lambda: ["fuzz"])


# -- strategies -----------------------------------------------------------------------------

json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
identifier = st.text(
    alphabet=string.ascii_letters + string.digits + "-_.~%/?#:@!$&'()*+,;= \u00e9\u4e2d",
    max_size=40,
)
# (h11 refuses header values with whitespace at either end before they leave the client.)
header_value = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40
).map(str.strip)


@st.composite
def call_body(draw: st.DrawFn) -> Any:
    """Bodies of the POST routes: mostly almost right, sometimes anything."""
    kind = draw(st.sampled_from(["call", "v2", "join", "cancel", "any"]))
    if kind == "call":
        body: dict[str, Any] = {"data": draw(st.lists(json_value, max_size=4))}
    elif kind == "v2":
        body = draw(st.dictionaries(st.sampled_from(["text", "name", "x", "step"]), json_value))
    elif kind == "join":
        body = {
            "data": draw(st.lists(json_value, max_size=4)),
            "fn_index": draw(st.integers(-3, 25) | st.none() | json_value),
        }
    elif kind == "cancel":
        body = {"event_id": draw(identifier | json_value)}
    else:
        return draw(json_value)
    if draw(st.booleans()):
        body["session_hash"] = draw(identifier | json_value)
    if draw(st.booleans()):
        body["api_name"] = draw(st.sampled_from(API_NAMES) | json_value)
    return body


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    content: bytes | None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None


ROUTES = [
    "call",
    "call_v2",
    "call_events",
    "queue_join",
    "queue_data",
    "heartbeat",
    "cancel",
    "reset",
    "upload",
    "file",
    "info",
    "config",
    "home",
    "random",
]


def body_bytes(draw: st.DataObject, body: Any) -> bytes:
    how = draw.draw(
        st.sampled_from(["json", "json", "json", "bytes", "empty", "truncated", "deep", "nan"])
    )
    event(f"body: {how}")
    if how == "deep":  # nested past any parser's recursion limit, or not
        depth = draw.draw(st.sampled_from([50, 2000, 100_000]))
        return b'{"data": [' + b"[" * depth + b"]" * depth + b"]}"
    if how == "nan":  # Python's parser reads these non-standard literals
        return b'{"data": [NaN, Infinity], "event_id": NaN, "session_hash": "s"}'
    if how == "bytes":
        return draw.draw(st.binary(max_size=64))
    if how == "empty":
        return b""
    text = json.dumps(body).encode()
    return text[: max(1, len(text) // 2)] if how == "truncated" else text


def build(draw: st.DataObject, known: Known) -> Request:
    """One request to a random route; ids drawn from those ``known`` or made up."""
    route = draw.draw(st.sampled_from(ROUTES))
    event(f"route: {route}")
    body = draw.draw(call_body())
    prefix = draw.draw(st.sampled_from(["", "/gradio_api"]))
    api = draw.draw(st.sampled_from(API_NAMES) | identifier)
    # Drawn the same way whatever the server answered (hypothesis replays the draws).
    pick = draw.draw(st.integers(0, 99))
    made_up = draw.draw(identifier)
    reuse = draw.draw(st.booleans())
    event_id = (
        known.event_ids[pick % len(known.event_ids)] if reuse and known.event_ids else made_up
    )

    session = draw.draw(st.sampled_from(known.sessions) | identifier)
    headers = {
        "content-type": draw.draw(
            st.sampled_from(
                [
                    "application/json",
                    "text/plain",
                    "multipart/form-data",
                    "application/x-www-form-urlencoded",
                    "",
                ]
            )
        )
    }
    for name in draw.draw(
        st.lists(
            st.sampled_from(
                [
                    "x-forwarded-host",
                    "x-forwarded-proto",
                    "x-forwarded-prefix",
                    "accept",
                    "cookie",
                    "authorization",
                    "x-whatever",
                ]
            ),
            max_size=3,
        )
    ):
        headers[name] = draw.draw(header_value)
    params: dict[str, str] = {}
    content: bytes | None = body_bytes(draw, body)
    files = None
    if route == "call":
        method, path = "POST", f"/call/{api}"
    elif route == "call_v2":
        method, path = "POST", f"/call/v2/{api}"
    elif route == "call_events":
        method, path, content = "GET", f"/call/{api}/{event_id}", None
    elif route == "queue_join":
        method, path = "POST", "/queue/join"
        if isinstance(body, dict) and draw.draw(st.booleans()):
            body = {**body, "session_hash": session}
            content = json.dumps(body).encode()
    elif route == "queue_data":
        method, path, content = "GET", "/queue/data", None
        if draw.draw(st.booleans()):
            params["session_hash"] = session
    elif route == "heartbeat":
        method, path, content = "GET", f"/heartbeat/{session}", None
    elif route in ("cancel", "reset"):
        method, path = "POST", f"/{route}"
        if draw.draw(st.booleans()):
            content = json.dumps({"event_id": event_id, "session_hash": session}).encode()
    elif route == "upload":
        method, path = "POST", "/upload"
        if draw.draw(st.booleans()):
            content, headers = None, {}
            field_name = draw.draw(st.sampled_from(["files", "file", "x"]))
            files = [
                (
                    field_name,
                    (
                        draw.draw(identifier) or "f",
                        draw.draw(st.binary(max_size=5000)),
                        "application/octet-stream",
                    ),
                )
            ]
    elif route == "file":
        method, content = "GET", None
        path = "/file=" + draw.draw(
            st.sampled_from(["/etc/passwd", "../../x", "", "%2e%2e/x"]) | identifier
        )
    elif route in ("info", "config", "home"):
        method, content = "GET", None
        path = {"info": "/info", "config": "/config", "home": "/"}[route]
        params = draw.draw(
            st.dictionaries(
                st.sampled_from(["serialize", "all_endpoints", "x"]), header_value, max_size=2
            )
        )
    else:
        method = draw.draw(
            st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
        )
        path = "/" + draw.draw(identifier)
    return Request(method, prefix + path, params, headers, content, files)


# -- checks ---------------------------------------------------------------------------------


def send(client: httpx.Client, request: Request, known: Known) -> None:
    with client.stream(
        request.method,
        request.path,
        params=request.params,
        headers=request.headers,
        content=request.content,
        files=request.files,
    ) as response:
        assert response.status_code < 500, (
            f"{request.method} {request.path} {request.headers} body {request.content!r:.80} "
            f"→ {response.status_code} {response.read()[:200]!r}"
        )
        kind = response.headers.get("content-type", "")
        if kind.startswith("text/event-stream"):
            check_stream(response, request)
            return
        body = response.read()
        if kind.startswith("application/json") and body:
            answer = json.loads(body)
            if isinstance(answer, dict) and isinstance(answer.get("event_id"), str):
                known.event_ids.append(answer["event_id"])


def check_stream(response: httpx.Response, request: Request) -> None:
    """Every frame read within ``READ_FOR`` carries JSON; the stream never breaks off."""
    end = time.monotonic() + READ_FOR
    try:
        for line in bounded_lines(response, deadline=30):
            if line.startswith("data:"):
                data = line.removeprefix("data:").strip()
                if data not in NOT_JSON:
                    json.loads(data)  # raises on a frame that is not JSON
            if time.monotonic() > end:
                return  # still open (a live job or heartbeats): enough read
    except httpx.RemoteProtocolError as error:
        raise AssertionError(f"the stream of {request} broke off: {error}") from None


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples every run: a failure here is reproducible
)
@given(st.data())
def test_random_requests_get_no_5xx_and_only_json_frames(
    fuzzed: MockServer, data: st.DataObject
) -> None:
    known = Known()
    with httpx.Client(base_url=fuzzed.url, timeout=10) as client:
        for _ in range(data.draw(st.integers(1, 4), label="requests")):
            send(client, build(data, known), known)


def test_the_server_still_works_after_the_fuzzing(fuzzed: MockServer) -> None:
    with httpx.Client(base_url=fuzzed.url, timeout=10) as client:
        assert client.get("/config").status_code == 200
        event_id = client.post("/call/sync_fn", json={"data": ["ok"]}).json()["event_id"]
        with client.stream("GET", f"/call/sync_fn/{event_id}") as response:
            lines = list(bounded_lines(response, deadline=10))
    assert 'data: ["OK"]' in lines
    # The only exceptions the functions raised are the ones the reference app raises on purpose.
    unexpected = [e for e in fuzzed.take_errors() if str(e) != "secret internals"]
    assert unexpected == []


@pytest.mark.parametrize("path", ["/queue/join", "/gradio_api/cancel", "/reset"])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", b"\x80{"), ("", b"\x80{"), ("application/json", b'{"event_id": NaN}')],
)
def test_a_refused_body_that_json_cannot_quote_is_a_422(
    fuzzed: MockServer, path: str, content_type: str, body: bytes
) -> None:
    """Found by the fuzzing: FastAPI's own 422 handler quotes the refused input, and
    crashed (a 500) on bytes that are not UTF-8 and on NaN."""
    response = httpx.post(fuzzed.url + path, content=body, headers={"content-type": content_type})
    assert response.status_code == 422, response.text
    refused = response.json()["detail"]
    assert all(e["loc"][0] == "body" for e in refused)
    # The input is quoted as far as JSON can carry it.
    quoted = [e["input"] for e in refused if isinstance(e["input"], str)]
    if b"NaN" in body:
        assert any("nan" in text for text in quoted), refused
    else:
        assert "\ufffd{" in quoted, refused


#: Every route, as (method, path): the random test may miss one, this sweep may not.
EVERY_ROUTE = [
    ("POST", "/call/predict"),
    ("POST", "/call/v2/predict"),
    ("GET", "/call/predict/0123456789abcdef0123456789abcdef"),
    ("POST", "/queue/join"),
    ("GET", "/queue/data?session_hash=fuzz"),
    ("GET", "/heartbeat/fuzz"),
    ("POST", "/cancel"),
    ("POST", "/reset"),
    ("POST", "/upload"),
    ("GET", "/file=nothing"),
    ("GET", "/info"),
    ("GET", "/config"),
    ("GET", "/"),
]
HOSTILE_BODIES = {
    "deep": b'{"data": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
    "deepish": b'{"data": [' + b"[" * 2000 + b"]" * 2000 + b"]}",
    "nan": b'{"data": [NaN], "fn_index": 0, "session_hash": "s", "event_id": NaN}',
    "not utf-8": b"\x80{",
    "empty": b"",
    "null": b"null",
    "list": b"[]",
    "wrong types": b'{"data": "x", "fn_index": "0", "session_hash": 1, "event_id": []}',
}


@pytest.mark.parametrize("prefix", ["", "/gradio_api"])
@pytest.mark.parametrize(("method", "path"), EVERY_ROUTE)
def test_every_route_under_both_prefixes_takes_hostile_bodies(
    fuzzed: MockServer, prefix: str, method: str, path: str
) -> None:
    failures = []
    with httpx.Client(base_url=fuzzed.url, timeout=10) as client:
        for name, body in HOSTILE_BODIES.items():
            for content_type in ("application/json", "text/plain"):
                request = Request(method, prefix + path, {}, {"content-type": content_type}, body)
                try:
                    send(client, request, Known())
                except (AssertionError, httpx.HTTPError) as error:
                    failures.append(f"{name} ({content_type}): {str(error)[:200]}")
    assert failures == []
