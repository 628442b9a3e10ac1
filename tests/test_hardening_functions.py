"""Nothing a registered function returns or raises, and no odd input value, can crash, hang
or break the server (issue 6, items 1-5, 14, 15): each ends its own job with an ``error``
event that says what was wrong, every frame stays valid JSON, and other calls go on."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from server import (
    App,
    Chatbot,
    Dropdown,
    Error,
    File,
    Json,
    Number,
    Session,
    Settings,
    Slider,
    Textbox,
)
from server.pytest_plugin import MockServer
from tests.apps import Gate
from tests.conftest import StartServer
from tests.fileserver import FileServer

#: Every read of a stream in this file gives up after this long (no test may hang).
DEADLINE = 10.0


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity, as a browser's ``JSON.parse`` does."""
    return json.loads(text, parse_constant=_no_constant)


def frames_of(body: str) -> list[tuple[str, Any]]:
    frames = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        frames.append((fields.get("event", ""), strict_json(fields["data"])))
    return frames


def call(base: str, api: str, data: list[Any], timeout: float = DEADLINE) -> list[tuple[str, Any]]:
    """POST then GET ``/call/api``: its frames, each parsed as strict JSON."""
    with httpx.Client(timeout=timeout) as client:
        # Python's json.dumps, which writes NaN for a float NaN (httpx's json= refuses it).
        body = json.dumps({"data": data})
        headers = {"content-type": "application/json"}
        response = client.post(f"{base}/call/{api}", content=body, headers=headers)
        assert response.status_code == 200, response.text
        event_id = response.json()["event_id"]
        response = client.get(f"{base}/call/{api}/{event_id}")
        assert response.status_code == 200, response.text
        return frames_of(response.text)


def assert_serving(server: MockServer) -> None:
    """The server still answers other calls."""
    assert call(server.url, "ok", ["hi"]) == [("complete", ["HI"])]


def add_ok(app: App) -> None:
    @app.api("ok")
    def ok(text: str) -> str:
        return text.upper()


# -- 1. BaseException raised by user code ----------------------------------------------


def base_exception_app() -> App:
    app = App("base exceptions")
    add_ok(app)

    @app.api("sync_exit")
    def sync_exit(text: str) -> str:
        raise SystemExit(3)

    @app.api("sync_interrupt", concurrency_limit=None)
    def sync_interrupt(text: str) -> str:
        raise KeyboardInterrupt

    @app.api("sync_generator_exit")
    def sync_generator_exit(text: str) -> Iterator[str]:
        yield text
        raise SystemExit(4)

    @app.api("async_interrupt")
    async def async_interrupt(text: str) -> str:
        raise KeyboardInterrupt

    @app.api("async_exit")
    async def async_exit(text: str) -> str:
        await asyncio.sleep(0)
        raise SystemExit(5)

    @app.api("async_generator_interrupt")
    async def async_generator_interrupt(text: str) -> AsyncIterator[str]:
        yield text
        raise KeyboardInterrupt

    @app.api("raises_generator_exit")
    def raises_generator_exit(text: str) -> str:
        raise GeneratorExit

    @app.api("sync_raises_cancelled")
    def sync_raises_cancelled(text: str) -> str:
        raise asyncio.CancelledError

    @app.api("async_raises_cancelled")
    async def async_raises_cancelled(text: str) -> str:
        raise asyncio.CancelledError  # not a cancel of ours: the function's own doing

    return app


BASE_EXCEPTION_CASES = [
    ("sync_exit", SystemExit),
    ("sync_interrupt", KeyboardInterrupt),
    ("sync_generator_exit", SystemExit),
    ("async_interrupt", KeyboardInterrupt),
    ("async_exit", SystemExit),
    ("async_generator_interrupt", KeyboardInterrupt),
    ("raises_generator_exit", GeneratorExit),
    ("sync_raises_cancelled", asyncio.CancelledError),
    ("async_raises_cancelled", asyncio.CancelledError),
]


def test_a_base_exception_ends_only_its_own_job(start_server: StartServer) -> None:
    server = start_server(base_exception_app())
    for api, kind in BASE_EXCEPTION_CASES:
        frames = call(server.url, api, ["x"])
        assert frames[-1] == ("error", {"error": None}), api
        [error] = server.take_errors()
        assert type(error) is kind, api
        assert_serving(server)


def test_show_error_names_the_base_exception(start_server: StartServer) -> None:
    server = start_server(base_exception_app(), show_error=True)
    frames = call(server.url, "sync_exit", ["x"])
    assert frames == [("error", {"error": "SystemExit: 3", "visible": True})]
    server.take_errors()


# -- 2. StopIteration and StopAsyncIteration -------------------------------------------


def stop_app() -> App:
    app = App("stop iteration")
    add_ok(app)

    @app.api("sync_stop")
    def sync_stop(text: str) -> str:
        raise StopIteration

    @app.api("sync_stop_unlimited", concurrency_limit=None)
    def sync_stop_unlimited(text: str) -> str:
        raise StopIteration("done")

    @app.api("async_stop")
    async def async_stop(text: str) -> str:
        raise StopIteration

    @app.api("async_stop_async")
    async def async_stop_async(text: str) -> str:
        raise StopAsyncIteration

    @app.api("generator_stop")
    def generator_stop(text: str) -> Iterator[str]:
        yield text
        next(iter([]))  # a StopIteration escaping a generator's body

    @app.api("async_generator_stop")
    async def async_generator_stop(text: str) -> AsyncIterator[str]:
        yield text
        raise StopAsyncIteration

    return app


@pytest.mark.parametrize(
    "api",
    [
        "sync_stop",
        "sync_stop_unlimited",
        "async_stop",
        "async_stop_async",
        "generator_stop",
        "async_generator_stop",
    ],
)
def test_stop_iteration_ends_the_job_with_an_error(start_server: StartServer, api: str) -> None:
    server = start_server(stop_app())
    frames = call(server.url, api, ["x"], timeout=5)
    assert frames[-1] == ("error", {"error": None})
    assert len(server.take_errors()) == 1
    assert_serving(server)


# -- 3. outputs that are not JSON ------------------------------------------------------


class Opaque:
    pass


BAD_OUTPUTS: list[tuple[str, Any, Any, str]] = [
    # (name, component, value returned, words the error must contain)
    ("dropdown_set", Dropdown(["a", "b"]), {"a"}, "set"),
    ("chatbot_set", Chatbot(), [{"role": "user", "content": {"x"}}], "set"),
    ("chatbot_nan", Chatbot(), [{"role": "user", "content": math.nan}], "NaN"),
    ("dropdown_inf", Dropdown(["a"]), math.inf, "Infinity"),
    ("dropdown_bytes", Dropdown(["a"]), b"a", "bytes"),
    ("json_object", Json(), Opaque(), "Opaque"),
    ("json_tuple_key", Json(), {(1, 2): "x"}, "key"),
    ("chatbot_circular", Chatbot(), "circular", "circular"),
    ("number_huge", Number(), 10**400, "Number"),
    ("slider_nan", Slider(), math.nan, "Slider"),
]


def bad_output_app() -> App:
    app = App("bad outputs")
    add_ok(app)
    for name, component, value, _ in BAD_OUTPUTS:

        def bad(text: str, value: Any = value) -> Any:
            if value == "circular":
                circle: list[Any] = []
                circle.append(circle)
                return circle
            return value

        app.add(bad, name, inputs=[Textbox()], outputs=[component])

    @app.api("labelled", inputs=["textbox"], outputs=[Textbox(), Json(label="details")])
    def labelled(text: str) -> tuple[str, Any]:
        return text, {"when": math.nan}

    @app.api("goes_bad", outputs=Dropdown(["a", "b"]))
    def goes_bad(text: str) -> Iterator[Any]:
        yield "a"
        yield {"b"}
        yield "b"

    return app


@pytest.mark.parametrize(("api", "words"), [(case[0], case[3]) for case in BAD_OUTPUTS])
def test_an_output_json_cannot_carry_ends_the_job(
    start_server: StartServer, api: str, words: str
) -> None:
    server = start_server(bad_output_app())
    frames = call(server.url, api, ["x"])
    assert len(frames) == 1
    kind, payload = frames[0]
    assert kind == "error"
    message = payload["error"]
    assert message.startswith(f"/{api} returned a value that output 1 ("), message
    assert words.lower() in message.lower(), message
    assert len(server.take_errors()) == 1
    # A finished job's replay is valid JSON too.
    assert_serving(server)


def test_the_error_names_the_output_by_its_label(start_server: StartServer) -> None:
    server = start_server(bad_output_app())
    [(kind, payload)] = call(server.url, "labelled", ["x"])
    assert kind == "error"
    assert "output 2 (details, Json)" in payload["error"]
    assert "NaN" in payload["error"]
    server.take_errors()


def test_a_generator_going_bad_ends_its_live_stream_cleanly(start_server: StartServer) -> None:
    server = start_server(bad_output_app())
    frames = call(server.url, "goes_bad", ["x"])
    assert [kind for kind, _ in frames] == ["generating", "error"]
    assert frames[0][1] == ["a"]
    assert "output 1 (Dropdown)" in frames[1][1]["error"]
    server.take_errors()


def session_messages(base: str, session_hash: str) -> list[dict[str, Any]]:
    with httpx.Client(timeout=DEADLINE) as client:
        response = client.get(f"{base}/queue/data", params={"session_hash": session_hash})
        assert response.status_code == 200, response.text
        body = response.text
    return [strict_json(block.removeprefix("data: ")) for block in body.split("\n\n") if block]


def test_a_bad_output_does_not_break_the_session_stream(start_server: StartServer) -> None:
    server = start_server(bad_output_app())
    base = server.url + "/gradio_api"
    names = [e.api_name for e in server.state.app.endpoints]
    ids = {}
    with httpx.Client(timeout=DEADLINE) as client:
        for api in ("goes_bad", "chatbot_nan", "ok"):
            body = {"data": ["x"], "fn_index": names.index(api), "session_hash": "s1"}
            response = client.post(f"{base}/queue/join", json=body)
            assert response.status_code == 200, response.text
            ids[api] = response.json()["event_id"]
    received = session_messages(base, "s1")
    completed = {m["event_id"]: m for m in received if m["msg"] == "process_completed"}
    assert completed[ids["ok"]]["success"] is True
    assert completed[ids["ok"]]["output"]["data"] == ["X"]
    for api in ("goes_bad", "chatbot_nan"):
        assert completed[ids[api]]["success"] is False
        assert f"/{api} returned" in completed[ids[api]]["output"]["error"]
    assert received[-1]["msg"] == "close_stream"
    assert len(server.take_errors()) == 2


# -- 4. odd input values ---------------------------------------------------------------


def input_app() -> App:
    app = App("inputs")
    add_ok(app)

    @app.api("slider", inputs=[Slider(0, 10)], outputs="number")
    def slider(x: float) -> float:
        return x

    @app.api("number", inputs=[Number()], outputs="number")
    def number(x: float) -> float:
        return x

    @app.api("file", inputs=[File()], outputs="textbox")
    def file(path: str) -> str:
        return path

    @app.api("dropdown", inputs=[Dropdown(["a", "b"])], outputs="textbox")
    def dropdown(x: str) -> str:
        return x

    return app


HUGE = int("9" * 400)

BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("slider", HUGE, "Slider"),
    ("slider", -HUGE, "Slider"),
    ("number", HUGE, "Number"),
    ("slider", math.nan, "finite"),  # Python's json (so the server's) reads NaN
    ("number", -math.inf, "finite"),
    ("slider", [[1]], "Slider"),
    ("dropdown", math.nan, "Dropdown"),
    ("file", {"path": "data:text/plain,hi", "orig_name": {"a": 1}}, "orig_name"),
    ("file", {"path": "data:text/plain,hi", "orig_name": 12}, "orig_name"),
    ("file", "http://127.0.0.1:99999/x", "port"),
    ("file", "http://127.0.0.1:abc/x", "port"),
    ("file", "http://[::1", "IPv6"),
    ("file", {"url": "http://[::1]:70000/"}, "port"),
    ("file", "http://\u00e9\u0000x/", "cannot resolve"),
    ("file", {"path": ["nested", ["list"]]}, "path"),
    ("file", {"path": "/etc/passwd", "url": {"u": 1}}, "url"),
    ("dropdown", {"x": "y" * 10_000}, "Dropdown"),
]


@pytest.mark.parametrize(("api", "value", "words"), BAD_INPUTS)
def test_an_odd_input_value_is_named_in_the_error(
    start_server: StartServer, api: str, value: Any, words: str
) -> None:
    server = start_server(input_app())
    [(kind, payload)] = call(server.url, api, [value])
    assert kind == "error"
    message = payload["error"]
    assert message is not None
    name = {"slider": "x", "number": "x", "file": "path", "dropdown": "x"}[api]
    assert message.startswith(f"input 1 ({name}): "), message
    assert words in message, message
    assert len(message) < 1000, "an error message echoes at most a short excerpt of the input"
    assert_serving(server)


def test_a_redirect_to_a_data_url_is_refused_with_a_message(start_server: StartServer) -> None:
    with FileServer() as web:
        url = web.redirect("/to-data", "data:text/plain,hello")
        web.redirect("/to-bad-port", "http://127.0.0.1:99999/x")
        server = start_server(input_app(), allow_url_hosts=("127.0.0.1",))
        [(kind, payload)] = call(server.url, "file", [url])
        assert kind == "error"
        assert payload["error"].startswith("input 1 (path): "), payload
        assert "invalid URL" in payload["error"]
        [(kind, payload)] = call(server.url, "file", [web.url("/to-bad-port")])
        assert kind == "error"
        assert "port" in payload["error"], payload
    assert_serving(server)


# -- 5. JSON nested too deeply ---------------------------------------------------------


DEEP = 100_000


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/call/ok", '{"data": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("/gradio_api/call/ok", "[" * DEEP + "]" * DEEP),
        ("/call/v2/ok", '{"text": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}"),
        ("/gradio_api/queue/join", '{"data": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("/gradio_api/cancel", '{"event_id": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("/gradio_api/reset", "[" * DEEP + "]" * DEEP),
    ],
)
def test_json_nested_too_deeply_is_a_client_error(
    start_server: StartServer, path: str, body: str
) -> None:
    server = start_server(input_app())
    response = httpx.post(
        server.url + path,
        content=body,
        headers={"content-type": "application/json"},
        timeout=DEADLINE,
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    assert "detail" in response.json()
    assert_serving(server)


# -- 14. generators and the event loop -------------------------------------------------


def generator_app(stop: threading.Event, started: threading.Event | None = None) -> App:
    app = App("generators")
    add_ok(app)

    @app.api("count", concurrency_limit=None)
    def count(n: float) -> Iterator[float]:
        yield from range(int(n))

    @app.api("hog")
    async def hog(text: str) -> AsyncIterator[str]:
        # Never awaits: each value costs 1 ms of the event loop's own time.
        deadline = time.monotonic() + 20
        if started is not None:
            started.set()
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.001)
            yield text

    return app


def test_a_sync_generator_hands_values_over_in_batches(start_server: StartServer) -> None:
    server = start_server(generator_app(threading.Event()))
    loop = server.loop
    assert loop is not None
    handoffs = 0
    original = loop.call_soon_threadsafe

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal handoffs
        handoffs += 1
        return original(*args, **kwargs)

    values = 20_000
    loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        frames = call(server.url, "count", [values], timeout=60)
        elapsed = time.perf_counter() - started
    finally:
        del loop.call_soon_threadsafe  # type: ignore[method-assign]
    assert [v for kind, (v,) in frames if kind == "generating"] == list(range(values))
    assert frames[-1] == ("complete", [values - 1])
    # One thread hand-off per value was the old cost; batches make it a small fraction.
    assert handoffs < values / 20, (handoffs, elapsed)


def test_an_async_generator_that_never_awaits_lets_others_in(start_server: StartServer) -> None:
    stop, started = threading.Event(), threading.Event()
    server = start_server(generator_app(stop, started))
    try:
        with httpx.Client(timeout=DEADLINE) as client:
            response = client.post(f"{server.url}/call/hog", json={"data": ["x"]})
            event_id = response.json()["event_id"]
            assert started.wait(DEADLINE)
            # While it runs, the loop still answers others promptly.
            started = time.perf_counter()
            response = client.get(f"{server.url}/gradio_api/info", timeout=3)
            assert response.status_code == 200
            assert time.perf_counter() - started < 3
            assert_serving(server)
    finally:
        stop.set()
    response = httpx.get(f"{server.url}/call/hog/{event_id}", timeout=DEADLINE)
    assert frames_of(response.text)[-1][0] == "complete"


# -- 15. the shared thread pool --------------------------------------------------------


def pool_app(gate: Gate) -> App:
    app = App("pool")

    @app.api("wait", concurrency_limit=None)
    def wait(text: str) -> str:
        gate.pass_through()
        return text

    return app


class _Watch(logging.Handler):
    """Sets ``seen`` when a record containing ``text`` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.text in message:
            self.messages.append(message)
            self.seen.set()


def test_an_exhausted_thread_pool_is_logged(start_server: StartServer) -> None:
    gate = Gate()
    server = start_server(pool_app(gate), thread_pool_size=2)
    assert server.state.queue.executor.size == 2
    watch = _Watch("thread pool")
    logger = logging.getLogger("gradio_mock")
    logger.addHandler(watch)
    try:
        with httpx.Client(timeout=DEADLINE) as client:
            posts = [
                client.post(f"{server.url}/call/wait", json={"data": [str(i)]}) for i in range(3)
            ]
            gate.wait_entered(2)
            assert watch.seen.wait(DEADLINE), "no warning about the exhausted pool"
            gate.open()
            for i, response in enumerate(posts):
                event_id = response.json()["event_id"]
                body = client.get(f"{server.url}/call/wait/{event_id}").text
                assert frames_of(body) == [("complete", [str(i)])]
    finally:
        logger.removeHandler(watch)
    [message] = watch.messages
    assert "all 2 threads" in message and "--thread-pool-size" in message


def test_the_thread_pool_size_is_a_setting() -> None:
    from server._cli import build_parser

    args = build_parser().parse_args(["--thread-pool-size", "7"])
    assert args.thread_pool_size == 7
    assert Settings().thread_pool_size == 40


def _policy() -> str:
    names = {getattr(os, n): n for n in ("SCHED_OTHER", "SCHED_BATCH") if hasattr(os, n)}
    return names.get(os.sched_getscheduler(0), "other")


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is Linux's")
def test_sync_functions_run_in_batch_threads(start_server: StartServer) -> None:
    """Every thread a sync function runs in (an endpoint's lane, the shared pool, a
    generator's) is a batch thread, which waits for the loop's thread to block rather than
    preempting it for a GIL it cannot take (see ``_calling._defer_to_loop``)."""
    app = App("policy")

    @app.api("lane")
    def lane(text: str) -> str:
        return _policy()

    @app.api("shared", concurrency_limit=None)
    def shared(text: str) -> str:
        return _policy()

    @app.api("generator")
    def generator(text: str) -> Iterator[str]:
        yield _policy()

    server = start_server(app)
    assert os.sched_getscheduler(0) != os.SCHED_BATCH  # (the test's own thread is not)
    for api in ("lane", "shared", "generator"):
        assert call(server.url, api, ["x"])[-1] == ("complete", ["SCHED_BATCH"]), api


# -- a value is sent as it was when yielded --------------------------------------------


def test_a_generator_mutating_what_it_yielded_does_not_rewrite_history(
    start_server: StartServer,
) -> None:
    app = App("mutating")

    @app.api("grow", outputs=Json())
    def grow(n: float) -> Iterator[list[int]]:
        history: list[int] = []
        for i in range(int(n)):
            history.append(i)
            yield history  # the same list each time, as chat apps do

    server = start_server(app)
    frames = call(server.url, "grow", [3])
    assert frames == [
        ("generating", [[0]]),
        ("generating", [[0, 1]]),
        ("generating", [[0, 1, 2]]),
        ("complete", [[0, 1, 2]]),
    ]
    # The clients' stream sends the changes from one value to the next.
    base = server.url + "/gradio_api"
    body = {"data": [3], "fn_index": 0, "session_hash": "grow"}
    assert httpx.post(f"{base}/queue/join", json=body, timeout=DEADLINE).status_code == 200
    generating = [
        m["output"]["data"]
        for m in session_messages(base, "grow")
        if m["msg"] == "process_generating"
    ]
    assert generating == [[[0]], [[["add", [1], 1]]], [[["add", [2], 2]]]]


# -- our own cancel still says "Cancelled." --------------------------------------------


def test_a_cancel_still_ends_a_job_with_cancelled(start_server: StartServer) -> None:
    gate, closed, waiting = Gate(), threading.Event(), threading.Event()
    app = App("cancel")
    add_ok(app)

    @app.api("steps")
    def steps(text: str) -> Iterator[str]:
        try:
            yield text
            gate.pass_through()
            yield text
        finally:
            closed.set()

    @app.api("waits")
    async def waits(text: str) -> str:
        waiting.set()
        await asyncio.Event().wait()
        return text

    server = start_server(app)
    with httpx.Client(timeout=DEADLINE) as client:
        steps_id = client.post(f"{server.url}/call/steps", json={"data": ["x"]}).json()["event_id"]
        waits_id = client.post(f"{server.url}/call/waits", json={"data": ["x"]}).json()["event_id"]
        gate.wait_entered()
        assert waiting.wait(DEADLINE)
        for event_id in (steps_id, waits_id):
            response = client.post(f"{server.url}/cancel", json={"event_id": event_id})
            assert response.json() == {"success": True}
        steps_frames = frames_of(client.get(f"{server.url}/call/steps/{steps_id}").text)
        waits_frames = frames_of(client.get(f"{server.url}/call/waits/{waits_id}").text)
    assert steps_frames[0] == ("generating", ["x"])
    assert steps_frames[-1][1]["error"] == "Cancelled."
    assert waits_frames == [("error", {**waits_frames[0][1], "error": "Cancelled."})]
    # The generator's thread was inside it: it is closed (its finally runs) once it steps.
    gate.open()
    assert closed.wait(DEADLINE)
    assert_serving(server)


# -- what a function puts in an error is made JSON too ---------------------------------


class Unprintable(Exception):
    def __str__(self) -> str:
        raise SystemExit("no")


def test_error_payloads_are_json_whatever_the_function_put_in_them(
    start_server: StartServer,
) -> None:
    app = App("errors")
    add_ok(app)

    @app.api("odd_error")
    def odd_error(text: str) -> str:
        raise Error({"a"}, duration=math.nan, title=3)  # type: ignore[arg-type]

    @app.api("unprintable")
    def unprintable(text: str) -> str:
        raise Unprintable

    server = start_server(app, show_error=True)
    assert call(server.url, "odd_error", ["x"]) == [
        ("error", {"error": "{'a'}", "duration": None, "visible": True, "title": "3"})
    ]
    [(kind, payload)] = call(server.url, "unprintable", ["x"])
    assert kind == "error" and "Unprintable" in payload["error"]
    assert len(server.take_errors()) == 1
    assert_serving(server)


def test_a_named_call_with_a_session_hash_that_is_not_a_string_is_refused(
    start_server: StartServer,
) -> None:
    app = App("named")

    @app.api("note")
    def note(text: str, session: Session) -> str:
        return text

    server = start_server(app)
    for bad in (["x"], {"a": 1}, 5):
        response = httpx.post(
            f"{server.url}/call/v2/note", json={"text": "x", "session_hash": bad}, timeout=DEADLINE
        )
        assert response.status_code == 422, response.text
        assert "session_hash must be a string" in response.json()["detail"]
