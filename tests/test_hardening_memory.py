"""Memory stays bounded whatever clients send (issue 6, items 6, 7, 9, 10, 13).

Each test measures what is kept: jobs alive, bytes the cache counts, the frames a re-read
replays, the ids a session channel holds. None measures RSS (``benchmarks/soak.py`` does).
"""

from __future__ import annotations

import gc
import glob
import json
import logging
import os
import socket
import struct
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from demos import _png
from demos.chat import MAX_TURNS, chat
from server import App, Session, Settings, output_path
from server._cache import EVENT_OVERHEAD, ResultCache
from server._cli import build_parser
from server._jobs import Job, JobEvent
from server._streams import CHUNK, _call_frames
from server.pytest_plugin import MockServer
from tests.apps import WAIT, Gate
from tests.conftest import StartServer
from tests.sse import HTTP, read_frames, start_call

KB = 1024


def make_app(gate: Gate) -> App:
    app = App("memory")

    @app.api("echo")  # one at a time, in order: reading the last means all have ended
    async def echo(text: str) -> str:
        return text

    @app.api("big")
    def big(size: int) -> str:
        return "x" * int(size)

    @app.api("count", concurrency_limit=None)
    def count(n: int) -> Iterator[str]:
        for i in range(int(n)):
            yield str(i)

    @app.api("grow", concurrency_limit=None)
    def grow(n: int, step: int) -> Iterator[str]:
        for i in range(1, int(n) + 1):
            yield "x" * (i * int(step))

    @app.api("gated", concurrency_limit=None)
    def gated(size: int) -> Iterator[str]:
        yield "a" * int(size)
        gate.pass_through()
        yield "b" * int(size)

    @app.api("counter")
    def counter(step: int, session: Session) -> int:
        session["total"] = session.get("total", 0) + int(step)
        return int(session["total"])

    return app


@pytest.fixture
def gate() -> Iterator[Gate]:
    gate = Gate()
    yield gate
    gate.open()


@pytest.fixture
def serve(start_server: StartServer, gate: Gate) -> Any:
    def start(**settings: Any) -> MockServer:
        return start_server(make_app(gate), **settings)

    return start


def join(server: MockServer, api: str, data: list[Any], session_hash: str) -> str:
    body = {"data": data, "api_name": api, "session_hash": session_hash}
    response = HTTP.post(f"{server.url}/gradio_api/queue/join", json=body)
    assert response.status_code == 200, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def session_messages(server: MockServer, session_hash: str) -> list[dict[str, Any]]:
    url = f"{server.url}/gradio_api/queue/data"
    with HTTP.stream("GET", url, params={"session_hash": session_hash}, timeout=WAIT) as r:
        body = r.read().decode()
    return [json.loads(block.removeprefix("data: ")) for block in body.split("\n\n") if block]


def wait_ended(server: MockServer, event_id: str) -> Job:
    """The job, once it has ended, without reading it through a stream (which would count
    as delivering it)."""
    job = server.state.cache.get(event_id)
    assert job is not None

    async def ended() -> None:
        async for _ in job.follow():
            pass

    server.run(ended(), timeout=WAIT)
    return job


def wait_logged(server: MockServer, event_id: str, kind: str) -> None:
    """Until the job's log holds an event of ``kind`` (a value reaches the log a moment after
    the function yields it: sync generators hand values over in batches)."""
    job = server.state.cache.get(event_id)
    assert job is not None

    async def logged() -> None:
        async for events in job.follow():
            if any(event.kind == kind for event in events):
                return

    server.run(logged(), timeout=WAIT)


def jobs_alive() -> int:
    gc.collect()
    return sum(isinstance(o, Job) for o in gc.get_objects())


# -- item 6: joined jobs nobody reads count against the one bound ----------------------


def test_joined_jobs_never_read_are_evicted_like_any_result(serve: Any) -> None:
    server = serve(cache_size=5)
    before = jobs_alive()
    ids = [join(server, "echo", [f"{i:04}" + "x" * 10 * KB], f"s{i % 3}") for i in range(60)]
    # /echo runs one call at a time, in order: once the last has ended, all have.
    assert read_frames(f"{server.url}/call/echo/{ids[-1]}")[-1][0] == "complete"
    assert server.state.cache.finished == 5
    assert jobs_alive() - before <= 5  # the session channels keep no job alive
    assert server.state.cache.bytes < 5 * 13 * KB


def test_a_session_stream_says_which_jobs_were_evicted_before_it_read_them(
    serve: Any,
) -> None:
    server = serve(cache_size=1)
    ids = [join(server, "echo", [v], "evicting") for v in ("a", "b", "c")]
    assert read_frames(f"{server.url}/call/echo/{ids[-1]}")[-1] == ("complete", ["c"])
    received = session_messages(server, "evicting")
    finals = {m["event_id"]: m for m in received if m["msg"] == "process_completed"}
    assert set(finals) == set(ids)
    for event_id in ids[:2]:
        assert finals[event_id]["success"] is False
        message = finals[event_id]["output"]["error"]
        assert f"event {event_id} was evicted from the result cache" in message
        assert "--cache-size" in message
    assert finals[ids[2]]["success"] is True
    assert finals[ids[2]]["output"]["data"] == ["c"]
    assert received[-1]["msg"] == "close_stream"
    assert server.state.channels.pending == 0


def test_evicted_ids_a_channel_remembers_are_bounded() -> None:
    cache = ResultCache(maxsize=1)
    from server._streams import SessionChannels

    channels = SessionChannels(cache, max_orphans=3)
    cache.on_evict = channels.evicted
    from demos import app as demos

    endpoint = demos.endpoint("predict")
    assert endpoint is not None
    for _ in range(10):
        job = Job(endpoint, [], None, {})
        job.append(JobEvent("queued"))
        cache.add(job)
        channels.add("one", job)
        job.append(JobEvent("complete", ["done"]))
        cache.finish(job)
    assert cache.finished == 1
    assert channels.pending == 1 + 3  # the job in the cache, and 3 evicted ids to report


def test_a_reader_of_a_job_evicted_mid_read_gets_an_error_saying_so() -> None:
    """Eviction frees a job's values even if a stalled reader still owes them: the reader's
    next read gives an ``error`` event saying what happened."""
    cache = ResultCache(maxsize=1)
    endpoint = make_app(Gate()).endpoint("count")
    assert endpoint is not None

    def finished(values: int) -> Job:
        job = Job(endpoint, [], None, {})
        job.append(JobEvent("queued"))
        cache.add(job)
        for i in range(values):
            job.append(JobEvent("generating", [str(i)]))
        job.append(JobEvent("complete", [str(values - 1)]))
        cache.finish(job)
        return job

    first = finished(1000)
    read = first.since(0, 100)  # a reader that has sent a few frames, then stalls
    finished(1)  # pushes the first out
    assert cache.get(first.id) is None
    [end] = first.since(read[-1].seq + 1)
    assert end.kind == "error"
    assert f"event {first.id} was evicted" in end.payload["error"]
    assert first.size < 500  # the 1,000 values are gone


# -- item 7: a byte budget, a per-job limit, compact generator logs --------------------


def test_the_byte_budget_evicts_results_whatever_their_count(serve: Any) -> None:
    server = serve(cache_bytes=200 * KB, max_result_size=100 * KB)
    ids = []
    for _ in range(20):
        ids.append(start_call(server.url, "big", [30 * KB]))
        assert read_frames(f"{server.url}/call/big/{ids[-1]}")[-1][0] == "complete"
    cache = server.state.cache
    assert cache.bytes <= 200 * KB
    assert 4 <= cache.finished <= 6  # about 30 KB each, of 200 KB
    assert HTTP.get(f"{server.url}/call/big/{ids[0]}").status_code == 404
    assert read_frames(f"{server.url}/call/big/{ids[-1]}")[0][1] == ["x" * 30 * KB]


def test_an_output_over_the_per_job_limit_is_an_error(serve: Any) -> None:
    server = serve(max_result_size=100 * KB)
    [(event, payload)] = read_frames(
        f"{server.url}/call/big/{start_call(server.url, 'big', [200 * KB])}"
    )
    assert event == "error"
    assert "--max-result-size" in payload["error"]
    assert "at most 102400 bytes" in payload["error"]


def test_a_finished_generator_keeps_its_last_value_once_read(serve: Any) -> None:
    server = serve()
    event_id = start_call(server.url, "count", [10_000])
    url = f"{server.url}/call/count/{event_id}"
    first = read_frames(url)
    assert len(first) == 10_001  # the first read gets every value
    assert first[-2:] == [("generating", ["9999"]), ("complete", ["9999"])]
    job = server.state.cache.get(event_id)
    assert job is not None
    assert [e.kind for e in job.events] == ["generating", "complete"]
    assert job.size < 4 * EVENT_OVERHEAD + 100  # not 10,000 values
    assert read_frames(url) == [("generating", ["9999"]), ("complete", ["9999"])]


def test_a_growing_generator_keeps_at_most_the_per_job_limit(serve: Any) -> None:
    server = serve(max_result_size=64 * KB)
    event_id = start_call(server.url, "grow", [100, KB])  # 1 KB, 2 KB, ... 100 KB: 5 MB
    job = server.state.cache.get(event_id)
    assert job is not None
    sizes: list[int] = []
    with HTTP.stream("GET", f"{server.url}/call/grow/{event_id}") as response:
        for line in response.iter_lines():
            sizes.append(job.size)
            if line.startswith("data:") and len(line) > 60 * KB:
                break  # past the limit: the job ends with an error
    frames = read_frames(f"{server.url}/call/grow/{event_id}")
    assert frames[-1][0] == "error"
    assert "--max-result-size" in frames[-1][1]["error"]
    assert max(sizes) <= 64 * KB
    assert job.size <= 64 * KB


def test_a_late_reader_of_a_windowed_log_starts_at_the_oldest_value_kept(serve: Any) -> None:
    server = serve(max_result_size=40 * KB)
    event_id = start_call(server.url, "grow", [30, KB])  # 1 KB ... 30 KB: 465 KB in all
    wait_ended(server, event_id)
    frames = read_frames(f"{server.url}/call/grow/{event_id}")
    assert frames[-1] == ("complete", ["x" * 30 * KB])
    kept = [len(value[0]) for event, value in frames if event == "generating"]
    assert kept == sorted(kept) and kept[-1] == 30 * KB
    assert sum(kept) <= 40 * KB  # the oldest values were dropped, the newest kept
    assert kept[0] > KB


# -- item 13: replies are sent in pieces, from bytes encoded once ----------------------


def test_frames_are_the_logs_own_bytes_in_pieces(serve: Any) -> None:
    job = Job(make_app(Gate()).endpoints[2], [], None, {})
    job.append(JobEvent("queued"))
    for size in (10, 3 * CHUNK + 5, 20):
        job.append(JobEvent("generating", ["y" * size]))
    units = _call_frames(job.since(0))
    assert [len(unit) for unit in units] == [1, 6, 1]  # the large frame: sent whole, in pieces
    pieces = [piece for unit in units for piece in unit]
    assert all(len(piece) <= CHUNK for piece in pieces)
    big = job.events[2].data
    views = [p for p in pieces if isinstance(p, memoryview)]
    assert len(views) == 4 and all(v.obj is big for v in views)  # sent, not copied
    body = b"".join(bytes(p) for p in pieces)
    assert body.count(b"event: generating\n") == 3


def test_a_large_finished_reply_is_streamed_not_built_whole(serve: Any) -> None:
    server = serve()
    event_id = start_call(server.url, "count", [20_000])
    url = f"{server.url}/call/count/{event_id}"
    wait_ended(server, event_id)
    with HTTP.stream("GET", url) as response:
        assert "content-length" not in response.headers  # chunked, not one body
        body = response.read().decode()
    assert body.count("event: generating") == 20_000
    with HTTP.stream("GET", url) as response:
        assert int(response.headers["content-length"]) < 200  # compacted: one small write


def test_readers_that_do_not_read_hold_no_copy_of_what_they_owe(serve: Any, gate: Gate) -> None:
    """Ten clients open the stream of a job yielding two 8 MB values and read nothing. What
    the server allocates for them (traced in this process, where it runs) stays near the
    values themselves: no reader encodes or buffers a copy of a frame."""
    server = serve()
    size = 8 * 1024 * KB
    event_id = start_call(server.url, "gated", [size])
    gate.wait_entered()  # the first 8 MB value is yielded, the generator waits
    wait_logged(server, event_id, "generating")
    host, port = server.url.removeprefix("http://").split(":")
    tracemalloc.start()
    stalled = []
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
            sock.connect((host, int(port)))
            sock.sendall(f"GET /call/gated/{event_id} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            stalled.append(sock)
        gate.open()  # 8 MB more for each reader
        wait_ended(server, event_id)
        for _ in range(5):  # the readers have had their turns on the event loop
            assert HTTP.get(f"{server.url}/info", timeout=WAIT).status_code == 200
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        for sock in stalled:
            sock.close()
    assert grown < size + 8 * 1024 * KB  # the second value, and a little per reader


def test_no_heartbeat_lands_inside_a_frame_sent_in_pieces(serve: Any, gate: Gate) -> None:
    """A slow client, a 20 ms heartbeat and a 2 MB frame: heartbeats come between frames
    only, so every frame parses."""
    server = serve(heartbeat=0.02)
    size = 2 * 1024 * KB
    event_id = start_call(server.url, "gated", [size])
    gate.wait_entered()
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(WAIT)
    sock.connect((host, int(port)))
    sock.sendall(f"GET /call/gated/{event_id} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    received = bytearray()
    deadline = time.monotonic() + WAIT
    try:
        while not received.endswith(b"\r\n0\r\n\r\n"):  # the end of a chunked body
            assert time.monotonic() < deadline
            chunk = sock.recv(8192)
            assert chunk, "the server closed the stream"
            received += chunk
            if len(received) > size // 2:
                gate.open()
            time.sleep(0.0005)  # a slow reader (not synchronisation): heartbeats fall due
    finally:
        sock.close()
    body = bytes(received).split(b"\r\n\r\n", 1)[1]
    frames = [f for f in _dechunk(body).decode().split("\n\n") if f.strip()]
    events = [f.split("\n", 1)[0] for f in frames]
    assert "event: heartbeat" in events  # heartbeats were sent meanwhile...
    for frame in frames:  # ...and each frame is whole
        kind, data = frame.split("\n")
        assert kind.startswith("event: ") and data.startswith("data: ")
        json.loads(data.removeprefix("data: "))
    assert [e for e in events if e != "event: heartbeat"][-3:] == [
        "event: generating",
        "event: generating",
        "event: complete",
    ]


def _dechunk(body: bytes) -> bytes:
    """A chunked HTTP body's content."""
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return bytes(out)


# -- item 9: the /image demo refuses huge and corrupt images; outputs in the temp folder


def _png_declaring(width: int, height: int, pixels: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        _png.SIGNATURE
        + _png._chunk(b"IHDR", header)
        + _png._chunk(b"IDAT", zlib.compress(pixels, 9))
        + _png._chunk(b"IEND", b"")
    )


def _image_call(server: MockServer, data: bytes) -> tuple[str, Any]:
    upload = HTTP.post(f"{server.url}/upload", files={"files": ("in.png", data)})
    assert upload.status_code == 200, upload.text
    value = {"path": upload.json()[0], "meta": {"_type": "gradio.FileData"}}
    frames = read_frames(f"{server.url}/call/image/{start_call(server.url, 'image', [value])}")
    return frames[-1]


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding(
    start_server: StartServer,
) -> None:
    server = start_server()
    bomb = _png_declaring(8000, 8000, b"\x00" * (8000 * 24001))  # ~190 KB compressed
    started = time.monotonic()
    event, payload = _image_call(server, bomb)
    assert event == "error"
    assert "8000x8000 pixels" in payload["error"] and "at most 1,000,000" in payload["error"]
    assert time.monotonic() - started < 5  # refused, not decoded (that took minutes)


@pytest.mark.parametrize("cut", [30, 45, 60], ids=["in-ihdr", "in-idat", "late-idat"])
def test_a_truncated_png_gets_a_clear_message(start_server: StartServer, cut: int) -> None:
    server = start_server()
    data = _png.encode(_png.Picture(40, 30, 3, [bytearray(os.urandom(120)) for _ in range(30)]))
    event, payload = _image_call(server, data[:cut])
    assert event == "error"
    assert "truncated or corrupt" in payload["error"], payload


def test_the_image_demo_writes_inside_the_servers_temp_folder(
    start_server: StartServer,
) -> None:
    server = start_server()
    before = set(glob.glob("/tmp/sepia-*.png"))
    event, payload = _image_call(server, _png.solid(4, 3, (200, 100, 50)))
    assert event == "complete"
    assert payload[0]["path"].startswith(server.state.files.root + os.sep)
    assert set(glob.glob("/tmp/sepia-*.png")) == before
    assert HTTP.get(payload[0]["url"]).status_code == 200


def test_output_path_belongs_to_the_server_running_the_call(start_server: StartServer) -> None:
    app = App()

    @app.api("write")
    def write(text: str) -> str:
        path = output_path("note.txt")
        with open(path, "w") as f:
            f.write(text)
        return path

    @app.api("write_async")
    async def write_async(text: str) -> str:
        return output_path("async.txt")

    one, two = start_server(app), start_server(app)
    for server in (one, two):
        [(event, [path])] = read_frames(
            f"{server.url}/call/write/{start_call(server.url, 'write', ['hi'])}"
        )
        assert event == "complete"
        assert path.startswith(server.state.files.root + os.sep)
        assert HTTP.get(f"{server.url}/file={path}").text == "hi"
        [(event, [path])] = read_frames(
            f"{server.url}/call/write_async/{start_call(server.url, 'write_async', ['hi'])}"
        )
        assert path.startswith(server.state.files.root + os.sep)
    with pytest.raises(RuntimeError, match="inside a function"):
        output_path()


# -- item 10: sessions --------------------------------------------------------------------


def test_max_sessions_is_an_option_and_evicts_the_least_recently_used(serve: Any) -> None:
    server = serve(max_sessions=3)

    def count(session_hash: str) -> Any:
        event_id = start_call(server.url, "counter", [1], session_hash=session_hash)
        return read_frames(f"{server.url}/call/counter/{event_id}")[-1][1][0]

    assert [count(h) for h in ("a", "b", "c", "a")] == [1, 1, 1, 2]
    assert count("d") == 1  # b, least recently used, is forgotten
    assert server.state.sessions.evicted == 1
    assert [count("b"), count("a")] == [1, 3]


def test_the_first_session_evicted_by_the_cap_logs_one_warning(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The cap is an operator's choice: the first eviction says so (naming the option),
    later ones do not repeat it."""
    server = serve(max_sessions=2)

    def count(session_hash: str) -> None:
        event_id = start_call(server.url, "counter", [1], session_hash=session_hash)
        read_frames(f"{server.url}/call/counter/{event_id}")

    def warnings() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "--max-sessions" in r.getMessage()]

    with caplog.at_level("WARNING", logger="gradio_mock"):
        count("a")
        count("b")
        assert warnings() == []
        count("c")  # the first eviction: said at once
        assert len(warnings()) == 1 and warnings()[0].levelname == "WARNING"
        count("d")
        count("e")
    assert len(warnings()) == 1
    assert server.state.sessions.evicted == 3


def test_the_cli_options_reach_the_settings() -> None:
    args = build_parser().parse_args(
        ["--cache-bytes", "1000", "--max-result-size", "500", "--max-sessions", "7"]
    )
    assert (args.cache_bytes, args.max_result_size, args.max_sessions) == (1000, 500, 7)
    defaults = build_parser().parse_args([])
    settings = Settings()
    assert (defaults.cache_bytes, defaults.max_result_size, defaults.max_sessions) == (
        settings.cache_bytes,
        settings.max_result_size,
        settings.max_sessions,
    )
    assert (settings.cache_bytes, settings.max_result_size) == (256 << 20, 64 << 20)


def test_the_chat_demo_keeps_the_last_turns_only() -> None:
    session = Session("long")
    for i in range(200):
        reply = chat(f"message {i}", session)
    assert reply == "You said: message 199 (398 earlier messages in this session)"
    history = session["history"]
    assert len(history) == 2 * MAX_TURNS
    assert history[0]["content"] == f"message {200 - MAX_TURNS}"
    assert len(chat("x" * 100_000, session)) > 100_000
    assert max(len(m["content"]) for m in session["history"]) <= 2000
