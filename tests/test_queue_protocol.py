"""The official clients' queue protocol (``/queue/join`` + ``/queue/data``) at the wire: every
generator value reaches the stream, and a client that hangs up cancels its session's jobs, as
Gradio does."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

from gradio_client.utils import apply_diff

from server import App
from tests.conftest import StartServer
from tests.sse import HTTP, bounded_lines, get_stream, read_body

COUNT = 200


def make_app(stopped: threading.Event) -> App:
    app = App("queue protocol")

    @app.api("burst")
    async def burst(text: str) -> AsyncIterator[str]:
        for i in range(COUNT):
            await asyncio.sleep(0.001)  # values keep coming while the stream is read
            yield f"{text}{i}"

    @app.api("forever")
    async def forever(text: str) -> AsyncIterator[str]:
        try:
            while True:
                yield text
                await asyncio.sleep(0.01)
        finally:
            stopped.set()

    return app


def join(base: str, fn_index: int, session_hash: str) -> str:
    body = {"data": ["x"], "fn_index": fn_index, "session_hash": session_hash}
    response = HTTP.post(f"{base}/queue/join", json=body)
    assert response.status_code == 200, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def messages(base: str, session_hash: str) -> list[dict[str, Any]]:
    with HTTP.stream("GET", f"{base}/queue/data", params={"session_hash": session_hash}) as r:
        body = read_body(r)  # within the test's own deadline
    return [json.loads(block.removeprefix("data: ")) for block in body.split("\n\n") if block]


def test_every_generator_value_reaches_the_stream(start_server: StartServer) -> None:
    server = start_server(make_app(threading.Event()))
    base = server.url + "/gradio_api"
    event_id = join(base, 0, "burst-session")
    received = messages(base, "burst-session")
    generating = [m for m in received if m["msg"] == "process_generating"]
    assert len(generating) == COUNT
    assert all(m["success"] is True for m in generating)
    assert all(m["output"]["is_generating"] is True for m in generating)
    value: Any = None
    for i, message in enumerate(generating):
        data = message["output"]["data"]
        value = data[0] if i == 0 else apply_diff(value, data[0])
        assert value == f"x{i}"
    assert [m["msg"] for m in received][-2:] == ["process_completed", "close_stream"]
    assert received[-2]["event_id"] == event_id
    assert received[-2]["output"]["data"] == [f"x{COUNT - 1}"]


def test_a_client_hanging_up_cancels_its_sessions_jobs(start_server: StartServer) -> None:
    stopped = threading.Event()
    server = start_server(make_app(stopped))
    base = server.url + "/gradio_api"
    event_id = join(base, 1, "leaving-session")
    with HTTP.stream(
        "GET", f"{base}/queue/data", params={"session_hash": "leaving-session"}
    ) as response:
        for line in bounded_lines(response):
            if '"process_generating"' in line:
                break  # the job runs: now hang up
    assert stopped.wait(timeout=10), "the job went on after its client left"
    job = server.state.cache.get(event_id)
    assert job is not None
    # Read through /call: the job ended, cancelled.
    _, frames = get_stream(HTTP, f"{base}/call/forever/{event_id}")
    assert frames.rstrip().splitlines()[-1].startswith('data: {"error": "Cancelled."')


# -- what each message says (issue 7: details no test read before) -------------------------


def test_session_messages_give_ranks_durations_and_success(start_server: StartServer) -> None:
    from tests.apps import make_app as make_reference_app

    app, controls = make_reference_app()
    server = start_server(app)
    base = server.url + "/gradio_api"
    try:
        first = join_api(base, "slow", "q")
        controls.slow.wait_entered()  # running: the next two wait behind it (limit 1)
        second, third = join_api(base, "slow", "q"), join_api(base, "slow", "q")
        failing = join_api(base, "boom", "q")
    finally:
        controls.slow.open()
    received = messages(base, "q")
    by_job: dict[str, list[dict[str, Any]]] = {}
    for message in received:
        by_job.setdefault(message.get("event_id", ""), []).append(message)
    assert [m["msg"] for m in received][-1] == "close_stream"
    estimations = {e: by_job[e][0] for e in (first, second, third)}
    assert all(m["msg"] == "estimation" for m in estimations.values())
    assert (estimations[second]["rank"], estimations[second]["queue_size"]) == (0, 1)
    assert (estimations[third]["rank"], estimations[third]["queue_size"]) == (1, 2)
    for event_id in (first, second, third):
        done = by_job[event_id][-1]
        assert done["msg"] == "process_completed" and done["success"] is True, done
        assert done["output"]["data"] == ["x"]
        assert done["output"]["is_generating"] is False
        assert isinstance(done["output"]["duration"], float) and done["output"]["duration"] >= 0
    error = by_job[failing][-1]
    assert error["msg"] == "process_completed" and error["success"] is False, error
    assert error["output"]["error"] == "custom failure"


def join_api(base: str, api_name: str, session_hash: str) -> str:
    body = {"data": ["x"], "api_name": api_name, "session_hash": session_hash}
    response = HTTP.post(f"{base}/queue/join", json=body)
    assert response.status_code == 200, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def test_cancel_says_whether_there_was_a_job_to_stop(start_server: StartServer) -> None:
    from tests.apps import make_app as make_reference_app

    app, controls = make_reference_app()
    server = start_server(app)
    try:
        event_id = join_api(server.url, "slow", "c")
        controls.slow.wait_entered()
        for route in ("/cancel", "/reset"):
            unknown = HTTP.post(server.url + route, json={"event_id": "f" * 32})
            assert unknown.json() == {"success": False}
        assert HTTP.post(server.url + "/cancel", json={"event_id": event_id}).json() == {
            "success": True
        }
    finally:
        controls.slow.open()
    _, frames = get_stream(HTTP, f"{server.url}/call/slow/{event_id}")
    assert '"Cancelled."' in frames


def test_heartbeat_route_says_alive_at_once_and_then_at_each_interval(
    start_server: StartServer,
) -> None:
    server = start_server(heartbeat=0.2)
    with HTTP.stream("GET", f"{server.url}/gradio_api/heartbeat/anyone") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = (line for line in bounded_lines(response, 10) if line)
        assert [next(lines), next(lines), next(lines)] == ["data: ALIVE"] * 3


def test_reset_forgets_the_sessions_streams(start_server: StartServer) -> None:
    from tests.apps import make_app as make_reference_app

    app, _ = make_reference_app()
    server = start_server(app)
    join_api(server.url, "sync_fn", "gone")
    server.reset()
    response = HTTP.get(f"{server.url}/queue/data", params={"session_hash": "gone"})
    assert response.status_code == 404, response.text
