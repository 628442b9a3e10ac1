"""Hardening of the transport: what a client can hold or make the server hold (bodies,
uploads, connections, URL fetches), what files are served how, and how shutdown ends streams.

URL inputs are served from 127.0.0.1 (``tests/fileserver.py`` or a trickling server here),
never the internet.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import signal
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import App, File, Json, Textbox
from server._files import is_public_address
from server.pytest_plugin import MockServer
from tests.apps import Gate
from tests.conftest import StartServer
from tests.test_cli import Served, cli_env

WAIT = 30.0


def frames_of(
    client: httpx.Client, api: str, data: list[Any], within: float = WAIT
) -> list[tuple[str, Any]]:
    """POST a call and read its stream, failing if it has not ended ``within`` seconds
    (servers here send heartbeats often, so a stalled stream still wakes the reader)."""
    response = client.post(f"/call/{api}", json={"data": data})
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + within
    body = ""
    with client.stream("GET", f"/call/{api}/{response.json()['event_id']}") as stream:
        for chunk in stream.iter_text():
            body += chunk
            assert time.monotonic() < deadline, f"/{api} did not end within {within} s: {body}"
    frames = []
    for block in body.split("\n\n"):
        if block.strip():
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            frames.append((fields.get("event", ""), json.loads(fields["data"])))
    return [frame for frame in frames if frame[0] != "heartbeat"]


def outcome(
    client: httpx.Client, api: str, data: list[Any], within: float = WAIT
) -> tuple[str, Any]:
    frames = frames_of(client, api, data, within)
    assert len(frames) == 1, frames
    return frames[0]


def files_app() -> tuple[App, Gate]:
    app = App("transport tests")
    gate = Gate()

    @app.api("digest", inputs=[File()], outputs=[Json()], concurrency_limit=1)
    async def digest(path: str) -> dict[str, Any]:
        with open(path, "rb") as f:
            data = f.read()
        return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    @app.api("echo", inputs=[Textbox()], outputs=[Textbox()], concurrency_limit=None)
    def echo(text: str) -> str:
        return text

    @app.api("held", inputs=[Textbox()], outputs=[Textbox()])
    def held(text: str) -> str:
        gate.pass_through()
        return text

    return app, gate


# -- 17: IPv6 forms that embed a non-public IPv4 address ------------------------------------

EMBEDDING_PRIVATE = [
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b:1::808:808",  # local-use NAT64 (RFC 8215): never public
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:7f00:1::",  # Teredo with a loopback server
    "224.0.0.1",  # multicast
]
PUBLIC = ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::"]


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
def test_ipv6_forms_embedding_a_private_ipv4_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_stay_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("host", ["[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::1]"])
def test_url_inputs_to_embedded_loopback_are_refused_before_connecting(
    start_server: StartServer, host: str
) -> None:
    app, _ = files_app()
    server = start_server(app)
    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        kind, payload = outcome(client, "digest", [{"path": f"http://{host}:9/x.png"}])
    assert kind == "error"
    assert "non-public address" in payload["error"], payload


# -- 18: which files are shown inline -------------------------------------------------------

SAMPLES = {
    "data.xml": (b"<?xml version='1.0'?><a/>", "attachment"),
    "style.xsl": (b"<xsl:stylesheet/>", "attachment"),
    "page.html": (b"<script>alert(1)</script>", "attachment"),
    "pic.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "attachment"),
    "page.xhtml": (b"<html/>", "attachment"),
    "code.js": (b"alert(1)", "attachment"),
    "doc.pdf": (b"%PDF-1.4", "attachment"),
    "blob.bin": (b"\x00\x01", "attachment"),
    "noext": (b"<script>1</script>", "attachment"),
    "photo.png": (b"\x89PNG\r\n\x1a\n", "inline"),
    "photo.jpg": (b"\xff\xd8\xff", "inline"),
    "notes.txt": (b"hello", "inline"),
    "clip.mp4": (b"\x00\x00\x00\x18ftyp", "inline"),
    "data.json": (b"{}", "inline"),
}


def test_only_harmless_types_are_served_inline(gradio_mock: MockServer) -> None:
    names = list(SAMPLES)
    with httpx.Client(base_url=gradio_mock.url, timeout=WAIT) as client:
        response = client.post(
            "/upload", files=[("files", (name, SAMPLES[name][0])) for name in names]
        )
        assert response.status_code == 200, response.text
        for name, path in zip(names, response.json()):
            served = client.get(f"/gradio_api/file={path}")
            assert served.status_code == 200
            assert served.content == SAMPLES[name][0]
            headers = served.headers
            assert headers["x-content-type-options"] == "nosniff", name
            csp = headers["content-security-policy"]
            assert "default-src 'none'" in csp and "sandbox" in csp, name
            disposition = headers["content-disposition"]
            assert disposition.split(";")[0] == SAMPLES[name][1], (name, disposition)
            assert name in disposition


# -- 12: one deadline for a URL fetch; a slow fetch holds no slot ---------------------------


class Trickle:
    """An HTTP server on 127.0.0.1 that sends its body one byte at a time, ``gap`` seconds
    apart, until ``stop`` is set (the pace is the point of the test, not a synchronisation)."""

    def __init__(self, size: int = 1000, gap: float = 0.1) -> None:
        self.stop = threading.Event()
        self.started = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                owner.started.set()
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                try:
                    for _ in range(size):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        if owner.stop.wait(gap):
                            return
                except OSError:
                    pass  # the client gave up: expected

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/slow.bin"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,))

    def __enter__(self) -> Trickle:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)


def test_a_trickling_url_is_cut_at_one_deadline_for_the_whole_fetch(
    start_server: StartServer,
) -> None:
    app, _ = files_app()
    server = start_server(app, allow_url_hosts=("127.0.0.1",), url_timeout=1.0, heartbeat=0.5)
    with Trickle(gap=0.1) as slow, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        began = time.monotonic()
        kind, payload = outcome(client, "digest", [{"path": slow.url}], within=10)
        took = time.monotonic() - began
    assert kind == "error"
    assert "timed out after 1.0 s" in payload["error"], payload
    # Each read came within 0.1 s; only a deadline for the whole fetch stops it (the
    # trickle itself would take 100 s).
    assert took < 5, took
    root = server.state.files.root
    assert os.listdir(root) == []  # the partial download and its folder are gone


def test_a_slow_fetch_does_not_hold_its_endpoints_slot(start_server: StartServer) -> None:
    app, _ = files_app()
    server = start_server(app, allow_url_hosts=("127.0.0.1",), url_timeout=20.0, heartbeat=0.5)
    with Trickle(gap=0.2) as slow, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        first = client.post("/call/digest", json={"data": [{"path": slow.url}]})
        assert slow.started.wait(WAIT)
        # /digest allows one call at a time; the trickling fetch must not be that call.
        data_url = "data:text/plain;base64,aGk="
        kind, payload = outcome(client, "digest", [data_url], within=5)
        assert (kind, payload[0]["size"]) == ("complete", 2)
        slow.stop.set()
        client.post("/cancel", json={"event_id": first.json()["event_id"]})


# -- 8: request bodies are capped while they are read --------------------------------------


def test_a_body_announced_over_the_cap_is_refused_before_it_is_read(
    start_server: StartServer,
) -> None:
    app, _ = files_app()
    server = start_server(app, max_body_size=10_000)
    body = json.dumps({"data": ["x" * 20_000]})
    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        for path in ("/call/echo", "/gradio_api/call/v2/echo", "/queue/join", "/upload"):
            response = client.post(path, content=body, headers={"content-type": "application/json"})
            assert response.status_code == 413, (path, response.text)
            assert "limit of 10000 bytes (--max-body-size)" in response.json()["detail"]
        # Under the cap, all is as before.
        assert outcome(client, "echo", ["y" * 5_000]) == ("complete", ["y" * 5_000])


def test_a_chunked_body_is_cut_as_soon_as_it_passes_the_cap(start_server: StartServer) -> None:
    app, _ = files_app()
    server = start_server(app, max_body_size=100_000)
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"data": ["'
        for _ in range(3200):  # 200 MiB if it were all read
            sent += 65536
            yield b"x" * 65536

    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        response = client.post("/call/echo", content=chunks())
    assert response.status_code == 413, response.text
    assert "--max-body-size" in response.json()["detail"]
    assert sent < 50 * 1024 * 1024, sent  # the connection closed long before the end


def test_a_refused_multi_file_upload_leaves_no_file_and_no_folder(
    start_server: StartServer,
) -> None:
    app, _ = files_app()
    server = start_server(app, max_file_size=1000)
    root = server.state.files.root
    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        response = client.post(
            "/upload",
            files=[("files", ("a.txt", b"a" * 10)), ("files", ("b.txt", b"b" * 5000))],
        )
    assert response.status_code == 413, response.text
    assert "larger than the limit of 1000 bytes" in response.json()["detail"]
    assert os.listdir(root) == []


# -- 16: shutdown ends every stream with a final event, and exits 0 in time ---------------

STOPPING_APP = textwrap.dedent(
    """
    import asyncio
    import threading

    from server import App

    app = App("stopping")
    never = threading.Event()


    @app.api("stuck", concurrency_limit=None)
    def stuck(x: str) -> str:
        never.wait(60)  # a thread that will not end by itself within the test
        return x


    @app.api("waits", concurrency_limit=None)
    async def waits(x: str) -> str:
        await asyncio.sleep(60)
        return x
    """
)


def _read_all(
    client: httpx.Client, url: str, into: dict[str, str], key: str, opened: threading.Event
) -> None:
    body = ""
    try:
        with client.stream("GET", url) as response:
            for chunk in response.iter_text():
                body += chunk
                opened.set()
        into[key] = body
    except httpx.HTTPError as error:  # a stream cut without its closing chunk
        into[key] = f"BROKEN: {error!r} after {body!r}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_ends_every_stream_properly_and_exits_0_in_time(tmp_path: Path, sig: int) -> None:
    app_file = tmp_path / "stopping_app.py"
    app_file.write_text(STOPPING_APP)
    args = [str(app_file), "--port", "0", "--shutdown-timeout", "2", "--no-access-log"]
    served = Served(args, cli_env(GRADIO_HEARTBEAT_INTERVAL="0.2"))
    bodies: dict[str, str] = {}
    opened = {key: threading.Event() for key in ("stuck", "waits", "queue", "heartbeat")}
    client = httpx.Client(base_url=served.url, timeout=WAIT)
    readers = []
    try:
        for api in ("stuck", "waits"):
            event_id = client.post(f"/call/{api}", json={"data": ["x"]}).json()["event_id"]
            readers.append((f"/call/{api}/{event_id}", api))
        joined = client.post(
            "/queue/join", json={"data": ["y"], "fn_index": 0, "session_hash": "s1"}
        )
        assert joined.status_code == 200, joined.text
        readers.append(("/queue/data?session_hash=s1", "queue"))
        readers.append(("/heartbeat/s1", "heartbeat"))
        threads = [
            threading.Thread(target=_read_all, args=(client, url, bodies, key, opened[key]))
            for url, key in readers
        ]
        for thread in threads:
            thread.start()
        # Every stream is open and has said something before the signal.
        for key in ("stuck", "waits", "queue", "heartbeat"):
            assert opened[key].wait(WAIT), key
        began = time.monotonic()
        served.process.send_signal(sig)
        code = served.process.wait(WAIT)
        took = time.monotonic() - began
        for thread in threads:
            thread.join(WAIT)
    finally:
        client.close()
        served.stop(signal.SIGKILL)  # no-op once it has ended; never leave it running
        assert served.process.stdout is not None and served.process.stderr is not None
        served.process.stdout.close()
        served.process.stderr.close()
    assert code == 0, served.stderr
    assert took < 2 + 3, took  # the stuck thread is not waited for beyond the timeout
    stopping = '"error": "The server is stopping."'
    for key in ("stuck", "waits"):
        assert bodies[key].endswith("\n\n") and "BROKEN" not in bodies[key], bodies[key]
        assert "event: error" in bodies[key] and stopping in bodies[key], bodies[key]
    assert '"msg":"process_completed"' in bodies["queue"], bodies["queue"]
    assert bodies["queue"].endswith('data: {"msg":"close_stream","event_id":null}\n\n')
    assert bodies["heartbeat"].startswith("data: ALIVE"), bodies["heartbeat"]
    stderr = served.stderr
    assert "Traceback" not in stderr
    assert "without completing response" not in stderr


# -- 11: idle and slow connections are closed; connections are capped ---------------------


def _connect(server: MockServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    return sock


def _read_until_closed(sock: socket.socket, within: float = 10.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    began = time.monotonic()
    sock.settimeout(within)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        raise AssertionError(f"still open after {within} s; got {data!r}") from None
    except ConnectionResetError:
        pass
    return data, time.monotonic() - began


def test_a_connection_that_sends_nothing_is_closed(start_server: StartServer) -> None:
    app, _ = files_app()
    server = start_server(app, keep_alive_timeout=0.5, request_timeout=30)
    with _connect(server) as sock:
        data, took = _read_until_closed(sock)
    assert data == b"" and took < 5, (data, took)


def test_a_connection_idle_after_a_response_is_closed(start_server: StartServer) -> None:
    app, _ = files_app()
    server = start_server(app, keep_alive_timeout=0.5, request_timeout=30)
    with _connect(server) as sock:
        for _ in range(3):  # requests that come in time keep it open
            sock.sendall(b"GET /config HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        data, took = _read_until_closed(sock)
    assert data == b"" and 0.4 < took < 5, (data, took)


@pytest.mark.parametrize(
    "partial",
    [
        b"GET /config HTTP/1.1\r\nHost: x\r\n",  # headers never end
        b"POST /call/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"data": [',  # the body stalls
    ],
    ids=["half-headers", "half-body"],
)
def test_a_request_that_does_not_arrive_in_time_gets_408(
    start_server: StartServer, partial: bytes
) -> None:
    app, _ = files_app()
    server = start_server(app, keep_alive_timeout=30, request_timeout=0.5)
    with _connect(server) as sock:
        sock.sendall(partial)
        data, took = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b"--request-timeout" in data
    assert took < 5, took
    # The server serves on.
    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        assert outcome(client, "echo", ["still here"]) == ("complete", ["still here"])


def test_a_trickle_of_headers_is_cut_at_the_request_deadline(start_server: StartServer) -> None:
    app, _ = files_app()
    server = start_server(app, keep_alive_timeout=30, request_timeout=1.0)
    with _connect(server) as sock:
        began = time.monotonic()
        sock.sendall(b"GET /config HTTP/1.1\r\n")
        try:
            for _ in range(100):  # one header byte every 0.05 s: never idle, never done
                sock.sendall(b"X")
                time.sleep(0.05)
        except OSError:
            pass  # closed by the server: the point
        data, _ = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert time.monotonic() - began < 4


def test_each_request_on_a_connection_has_a_deadline_of_its_own(
    start_server: StartServer,
) -> None:
    # Two requests on one connection, the second begun after an idle pause and sent
    # slowly: it arrives in full within the timeout of its own first byte, though not of
    # the connection's opening, and is answered.
    app, _ = files_app()
    server = start_server(app, keep_alive_timeout=30, request_timeout=1.0)
    request = b"GET /config HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(request)
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        time.sleep(0.6)  # (idle: no request under way)
        for byte in range(len(request)):  # over 0.6 s, a slow client's
            sock.sendall(request[byte : byte + 1])
            time.sleep(0.6 / len(request))
        answer = _read_response(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer


def _read_response(sock: socket.socket) -> bytes:
    """One whole response of a known length (head and body) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
        ).split(b":")[1]
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, data
        body += chunk
    return head + b"\r\n\r\n" + body


def test_one_connection_over_the_cap_gets_503(start_server: StartServer) -> None:
    app, _ = files_app()
    server = start_server(app, max_connections=3, keep_alive_timeout=30)
    held = [_connect(server) for _ in range(3)]
    try:
        # The server has accepted the three before the fourth comes.
        with httpx.Client(base_url=server.url, timeout=WAIT) as client:
            deadline = time.monotonic() + WAIT
            while server.run(_count_connections(server)) < 3:
                assert time.monotonic() < deadline
            response = client.get("/config")
        assert response.status_code == 503
        assert "--max-connections" in response.json()["detail"]
        held.pop().close()
        deadline = time.monotonic() + WAIT
        while server.run(_count_connections(server)) > 2:
            assert time.monotonic() < deadline
        with httpx.Client(base_url=server.url, timeout=WAIT) as client:
            assert client.get("/config").status_code == 200
    finally:
        for sock in held:
            sock.close()


async def _count_connections(server: MockServer) -> int:
    return len(server._server.server_state.connections)


def test_an_upload_over_the_file_limit_is_refused_as_it_passes_it(
    start_server: StartServer,
) -> None:
    app, _ = files_app()
    server = start_server(app, max_file_size=100_000, max_body_size=1024**3)
    root = server.state.files.root
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="ok.txt"\r\n\r\n'
        yield b"fine\r\n"
        yield b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n'
        for _ in range(3200):  # 200 MiB if it were all read
            sent += 65536
            yield b"x" * 65536
        yield b"\r\n--XyZ--\r\n"

    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        response = client.post(
            "/upload", content=body(), headers={"content-type": "multipart/form-data; boundary=XyZ"}
        )
    assert response.status_code == 413, response.text
    assert "larger than the limit of 100000 bytes" in response.json()["detail"]
    assert sent < 50 * 1024 * 1024, sent
    assert os.listdir(root) == []  # neither ok.txt nor a part of big.bin, nor a folder
