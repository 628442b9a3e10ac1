"""The hot path (``server/_hotpath.py`` ``HotPath``): ``POST /call`` and ``GET /call/<id>``
answered without gradio-mock's layers must be answered, and journalled, exactly as the layers
answer and journal them. A chunked request goes through the layers (only ``BodyLimit`` can
count a body of no declared length), so each test sends the same request both ways."""

from __future__ import annotations

import http.client
from typing import Any

import pytest

from server import App
from server._hotpath import HotPath, MockApp
from server.mock._journal import Entry, Journal
from server.pytest_plugin import MockServer
from tests.conftest import StartServer

TIMEOUT = 10.0
#: What differs between two identical requests: who they are, when, and how the body came.
_OWN = {"id", "time", "duration", "event_id", "headers"}


def echo_app() -> App:
    app = App("hot path")

    @app.api("echo")
    def echo(text: str) -> str:
        return text

    return app


def send(
    server: MockServer, method: str, path: str, body: bytes | None, chunked: bool
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request on a connection of its own: status, headers (but ``date``), body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        payload: Any = body
        if chunked:  # an iterable body without a length: http.client sends it chunked
            payload = iter([body] if body else [])
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        kept = [(k.lower(), v) for k, v in response.getheaders() if k.lower() != "date"]
        return response.status, kept, answer
    finally:
        connection.close()


def layers_seen(server: MockServer) -> list[str]:
    """The paths of the requests that go on into the layers from now on."""
    app = server.asgi_app
    assert isinstance(app, MockApp)
    hot = app.entry
    assert isinstance(hot, HotPath), "the server's entry should be its hot path"
    seen: list[str] = []
    rest = hot.rest

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await rest(scope, receive, send)

    hot.rest = spy
    return seen


def journalled(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in _OWN}


def test_a_call_on_the_hot_path_is_answered_and_journalled_as_through_the_layers(
    start_server: StartServer,
) -> None:
    server = start_server(echo_app())
    seen = layers_seen(server)
    body = b'{"data": ["Hello"], "session_hash": "s-1"}'
    path = "/gradio_api/call/echo/?q=1"
    answers = {chunked: send(server, "POST", path, body, chunked) for chunked in (False, True)}
    assert seen == ["/gradio_api/call/echo/"]  # the chunked one; the other took the hot path
    (hot_status, hot_headers, hot_body), (status, headers, answer) = answers[False], answers[True]
    assert (hot_status, hot_headers) == (status, headers) == (200, hot_headers)
    assert hot_body.startswith(b'{"event_id":"') and len(hot_body) == len(answer)

    streams = []
    for chunked, (_, _, posted) in answers.items():
        event_id = posted.decode().split('"')[3]
        streams.append(send(server, "GET", f"/gradio_api/call/echo/{event_id}", b"", chunked))
    assert len(seen) == 2
    assert streams[0] == streams[1]
    assert streams[0][2] == b'event: complete\ndata: ["Hello"]\n\n'

    entries = server.requests()
    assert [e["method"] for e in entries] == ["POST", "POST", "GET", "GET"]
    hot_post, post, hot_get, get = entries
    assert journalled(hot_post) == journalled(post)
    assert journalled(hot_get) == {**journalled(get), "path": hot_get["path"]}
    assert hot_get["path"].endswith(hot_get["event_id"])
    assert hot_post["data"] == ["Hello"] and hot_post["outcome"] == "complete"
    assert hot_post["path"] == path.partition("?")[0] and hot_post["query"] == "q=1"
    assert hot_get["status"] == 200 and hot_get["duration"] is not None
    assert hot_post["headers"]["content-length"] == str(len(body))


def test_errors_on_the_hot_path_are_the_layers_errors(start_server: StartServer) -> None:
    server = start_server(echo_app())
    seen = layers_seen(server)
    for path, body in (
        ("/call/nope", b'{"data": ["x"]}'),  # no such endpoint: 404, unmatched
        ("/call/echo", b'{"data": "x"}'),  # not a list: 422
        ("/call/echo", b'{"data": ["\xff"]}'),  # not UTF-8: 422
        ("/call/echo/nope", None),  # a POST to an event: 405, from FastAPI
    ):
        hot, layered = (send(server, "POST", path, body, chunked) for chunked in (False, True))
        assert hot == layered, path
        assert hot[0] >= 400
    assert len(seen) == 5  # the chunked four, and the 405 (not a hot route)
    assert server.take_unmatched()


def test_a_body_in_utf16_or_with_a_bom_is_read_as_json_reads_it(start_server: StartServer) -> None:
    """The hot path decodes a body itself only when it is surely UTF-8; json.loads works
    out the others (UTF-16 and -32, a byte-order mark), as it always did."""
    server = start_server(echo_app())
    text = '{"data": ["Grüße"]}'
    for encoded in (text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-8-sig")):
        status, _, answer = send(server, "POST", "/call/echo", encoded, False)
        assert status == 200, answer
        event_id = answer.decode().split('"')[3]
        _, _, frames = send(server, "GET", f"/call/echo/{event_id}", None, False)
        assert frames == b'event: complete\ndata: ["Gr\\u00fc\\u00dfe"]\n\n'


def test_changes_are_remembered_while_someone_reads_them() -> None:
    journal = Journal(10)

    def open_one() -> Any:
        scope = {"method": "GET", "path": "/config", "query_string": b"", "headers": []}
        return Entry(journal.open(scope, "root"))

    open_one()
    _, changed = journal.changes_since(0)
    assert changed is None  # nobody was reading: nothing kept, read the journal instead
    with journal.reading():
        cursor, _ = journal.changes_since(1 << 62)
        entry = open_one()
        assert journal.changes_since(cursor) == (cursor + 1, [entry])
    open_one()
    assert journal.changes_since(cursor)[1] is None  # forgotten once the reader left


@pytest.mark.parametrize("root_path", ["", "/app", "/gradio_api"])
def test_the_hot_path_finds_the_route_form_the_journal_would(root_path: str) -> None:
    """The hot routes take the route form from the normalisation of their path
    (``split_path``), the other requests from ``route_form``: the two must agree."""
    from server._routing import split_path
    from server.mock._journal import route_form

    for prefix in ("", root_path, "/gradio_api", root_path + "/gradio_api", "/other"):
        for rest in ("/call/echo", "/call/echo/", "/call/gradio_api/1", "/gradio_api", "/"):
            path = prefix + rest
            assert split_path(path, root_path)[1] == route_form(path, root_path)[0], path
