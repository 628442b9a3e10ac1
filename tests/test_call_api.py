"""The ``/call`` API beyond the guide: routing, named arguments, errors, heartbeats, replay,
the result cache, concurrency, the queue's size, sessions and disconnects.

Tests that need a function to be "in the middle" block it on a ``Gate`` (tests/apps.py) and
open it when they have seen what they wait for: they synchronise on events, not on timing.

One ``httpx.Client`` serves the whole module (``HTTP``): making a client loads the CA bundle,
which costs about 0.1 s, more than the calls themselves.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from server import App
from server._jobs import EventIds
from server.pytest_plugin import MockServer
from tests import sse
from tests.apps import WAIT, Controls, make_app
from tests.conftest import StartServer

Frame = tuple[str, Any]
Factory = Callable[..., tuple[MockServer, Controls]]
HELLO_NAMES = "name (Textbox), is_morning (Checkbox), temperature (Slider)"
HTTP = httpx.Client(timeout=sse.stream_timeout())


@pytest.fixture(scope="module", autouse=True)
def _close_http_client() -> Iterator[None]:
    yield
    HTTP.close()


def start_call(base: str, api: str, data: list[Any], **body: Any) -> str:
    response = HTTP.post(f"{base}/call/{api}", json={"data": data, **body})
    assert response.status_code == 200, response.text
    event_id: str = response.json()["event_id"]
    return event_id


def read_frames(url: str) -> list[Frame]:
    """Every frame of the stream at ``url``, once it has closed."""
    with HTTP.stream("GET", url) as response:
        assert response.status_code == 200, response.read()
        return list(iter_frames(response))


def call(base: str, api: str, data: list[Any], **body: Any) -> list[Frame]:
    return read_frames(f"{base}/call/{api}/{start_call(base, api, data, **body)}")


@pytest.fixture
def serve(start_server: StartServer) -> Iterator[Factory]:
    """Start the test app with the given settings; every gate opens after the test."""
    made: list[Controls] = []

    def factory(max_queue_size: int = 1000, **settings: Any) -> tuple[MockServer, Controls]:
        app, controls = make_app(max_queue_size=max_queue_size)
        made.append(controls)
        return start_server(app, **settings), controls

    yield factory
    for controls in made:
        controls.open_all()


@pytest.fixture
def ref(serve: Factory) -> tuple[MockServer, Controls]:
    return serve()


def iter_frames(response: httpx.Response) -> Iterator[Frame]:
    """(event, parsed data) for each frame as it arrives."""
    # Bounded by the test's own deadline: heartbeats would keep a stuck stream alive.
    yield from sse.iter_frames(response)


def events_of(server: MockServer, event_id: str) -> list[str]:
    """The kinds of event in a job's log, as the server holds it (a ``/call`` job's has no
    ``queued`` and ``started``: its stream shows none; see ``stage_of``)."""
    job = server.state.cache.get(event_id)
    assert job is not None
    return [event.kind for event in job.events]


def stage_of(server: MockServer, event_id: str) -> str:
    """``queued`` (waiting for its turn), ``started`` (its function runs) or ``ended``."""
    job = server.state.cache.get(event_id)
    assert job is not None
    return "ended" if job.done else "queued" if job.started_at is None else "started"


def error_of(frames: list[Frame]) -> str:
    [(event, payload)] = frames
    assert event == "error"
    assert set(payload) == {"error", "duration", "visible", "title"}
    message: str = payload["error"]
    return message


# -- routing -------------------------------------------------------------------------


def test_post_answers_a_32_hex_event_id(gradio_mock: MockServer) -> None:
    response = HTTP.post(f"{gradio_mock.url}/call/predict", json={"data": ["Hi"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r'\{"event_id":"[0-9a-f]{32}"\}', response.text)


def test_event_ids_are_random_uuid4s_each_new() -> None:
    new_id = EventIds()
    ids = [new_id() for _ in range(3 * EventIds.BATCH)]  # (three draws of random bytes)
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(hex=event_id).version == 4 for event_id in ids)
    assert all(uuid.UUID(hex=event_id).variant == uuid.RFC_4122 for event_id in ids)


def test_a_forked_process_makes_event_ids_of_its_own() -> None:
    # Workers (--workers) share one store: a child must not hand out the ids its parent
    # still has bytes for.
    new_id = EventIds()
    new_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, new_id().encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    assert re.fullmatch("[0-9a-f]{32}", child)
    assert child != new_id()


@pytest.mark.parametrize("prefix", ["", "/gradio_api"])
def test_trailing_slashes_on_post_and_get(gradio_mock: MockServer, prefix: str) -> None:
    base = gradio_mock.url + prefix
    response = HTTP.post(f"{base}/call/predict/", json={"data": ["Hello, my friend."]})
    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]
    expected = [("complete", ["Bonjour, mon ami."])]
    assert read_frames(f"{base}/call/predict/{event_id}/") == expected
    response = HTTP.post(f"{base}/call/v2/predict/", json={"text": "Hello, my friend."})
    assert response.status_code == 200, response.text
    assert read_frames(f"{base}/call/predict/{response.json()['event_id']}") == expected


@pytest.mark.parametrize("prefix", ["", "/gradio_api"])
def test_unknown_api_is_404_naming_the_available_endpoints(
    gradio_mock: MockServer, prefix: str
) -> None:
    for path in ("/call/nosuch", "/call/v2/nosuch"):
        response = HTTP.post(gradio_mock.url + prefix + path, json={"data": ["x"]})
        assert response.status_code == 404
        detail = response.json()["detail"]
        assert "/nosuch" in detail
        for name in ("/predict", "/hello", "/stream", "/image", "/chat"):
            assert name in detail
    # The journal keeps both as unmatched, each with its near misses.
    unmatched = gradio_mock.take_unmatched()
    assert [e["path"] for e in unmatched] == [prefix + "/call/nosuch", prefix + "/call/v2/nosuch"]
    assert all(e["status"] == 404 and len(e["near_misses"]) == 3 for e in unmatched)


def test_unknown_event_id_is_404(gradio_mock: MockServer) -> None:
    for event_id in ("0123456789abcdef", "f" * 32):
        response = HTTP.get(f"{gradio_mock.url}/gradio_api/call/predict/{event_id}")
        assert response.status_code == 404
        assert event_id in response.json()["detail"]


def test_event_id_read_under_another_api_is_404(gradio_mock: MockServer) -> None:
    event_id = start_call(gradio_mock.url, "predict", ["Hello, my friend."])
    response = HTTP.get(f"{gradio_mock.url}/call/hello/{event_id}")
    assert response.status_code == 404
    assert "/predict" in response.json()["detail"]
    # ... and the event is still there under its own api.
    frames = read_frames(f"{gradio_mock.url}/call/predict/{event_id}")
    assert frames == [("complete", ["Bonjour, mon ami."])]


# -- /call/v2: named arguments ---------------------------------------------------------


def _v2(base: str, api: str, body: Any) -> httpx.Response:
    return HTTP.post(f"{base}/gradio_api/call/v2/{api}", json=body)


def test_v2_named_arguments_with_defaults_filled(gradio_mock: MockServer) -> None:
    response = _v2(gradio_mock.url, "hello", {"name": "Ann"})
    assert response.status_code == 200, response.text
    frames = read_frames(f"{gradio_mock.url}/gradio_api/call/hello/{response.json()['event_id']}")
    assert frames == [("complete", ["Good evening Ann. It is 0 degrees today", -17.78])]


def test_v2_every_argument_named_in_any_order(gradio_mock: MockServer) -> None:
    body = {"temperature": 50, "name": "Ann", "is_morning": True}
    response = _v2(gradio_mock.url, "hello", body)
    assert response.status_code == 200, response.text
    frames = read_frames(f"{gradio_mock.url}/gradio_api/call/hello/{response.json()['event_id']}")
    assert frames == [("complete", ["Good morning Ann. It is 50 degrees today", 10.0])]


def test_v2_unknown_name_is_422_listing_the_parameters(gradio_mock: MockServer) -> None:
    response = _v2(gradio_mock.url, "hello", {"name": "Ann", "colour": "red"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "colour" in detail
    assert HELLO_NAMES in detail
    (entry,) = gradio_mock.take_unmatched()
    assert entry["api_name"] == "/hello" and "colour" in entry["unmatched"]


def test_v2_missing_required_name_is_422(gradio_mock: MockServer) -> None:
    response = _v2(gradio_mock.url, "hello", {"is_morning": True})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'name'" in detail
    assert HELLO_NAMES in detail
    (entry,) = gradio_mock.take_unmatched()
    assert entry["data"] == {"is_morning": True} and "'name'" in entry["unmatched"]


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
def test_v2_body_must_be_a_json_object(gradio_mock: MockServer, body: str) -> None:
    response = HTTP.post(
        f"{gradio_mock.url}/gradio_api/call/v2/predict",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "named arguments" in response.json()["detail"]


def test_v2_session_hash_selects_the_session(gradio_mock: MockServer) -> None:
    base = gradio_mock.url
    for expected in (0, 2):
        response = _v2(base, "chat", {"message": "hi", "session_hash": "s1"})
        frames = read_frames(f"{base}/gradio_api/call/chat/{response.json()['event_id']}")
        assert frames == [
            ("complete", [f"You said: hi ({expected} earlier messages in this session)"])
        ]


# -- inputs that do not fit ------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "data", "expected"),
    [
        ("predict", [], ["/predict expects 1 input", "text (Textbox)", "got 0"]),
        ("predict", ["a", "b"], ["/predict expects 1 input", "text (Textbox)", "got 2"]),
        ("hello", ["Ann", True], ["/hello expects 3 inputs", HELLO_NAMES, "got 2"]),
        ("predict", [42], ["input 1 (text)", "Textbox expects a string", "got int"]),
        ("hello", ["Ann", "yes", 5], ["input 2 (is_morning)", "Checkbox", "got str"]),
        ("hello", ["Ann", True, 500], ["input 3 (temperature)", "between 0 and 100", "500"]),
    ],
    ids=["too-few", "too-many", "too-few-of-3", "str-expected", "bool-expected", "out-of-range"],
)
def test_inputs_that_do_not_fit_end_in_an_error_saying_what_was_expected(
    gradio_mock: MockServer, api: str, data: list[Any], expected: list[str]
) -> None:
    message = error_of(call(gradio_mock.url, api, data))
    for part in expected:
        assert part in message
    # The journal calls the request unmatched, and its near miss says what differed.
    (entry,) = gradio_mock.take_unmatched()
    assert entry["data"] == data and entry["outcome"] == "error"
    (miss,) = entry["near_misses"]
    assert miss["api_name"] == f"/{api}"
    assert any(expected[1] in difference for difference in miss["differences"]), miss


# -- errors raised by functions --------------------------------------------------------


def test_error_payload_carries_every_field_of_server_error(
    ref: tuple[MockServer, Controls],
) -> None:
    server, _ = ref
    assert call(server.url, "oops", ["x"]) == [
        ("error", {"error": "Careful", "duration": None, "visible": False, "title": "Oops"})
    ]
    assert call(server.url, "boom", ["x"]) == [
        ("error", {"error": "custom failure", "duration": 10, "visible": True, "title": "Error"})
    ]


def test_unexpected_exception_is_hidden_by_default(ref: tuple[MockServer, Controls]) -> None:
    server, _ = ref
    assert call(server.url, "crash", ["x"]) == [("error", {"error": None})]
    [error] = server.take_errors()
    assert str(error) == "secret internals"


def test_show_error_reveals_the_exception_message(serve: Factory) -> None:
    server, _ = serve(show_error=True)
    # Gradio's shape for an unexpected exception with show_error: the message, visible.
    frames = call(server.url, "crash", ["x"])
    assert frames == [("error", {"error": "secret internals", "visible": True})]
    assert len(server.take_errors()) == 1
    # Errors raised with server.Error look the same either way.
    assert call(server.url, "boom", ["x"])[0][1]["error"] == "custom failure"


# -- function kinds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("sync_fn", [("complete", ["ABC"])]),
        ("async_fn", [("complete", ["abc"])]),
        (
            "sync_gen",
            [
                ("generating", ["aBc"]),
                ("generating", ["aBcaBc"]),
                ("generating", ["aBcaBcaBc"]),
                ("complete", ["aBcaBcaBc"]),
            ],
        ),
        (
            "async_gen",
            [
                ("generating", ["aBc"]),
                ("generating", ["aBcaBc"]),
                ("generating", ["aBcaBcaBc"]),
                ("complete", ["aBcaBcaBc"]),
            ],
        ),
    ],
)
def test_sync_async_and_generator_functions(
    ref: tuple[MockServer, Controls], api: str, expected: list[Frame]
) -> None:
    server, _ = ref
    data = ["aBc"]
    assert call(server.url, api, data) == expected


def test_every_kind_of_callable_gives_what_it_returns(start_server: StartServer) -> None:
    # A partial of a coroutine function, an object with an async __call__, a bound async
    # method and a plain function that returns a coroutine are all awaited, whatever the
    # checks of a plain function take for them.
    async def shout(x: str, mark: str) -> str:
        await asyncio.sleep(0)
        return x.upper() + mark

    class Caller:
        async def __call__(self, x: str) -> str:
            return await shout(x, "?")

        async def method(self, x: str) -> str:
            return await shout(x, ";")

    app = App()
    app.add(functools.partial(shout, mark="!"), "partial", inputs="textbox", outputs="textbox")
    app.add(Caller(), "instance", inputs="textbox", outputs="textbox")
    app.add(Caller().method, "method", inputs="textbox", outputs="textbox")
    app.add(lambda x: shout(x, "."), "returns_coroutine", inputs="textbox", outputs="textbox")
    server = start_server(app)
    for api, mark in [("partial", "!"), ("instance", "?"), ("method", ";")]:
        assert call(server.url, api, ["hi"]) == [("complete", ["HI" + mark])], api
    assert call(server.url, "returns_coroutine", ["hi"]) == [("complete", ["HI."])]


def test_a_blocked_sync_function_does_not_block_the_event_loop(
    ref: tuple[MockServer, Controls],
) -> None:
    server, controls = ref
    slow_id = start_call(server.url, "slow", ["late"])
    controls.slow.wait_entered()
    # While /slow's worker thread is blocked, other calls run to the end.
    assert call(server.url, "sync_fn", ["x"]) == [("complete", ["X"])]
    assert call(server.url, "async_fn", ["Y"]) == [("complete", ["y"])]
    assert stage_of(server, slow_id) == "started"
    assert events_of(server, slow_id) == []  # (a /call job logs no queued and started)
    controls.slow.open()
    assert read_frames(f"{server.url}/call/slow/{slow_id}") == [("complete", ["late"])]


# -- heartbeats ------------------------------------------------------------------------


def test_heartbeats_while_the_function_runs(serve: Factory) -> None:
    server, controls = serve(heartbeat=0.2)
    event_id = start_call(server.url, "slow", ["x"])
    frames: list[Frame] = []
    raw = []
    with HTTP.stream("GET", f"{server.url}/call/slow/{event_id}") as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        for chunk in response.iter_text():
            raw.append(chunk)
            frames = [
                (event, json.loads(data))
                for event, data in re.findall(r"event: (\w+)\ndata: (.*)\n\n", "".join(raw))
            ]
            if frames.count(("heartbeat", None)) >= 2:
                controls.slow.open()
    assert len(frames) >= 3
    assert frames[-1] == ("complete", ["x"])
    assert set(frames[:-1]) == {("heartbeat", None)}
    body = "".join(raw)
    assert body == "event: heartbeat\ndata: null\n\n" * (len(frames) - 1) + (
        'event: complete\ndata: ["x"]\n\n'
    )


# -- replay and many readers ---------------------------------------------------------


def test_a_finished_event_read_again_replays_its_last_value_and_end_and_closes(
    gradio_mock: MockServer,
) -> None:
    """The first read gets every value; once delivered, the log keeps the last value and
    the end, and later reads replay those (see README, differences)."""
    event_id = start_call(gradio_mock.url, "stream", ["Hey"])
    url = f"{gradio_mock.url}/gradio_api/call/stream/{event_id}"
    first = read_frames(url)
    assert first == [
        ("generating", ["H"]),
        ("generating", ["He"]),
        ("generating", ["Hey"]),
        ("complete", ["Hey"]),
    ]
    again = [("generating", ["Hey"]), ("complete", ["Hey"])]
    assert read_frames(url) == again
    assert read_frames(f"{gradio_mock.url}/call/stream/{event_id}") == again


def test_failed_event_replays_its_error(ref: tuple[MockServer, Controls]) -> None:
    server, _ = ref
    event_id = start_call(server.url, "boom", ["x"])
    url = f"{server.url}/call/boom/{event_id}"
    assert read_frames(url) == read_frames(url)
    assert read_frames(url)[0][0] == "error"


@pytest.mark.parametrize("api", ["steps", "async_steps"], ids=["sync", "async"])
def test_concurrent_readers_of_a_running_generator_get_the_same_frames(
    ref: tuple[MockServer, Controls], api: str
) -> None:
    server, controls = ref
    gate = getattr(controls, api)
    event_id = start_call(server.url, api, ["ab"])
    url = f"{server.url}/call/{api}/{event_id}"
    readers = 8
    connected = threading.Semaphore(0)
    results: list[list[Frame]] = [[] for _ in range(readers)]

    def read(index: int) -> None:
        with HTTP.stream("GET", url) as response:
            for frame in iter_frames(response):
                results[index].append(frame)
                if len(results[index]) == 1:
                    connected.release()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
    for thread in threads:
        thread.start()
    try:
        # Every reader has the first value while the generator is stopped at the gate.
        for _ in range(readers):
            assert connected.acquire(timeout=WAIT)
        gate.wait_entered()
        assert stage_of(server, event_id) == "started"
        assert events_of(server, event_id) == ["generating"]
    finally:
        gate.open()
        for thread in threads:
            thread.join(WAIT)
    expected = [("generating", ["ab"]), ("generating", ["abab"]), ("complete", ["abab"])]
    assert results == [expected] * readers
    assert read_frames(url) == expected[1:]  # a reader after the end: last value and end


def test_a_late_reader_of_a_running_job_gets_the_frames_from_the_start(
    ref: tuple[MockServer, Controls],
) -> None:
    server, controls = ref
    event_id = start_call(server.url, "steps", ["z"])
    controls.steps.wait_entered()  # the first value has been yielded
    frames: list[Frame] = []
    with HTTP.stream("GET", f"{server.url}/call/steps/{event_id}") as response:
        for frame in iter_frames(response):
            frames.append(frame)
            controls.steps.open()
    assert frames == [("generating", ["z"]), ("generating", ["zz"]), ("complete", ["zz"])]


def test_client_disconnecting_mid_stream_does_not_stop_the_job(
    ref: tuple[MockServer, Controls],
) -> None:
    server, controls = ref
    event_id = start_call(server.url, "steps", ["q"])
    url = f"{server.url}/call/steps/{event_id}"
    with HTTP.stream("GET", url) as response:
        first = next(iter_frames(response))
    # The client has hung up while the generator waits at the gate.
    assert first == ("generating", ["q"])
    controls.steps.wait_entered()
    controls.steps.open()
    # The job ran on to its end. (Whether "q" is replayed depends on whether the server
    # saw the hang-up before it sent the end to that reader: a finished job delivered once
    # replays its last value and its end. That policy has tests of its own.)
    assert read_frames(url)[-2:] == [("generating", ["qq"]), ("complete", ["qq"])]
    assert call(server.url, "sync_fn", ["ok"]) == [("complete", ["OK"])]


def test_a_reader_hanging_up_does_not_cut_off_the_other_readers(
    ref: tuple[MockServer, Controls],
) -> None:
    """Readers of a running job wait together; one leaving must not end the others' streams
    (nor those of readers who come after it)."""
    server, controls = ref
    event_id = start_call(server.url, "steps", ["w"])
    url = f"{server.url}/call/steps/{event_id}"
    controls.steps.wait_entered()  # "w" is out, the generator waits at the gate
    connected = threading.Semaphore(0)
    results: dict[str, list[Frame]] = {}

    def read(name: str) -> None:
        frames: list[Frame] = []
        try:
            with HTTP.stream("GET", url) as response:
                for frame in iter_frames(response):
                    frames.append(frame)
                    if len(frames) == 1:
                        connected.release()
        except httpx.HTTPError as error:
            frames.append(("cut off", repr(error)))
        results[name] = frames

    before = threading.Thread(target=read, args=("before",))
    before.start()
    after = threading.Thread(target=read, args=("after",))
    try:
        assert connected.acquire(timeout=WAIT)
        with HTTP.stream("GET", url) as response:
            assert next(iter_frames(response)) == ("generating", ["w"])
        # That reader has hung up; a whole call goes by, so the server has seen it leave.
        assert call(server.url, "sync_fn", ["x"]) == [("complete", ["X"])]
        after.start()
        assert connected.acquire(timeout=WAIT)
    finally:
        controls.steps.open()
        before.join(WAIT)
        if after.is_alive() or after.ident is not None:
            after.join(WAIT)
    expected = [("generating", ["w"]), ("generating", ["ww"]), ("complete", ["ww"])]
    assert results == {"before": expected, "after": expected}


# -- the result cache ----------------------------------------------------------------


def _finished(server: MockServer, api: str, value: str) -> str:
    event_id = start_call(server.url, api, [value])
    assert read_frames(f"{server.url}/call/{api}/{event_id}")[-1][0] == "complete"
    return event_id


def _status(server: MockServer, api: str, event_id: str) -> int:
    with HTTP.stream("GET", f"{server.url}/call/{api}/{event_id}") as response:
        response.read()
        return response.status_code


def test_results_past_the_cache_size_are_evicted(serve: Factory) -> None:
    server, _ = serve(cache_size=2)
    a, b, c = (_finished(server, "echo", v) for v in "abc")
    assert _status(server, "echo", a) == 404
    assert read_frames(f"{server.url}/call/echo/{b}") == [("complete", ["b"])]
    assert read_frames(f"{server.url}/call/echo/{c}") == [("complete", ["c"])]


def test_the_least_recently_read_result_goes_first(serve: Factory) -> None:
    server, _ = serve(cache_size=2)
    a = _finished(server, "echo", "a")
    b = _finished(server, "echo", "b")
    assert _status(server, "echo", a) == 200  # reading a makes b the least recently used
    c = _finished(server, "echo", "c")
    assert _status(server, "echo", b) == 404
    assert _status(server, "echo", a) == 200
    assert _status(server, "echo", c) == 200


def test_a_running_job_is_never_evicted(serve: Factory) -> None:
    server, controls = serve(cache_size=1)
    running = start_call(server.url, "slow", ["still here"])
    controls.slow.wait_entered()
    for value in "abc":
        _finished(server, "echo", value)
    controls.slow.open()
    assert read_frames(f"{server.url}/call/slow/{running}") == [("complete", ["still here"])]


def test_default_cache_keeps_2000_results(serve: Factory) -> None:
    server, controls = serve()
    running = start_call(server.url, "slow", ["kept"])
    controls.slow.wait_entered()

    def post(i: int) -> str:
        return start_call(server.url, "echo", [str(i)])

    # /echo runs one call at a time, in the order they arrive. The first two and the last
    # are posted alone, so their places in that order are known; the rest go 8 at a time.
    first, second = post(0), post(1)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        middle = list(pool.map(post, range(2, 2000)))
    last = post(2000)
    assert len({first, second, *middle, last}) == 2001
    # Once the last is read, every call before it has finished.
    assert read_frames(f"{server.url}/call/echo/{last}") == [("complete", ["2000"])]
    assert server.state.cache.finished == 2000
    assert _status(server, "echo", first) == 404
    assert read_frames(f"{server.url}/call/echo/{second}") == [("complete", ["1"])]
    controls.slow.open()
    assert read_frames(f"{server.url}/call/slow/{running}") == [("complete", ["kept"])]


# -- concurrency and the queue's size ------------------------------------------------


def test_concurrency_limit_1_makes_the_second_call_wait(ref: tuple[MockServer, Controls]) -> None:
    server, controls = ref
    first = start_call(server.url, "slow", ["1"])
    controls.slow.wait_entered()
    second = start_call(server.url, "slow", ["2"])
    # A whole call of another endpoint goes by: the second /slow call has had its chance.
    assert call(server.url, "sync_fn", ["x"]) == [("complete", ["X"])]
    assert stage_of(server, second) == "queued"
    assert controls.slow.inside == 1
    controls.slow.open()
    assert read_frames(f"{server.url}/call/slow/{first}") == [("complete", ["1"])]
    assert read_frames(f"{server.url}/call/slow/{second}") == [("complete", ["2"])]
    assert controls.slow.most_inside == 1
    assert controls.slow.entries == 2


def test_concurrency_limit_2_runs_two_at_once(ref: tuple[MockServer, Controls]) -> None:
    server, controls = ref
    ids = [start_call(server.url, "pair", [str(i)]) for i in range(3)]
    controls.pair.wait_entered(2)  # two calls are inside at the same time
    assert controls.pair.inside == 2
    assert call(server.url, "sync_fn", ["x"]) == [("complete", ["X"])]
    assert sorted(stage_of(server, i) for i in ids) == ["queued", "started", "started"]
    controls.pair.open()
    for i, event_id in enumerate(ids):
        assert read_frames(f"{server.url}/call/pair/{event_id}") == [("complete", [str(i)])]
    assert controls.pair.most_inside == 2


def test_full_queue_answers_503(serve: Factory) -> None:
    server, controls = serve(max_queue_size=2)
    running = start_call(server.url, "slow", ["0"])
    controls.slow.wait_entered()
    waiting = [start_call(server.url, "slow", [str(i)]) for i in (1, 2)]
    for url, body in (
        (f"{server.url}/call/slow", {"data": ["3"]}),
        (f"{server.url}/gradio_api/call/slow", {"data": ["3"]}),
        (f"{server.url}/gradio_api/call/v2/predict", {"text": "3"}),
    ):
        response = HTTP.post(url, json=body)
        assert response.status_code == 503
        assert response.json() == {"detail": "Queue is full."}
    controls.slow.open()
    for i, event_id in enumerate([running, *waiting]):
        assert read_frames(f"{server.url}/call/slow/{event_id}") == [("complete", [str(i)])]
    # Room again once the queue has drained.
    assert call(server.url, "echo", ["again"]) == [("complete", ["again"])]


# -- sessions ------------------------------------------------------------------------


def _chat(server: MockServer, message: str, **body: Any) -> str:
    [(event, [reply])] = call(server.url, "chat", [message], **body)
    assert event == "complete"
    text: str = reply
    return text


def test_same_session_hash_shares_the_chat_history(gradio_mock: MockServer) -> None:
    assert "(0 earlier messages" in _chat(gradio_mock, "one", session_hash="abc")
    assert "(2 earlier messages" in _chat(gradio_mock, "two", session_hash="abc")
    assert "(4 earlier messages" in _chat(gradio_mock, "three", session_hash="abc")
    assert "(0 earlier messages" in _chat(gradio_mock, "one", session_hash="other")
    assert "(6 earlier messages" in _chat(gradio_mock, "four", session_hash="abc")


def test_calls_without_a_session_hash_start_fresh(gradio_mock: MockServer) -> None:
    for message in ("one", "two"):
        assert "(0 earlier messages" in _chat(gradio_mock, message)


def test_session_parameter_is_not_an_input(ref: tuple[MockServer, Controls]) -> None:
    server, _ = ref
    results = [call(server.url, "counter", [step], session_hash="s") for step in (1, 2, 3)]
    assert results == [[("complete", [1])], [("complete", [3])], [("complete", [6])]]


def test_connections_do_not_wait_for_nagle(gradio_mock: MockServer) -> None:
    """A response goes out as headers then body: without TCP_NODELAY on the connection the
    body waits for the client's delayed ACK, 40 ms a request on Linux."""
    with socket.create_connection(("127.0.0.1", gradio_mock.port), timeout=WAIT) as client:
        client.sendall(b"GET /config HTTP/1.1\r\nhost: test\r\n\r\n")
        assert client.recv(100).startswith(b"HTTP/1.1 200")

        async def nodelay() -> list[int]:
            connections = gradio_mock._server.server_state.connections
            sockets = [c.transport.get_extra_info("socket") for c in connections]
            return [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets]

        flags = gradio_mock.run(nodelay())
    assert flags
    assert all(flags), "TCP_NODELAY is off on the server's connections"


def test_a_custom_app_served_alone(start_server: StartServer) -> None:
    app = App("alone")

    @app.api("add")
    def add(a: float, b: float) -> float:
        return a + b

    server = start_server(app)
    assert call(server.url, "add", [1, 2.5]) == [("complete", [3.5])]
    response = HTTP.post(f"{server.url}/call/predict", json={"data": ["x"]})
    assert response.status_code == 404
    assert "Available endpoints: /add." in response.json()["detail"]


def test_cancelling_a_queued_sync_call_means_it_never_runs(
    ref: tuple[MockServer, Controls],
) -> None:
    """A plain sync function's calls queue in its endpoint's own thread pool; one cancelled
    there is dropped before any thread runs it, and the queue count comes back down."""
    server, controls = ref
    first = start_call(server.url, "slow", ["1"])
    controls.slow.wait_entered()
    second = start_call(server.url, "slow", ["2"])
    assert stage_of(server, second) == "queued"
    assert server.state.queue.waiting == 1
    answer = HTTP.post(f"{server.url}/gradio_api/cancel", json={"event_id": second})
    assert answer.json() == {"success": True}
    frames = read_frames(f"{server.url}/call/slow/{second}")
    assert [event for event, _ in frames] == ["error"]
    assert frames[0][1]["error"] == "Cancelled."
    assert server.state.queue.waiting == 0
    controls.slow.open()
    assert read_frames(f"{server.url}/call/slow/{first}") == [("complete", ["1"])]
    assert (stage_of(server, first), events_of(server, first)) == ("ended", ["complete"])
    assert controls.slow.entries == 1  # the cancelled call never reached the function
