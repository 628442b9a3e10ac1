"""Progress and log messages from a running function: ``Progress`` (Gradio's ``gr.Progress``)
and ``info``/``warning``/``success`` (``gr.Info``, ``gr.Warning``, ``gr.Success``). The
clients get Gradio's ``progress`` and ``log`` messages on ``/queue/data``
(``test_reference_messages.py`` compares them with real Gradio's, field by field); the
``/call`` stream shows neither. Gates hold the functions while a client looks."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from gradio_client import Client

from server import App, Progress, info, success, warning
from server._progress import MAX_LOG_MESSAGES
from server.pytest_plugin import MockServer
from tests.apps import Gate
from tests.conftest import StartServer
from tests.sse import HTTP, call, read_body
from tests.test_js_client import node, run_js
from tests.test_queue_estimates import wait_status

__all__ = ["node"]  # the fixture, imported so that pytest finds it here

WAIT = 30.0


class Reporting:
    def __init__(self) -> None:
        self.gates: dict[str, Gate] = {}
        app = self.app = App("reporting")

        @app.api("steps")
        def steps(x: str, progress: Progress) -> str:
            progress(0.25, desc="quarter")
            self.gate("progress").pass_through()
            info("hello")
            self.gate("info").pass_through()
            warning("careful", duration=None, title="Hm")
            self.gate("warning").pass_through()
            return x

        @app.api("tracked")
        def tracked(x: str, progress: Progress = Progress()) -> str:  # noqa: B008 (Gradio's idiom)
            for i in progress.tqdm(range(3), desc="Steps"):
                if i == 1:
                    self.gate("tqdm").pass_through()
            progress((7, 10), unit="files")
            self.gate("tuple").pass_through()
            return x

        @app.api("sync_fn")
        def sync_fn(x: str, progress: Progress) -> str:
            progress(0.5, desc="half")
            info("one")
            success("two")
            return x

        @app.api("async_fn")
        async def async_fn(x: str, progress: Progress) -> str:
            progress(0.5, desc="half")
            await asyncio.sleep(0)
            info("one")
            await asyncio.to_thread(info, "from a thread of its own")
            return x

        @app.api("sync_gen")
        def sync_gen(x: str) -> Iterator[str]:
            info("before")
            yield x
            warning("between")
            yield x + x

        @app.api("interleaved")
        def interleaved(x: str) -> Iterator[str]:
            for i in range(300):
                yield str(i)
                info(str(i))

        @app.api("async_gen")
        async def async_gen(x: str, progress: Progress) -> AsyncIterator[str]:
            info("before")
            yield x
            progress(0.5)
            warning("between")
            yield x + x

        @app.api("chatty")
        def chatty(x: str) -> str:
            for i in range(MAX_LOG_MESSAGES + 500):
                info(f"message {i}")
            return x

        @app.api("busy")
        def busy(x: str, progress: Progress) -> str:
            for _ in progress.tqdm(range(20_000)):
                pass
            return x

    def gate(self, name: str) -> Gate:
        return self.gates.setdefault(name, Gate())


@pytest.fixture
def reporting(start_server: StartServer) -> Iterator[tuple[Reporting, MockServer]]:
    app = Reporting()
    yield app, start_server(app.app)
    for gate in app.gates.values():
        gate.open()


def session_messages(server: MockServer, api: str, session: str) -> list[dict[str, Any]]:
    fn_index = server.state.app.endpoint(api).fn_index  # type: ignore[union-attr]
    body = {"data": ["x"], "fn_index": fn_index, "session_hash": session}
    assert HTTP.post(server.url + "/gradio_api/queue/join", json=body).status_code == 200
    params = {"session_hash": session}
    with HTTP.stream("GET", server.url + "/gradio_api/queue/data", params=params) as r:
        body_text = read_body(r)
    return [json.loads(b.removeprefix("data: ")) for b in body_text.split("\n\n") if b]


def reported(messages: list[dict[str, Any]]) -> list[Any]:
    """The progress, log and output messages, in order."""
    out: list[Any] = []
    for m in messages:
        if m["msg"] == "progress":
            out.append(("progress", [(u["progress"], u["desc"]) for u in m["progress_data"]]))
        elif m["msg"] == "log":
            out.append(("log", m["level"], m["log"]))
        elif m["msg"] in ("process_generating", "process_completed"):
            out.append(m["msg"])
    return out


def test_gradio_client_job_status_shows_progress_and_log(
    reporting: tuple[Reporting, MockServer],
) -> None:
    """``job.status()``: ``progress_data`` after ``progress(0.25, desc=...)``, then ``log``
    as (message, level) after ``info`` and ``warning``."""
    app, server = reporting
    client = Client(server.url, verbose=False)
    try:
        job = client.submit("x", api_name="/steps")
        app.gate("progress").wait_entered()
        status = wait_status(job, lambda s: s.progress_data is not None)
        [unit] = status.progress_data
        assert (unit.progress, unit.desc, unit.index, unit.length, unit.unit) == (
            0.25,
            "quarter",
            None,
            None,
            "steps",
        )
        app.gate("progress").open()
        app.gate("info").wait_entered()
        assert wait_status(job, lambda s: s.log is not None).log == ("hello", "info")
        app.gate("info").open()
        app.gate("warning").wait_entered()
        assert wait_status(job, lambda s: s.log == ("careful", "warning")).progress_data is None
        app.gate("warning").open()
        assert job.result(timeout=WAIT) == "x"
    finally:
        client.close()


def test_tqdm_and_steps_report_units_as_gradio(reporting: tuple[Reporting, MockServer]) -> None:
    """``progress.tqdm(range(3), desc=...)``: step index of length 3 (the step about to be
    taken), unit ``steps``; ``progress((7, 10), unit=...)``: 7 of 10, no fraction."""
    app, server = reporting
    client = Client(server.url, verbose=False)
    try:
        job = client.submit("x", api_name="/tracked")
        app.gate("tqdm").wait_entered()
        status = wait_status(job, lambda s: s.progress_data and s.progress_data[0].index == 1)
        [unit] = status.progress_data
        assert (unit.index, unit.length, unit.unit, unit.progress, unit.desc) == (
            1,
            3,
            "steps",
            None,
            "Steps",
        )
        app.gate("tqdm").open()
        app.gate("tuple").wait_entered()
        status = wait_status(job, lambda s: s.progress_data and s.progress_data[0].index == 7)
        [unit] = status.progress_data
        assert (unit.index, unit.length, unit.unit, unit.progress) == (7, 10, "files", None)
        app.gate("tuple").open()
        assert job.result(timeout=WAIT) == "x"
    finally:
        client.close()


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        (
            "sync_fn",
            [
                ("progress", [(0.5, "half")]),
                ("log", "info", "one"),
                ("log", "success", "two"),
                "process_completed",
            ],
        ),
        (
            "async_fn",
            [
                ("progress", [(0.5, "half")]),
                ("log", "info", "one"),
                ("log", "info", "from a thread of its own"),
                "process_completed",
            ],
        ),
        (
            "sync_gen",  # (in order with its values, which reach the loop in batches)
            [
                ("log", "info", "before"),
                "process_generating",
                ("log", "warning", "between"),
                "process_generating",
                "process_completed",
            ],
        ),
        (
            "async_gen",
            [
                ("log", "info", "before"),
                "process_generating",
                ("progress", [(0.5, None)]),
                ("log", "warning", "between"),
                "process_generating",
                "process_completed",
            ],
        ),
    ],
)
def test_every_kind_of_function_reports_in_order(
    reporting: tuple[Reporting, MockServer], api: str, expected: list[Any]
) -> None:
    _app, server = reporting
    assert reported(session_messages(server, api, f"s-{api}")) == expected


def test_a_sync_generator_s_messages_keep_their_place(
    reporting: tuple[Reporting, MockServer],
) -> None:
    """300 values, each followed by a log message: the loop takes a sync generator's values
    in batches, and each message still comes right after its value, none after the end."""
    _app, server = reporting
    received = session_messages(server, "interleaved", "s")
    order = []
    for m in received:
        if m["msg"] == "log":
            order.append(("log", m["log"]))
        elif m["msg"] == "process_generating":
            order.append(("value", None))
    assert order == [pair for i in range(300) for pair in (("value", None), ("log", str(i)))]


def test_log_messages_carry_gradio_s_fields(reporting: tuple[Reporting, MockServer]) -> None:
    """``duration`` as a float (Gradio's model), None kept; ``title`` from 5.x on."""
    app, server = reporting
    for gate in ("progress", "info", "warning"):
        app.gate(gate).open()
    logs = [m for m in session_messages(server, "steps", "s") if m["msg"] == "log"]
    assert [{k: v for k, v in m.items() if k != "event_id"} for m in logs] == [
        {"msg": "log", "log": "hello", "level": "info", "duration": 10.0, "visible": True,
         "title": "Info"},
        {"msg": "log", "log": "careful", "level": "warning", "duration": None,
         "visible": True, "title": "Hm"},
    ]  # fmt: skip


def test_the_call_stream_shows_no_progress_or_log(reporting: tuple[Reporting, MockServer]) -> None:
    """As Gradio's ``/call`` stream in every version (the captures)."""
    _app, server = reporting
    assert call(server.url + "/gradio_api", "sync_fn", ["x"]) == [("complete", ["x"])]


def test_what_a_function_reports_is_bounded(
    reporting: tuple[Reporting, MockServer], caplog: pytest.LogCaptureFixture
) -> None:
    """A job's first ``MAX_LOG_MESSAGES`` log messages are sent, the rest dropped with one
    warning; a progress loop of 20,000 steps leaves one progress event in the job's log."""
    _app, server = reporting
    with caplog.at_level(logging.WARNING, logger="gradio_mock"):
        logs = [m for m in session_messages(server, "chatty", "s1") if m["msg"] == "log"]
    assert [m["log"] for m in logs] == [f"message {i}" for i in range(MAX_LOG_MESSAGES)]
    dropped = [r for r in caplog.records if "log messages" in r.getMessage()]
    assert len(dropped) == 1 and "/chatty" in dropped[0].getMessage()
    event_id = HTTP.post(server.url + "/gradio_api/call/busy", json={"data": ["x"]}).json()[
        "event_id"
    ]
    assert HTTP.get(f"{server.url}/gradio_api/call/busy/{event_id}").text.startswith(
        "event: complete"
    )
    job = server.state.cache.get(event_id)
    assert job is not None
    assert [e.kind for e in job.events].count("progress") <= 1


def test_outside_a_server_they_do_nothing() -> None:
    """A function called directly (a unit test of the app): no error, nothing sent."""
    info("nobody listens")
    warning("nobody listens")
    progress = Progress()
    assert progress(0.5, desc="x") is None
    assert list(progress.tqdm(["a", "b"])) == ["a", "b"]


@pytest.mark.node
def test_js_client_status_events_carry_progress_and_log(
    node: str, reporting: tuple[Reporting, MockServer]
) -> None:
    """@gradio/client: a ``status`` message with the ``progress_data`` and a ``log`` event
    with the message and its level."""
    _app, server = reporting
    result = run_js(node, server.url, "stubbed", {"endpoint": "/sync_fn", "data": ["x"]})
    assert result["predict"]["resolved"]["data"] == ["x"]
    messages = result["submit"]
    progress = [m["progress_data"] for m in messages if m.get("progress_data")]
    assert progress[-1] == [
        {"index": None, "length": None, "unit": "steps", "progress": 0.5, "desc": "half"}
    ]
    logs = [(m["log"], m["level"]) for m in messages if m["type"] == "log"]
    assert logs == [("one", "info"), ("two", "success")]


def test_a_reader_in_pieces_gets_every_value_and_message_once_in_order() -> None:
    """The job log's ``since(seq, limit)`` (what every stream reads), with log events logged
    between values and a byte limit that cuts the values: a reader resuming after the last
    event it got sees each event once, in order (none skipped past the cut)."""
    from server._jobs import Job, JobEvent

    app = App("log")

    @app.api("f")
    def f(x: str) -> str:
        return x

    endpoint = app.endpoint("f")
    assert endpoint is not None
    job = Job(endpoint, [], None, {})
    job.append(JobEvent("queued", None, 0, 1))
    job.append(JobEvent("started"))
    expected: list[str] = []
    for i in range(6):
        job.append(JobEvent("generating", ["v" * 30_000 + str(i)]))
        job.append(JobEvent("log", {"log": f"after {i}"}))
        expected += [f"value {i}", f"log after {i}"]
    job.append(JobEvent("complete", ["done"]))
    got: list[str] = []
    seq = 0
    while True:
        events = job.since(seq, 64 * 1024)
        assert [e.seq for e in events] == sorted(e.seq for e in events)
        for event in events:
            if event.kind == "generating":
                got.append(f"value {event.payload[0][30_000:]}")
            elif event.kind == "log":
                got.append(f"log {event.payload['log']}")
        seq = events[-1].seq + 1
        if events[-1].terminal:
            break
    assert got == expected
