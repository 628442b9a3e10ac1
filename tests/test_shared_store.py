"""The shared store (``--store redis://``), with a real ``redis-server`` and several
gradio-mock servers behind the round-robin balancer of ``tests/balancer.py`` (each request to
the next backend: the POST of a call on one, its GET on another, which is what breaks real
Gradio behind replicas). Servers here run in threads of this process, each with a store link
of its own (its own process id in the store); ``test_shared_processes.py`` runs real
processes for what needs them (kill -9, ``--workers``)."""

from __future__ import annotations

import base64
import concurrent.futures
import functools
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from demos import _png
from server import App, Error, Session
from tests import test_js_client
from tests.apps import Gate
from tests.balancer import Balancer
from tests.conftest import StartServer
from tests.redis_server import RedisServer
from tests.sse import HTTP, call, iter_frames, parse_frames, read_frames, start_call, stream_timeout


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def store(redis_server: RedisServer) -> str:
    """A store URL with an empty database (each test starts from nothing)."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    return redis_server.url


def _replicas(start_server: StartServer, store: str, app: App | None = None, n: int = 2, **kw: Any):
    return [start_server(app, store=store, **kw) for _ in range(n)]


def _curl(*args: str) -> str:
    """The real curl binary, as the README's walkthrough runs it."""
    binary = shutil.which("curl")
    assert binary is not None, "these tests need the curl binary"
    done = subprocess.run(
        [binary, "-s", "-N", "--max-time", "10", *args], capture_output=True, timeout=15
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


def test_a_call_split_over_two_processes_streams_the_same_bytes(
    start_server: StartServer, store: str
) -> None:
    alone = start_server()
    first, second = _replicas(start_server, store)
    with Balancer([first.url, second.url]) as lb:
        base = lb.url + "/gradio_api"
        posted = _curl(
            "-X", "POST", f"{base}/call/predict", "-H", "Content-Type: application/json",
            "-d", '{"data": ["Hello, my friend."]}',
        )  # fmt: skip
        event_id = json.loads(posted)["event_id"]
        shared_body = _curl(f"{base}/call/predict/{event_id}")
        again = _curl(f"{base}/call/predict/{event_id}")  # on the other one
        assert dict(lb.hits) == {first.url: 2, second.url: 1}
    event_id = start_call(alone.url + "/gradio_api", "predict", ["Hello, my friend."])
    memory_body = HTTP.get(f"{alone.url}/gradio_api/call/predict/{event_id}", timeout=10).text
    assert shared_body == memory_body  # the same bytes as a single process sends
    assert again == memory_body  # and a re-read on another process replays them
    assert parse_frames(shared_body)[-1][0] == "complete"


def _gated_app(gate: Gate) -> App:
    app = App("gated")

    @app.api("steps", concurrency_limit=None)
    def steps(n: int) -> Iterator[str]:
        for i in range(int(n)):
            if i == 1:
                gate.pass_through()
            yield f"step {i}"

    @app.api("wait", concurrency_limit=1)
    def wait(text: str) -> str:
        gate.pass_through()
        return text

    return app


def test_a_live_stream_is_followed_from_another_process(
    start_server: StartServer, store: str
) -> None:
    gate = Gate()
    app = _gated_app(gate)
    first, second = _replicas(start_server, store, app)
    event_id = start_call(first.url, "steps", [3])
    with HTTP.stream(
        "GET", f"{second.url}/call/steps/{event_id}", timeout=stream_timeout(15)
    ) as response:
        frames = iter_frames(response, 15)
        assert next(frames) == ("generating", ["step 0"])  # live, while the job waits
        gate.wait_entered()
        gate.open()
        rest = list(frames)
    assert rest == [
        ("generating", ["step 1"]),
        ("generating", ["step 2"]),
        ("complete", ["step 2"]),
    ]


def test_the_cache_bound_is_shared_and_an_evicted_id_is_a_404_everywhere(
    start_server: StartServer, store: str
) -> None:
    first, second = _replicas(start_server, store, cache_size=2)
    ids = []
    for i, server in enumerate([first, second, first]):
        event_id = start_call(server.url, "predict", [f"text {i}"])
        assert read_frames(f"{server.url}/call/predict/{event_id}")[-1][0] == "complete"
        ids.append(event_id)
    for server in (first, second):
        response = HTTP.get(f"{server.url}/call/predict/{ids[0]}", timeout=10)
        assert response.status_code == 404, response.text
        assert ids[0] in response.json()["detail"]
        for kept in ids[1:]:
            assert read_frames(f"{server.url}/call/predict/{kept}")[-1][0] == "complete"


def test_sessions_follow_the_client_across_processes(start_server: StartServer, store: str) -> None:
    first, second, third = _replicas(start_server, store, n=3)
    with Balancer([first.url, second.url, third.url]) as lb:
        replies = []
        for message in ["one", "two", "three"]:
            frames = call(lb.url, "chat", [message], session_hash="s-1")
            replies.append(frames[-1][1][0])
        other = call(lb.url, "chat", ["elsewhere"], session_hash="s-2")[-1][1][0]
    # Each reply counts the messages before it, wherever the call ran.
    assert [r.split(":")[0] for r in replies] == [
        call_reply.split(":")[0] for call_reply in _single_process_replies(start_server)
    ]
    assert other.split(":")[0] == replies[0].split(":")[0]


def _single_process_replies(start_server: StartServer) -> list[str]:
    alone = start_server()
    return [
        call(alone.url, "chat", [m], session_hash="s-1")[-1][1][0] for m in ["one", "two", "three"]
    ]


def test_a_session_value_the_store_cannot_keep_is_refused_at_once(
    start_server: StartServer, store: str
) -> None:
    app = App("unstorable")

    @app.api("keep")
    def keep(text: str, session: Session) -> str:
        try:
            session["when"] = {1, 2}
        except TypeError as error:
            return str(error)
        return "kept"

    @app.api("append")
    def append(text: str, session: Session) -> str:
        session.setdefault("items", []).append(object())  # in place: seen as it returns
        return "appended"

    (server,) = _replicas(start_server, store, app, n=1)
    message = call(server.url, "keep", ["x"], session_hash="s")[-1][1][0]
    assert "session['when']" in message and "set" in message and "JSON" in message
    frames = call(server.url, "append", ["x"], session_hash="s")
    assert frames[-1][0] == "error"
    assert "session['items']" in frames[-1][1]["error"]
    assert "list" in frames[-1][1]["error"]
    server.take_errors()


def test_cancel_and_the_queue_bound_work_from_any_process(
    start_server: StartServer, store: str
) -> None:
    gate = Gate()
    app = _gated_app(gate)
    app.max_queue_size = 1
    first, second = _replicas(start_server, store, app)
    running = start_call(first.url, "wait", ["a"])
    gate.wait_entered()
    waiting = start_call(first.url, "wait", ["b"])  # waits behind it (limit 1)
    full = HTTP.post(f"{second.url}/call/wait", json={"data": ["c"]})
    assert full.status_code == 503  # the bound counts the other process's queue
    assert full.json() == {"detail": "Queue is full."}
    cancelled = HTTP.post(f"{second.url}/cancel", json={"event_id": waiting, "session_hash": "x"})
    assert cancelled.json() == {"success": True}
    frames = read_frames(f"{second.url}/call/wait/{waiting}")
    assert frames == [
        ("error", {"error": "Cancelled.", "duration": 10, "visible": True, "title": "Error"})
    ]
    gate.open()
    assert read_frames(f"{second.url}/call/wait/{running}")[-1] == ("complete", ["a"])
    unknown = HTTP.post(f"{second.url}/cancel", json={"event_id": "nope", "session_hash": "x"})
    assert unknown.json() == {"success": False}


def test_files_uploaded_to_one_process_are_inputs_and_downloads_on_another(
    start_server: StartServer, store: str
) -> None:
    from demos._png import solid

    first, second = _replicas(start_server, store)
    png = solid(2, 2, (200, 100, 50))
    uploaded = HTTP.post(f"{first.url}/gradio_api/upload", files={"files": ("a.png", png)})
    assert uploaded.status_code == 200, uploaded.text
    path = uploaded.json()[0]
    assert HTTP.get(f"{second.url}/gradio_api/file={path}").content == png
    frames = call(
        second.url + "/gradio_api", "image", [{"path": path, "meta": {"_type": "gradio.FileData"}}]
    )
    assert frames[-1][0] == "complete", frames
    output = frames[-1][1][0]
    for server in (first, second):
        served = HTTP.get(f"{server.url}/gradio_api/file={output['path']}")
        assert served.status_code == 200
        assert served.content.startswith(b"\x89PNG")
    # Still only what a process of this deployment stored: a file of ours elsewhere is not.
    assert HTTP.get(f"{second.url}/gradio_api/file=/etc/passwd").status_code in (403, 404)


def test_queue_join_on_one_process_and_queue_data_on_another(
    start_server: StartServer, store: str
) -> None:
    first, second = _replicas(start_server, store)
    joined = HTTP.post(
        f"{first.url}/gradio_api/queue/join",
        json={"data": ["Hey"], "fn_index": None, "api_name": "/stream", "session_hash": "q1"},
    )
    assert joined.status_code == 200, joined.text
    event_id = joined.json()["event_id"]
    messages = []
    with HTTP.stream(
        "GET", f"{second.url}/gradio_api/queue/data?session_hash=q1", timeout=stream_timeout(15)
    ) as response:
        assert response.status_code == 200
        messages = list(iter_frames(response, 15))
    kinds = [m[1]["msg"] for m in messages]
    assert kinds[-1] == "close_stream"
    assert kinds[-2] == "process_completed"
    assert {m[1].get("event_id") for m in messages[:-1]} == {event_id}
    assert messages[-2][1]["success"] is True, messages[-2]
    again = HTTP.get(f"{first.url}/gradio_api/queue/data?session_hash=q1", timeout=10)
    assert again.status_code == 404  # delivered: the session has nothing pending anywhere


def test_gradio_client_works_through_the_balancer_unchanged(
    start_server: StartServer, store: str, tmp_path: Any
) -> None:
    from gradio_client import Client, handle_file

    from demos._png import solid

    first, second, third = _replicas(start_server, store, n=3)
    image = tmp_path / "in.png"
    image.write_bytes(solid(2, 2, (10, 20, 30)))
    with Balancer([first.url, second.url, third.url]) as lb:
        client = Client(lb.url, verbose=False, download_files=str(tmp_path))
        assert client.predict("Hi", api_name="/predict")
        job = client.submit("Hey", api_name="/stream")
        assert job.result(timeout=30)
        assert len(job.outputs()) >= 2  # streamed values, each from the session stream
        result = client.predict(handle_file(str(image)), api_name="/image")
        assert Path(result).read_bytes().startswith(b"\x89PNG")
        first_reply = client.predict("one", api_name="/chat")
        second_reply = client.predict("two", api_name="/chat")
        assert first_reply != second_reply  # the history came along
        client.close()
        assert min(lb.hits.values()) > 0


def test_500_concurrent_clients_each_get_their_own_answer(
    start_server: StartServer, store: str
) -> None:
    app = App("echo")

    @app.api("echo", concurrency_limit=None)
    def echo(text: str) -> str:
        return text

    servers = _replicas(start_server, store, app, n=3)
    with Balancer([s.url for s in servers]) as lb:
        limits = httpx.Limits(max_connections=600, max_keepalive_connections=600)
        with httpx.Client(timeout=60, limits=limits) as client:

            def one(i: int) -> bool:
                posted = client.post(f"{lb.url}/call/echo", json={"data": [f"client {i}"]})
                event_id = posted.json()["event_id"]
                body = client.get(f"{lb.url}/call/echo/{event_id}").text
                return parse_frames(body) == [("complete", [f"client {i}"])]

            with concurrent.futures.ThreadPoolExecutor(100) as pool:
                results = list(pool.map(one, range(500)))
    assert results.count(True) == 500


def test_a_store_that_goes_away_gives_503s_then_service_resumes(
    start_server: StartServer, redis_server: RedisServer, store: str
) -> None:
    server = start_server(store=store, lease_timeout=1.0)
    assert call(server.url, "predict", ["before"])[-1][0] == "complete"
    redis_server.stop()
    try:
        down = HTTP.post(f"{server.url}/call/predict", json={"data": ["during"]})
        assert down.status_code == 503
        assert "shared store" in down.json()["detail"] and "unreachable" in down.json()["detail"]
        assert HTTP.get(f"{server.url}/config").status_code == 200  # what needs no store
    finally:
        redis_server.start()
    deadline = time.monotonic() + 20
    while True:  # the client retries, as a client of a 503 would
        response = HTTP.post(f"{server.url}/call/predict", json={"data": ["after"]})
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        threading.Event().wait(0.1)
    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]
    assert read_frames(f"{server.url}/call/predict/{event_id}")[-1][0] == "complete"


def test_an_error_is_the_same_from_any_process(start_server: StartServer, store: str) -> None:
    app = App("failing")

    @app.api("fail")
    def fail(text: str) -> str:
        raise Error(f"custom failure: {text}")

    first, second = _replicas(start_server, store, app)
    event_id = start_call(first.url, "fail", ["x"])
    frames = read_frames(f"{second.url}/call/fail/{event_id}")
    assert frames == [
        ("error", {"error": "custom failure: x", "duration": 10, "visible": True, "title": "Error"})
    ]
    assert json.loads(json.dumps(frames))  # (plain JSON)


node = test_js_client.node  # the fixture: Node.js with @gradio/client installed


@pytest.mark.node
def test_gradio_js_client_works_through_the_balancer_unchanged(
    node: str, start_server: StartServer, store: str, tmp_path: Path
) -> None:
    servers = _replicas(start_server, store, n=3)
    path, expected = test_js_client.greeting_png(tmp_path)
    with Balancer([s.url for s in servers]) as lb:
        run = functools.partial(test_js_client.run_js, node, lb.url)
        predicted = run("predict", {"endpoint": "/predict", "data": ["Hello, my friend."]})
        assert predicted["data"] == ["Bonjour, mon ami."]
        messages = run("submit", {"endpoint": "/stream", "data": ["Hello"]})
        values = [m["data"][0] for m in messages if m["type"] == "data"]
        assert values == ["H", "He", "Hel", "Hell", "Hello", "Hello"]
        image = run("image", {"path": str(path)})
        download = image["buffer"]["download"]
        assert download["status"] == 200
        assert _png.decode(base64.b64decode(download["base64"])) == _png.decode(expected)
        messages = [["first", "a"], ["first", "b"], ["second", "c"], ["first", "d"]]
        chat = run("sessions", {"messages": messages})
        assert [reply for _, reply in chat["replies"]] == [
            "You said: a (0 earlier messages in this session)",
            "You said: b (2 earlier messages in this session)",
            "You said: c (0 earlier messages in this session)",
            "You said: d (4 earlier messages in this session)",
        ]
        assert min(lb.hits[s.url] for s in servers) > 0


# -- stubs and reset in the store (every process answers alike) ----------------------------


def test_a_stub_added_through_one_process_answers_on_every_other(
    start_server: StartServer, store: str
) -> None:
    first, second, third = _replicas(start_server, store, n=3)
    quota = {"fault": "zerogpu_quota"}
    added = HTTP.post(
        f"{first.url}/__mock/stubs",
        json={"api_name": "/predict", "times": 1, "response": quota},
    )
    assert added.status_code == 201, added.text
    stub_id = added.json()["id"]
    with Balancer([second.url, third.url]) as lb:
        # The first call, on whichever process, hits the quota; the next runs the function.
        failed = call(lb.url, "predict", ["Hello, my friend."])
        assert failed[-1][0] == "error" and "GPU quota" in failed[-1][1]["error"]
        passed = call(lb.url, "predict", ["Hello, my friend."])
        assert passed[-1] == ("complete", ["Bonjour, mon ami."])
    for server in (first, second, third):
        [listed] = HTTP.get(f"{server.url}/__mock/stubs").json()["stubs"]
        assert (listed["id"], listed["hits"], listed["exhausted"]) == (stub_id, 1, True)
    assert HTTP.delete(f"{third.url}/__mock/stubs/{stub_id}").status_code == 200
    assert HTTP.get(f"{first.url}/__mock/stubs").json() == {"stubs": []}
    for server in (first, second, third):
        server.take_unmatched()


def test_a_stub_used_up_is_used_up_everywhere_under_concurrent_calls(
    start_server: StartServer, store: str
) -> None:
    servers = _replicas(start_server, store, n=3)
    outputs = {"outputs": ["stubbed"]}
    HTTP.post(
        f"{servers[0].url}/__mock/stubs",
        json={"api_name": "/predict", "times": 5, "response": outputs},
    )
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        results = list(
            pool.map(lambda i: call(servers[i % 3].url, "predict", ["Hi"])[-1][1][0], range(30))
        )
    assert results.count("stubbed") == 5  # claimed atomically in the store, not 5 a process


def test_a_route_stub_reaches_every_process(start_server: StartServer, store: str) -> None:
    first, second = _replicas(start_server, store)
    stub = {"path": "/config", "times": 1, "response": {"fault": "status", "status": 429}}
    assert HTTP.post(f"{first.url}/__mock/stubs", json=stub).status_code == 201
    assert HTTP.get(f"{second.url}/__mock/stubs").json()["stubs"]  # (read there: in force)
    assert HTTP.get(f"{second.url}/config").status_code == 429
    assert HTTP.get(f"{first.url}/config").status_code == 200  # once, over all processes


def test_reset_through_one_process_forgets_everything_everywhere(
    start_server: StartServer, store: str
) -> None:
    first, second = _replicas(start_server, store)
    event_id = start_call(first.url, "predict", ["Hi"])
    assert read_frames(f"{second.url}/call/predict/{event_id}")[-1][0] == "complete"
    call(first.url, "chat", ["remember me"], session_hash="s")
    HTTP.post(
        f"{first.url}/__mock/stubs", json={"api_name": "/hello", "response": {"outputs": ["x", 1]}}
    )
    assert HTTP.post(f"{second.url}/__mock/reset").json() == {"reset": True}
    for server in (first, second):
        assert HTTP.get(f"{server.url}/call/predict/{event_id}").status_code == 404
        assert HTTP.get(f"{server.url}/__mock/stubs").json() == {"stubs": []}
    reply = call(first.url, "chat", ["again"], session_hash="s")[-1][1][0]
    assert "(0 earlier messages" in reply  # the session is gone too


def test_the_journal_lists_what_every_process_received(
    start_server: StartServer, store: str
) -> None:
    first, second = _replicas(start_server, store)
    with Balancer([first.url, second.url]) as lb:
        call(lb.url, "predict", ["Hello, my friend."])  # the POST on one, the GET on the other
        HTTP.post(f"{lb.url}/call/nope", json={"data": [1]})  # unmatched, on the first
    for server in (first, second):
        entries = HTTP.get(f"{server.url}/__mock/requests").json()["requests"]
        assert [(e["method"], e["path"], e["status"]) for e in entries] == [
            ("POST", "/call/predict", 200),
            ("GET", f"/call/predict/{entries[0]['event_id']}", 200),
            ("POST", "/call/nope", 404),
        ]
        assert entries[0]["outcome"] == "complete"
        assert entries[0]["data"] == ["Hello, my friend."]
        assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
        [miss] = HTTP.get(f"{server.url}/__mock/requests/unmatched").json()["requests"]
        assert miss["near_misses"]
        since = HTTP.get(f"{server.url}/__mock/requests?since={entries[0]['id']}").json()
        assert len(since["requests"]) == 2
    with HTTP.stream(
        "GET", f"{second.url}/__mock/requests/stream?backlog=1", timeout=stream_timeout(10)
    ) as response:
        frames = iter_frames(response, 10)
        assert next(frames)[1]["path"] == "/call/nope"  # the backlog
        HTTP.delete(f"{first.url}/__mock/requests")
        assert next(frames) == ("reset", None)
        call(first.url, "predict", ["live"])
        assert next(frames)[1]["path"] == "/call/predict"  # live, from the other process
    first.take_unmatched()


def test_state_values_follow_the_session_across_processes(
    start_server: StartServer, store: str
) -> None:
    from tests.test_state import StateApp

    app = StateApp()
    first, second = _replicas(start_server, store, app.app)
    base = [first.url + "/gradio_api", second.url + "/gradio_api"]
    replies = [call(base[i % 2], "chat", [w], session_hash="s")[-1] for i, w in enumerate("abc")]
    assert replies == [
        ("complete", ["a after 0", None]),
        ("complete", ["b after 1", None]),
        ("complete", ["c after 2", None]),
    ]
    assert call(base[1], "peek", [], session_hash="s")[-1] == ("complete", [["a", "b", "c"]])
    # Two calls of one session queued back to back on one process: the second sees what
    # the first returned (the state is read when a call runs, as in memory).
    held = start_call(base[0], "held_chat", ["x"], session_hash="t")
    app.gate.wait_entered()
    behind = start_call(base[0], "held_chat", ["y"], session_hash="t")
    app.gate.open()
    assert read_frames(f"{base[1]}/call/held_chat/{held}") == [("complete", ["x after 0", None])]
    assert read_frames(f"{base[1]}/call/held_chat/{behind}") == [("complete", ["y after 1", None])]
