"""The queue's ``estimation`` messages with true ranks and ETAs, and ``process_starts``' ETA,
in the default mode, as Gradio sends them (``tests/reference/gradio-*/sessions.json`` shows
the real thing; ``test_reference_messages.py`` compares it): a job's rank is the jobs ahead
of it in its endpoint's queue, and each waiting job gets a new estimation when a job of its
endpoint starts. Gates hold the jobs; no test waits on time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.utils import Status

from server import App
from tests.apps import Gate
from tests.conftest import StartServer
from tests.sse import HTTP, read_body

WAIT = 30.0


class Held:
    """Endpoints whose calls each wait on the gate their input names."""

    def __init__(self) -> None:
        self.gates: dict[str, Gate] = {}
        self.app = App("held")

        @self.app.api("held")  # concurrency_limit 1, Gradio's default
        def held(name: str) -> str:
            self.gate(name).pass_through()
            return name

        @self.app.api("pair", concurrency_limit=2)
        def pair(name: str) -> str:
            self.gate(name).pass_through()
            return name

    def gate(self, name: str) -> Gate:
        return self.gates.setdefault(name, Gate())


def join(base: str, api: str, name: str, session: str) -> str:
    fn_index = {"held": 0, "pair": 1}[api]
    body = {"data": [name], "fn_index": fn_index, "session_hash": session}
    response = HTTP.post(f"{base}/queue/join", json=body)
    assert response.status_code == 200, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def messages(base: str, session: str) -> list[dict[str, Any]]:
    with HTTP.stream("GET", f"{base}/queue/data", params={"session_hash": session}) as r:
        body = read_body(r)
    return [json.loads(block.removeprefix("data: ")) for block in body.split("\n\n") if block]


def queue_view(received: list[dict[str, Any]], event_id: str) -> list[tuple[Any, ...]]:
    """A job's messages as (msg, rank, queue_size), up to its start."""
    out: list[tuple[Any, ...]] = []
    for message in received:
        if message.get("event_id") == event_id and message["msg"] != "process_completed":
            out.append((message["msg"], message.get("rank"), message.get("queue_size")))
    return out


@pytest.fixture
def held(start_server: StartServer) -> Iterator[tuple[Held, str]]:
    app = Held()
    server = start_server(app.app)
    yield app, server.url + "/gradio_api"
    for gate in app.gates.values():
        gate.open()


def test_a_job_behind_two_moves_up_as_each_starts(held: tuple[Held, str]) -> None:
    """One running, two waiting (limit 1): the last sees rank 1 of 2, then rank 0 of 1 when
    the second starts (sent then, after the second's process_starts), then starts."""
    app, base = held
    first = join(base, "held", "a", "s")
    app.gate("a").wait_entered()
    second, third = join(base, "held", "b", "s"), join(base, "held", "c", "s")
    app.gate("a").open()
    app.gate("b").wait_entered()
    for name in ("b", "c"):
        app.gate(name).open()
    received = messages(base, "s")
    assert queue_view(received, first) == [("estimation", 0, 1), ("process_starts", None, None)]
    assert queue_view(received, second) == [("estimation", 0, 1), ("process_starts", None, None)]
    assert queue_view(received, third) == [
        ("estimation", 1, 2),
        ("estimation", 0, 1),
        ("process_starts", None, None),
    ]
    order = [(m["msg"], m.get("event_id"), m.get("rank")) for m in received]
    assert order.index(("estimation", third, 0)) > order.index(("process_starts", second, None))


def test_with_two_workers_the_queue_moves_when_one_is_free(held: tuple[Held, str]) -> None:
    """Limit 2: two running, the third waits at rank 0 of 2 and the fourth at rank 1 of 2;
    when the first ends, the third starts and the fourth moves to rank 0 of 1. Ranks are per
    endpoint: a job of another endpoint does not count."""
    app, base = held
    running = [join(base, "pair", name, "s") for name in ("a", "b")]
    app.gate("a").wait_entered()
    app.gate("b").wait_entered()
    third, fourth = join(base, "pair", "c", "s"), join(base, "pair", "d", "s")
    other = join(base, "held", "x", "s")  # another endpoint: a queue of its own
    app.gate("x").wait_entered()
    app.gate("a").open()
    app.gate("c").wait_entered()  # the third runs: the fourth has moved up
    for name in ("b", "c", "d", "x"):
        app.gate(name).open()
    received = messages(base, "s")
    for event_id in running:
        assert queue_view(received, event_id)[0] == ("estimation", 0, 1)
    assert queue_view(received, third) == [("estimation", 0, 1), ("process_starts", None, None)]
    assert queue_view(received, fourth) == [
        ("estimation", 1, 2),
        ("estimation", 0, 1),
        ("process_starts", None, None),
    ]
    assert queue_view(received, other)[0] == ("estimation", 0, 1)


def test_etas_come_from_measured_runs(held: tuple[Held, str]) -> None:
    """No ETA before the endpoint's first success; then ``process_starts``' ``eta`` is its
    average run, and a waiting job's ``rank_eta`` that run plus one run per job ahead (one
    worker) plus the time until the worker is free, as Gradio computes it."""
    app, base = held
    app.gate("a").open()
    join(base, "held", "a", "s1")
    received = messages(base, "s1")
    assert [(m["msg"], m.get("rank_eta", m.get("eta"))) for m in received[:2]] == [
        ("estimation", None),
        ("process_starts", None),
    ]
    done = received[2]
    assert done["msg"] == "process_completed" and done["success"] is True
    run = done["output"]["duration"]
    assert isinstance(run, float) and run > 0
    second = join(base, "held", "b", "s2")
    app.gate("b").wait_entered()
    third, fourth = join(base, "held", "c", "s2"), join(base, "held", "d", "s2")
    app.gate("b").open()
    app.gate("c").wait_entered()
    for name in ("c", "d"):
        app.gate(name).open()
    received = messages(base, "s2")
    starts = {m["event_id"]: m["eta"] for m in received if m["msg"] == "process_starts"}
    assert starts[second] == pytest.approx(run)
    first_estimate = {
        e: next(m for m in received if m["msg"] == "estimation" and m["event_id"] == e)
        for e in (third, fourth)
    }
    eta_third, eta_fourth = (first_estimate[e]["rank_eta"] for e in (third, fourth))
    # (rank 0: one run, plus at most one run until the running job is expected to end)
    assert run <= eta_third <= 2 * run
    assert 2 * run <= eta_fourth <= 3 * run


def test_gradio_client_sees_its_rank_move(held: tuple[Held, str]) -> None:
    """``job.status()`` of gradio_client: in the queue at rank 1, then 0, then processing."""
    app, base = held
    client = Client(base.removesuffix("/gradio_api"), verbose=False)
    try:
        app.gate("warm-up").open()
        assert client.predict("warm-up", api_name="/held") == "warm-up"  # a measured run
        first = client.submit("a", api_name="/held")
        app.gate("a").wait_entered()
        second = client.submit("b", api_name="/held")
        # (the client joins from a thread per job: wait, so that the order is known)
        wait_status(second, lambda s: s.code == Status.IN_QUEUE and s.rank == 0)
        third = client.submit("c", api_name="/held")
        status = wait_status(third, lambda s: s.code == Status.IN_QUEUE and s.rank == 1)
        assert status.queue_size == 2
        app.gate("a").open()
        app.gate("b").wait_entered()
        status = wait_status(third, lambda s: s.code == Status.IN_QUEUE and s.rank == 0)
        assert status.queue_size == 1
        assert status.eta is not None and status.eta > 0  # /held has succeeded before
        app.gate("b").open()
        app.gate("c").wait_entered()
        wait_status(third, lambda s: s.code == Status.PROCESSING)
        app.gate("c").open()
        assert [job.result(timeout=WAIT) for job in (first, second, third)] == ["a", "b", "c"]
    finally:
        client.close()


def wait_status(job: Any, wanted: Any) -> Any:
    """Poll ``job.status()`` until ``wanted(status)``, within ``WAIT`` seconds (the client
    updates it from its own thread and offers no event to wait on)."""
    deadline = time.monotonic() + WAIT
    while True:
        status = job.status()
        if wanted(status):
            return status
        assert time.monotonic() < deadline, f"job.status() never matched; last: {status}"
        time.sleep(0.01)


def test_a_late_reader_gets_the_first_and_the_latest_estimation(
    held: tuple[Held, str],
) -> None:
    """Five jobs behind a running one: each estimation after the first replaces the one
    before it in the job's log (a job waiting behind many keeps two, not one per move), so
    a reader that comes late gets the first and the latest."""
    app, base = held
    first = join(base, "held", "a", "late")
    app.gate("a").wait_entered()
    waiting = [join(base, "held", name, "late") for name in "bcdef"]
    for name in "abcde":
        app.gate(name).open()
        app.gate(chr(ord(name) + 1)).wait_entered()
    app.gate("f").open()
    received = messages(base, "late")
    assert queue_view(received, first)[0] == ("estimation", 0, 1)
    assert queue_view(received, waiting[-1]) == [
        ("estimation", 4, 5),
        ("estimation", 0, 1),
        ("process_starts", None, None),
    ]
