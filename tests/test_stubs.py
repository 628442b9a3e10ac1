"""Stubs, timelines and faults: what an endpoint answers instead of its function, driven from
HTTP (curl on the admin API), Python (the plugin) and a file (``--stubs``), and what the
official Python client makes of each answer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from gradio_client.utils import QueueError, Status, TooManyRequestsError

from server.mock._faults import MALFORMED
from server.pytest_plugin import MockServer
from tests.conftest import StartServer
from tests.sse import HTTP, call, start_call

CURL = shutil.which("curl")
assert CURL is not None, "these tests need the curl binary"
WAIT = 10.0
HEARTBEAT = 0.3


def curl(*args: str, timeout: float = 10) -> tuple[int, str]:
    result = subprocess.run(
        [CURL, "-s", "-N", "--max-time", str(timeout), "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=timeout + 5,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status or 0), body


def add_stub(base: str, stub: Any) -> tuple[int, Any]:
    status, body = curl("-X", "POST", base + "/__mock/stubs", "-d", json.dumps(stub))
    return status, json.loads(body)


def frames_of(body: str) -> list[tuple[str, str]]:
    """(event, raw data) of each frame of a body, in order."""
    out = []
    for block in body.split("\n\n"):
        if block.strip():
            fields = dict(line.split(": ", 1) for line in block.strip("\n").split("\n"))
            out.append((fields.get("event", ""), fields.get("data", "")))
    return out


@pytest.fixture
def server(start_server: StartServer) -> MockServer:
    return start_server(heartbeat=HEARTBEAT)


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Client]]:
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    clients: list[Client] = []

    def make(url: str) -> Client:
        client = Client(url, verbose=False, analytics_enabled=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# -- outputs, matching, sequences ------------------------------------------------------------


def test_an_outputs_stub_answers_instead_of_the_function(server: MockServer) -> None:
    status, stub = add_stub(
        server.url, {"api_name": "/predict", "response": {"outputs": ["Stubbed!"]}}
    )
    assert status == 201 and stub["hits"] == 0
    for _ in range(2):
        assert call(server.url, "predict", ["Hello, my friend."]) == [("complete", ["Stubbed!"])]
    status, listed = curl(server.url + "/__mock/stubs")
    assert json.loads(listed)["stubs"][0]["hits"] == 2
    # The journal says who answered.
    posts = [e for e in server.requests("/predict") if e["method"] == "POST"]
    assert [e["answered_by"] for e in posts] == [f"stub {stub['id']}"] * 2


def test_data_picks_the_calls_a_stub_answers(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/hello", "data": {"name": "Bob"}, "response": {
        "outputs": ["Hi Bob", 1]}})  # fmt: skip
    add_stub(server.url, {"api_name": "/hello", "data": ["Ann", True, 5], "response": {
        "outputs": ["Exactly Ann", 2]}})  # fmt: skip
    assert call(server.url, "hello", ["Bob", False, 1]) == [("complete", ["Hi Bob", 1])]
    assert call(server.url, "hello", ["Ann", True, 5]) == [("complete", ["Exactly Ann", 2])]
    # 5.0 is the same JSON number as 5; true is not 1.
    assert call(server.url, "hello", ["Ann", True, 5.0])[-1][1][0] == "Exactly Ann"
    assert call(server.url, "hello", ["Ann", 1, 5])[-1][0] == "error"  # the function's check
    server.take_unmatched()
    assert call(server.url, "hello", ["Cy", True, 5]) == [
        ("complete", ["Good morning Cy. It is 5 degrees today", -15.0])
    ]


def test_times_make_a_sequence_the_python_client_sees(
    server: MockServer, connect: Callable[[str], Client]
) -> None:
    """The first call hits the ZeroGPU quota, the next one succeeds."""
    add_stub(server.url, {"api_name": "/predict", "response": {"outputs": ["Bonjour (stub)"]}})
    add_stub(
        server.url,
        {"api_name": "/predict", "times": 1, "response": {"fault": "zerogpu_quota", "left": 12}},
    )
    client = connect(server.url)
    with pytest.raises(AppError) as failure:
        client.predict("Hello", api_name="/predict")
    assert str(failure.value) == (
        "You have exceeded your GPU quota (60s requested vs. 12s left). Try again in 0:09:48"
    )
    assert failure.value.title == "ZeroGPU quota exceeded"
    assert client.predict("Hello", api_name="/predict") == "Bonjour (stub)"


def test_error_stubs_in_both_shapes(server: MockServer, connect: Callable[[str], Client]) -> None:
    add_stub(server.url, {"api_name": "/predict", "times": 1, "response": {"error": None}})
    add_stub(
        server.url,
        {"api_name": "/predict", "times": 1, "response": {
            "error": "Model overloaded", "title": "Busy", "duration": None, "visible": False}},
    )  # fmt: skip
    assert call(server.url, "predict", ["x"]) == [
        (
            "error",
            {"error": "Model overloaded", "duration": None, "visible": False, "title": "Busy"},
        )
    ]
    client = connect(server.url)
    with pytest.raises(AppError) as failure:
        client.predict("x", api_name="/predict")
    assert "The upstream Gradio app has raised an exception" in str(failure.value)


# -- timelines ---------------------------------------------------------------------------------

TIMELINE = [
    {"type": "estimation", "data": {"rank": 2, "queue_size": 3, "rank_eta": 1.5}},
    {"type": "progress", "data": {"progress": 0.5, "desc": "Loading"}},
    {"type": "log", "data": {"log": "Halfway", "level": "warning"}},
    {"type": "generating", "data": ["He"]},
    {"type": "generating", "data": ["Hello"]},
    {"type": "complete", "data": ["Hello!"]},
]


def test_a_timeline_on_the_call_stream_shows_what_gradio_shows(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/stream", "response": {"events": TIMELINE}})
    event_id = start_call(server.url, "stream", ["x"])
    status, body = curl(f"{server.url}/call/stream/{event_id}")
    assert status == 200
    # /call carries values only: no estimation, progress or log, as in Gradio.
    assert frames_of(body) == [
        ("generating", '["He"]'),
        ("generating", '["Hello"]'),
        ("complete", '["Hello!"]'),
    ]


def test_values_between_progress_events_all_reach_a_live_call_stream(server: MockServer) -> None:
    """Progress events take seqs of their own between values: a reader following the log
    live must still find each value after them (it once skipped the third)."""
    events = []
    for i, word in enumerate(["a", "ab", "abc", "abcd"]):
        events.append({"type": "progress", "data": {"progress": i / 4}, "delay": 0.05})
        events.append({"type": "generating", "data": [word], "delay": 0.05})
    events.append({"type": "complete", "data": ["done"]})
    add_stub(server.url, {"api_name": "/stream", "response": {"events": events}})
    event_id = start_call(server.url, "stream", ["x"])
    status, body = curl(f"{server.url}/call/stream/{event_id}")
    assert status == 200
    assert [frame for frame in frames_of(body) if frame[0] != "heartbeat"] == [
        ("generating", '["a"]'),
        ("generating", '["ab"]'),
        ("generating", '["abc"]'),
        ("generating", '["abcd"]'),
        ("complete", '["done"]'),
    ]


def test_a_timeline_on_the_session_stream_has_every_message(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/stream", "response": {"events": TIMELINE}})
    body = {"data": ["x"], "fn_index": 2, "session_hash": "tl-1"}
    event_id = HTTP.post(server.url + "/gradio_api/queue/join", json=body).json()["event_id"]
    _status, raw = curl(f"{server.url}/gradio_api/queue/data?session_hash=tl-1")
    messages = [json.loads(data) for _e, data in frames_of(raw)]
    messages = [m for m in messages if m["msg"] != "heartbeat"]
    assert [m["msg"] for m in messages] == [
        "estimation",
        "estimation",
        "process_starts",
        "progress",
        "log",
        "process_generating",
        "process_generating",
        "process_completed",
        "close_stream",
    ]
    assert {k: messages[1][k] for k in ("rank", "queue_size", "rank_eta")} == {
        "rank": 2, "queue_size": 3, "rank_eta": 1.5}  # fmt: skip
    assert messages[3]["progress_data"] == [
        {"index": None, "length": None, "unit": None, "progress": 0.5, "desc": "Loading"}
    ]
    assert messages[4] == {
        "msg": "log", "event_id": event_id, "log": "Halfway", "level": "warning",
        "duration": 10.0, "visible": True, "title": "Warning"}  # fmt: skip
    assert messages[6]["output"]["data"] == [[["append", [], "llo"]]]  # a diff, as Gradio
    assert messages[7]["output"]["data"] == ["Hello!"]


def test_the_python_client_sees_progress_and_logs(
    server: MockServer, connect: Callable[[str], Client]
) -> None:
    add_stub(server.url, {"api_name": "/stream", "response": {"events": TIMELINE}})
    client = connect(server.url)
    job = client.submit("x", api_name="/stream")
    assert job.result(timeout=WAIT) == "Hello!"
    updates = job.communicator.updates  # every status the client received, in order
    seen = []
    while not updates.empty():
        update = updates.get_nowait()
        if hasattr(update, "code"):
            seen.append(update)
    codes = [u.code for u in seen]
    assert Status.PROGRESS in codes and Status.LOG in codes
    progress = next(u for u in seen if u.code == Status.PROGRESS)
    assert progress.progress_data[0].desc == "Loading"
    assert next(u for u in seen if u.code == Status.LOG).log == ("Halfway", "warning")
    assert job.outputs() == ["He", "Hello"]  # the generating values; result() is the last


def test_delays_keep_heartbeats_flowing(server: MockServer) -> None:
    events = [{"type": "complete", "data": ["late"], "delay": HEARTBEAT * 4}]
    add_stub(server.url, {"api_name": "/predict", "response": {"events": events}})
    started = time.monotonic()
    event_id = start_call(server.url, "predict", ["x"])
    _status, body = curl(f"{server.url}/call/predict/{event_id}")
    assert time.monotonic() - started >= HEARTBEAT * 4
    frames = frames_of(body)
    assert frames[-1] == ("complete", '["late"]')
    assert ("heartbeat", "null") in frames[:-1]


# -- faults ----------------------------------------------------------------------------------------


def test_queue_full_is_a_503_the_python_client_raises_as_queue_error(
    server: MockServer, connect: Callable[[str], Client]
) -> None:
    add_stub(server.url, {"api_name": "/predict", "times": 2, "response": {"fault": "queue_full"}})
    status, body = curl(
        "-X", "POST", server.url + "/call/predict", "-d", '{"data": ["x"]}'
    )  # fmt: skip
    assert (status, json.loads(body)) == (503, {"detail": "Queue is full."})
    client = connect(server.url)
    with pytest.raises(QueueError):
        client.predict("x", api_name="/predict")
    assert client.predict("Hello", api_name="/predict") == "Bonjour"  # the stub is used up


def test_a_429_on_config_is_too_many_requests_for_the_python_client(server: MockServer) -> None:
    status, _ = add_stub(
        server.url, {"path": "/config", "times": 1, "response": {"fault": "status", "status": 429}}
    )
    assert status == 201
    with pytest.raises(TooManyRequestsError):
        Client(server.url, verbose=False, analytics_enabled=False)
    assert HTTP.get(server.url + "/config").status_code == 200


def test_any_status_with_any_body(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/predict", "response": {
        "fault": "status", "status": 502, "body": {"error": "Bad gateway"}}})  # fmt: skip
    response = HTTP.post(server.url + "/gradio_api/call/predict", json={"data": ["x"]})
    assert (response.status_code, response.json()) == (502, {"error": "Bad gateway"})
    response = HTTP.post(server.url + "/gradio_api/call/v2/predict", json={"text": "x"})
    assert response.status_code == 502


def test_a_dropped_stream_ends_after_k_events(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/stream", "response": {"fault": "drop", "after": 2}})
    event_id = start_call(server.url, "stream", ["Hello"])
    status, body = curl(f"{server.url}/call/stream/{event_id}")
    assert status == 200
    assert frames_of(body) == [("generating", '["H"]'), ("generating", '["He"]')]


def test_a_malformed_line_then_the_end(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/predict", "response": {"fault": "malformed"}})
    event_id = start_call(server.url, "predict", ["Hello"])
    _status, body = curl(f"{server.url}/call/predict/{event_id}")
    assert frames_of(body) == [("complete", MALFORMED)]
    with pytest.raises(ValueError):
        json.loads(MALFORMED)


def read_until_quiet(url: str, quiet: float) -> tuple[bytes, bool]:
    """What ``url`` sends until it has been quiet for ``quiet`` seconds (True), or until a
    deadline of its own (False: it kept talking, or ended)."""
    received = b""
    deadline = time.monotonic() + WAIT
    with httpx.Client(timeout=httpx.Timeout(WAIT, read=quiet)) as client:
        try:
            with client.stream("GET", url) as response:
                for chunk in response.iter_raw():
                    received += chunk
                    if time.monotonic() > deadline:
                        return received, False
        except httpx.ReadTimeout:
            return received, True
    return received, False


def test_a_stalled_stream_sends_nothing_not_even_heartbeats(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/stream", "response": {"fault": "stall", "after": 1}})
    event_id = start_call(server.url, "stream", ["Hello"])
    received, went_quiet = read_until_quiet(f"{server.url}/call/stream/{event_id}", HEARTBEAT * 5)
    assert went_quiet, received
    assert frames_of(received.decode()) == [("generating", '["H"]')]


def test_a_stall_on_the_session_stream(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/predict", "response": {"fault": "stall", "after": 2}})
    body = {"data": ["x"], "fn_index": 0, "session_hash": "st-1"}
    HTTP.post(server.url + "/gradio_api/queue/join", json=body)
    url = f"{server.url}/gradio_api/queue/data?session_hash=st-1"
    received, went_quiet = read_until_quiet(url, HEARTBEAT * 5)
    assert went_quiet, received
    messages = [json.loads(data)["msg"] for _e, data in frames_of(received.decode())]
    assert messages == ["estimation", "process_starts"]


def test_a_dribble_sends_every_byte_a_few_at_a_time(server: MockServer) -> None:
    add_stub(server.url, {"api_name": "/predict", "response": {
        "fault": "dribble", "chunk": 4, "interval": 0.01}})  # fmt: skip
    event_id = start_call(server.url, "predict", ["Hello, my friend."])
    chunks = []
    with HTTP.stream("GET", f"{server.url}/call/predict/{event_id}") as response:
        chunks = list(response.iter_raw())
    body = b"".join(chunks)
    assert body == b'event: complete\ndata: ["Bonjour, mon ami."]\n\n'
    assert len(chunks) > 5 and max(len(c) for c in chunks) <= 8  # (two may coalesce)


# -- the model: checks, listing, removal, reset, files, the plugin --------------------------


@pytest.mark.parametrize(
    ("stub", "message"),
    [
        ("stub", "A stub is a JSON object, not a string."),
        ({"api_name": "/predict", "response": {"events": []}}, '"events" is a non-empty list'),
        ({"api_name": "/predict", "response": {"fault": "queue_full", "outputs": ["a"]}},
         'The fault "queue_full" is the whole answer: leave out "outputs".'),
        ({"response": {"outputs": ["x"]}}, 'A stub needs "api_name"'),
        ({"api_name": "/nope", "response": {"outputs": []}}, "There is no endpoint /nope to stub"),
        ({"api_name": "/predict"}, 'A stub needs "response"'),
        ({"api_name": "/predict", "response": {}}, 'needs "outputs", "error", "events" or "fault"'),
        ({"api_name": "/predict", "response": {"outputs": ["a", "b"]}}, "so a list of 1 value"),
        ({"api_name": "/predict", "response": {"outputs": "a"}}, "got a string"),
        ({"api_name": "/predict", "times": 0, "response": {"error": "x"}}, '"times" is how many'),
        ({"api_name": "/predict", "data": {"txt": "a"}, "response": {"error": "x"}},
         "/predict has no input named txt; its inputs: text"),
        ({"api_name": "/predict", "response": {"fault": "explode"}}, "Unknown fault 'explode'"),
        ({"api_name": "/predict", "response": {"fault": "status"}}, 'needs "status"'),
        ({"api_name": "/predict", "response": {"fault": "status", "status": 99}}, "200 to 599"),
        ({"api_name": "/predict", "response": {"events": [{"type": "generating", "data": ["a"]}]}},
         'The last event must be "complete" or "error"'),
        ({"api_name": "/predict", "response": {"events": [{"type": "nap"}]}}, "not 'nap'"),
        ({"api_name": "/predict", "response": {"events": [
            {"type": "complete", "data": ["a"], "delay": -1}]}}, "between 0 and 3600 seconds"),
        ({"api_name": "/predict", "response": {"events": [
            {"type": "complete", "data": ["a"]}, {"type": "complete", "data": ["b"]}]}},
         "must be the last"),
        ({"api_name": "/predict", "response": {"outputs": ["a"], "error": "b"}}, "not outputs and"),
        ({"api_name": "/predict", "response": {"outputs": [float("inf")]}}, "not a JSON number"),
        ({"path": "/config", "response": {"outputs": ["a"]}}, "A route stub answers a status"),
    ],
)  # fmt: skip
def test_bad_stubs_are_refused_saying_what_was_expected(
    gradio_mock: MockServer, stub: Any, message: str
) -> None:
    response = HTTP.post(
        gradio_mock.url + "/__mock/stubs",
        content=json.dumps(stub, allow_nan=True),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert HTTP.get(gradio_mock.url + "/__mock/stubs").json() == {"stubs": []}


def test_data_matches_json_values_by_value(start_server: StartServer) -> None:
    """Inputs are compared as JSON: objects key by key, true is not 1, 1 is 1.0."""
    from server import App, Json

    app = App("json")
    app.add(lambda value: value, api_name="echo", inputs=[Json()], outputs=[Json()])
    server = start_server(app)
    add_stub(server.url, {"api_name": "/echo", "data": [{"a": 1, "b": [True]}],
                          "response": {"outputs": ["matched"]}})  # fmt: skip
    assert call(server.url, "echo", [{"b": [True], "a": 1.0}]) == [("complete", ["matched"])]
    for other in ({"a": 1, "b": [1]}, {"a": 1}, {"a": 1, "b": [True], "c": 0}):
        assert call(server.url, "echo", [other]) == [("complete", [other])]


def test_status_and_estimation_bounds(gradio_mock: MockServer) -> None:
    """200 is a status a stub may answer; an estimation without data is rank 0 of 1."""
    ok = {"api_name": "/predict", "times": 1, "response": {"fault": "status", "status": 200}}
    assert HTTP.post(gradio_mock.url + "/__mock/stubs", json=ok).status_code == 201
    assert HTTP.post(gradio_mock.url + "/call/predict", json={"data": ["x"]}).status_code == 200
    events = [{"type": "estimation"}, {"type": "complete", "data": ["ok"]}]
    add_stub(gradio_mock.url, {"api_name": "/predict", "response": {"events": events}})
    body = {"data": ["x"], "fn_index": 0, "session_hash": "est-0"}
    HTTP.post(gradio_mock.url + "/gradio_api/queue/join", json=body)
    _status, raw = curl(f"{gradio_mock.url}/gradio_api/queue/data?session_hash=est-0")
    estimations = [
        m for m in (json.loads(d) for _e, d in frames_of(raw)) if m["msg"] == "estimation"
    ]
    assert {k: estimations[-1][k] for k in ("rank", "queue_size", "rank_eta")} == {
        "rank": 0, "queue_size": 1, "rank_eta": None}  # fmt: skip


def test_a_route_stub_keeps_its_own_id(gradio_mock: MockServer) -> None:
    stub = {"path": "/info", "id": "mine", "response": {"fault": "status", "status": 429}}
    response = HTTP.post(gradio_mock.url + "/__mock/stubs", json=stub)
    assert response.status_code == 201
    assert response.json()["id"].startswith("stub-")
    (listed,) = HTTP.get(gradio_mock.url + "/__mock/stubs").json()["stubs"]
    assert listed["id"] == response.json()["id"]
    assert (listed["path"], listed["response"]["status"]) == ("/info", 429)
    assert HTTP.get(gradio_mock.url + "/info").status_code == 429


@pytest.mark.parametrize(("version", "titled"), [(4, False), (5, True), (6, True)])
def test_a_log_message_has_a_title_from_gradio_5_on(
    start_server: StartServer, version: int, titled: bool
) -> None:
    """4.44's LogMessage has no title; 5.x and 6.x add it (tests/reference/gradio-*/queue/)."""
    server = start_server(gradio_version=version)
    events = [{"type": "log", "data": "Note"}, {"type": "complete", "data": ["ok"]}]
    add_stub(server.url, {"api_name": "/predict", "response": {"events": events}})
    prefix = "" if version == 4 else "/gradio_api"
    body = {"data": ["x"], "fn_index": 0, "session_hash": f"log-{version}"}
    HTTP.post(f"{server.url}{prefix}/queue/join", json=body)
    _status, raw = curl(f"{server.url}{prefix}/queue/data?session_hash=log-{version}")
    (log,) = [m for m in (json.loads(d) for _e, d in frames_of(raw)) if m["msg"] == "log"]
    assert ("title" in log) is titled
    assert log["log"] == "Note" and log["level"] == "info"


def test_a_list_of_stubs_is_all_or_nothing(gradio_mock: MockServer) -> None:
    good = {"api_name": "/predict", "response": {"outputs": ["a"]}}
    response = HTTP.post(gradio_mock.url + "/__mock/stubs", json=[good, {"api_name": "/x"}])
    assert response.status_code == 422
    assert response.json()["detail"].startswith("stub 1: ")
    assert HTTP.get(gradio_mock.url + "/__mock/stubs").json() == {"stubs": []}
    response = HTTP.post(gradio_mock.url + "/__mock/stubs", json=[good, good])
    assert response.status_code == 201 and len(response.json()["ids"]) == 2
    HTTP.delete(gradio_mock.url + "/__mock/stubs")


def test_delete_one_and_all_and_reset(gradio_mock: MockServer) -> None:
    base = gradio_mock.url + "/__mock/stubs"
    first = HTTP.post(base, json={"api_name": "/predict", "response": {"outputs": ["1"]}}).json()
    HTTP.post(base, json={"api_name": "/predict", "response": {"outputs": ["2"]}})
    assert HTTP.get(f"{base}/{first['id']}").json()["response"] == {"outputs": ["1"]}
    assert HTTP.delete(f"{base}/{first['id']}").status_code == 200
    assert HTTP.delete(f"{base}/{first['id']}").status_code == 404
    assert HTTP.get(f"{base}/{first['id']}").status_code == 404
    assert call(gradio_mock.url, "predict", ["x"]) == [("complete", ["2"])]
    assert HTTP.post(gradio_mock.url + "/__mock/reset").status_code == 200
    assert HTTP.get(base).json() == {"stubs": []}
    assert call(gradio_mock.url, "predict", ["Hello"]) == [("complete", ["Bonjour"])]


def test_the_stubs_file_is_in_force_from_the_start(tmp_path: Path) -> None:
    stubs = tmp_path / "stubs.json"
    stubs.write_text(json.dumps([{"api_name": "/predict", "response": {"outputs": ["filed"]}}]))
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", "0", "--stubs", str(stubs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            if line.startswith("Running on "):
                url = line.split()[2]
                break
        assert url, "no banner"
        assert call(url, "predict", ["Hello"]) == [("complete", ["filed"])]
    finally:
        process.terminate()
        process.wait(WAIT)
        if process.stdout is not None:
            process.stdout.close()


def test_a_bad_stubs_file_exits_3_saying_which_stub(tmp_path: Path) -> None:
    stubs = tmp_path / "stubs.json"
    stubs.write_text(json.dumps([{"api_name": "/predict", "response": {"outputs": ["a", "b"]}}]))
    result = subprocess.run(
        [sys.executable, "-m", "server", "--port", "0", "--stubs", str(stubs)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3
    assert f"gradio-mock: error: {stubs}, stub 0: outputs: /predict has 1 output" in result.stderr
    stubs.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "server", "--port", "0", "--stubs", str(stubs)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3 and "is not valid JSON" in result.stderr


def test_the_plugin_stub_handle_counts_hits(gradio_mock: MockServer) -> None:
    stub = gradio_mock.stub("/predict", outputs=["from Python"], data={"text": "hi"}, times=2)
    assert stub.hits == 0
    assert call(gradio_mock.url, "predict", ["hi"]) == [("complete", ["from Python"])]
    assert call(gradio_mock.url, "predict", ["Hello"]) == [("complete", ["Bonjour"])]
    assert stub.hits == 1
    optional = gradio_mock.stub("/hello", error="never", optional=True)
    assert optional.hits == 0  # unused, but optional: the test still passes


pytest_plugins = ["pytester"]


def test_the_plugin_fails_a_test_that_left_a_stub_unused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_unused(gradio_mock):
            gradio_mock.stub("/predict", outputs=["x"])

        @pytest.mark.gradio_mock(allow_unused_stubs=True)
        def test_allowed(gradio_mock):
            gradio_mock.stub("/predict", outputs=["x"])
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    output = result.stdout.str()
    assert "1 stub(s) were never used during the test" in output
    assert "stub-1: /predict {'outputs': ['x']}" in output
