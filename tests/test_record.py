"""Record and replay (issue 11, part 3): ``gradio-mock record`` in front of a REAL Gradio app
(tests/standin_app.py, run by gradio 6.31.0 in a venv the suite builds under tests/.clients/,
or the Python named by $GRADIO_MOCK_GRADIO6_PYTHON), then ``gradio-mock cassette.json``.

The same scenarios run through the recording proxy (what the clients get live) and against
the replay, with gradio_client and @gradio/client, and must get the same: values, streamed
values, files' bytes, the error.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from server.standin._cassette import load_cassette
from server.standin._episode import apply_diff
from server.standin._replay import app_from_cassette
from tests.conftest import StartServer
from tests.old_clients import CACHE, CLIENTS, py_client
from tests.test_js_client import JS_DIR
from tests.test_js_client import node as node  # the fixture

TESTS = Path(__file__).parent
ROOT = TESTS.parent
APP = TESTS / "standin_app.py"
#: A Python that has gradio 6.31.0 (for local runs: a venv already built elsewhere).
GRADIO_PYTHON_ENV = "GRADIO_MOCK_GRADIO6_PYTHON"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
#: /count's pause between values in tests/standin_app.py.
STEP = 0.15


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# -- processes -------------------------------------------------------------------------------


class Process:
    """A subprocess whose stdout lines are read by a thread (so waiting has a deadline)."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.popen = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.popen.poll() is not None and self.lines.empty():
                    break
                continue
            match = re.search(pattern, line)
            if match:
                return match
        pytest.fail(f"{pattern!r} never came within {timeout} s:\n{''.join(self.output)}")

    def interrupt(self) -> int:
        """Ctrl+C; the exit code."""
        self.popen.send_signal(signal.SIGINT)
        try:
            return self.popen.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            pytest.fail(f"did not stop within {STOP_TIMEOUT} s:\n{''.join(self.output)}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(STOP_TIMEOUT)
        self._reader.join(STOP_TIMEOUT)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_config(url: str, process: Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/config", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling a process start-up, not synchronising the test's steps
    process.stop()
    pytest.fail(f"{url} never answered /config within {timeout} s:\n{''.join(process.output)}")


def start_recorder(upstream: str, cassette: Path) -> tuple[Process, str]:
    recorder = Process(
        [
            sys.executable,
            "-m",
            "server",
            "record",
            upstream,
            "-o",
            str(cassette),
            "--port",
            "0",
            "--no-access-log",
        ]
    )
    found = recorder.wait_for(r"Proxy on (http://\S+?):? point", 30.0)
    return recorder, found.group(1).rstrip(":")


# -- the real app ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def gradio_python() -> Path:
    given = os.environ.get(GRADIO_PYTHON_ENV)
    if given:
        return Path(given)
    built = py_client(
        "gradio 6.31.0", CLIENTS / "gradio-6.31.0.txt", CACHE / "gradio-6.31.0"
    )  # built once, kept
    return built.python


@pytest.fixture(scope="module")
def real_app(gradio_python: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HF_TOKEN")}
    env |= {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    env["GRADIO_TEMP_DIR"] = str(CACHE / "gradio-6.31.0-tmp")
    app = Process([str(gradio_python), str(APP), str(port)], env)
    url = f"http://127.0.0.1:{port}"
    _wait_for_config(url, app, START_TIMEOUT)
    yield url
    app.stop()


# -- the scenarios -----------------------------------------------------------------------------


def python_scenario(url: str, png: Path) -> dict[str, Any]:
    client = Client(url, verbose=False, download_files=str(png.parent / "downloads"))
    try:
        greet = client.predict("Ann", api_name="/greet")
        job = client.submit(3, api_name="/count")
        streamed = list(job)
        inverted = client.predict(handle_file(str(png)), api_name="/invert")
        try:
            client.predict("x", api_name="/fail")
            failed = None
        except AppError as error:
            failed = str(error)
    finally:
        client.close()
    return {
        "greet": greet,
        "count": streamed,
        "count_result": job.result(),
        "invert": base64.b64encode(Path(inverted).read_bytes()).decode(),
        "fail": failed,
    }


def js_scenario(node: str, url: str, png: Path) -> dict[str, Any]:
    done = subprocess.run(
        [node, str(JS_DIR / "standin.mjs"), url, str(png)],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"node printed nothing: {done.stderr}"
    report = json.loads(lines[-1])
    assert report["ok"], f"{report['error']}\n{report.get('stack')}\n{done.stderr}"
    result: dict[str, Any] = report["result"]
    return result


def call_stream(url: str, api_name: str, data: list[Any]) -> list[tuple[str, Any, float]]:
    """POST /gradio_api/call/<api> then its GET: each event, its data and its time."""
    with httpx.Client(timeout=httpx.Timeout(20.0)) as client:
        return _call_stream(client, url, api_name, data)


def _call_stream(
    client: httpx.Client, url: str, api_name: str, data: list[Any]
) -> list[tuple[str, Any, float]]:
    started = time.monotonic()
    posted = client.post(f"{url}/gradio_api/call/{api_name}", json={"data": data})
    assert posted.status_code == 200, posted.text
    event_id = posted.json()["event_id"]
    events: list[tuple[str, Any, float]] = []
    kind = None
    with client.stream("GET", f"{url}/gradio_api/call/{api_name}/{event_id}") as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind != "heartbeat":
                events.append((kind or "", json.loads(line[5:]), time.monotonic() - started))
                if kind in ("complete", "error"):
                    break
            if time.monotonic() - started > 20:
                pytest.fail("the /call stream did not end within 20 s")
    return events


@dataclass
class Recorded:
    cassette: Path
    png: Path
    upstream: str
    python: dict[str, Any]
    js: dict[str, Any]
    curl: list[tuple[str, Any, float]]
    recorder_output: str
    recordings_before_stop: int
    exit_code: int
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def recorded(
    real_app: str,
    node: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Recorded:
    folder = tmp_path_factory.mktemp("record")
    png = folder / "in.png"
    png.write_bytes(_png(4, 3, (10, 200, 30)))
    cassette = folder / "cassette.json"
    recorder, proxy = start_recorder(real_app, cassette)
    try:
        live_python = python_scenario(proxy, png)
        live_js = js_scenario(node, proxy, png)
        live_curl = call_stream(proxy, "count", [2])
        # Written as each call ends: what a Ctrl+C now would keep.
        deadline = time.monotonic() + 10
        while len(load_cassette(str(cassette)).recordings) < 9 and time.monotonic() < deadline:
            time.sleep(0.05)  # the last call's files are being fetched
        before = len(load_cassette(str(cassette)).recordings)
        code = recorder.interrupt()
    finally:
        recorder.stop()
    return Recorded(
        cassette,
        png,
        real_app,
        live_python,
        live_js,
        live_curl,
        "".join(recorder.output),
        before,
        code,
    )


# -- recording ---------------------------------------------------------------------------------


@pytest.mark.real_gradio
@pytest.mark.timeout(600)
def test_the_proxy_is_transparent_and_records_every_call_as_it_ends(recorded: Recorded) -> None:
    # Live, through the proxy, the clients got the real app's answers.
    assert recorded.python["greet"] == "Hello, Ann!"
    assert recorded.python["count"] == ["0", "01", "012"]
    assert recorded.python["fail"] == "custom failure: x"
    assert recorded.js["greet"] == ["Hello, Joe!"]
    assert recorded.js["count"] == [["0"], ["01"], ["01"]]  # each value, then the final one
    assert [step[0] for step in recorded.js["progress"]] == [[0, 2, "counting"], [1, 2, "counting"]]
    assert recorded.js["logs"] == [{"log": "counted to 2", "level": "info"}]
    assert recorded.js["invert"]["status"] == 200
    assert "custom failure: js" in recorded.js["fail"]["rejected"]
    assert [kind for kind, _, _ in recorded.curl] == ["generating", "generating", "complete"]
    # 4 calls each from both clients and one /call: all on disk before the Ctrl+C.
    assert recorded.recordings_before_stop == 9
    assert recorded.exit_code == 0
    assert "Recorded 9 calls" in recorded.recorder_output

    cassette = load_cassette(str(recorded.cassette))
    assert cassette.upstream == recorded.upstream
    assert cassette.spec.gradio_version == "6.31.0"
    assert [e.api_name for e in cassette.spec.endpoints] == ["/greet", "/count", "/invert", "/fail"]
    by_name: dict[str, list[Any]] = {}
    for recording in cassette.recordings:
        by_name.setdefault(recording.api_name, []).append(recording)
    assert sorted(r.wire for r in by_name["/count"]) == ["call", "queue", "queue"]
    assert [r.data for r in by_name["/greet"]] == [["Ann"], ["Joe"]]

    # Each event with its time: /count's values come STEP apart.
    queued = next(r for r in by_name["/count"] if r.wire == "queue" and r.data == [3])
    kinds = [e["type"] for e in queued.events]
    assert kinds == [
        "estimation",
        *["progress", "generating"] * 3,
        "log",
        "complete",
    ]
    values = [e["data"] for e in queued.events if e["type"] in ("generating", "complete")]
    assert values == [["0"], ["01"], ["012"], ["012"]]
    progress = [e["data"][0] for e in queued.events if e["type"] == "progress"]
    assert [(p["index"], p["length"], p["desc"]) for p in progress] == [
        (0, 3, "counting"),
        (1, 3, "counting"),
        (2, 3, "counting"),
    ]
    log = next(e["data"] for e in queued.events if e["type"] == "log")
    assert (log["log"], log["level"]) == ("counted to 3", "info")
    values = [e for e in queued.events if e["type"] == "generating"]
    assert all(e["delay"] >= STEP * 0.8 for e in values[1:])
    offsets = [e["offset"] for e in queued.events]
    assert offsets == sorted(offsets)

    # The files that went each way are kept by content hash; the error too.
    import hashlib

    sent = hashlib.sha256(recorded.png.read_bytes()).hexdigest()
    for recording in by_name["/invert"]:
        assert recording.data[0]["path"] == f"sha256:{sent}"
        output = recording.events[-1]["data"][0]
        digest = output["path"].removeprefix("sha256:")
        assert Path(cassette.file_path(digest)).is_file()
    assert Path(cassette.file_path(sent)).read_bytes() == recorded.png.read_bytes()
    inverted = Path(cassette.file_path(digest)).read_bytes()
    assert base64.b64decode(recorded.python["invert"]) == inverted
    assert base64.b64decode(recorded.js["invert"]["base64"]) == inverted
    error = by_name["/fail"][0].events[-1]
    assert error["type"] == "error" and error["data"]["error"] == "custom failure: x"


# -- replaying ---------------------------------------------------------------------------------


@pytest.mark.real_gradio
@pytest.mark.timeout(600)
def test_gradio_client_gets_from_the_replay_what_it_got_live(
    recorded: Recorded, start_server: StartServer
) -> None:
    server = start_server(app_from_cassette(str(recorded.cassette), speed=0), gradio_version=6)
    replayed = python_scenario(server.url, recorded.png)
    assert replayed == recorded.python
    answered = [e.answered_by for e in server.state.journal.entries() if e.api_name]
    assert answered and all(a is not None and a.startswith("recording") for a in answered)


@pytest.mark.real_gradio
@pytest.mark.timeout(600)
def test_gradio_javascript_client_gets_from_the_replay_what_it_got_live(
    recorded: Recorded,
    start_server: StartServer,
    node: str,
) -> None:
    # At the recorded pace: progress reported in the same instant is sent as its latest
    # only (as Gradio sends it), so --speed 0 would merge the two updates seen live.
    server = start_server(app_from_cassette(str(recorded.cassette), speed=1), gradio_version=6)
    replayed = js_scenario(node, server.url, recorded.png)
    assert replayed == recorded.js


@pytest.mark.real_gradio
@pytest.mark.timeout(600)
def test_the_replay_keeps_the_recorded_timing_scaled_by_speed(
    recorded: Recorded, start_server: StartServer
) -> None:
    cassette = load_cassette(str(recorded.cassette))
    # gradio_client's /count(3): its last two values came about STEP apart.
    recording = next(r for r in cassette.recordings if r.api_name == "/count" and r.data == [3])
    values = [e["offset"] for e in recording.events if e["type"] == "generating"]
    gap = values[2] - values[1]
    end = recording.events[-1]["offset"]
    assert gap >= STEP * 0.8
    timings = {}
    for speed in (1.0, 2.0, 0.0):
        server = start_server(
            app_from_cassette(str(recorded.cassette), speed=speed), gradio_version=6
        )
        events = call_stream(server.url, "count", [3])
        assert [(k, d) for k, d, _ in events] == [
            ("generating", ["0"]),
            ("generating", ["01"]),
            ("generating", ["012"]),
            ("complete", ["012"]),
        ]
        timings[speed] = (events[2][2] - events[1][2], events[-1][2])
    # (Lower bounds: a loaded machine may be slower, never faster, than the recording.)
    assert timings[1.0][0] >= gap * 0.8
    assert timings[1.0][1] >= end * 0.8
    assert timings[2.0][0] >= gap * 0.4
    assert end * 0.4 <= timings[2.0][1] < timings[1.0][1]
    assert timings[0.0][1] < timings[2.0][1]


@pytest.mark.real_gradio
@pytest.mark.timeout(600)
def test_an_unmatched_call_is_an_error_journalled_with_its_nearest_recordings(
    recorded: Recorded, start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(app_from_cassette(str(recorded.cassette), speed=0), gradio_version=6)
    client = Client(server.url, verbose=False, download_files=str(tmp_path))
    try:
        with pytest.raises(AppError, match=r'input 1 \(name\): sent "Bob", recorded "Ann"'):
            client.predict("Bob", api_name="/greet")
        # A file of other bytes does not match; the same bytes under another name do.
        other = tmp_path / "other.png"
        other.write_bytes(_png(2, 2, (1, 2, 3)))
        with pytest.raises(AppError, match=r"input 1 \(image\): sent a file sha256:"):
            client.predict(handle_file(str(other)), api_name="/invert")
        renamed = tmp_path / "renamed.png"
        renamed.write_bytes(recorded.png.read_bytes())
        same = client.predict(handle_file(str(renamed)), api_name="/invert")
        assert base64.b64encode(Path(same).read_bytes()).decode() == recorded.python["invert"]
    finally:
        client.close()
    unmatched = httpx.get(f"{server.url}/__mock/requests/unmatched").json()["requests"]
    assert [e["api_name"] for e in unmatched] == ["/greet", "/invert"]
    greet = unmatched[0]
    assert greet["answered_by"] == "cassette"
    assert greet["unmatched"].startswith("No recording of /greet matches these inputs")
    assert greet["near_misses"][0]["differences"] == ['input 1 (name): sent "Bob", recorded "Ann"']
    assert [m["recording"] for m in greet["near_misses"]] == [
        i
        for i, r in enumerate(load_cassette(str(recorded.cassette)).recordings)
        if r.api_name == "/greet"
    ]


@pytest.mark.real_gradio
@pytest.mark.timeout(600)
def test_record_missing_fetches_records_and_appends_then_replays(
    recorded: Recorded, start_server: StartServer, tmp_path: Path
) -> None:
    copy = tmp_path / "cassette.json"
    copy.write_text(recorded.cassette.read_text())
    files = tmp_path / "cassette.files"
    files.mkdir()
    for kept in (recorded.cassette.parent / "cassette.files").iterdir():
        (files / kept.name).write_bytes(kept.read_bytes())
    had = len(load_cassette(str(copy)).recordings)
    app = app_from_cassette(str(copy), speed=0, record_missing=recorded.upstream)
    server = start_server(app, gradio_version=6)
    picture = tmp_path / "new.png"
    picture.write_bytes(_png(3, 3, (200, 100, 0)))
    client = Client(server.url, verbose=False, download_files=str(tmp_path / "downloads"))
    try:
        assert client.predict("Zoe", api_name="/greet") == "Hello, Zoe!"
        assert list(client.submit(4, api_name="/count")) == ["0", "01", "012", "0123"]
        first = Path(client.predict(handle_file(str(picture)), api_name="/invert")).read_bytes()
        with pytest.raises(AppError, match="custom failure: zz"):
            client.predict("zz", api_name="/fail")
        # Now in the cassette: answered from it, the same.
        assert client.predict("Zoe", api_name="/greet") == "Hello, Zoe!"
        again = Path(client.predict(handle_file(str(picture)), api_name="/invert")).read_bytes()
        assert again == first
    finally:
        client.close()
    cassette = load_cassette(str(copy))
    added = cassette.recordings[had:]
    assert [r.api_name for r in added] == ["/greet", "/count", "/invert", "/fail"]
    assert added[1].events[-1]["data"] == ["0123"]
    assert added[2].data[0]["path"].startswith("sha256:")
    answered = [e.answered_by for e in server.state.journal.entries() if e.api_name]
    upstream = f"upstream {recorded.upstream} (recorded)"
    assert answered[:4] == [upstream] * 4
    assert answered[4:] == [f"recording {had}", f"recording {had + 2}"]
    server.take_errors()  # /fail's Error, passed on from the upstream


@pytest.mark.real_gradio
@pytest.mark.timeout(600)
def test_the_replay_cli_serves_a_cassette_with_its_speed(recorded: Recorded) -> None:
    port = _free_port()
    replay = Process(
        [
            sys.executable,
            "-m",
            "server",
            str(recorded.cassette),
            "--speed",
            "0",
            "--port",
            str(port),
            "--no-access-log",
        ]
    )
    try:
        replay.wait_for(r"Running on", 30.0)
        events = call_stream(f"http://127.0.0.1:{port}", "count", [2])
        assert [(k, d) for k, d, _ in events] == [(k, d) for k, d, _ in recorded.curl]
        assert "Gradio 6.31.0" in "".join(replay.output)
    finally:
        replay.stop()


# -- without the real app ------------------------------------------------------------------------


def test_both_route_forms_are_recorded_through_the_proxy(
    start_server: StartServer, tmp_path: Path
) -> None:
    upstream = start_server()  # gradio-mock's demos serve the API at the root and /gradio_api
    cassette = tmp_path / "demos.json"
    recorder, proxy = start_recorder(upstream.url, cassette)
    try:
        for prefix, text in (("", "root"), ("/gradio_api", "prefixed")):
            posted = httpx.post(f"{proxy}{prefix}/call/predict", json={"data": [text]})
            event_id = posted.json()["event_id"]
            body = httpx.get(f"{proxy}{prefix}/call/predict/{event_id}", timeout=10).text
            assert "event: complete" in body
        # Gradio 6's named arguments, defaults filling the gaps: recorded as the list.
        posted = httpx.post(f"{proxy}/gradio_api/call/v2/hello", json={"name": "Ann"})
        event_id = posted.json()["event_id"]
        body = httpx.get(f"{proxy}/gradio_api/call/hello/{event_id}", timeout=10).text
        assert "event: complete" in body
        assert recorder.interrupt() == 0
    finally:
        recorder.stop()
    recordings = load_cassette(str(cassette)).recordings
    hello = upstream.state.app.endpoint("hello")
    assert hello is not None
    defaults = [c.default for c in hello.inputs[1:]]
    assert [(r.api_name, r.data, r.wire) for r in recordings] == [
        ("/predict", ["root"], "call"),
        ("/predict", ["prefixed"], "call"),
        ("/hello", ["Ann", *defaults], "call"),
    ]


def test_record_help_teaches_the_commands_and_what_matches(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", "record", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert done.returncode == 0
    text = done.stdout
    for words in (
        "gradio-mock record http://127.0.0.1:7860 -o cassette.json",
        "--speed 0",
        "--record-missing",
        "content hash",
        "Ctrl+C",
        "CASSETTE.files/",
        "unmatched",
    ):
        assert words in " ".join(text.split()), words
    unreachable = subprocess.run(
        [sys.executable, "-m", "server", "record", "http://127.0.0.1:9", "-o", "x.json"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert unreachable.returncode == 3
    assert "cannot reach" in unreachable.stderr


def test_stream_diffs_are_applied_as_the_clients_apply_them() -> None:
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "He"}]
    assert apply_diff(chat, [["append", [1, "content"], "llo"]]) == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello"},
    ]
    assert chat[1]["content"] == "He"  # the previous value is left as it was
    assert apply_diff("ab", [["append", [], "c"]]) == "abc"
    assert apply_diff("ab", [["replace", [], "z"]]) == "z"
    assert apply_diff([1, 2], [["add", [1], 9], ["delete", [0], None]]) == [9, 2]
    assert apply_diff({"a": 1}, [["add", ["b"], 2], ["delete", ["a"], None]]) == {"b": 2}
    assert apply_diff("old", ["not", "a", "diff"]) == ["not", "a", "diff"]  # a full value


def test_a_bad_cassette_or_option_is_refused_saying_where(
    tmp_path: Path, start_server: StartServer
) -> None:
    spec = json.loads((TESTS / "reference" / "gradio-6.31-config.json").read_text())
    info = json.loads((TESTS / "reference" / "gradio-6.31-info.json").read_text())
    from server.standin import Cassette, Recording, spec_from_captures

    cassette = Cassette(str(tmp_path / "c.json"), spec_from_captures(spec, info))
    cassette.recordings.append(
        Recording("/predict", ["x"], [{"type": "complete", "data": ["a", "b"], "delay": 0}])
    )
    cassette.save()

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server", *arguments, "--port", "0"],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=tmp_path,
        )

    bad = run("c.json")
    assert bad.returncode == 3
    assert "recordings[0] (/predict)" in bad.stderr and "1 output" in bad.stderr
    cassette.recordings[0].events[0]["data"] = ["a"]
    cassette.save()
    slower = run("c.json", "--speed", "-1")
    assert slower.returncode == 2
    assert "the speed is 0 (no waits) or more, not -1.0" in slower.stderr
    (tmp_path / "notes.json").write_text("{}")
    kept = run("record", start_server().url, "-o", "notes.json")
    assert kept.returncode == 3
    assert "notes.json exists and is not a cassette: not overwriting it" in kept.stderr
    assert (tmp_path / "notes.json").read_text() == "{}"
