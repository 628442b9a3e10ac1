"""The hot routes answered by the HTTP protocol itself (``server/_wire.py``): with the bytes
uvicorn's own cycle sends, in order on a connection (pipelined requests too), handing a stream
to uvicorn when a job outlasts the first wait, with one access log line a request."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn.protocols.http.httptools_impl as httptools_impl

from server import App
from server import _wire as wire_module
from server._runner import BackgroundServer
from server._wire import WireProtocol

TIMEOUT = 10.0


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # (a failed test leaves no thread waiting)


def wire_app(gate: threading.Event) -> App:
    app = App("wire")

    @app.api("echo")
    def echo(text: str) -> str:
        return text

    @app.api("gated", concurrency_limit=None)
    def gated(text: str) -> str:
        if not gate.wait(TIMEOUT):
            raise TimeoutError("the test never opened the gate")
        return text

    return app


@pytest.fixture
def cycles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests uvicorn's own ``RequestResponseCycle`` answers."""
    made: list[str] = []
    original = httptools_impl.RequestResponseCycle

    class Counted(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self.scope["path"])

    monkeypatch.setattr(httptools_impl, "RequestResponseCycle", Counted)
    monkeypatch.setattr(wire_module, "RequestResponseCycle", Counted)
    return made


class Connection:
    """One connection, its HTTP/1.1 responses read one after the other."""

    def __init__(self, server: BackgroundServer) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.file.close()
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers in order, body."""
        status, fields = self.head()
        return status, fields, self.body(fields)

    def head(self) -> tuple[int, list[tuple[str, str]]]:
        status = int(self.file.readline().split()[1])
        fields: list[tuple[str, str]] = []
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            fields.append((name.strip().lower(), value.strip()))
        return status, fields

    def body(self, fields: list[tuple[str, str]]) -> bytes:
        headers = dict(fields)
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self.file.readline(), 16):
                body += self.file.read(size)
                self.file.readline()
            self.file.readline()
        else:
            body = self.file.read(int(headers.get("content-length", "0")))
        return body


def request(method: str, path: str, body: Any = None, close: bool = False) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: test\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + data


Answer = tuple[int, list[tuple[str, str]], bytes]


def call(server: BackgroundServer, text: str, close: bool) -> list[Answer]:
    """POST then GET ``/call/echo``, each on a connection of its own."""
    answers = []
    with Connection(server) as connection:
        connection.send(request("POST", "/gradio_api/call/echo", {"data": [text]}, close))
        answers.append(connection.response())
    event_id = json.loads(answers[0][2])["event_id"]
    with Connection(server) as connection:
        connection.send(request("GET", f"/gradio_api/call/echo/{event_id}", close=close))
        answers.append(connection.response())
    return answers


def without(headers: list[tuple[str, str]], *names: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k not in names]


def test_the_protocol_answers_with_the_bytes_of_uvicorns_cycle(
    gate: threading.Event, cycles: list[str]
) -> None:
    with BackgroundServer(wire_app(gate)) as server:
        wire = call(server, "Hello", close=False)
        assert cycles == []  # both answered by the protocol
        uvicorn = call(server, "Hello", close=True)  # Connection: close takes uvicorn's way
        assert len(cycles) == 2
    for (status, headers, body), (status_u, headers_u, body_u) in zip(wire, uvicorn):
        assert status == status_u == 200
        assert [k for k, _ in headers[:2]] == ["date", "server"]  # uvicorn's defaults, first
        # uvicorn's cycle adds "connection: close" for the request that asked for it.
        assert headers_u[-1] == ("connection", "close")
        assert without(headers, "date") == without(headers_u[:-1], "date")
        assert len(body) == len(body_u)
    assert wire[1][2] == uvicorn[1][2] == b'event: complete\ndata: ["Hello"]\n\n'


def test_pipelined_requests_are_answered_in_order(gate: threading.Event) -> None:
    with BackgroundServer(wire_app(gate)) as server, Connection(server) as connection:
        posts = [request("POST", "/call/echo", {"data": [f"n{i}"]}) for i in range(3)]
        connection.send(b"".join(posts))  # three requests in one write
        ids = [json.loads(connection.response()[2])["event_id"] for _ in posts]
        connection.send(b"".join(request("GET", f"/call/echo/{i}") for i in ids))
        streams = [connection.response()[2] for _ in ids]
    assert streams == [f'event: complete\ndata: ["n{i}"]\n\n'.encode() for i in range(3)]


def test_a_stream_that_outlasts_the_first_wait_goes_on_and_the_connection_lives_on(
    gate: threading.Event, cycles: list[str]
) -> None:
    with BackgroundServer(wire_app(gate)) as server:
        with Connection(server) as connection:
            connection.send(request("POST", "/call/gated", {"data": ["late"]}))
            event_id = json.loads(connection.response()[2])["event_id"]
            # The GET waits for its job; a request pipelined behind it waits its turn.
            connection.send(
                request("GET", f"/call/gated/{event_id}")
                + request("POST", "/call/echo", {"data": ["after"]})
            )
            # The stream's head comes once the GET's first wait (0.1 s) is over: then the
            # job may end.
            status, headers = connection.head()
            assert (status, dict(headers)["transfer-encoding"]) == (200, "chunked")
            gate.set()
            assert connection.body(headers) == b'event: complete\ndata: ["late"]\n\n'
            status, _, posted = connection.response()
            assert status == 200 and b"event_id" in posted
        # The pipelined POST took uvicorn's way (its cycle made, and queued, as it came in);
        # the stream went on in a cycle made for it once the first wait was over.
        assert cycles == ["/call/echo", f"/call/gated/{event_id}"]


def test_each_request_answered_by_the_protocol_logs_one_access_line(
    gate: threading.Event, capsys: pytest.CaptureFixture[str]
) -> None:
    with BackgroundServer(wire_app(gate), access_log=True, log_level="info") as server:
        capsys.readouterr()
        posted = call(server, "Hi", close=False)[0][2]
        event_id = json.loads(posted)["event_id"]
        lines = [line for line in capsys.readouterr().out.splitlines() if "HTTP/1.1" in line]
    assert len(lines) == 2, lines
    assert lines[0].endswith('"POST /gradio_api/call/echo HTTP/1.1" 200 OK')
    assert lines[1].endswith(f'"GET /gradio_api/call/echo/{event_id} HTTP/1.1" 200 OK')


def test_a_client_that_leaves_while_its_stream_waits_costs_nothing(
    gate: threading.Event,
) -> None:
    with BackgroundServer(wire_app(gate)) as server:
        with Connection(server) as connection:
            connection.send(request("POST", "/call/gated", {"data": ["x"]}))
            event_id = json.loads(connection.response()[2])["event_id"]
            connection.send(request("GET", f"/call/gated/{event_id}"))
        gate.set()  # the job ends with nobody to tell
        (status, _, _), (_, _, body) = call(server, "still here", close=False)
        assert status == 200 and body == b'event: complete\ndata: ["still here"]\n\n'


def test_the_server_uses_the_protocol() -> None:
    with BackgroundServer(App("empty")) as server:
        assert issubclass(server._server.config.http, WireProtocol)  # type: ignore[arg-type]
