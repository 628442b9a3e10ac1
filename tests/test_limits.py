"""Every limit and every input check, tested on both sides of its boundary.

Each test here kills a bug that slipped through the rest of the suite when it was put into
``server/`` on purpose (issue 7): a concurrency limit one too large for async functions and
generators, a check that drops its lower bound or lets ``true`` pass for a number, sessions
that mix up hashes or never expire, an ``fn_index`` of -1 running the last endpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from server import App, Checkbox, Dropdown, Json, Number, Session, Slider, Textbox
from server._components import Chatbot
from server._sessions import SessionStore
from server.pytest_plugin import MockServer
from tests.apps import Gate
from tests.conftest import StartServer
from tests.sse import HTTP, call, read_frames, start_call

# -- concurrency limits of every kind of function -----------------------------------------

KINDS = ("sync", "async", "sync_gen", "async_gen")


def gated_app(limit: int | None) -> tuple[App, dict[str, Gate]]:
    """One endpoint of each kind of function, each held at its own gate, with ``limit``."""
    app = App("limits")
    gates = {kind: Gate() for kind in KINDS}

    @app.api("sync", concurrency_limit=limit)
    def sync(x: str) -> str:
        gates["sync"].pass_through()
        return x

    @app.api("async", concurrency_limit=limit)
    async def async_(x: str) -> str:
        await asyncio.to_thread(gates["async"].pass_through)
        return x

    @app.api("sync_gen", concurrency_limit=limit)
    def sync_gen(x: str) -> Iterator[str]:
        gates["sync_gen"].pass_through()
        yield x

    @app.api("async_gen", concurrency_limit=limit)
    async def async_gen(x: str) -> AsyncIterator[str]:
        await asyncio.to_thread(gates["async_gen"].pass_through)
        yield x

    @app.api("free", concurrency_limit=None)
    def free(x: str) -> str:
        return x

    return app, gates


def stage_of(server: MockServer, event_id: str) -> str:
    """``queued`` (waiting for its turn), ``started`` (its function runs) or ``ended``."""
    job = server.state.cache.get(event_id)
    assert job is not None
    return "ended" if job.done else "queued" if job.started_at is None else "started"


def last_value(frames: list[tuple[str, Any]]) -> Any:
    event, data = frames[-1]
    assert event == "complete", frames
    return data[0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("limit", [1, 2])
def test_a_limit_of_n_runs_n_at_once_and_the_next_waits(
    start_server: StartServer, kind: str, limit: int
) -> None:
    app, gates = gated_app(limit)
    gate = gates[kind]
    server = start_server(app)
    try:
        ids = [start_call(server.url, kind, [str(i)]) for i in range(limit + 1)]
        gate.wait_entered(limit)  # exactly ``limit`` are inside ...
        # ... and a whole call of another endpoint goes by: the next one had its chance.
        assert call(server.url, "free", ["x"]) == [("complete", ["x"])]
        assert gate.inside == limit
        states = sorted(stage_of(server, i) for i in ids)
        assert states == ["queued"] + ["started"] * limit
    finally:
        gate.open()
    for i, event_id in enumerate(ids):
        assert last_value(read_frames(f"{server.url}/call/{kind}/{event_id}")) == str(i)
    assert gate.most_inside == limit
    assert gate.entries == limit + 1


@pytest.mark.parametrize("kind", KINDS)
def test_no_limit_runs_every_call_at_once(start_server: StartServer, kind: str) -> None:
    app, gates = gated_app(None)
    gate = gates[kind]
    server = start_server(app)
    try:
        ids = [start_call(server.url, kind, [str(i)]) for i in range(5)]
        gate.wait_entered(5)
        assert gate.inside == 5
    finally:
        gate.open()
    for i, event_id in enumerate(ids):
        assert last_value(read_frames(f"{server.url}/call/{kind}/{event_id}")) == str(i)


# -- input checks --------------------------------------------------------------------------

checks = App("checks")


@checks.api("number", inputs=[Number(minimum=-5, maximum=10)], outputs=[Number()])
def number(x: float) -> float:
    return x


@checks.api("free_number", inputs=[Number()], outputs=[Number()])
def free_number(x: float) -> float:
    return x


@checks.api("slider", inputs=[Slider(-5, 10)], outputs=[Number()])
def slider(x: float) -> float:
    return x


@checks.api("checkbox", inputs=[Checkbox()], outputs=[Checkbox()])
def checkbox(x: bool) -> bool:
    return x


@checks.api("text", inputs=[Textbox()], outputs=[Textbox()])
def text(x: str) -> str:
    return x


@checks.api("dropdown", inputs=[Dropdown(["a", "b"])], outputs=[Textbox()])
def dropdown(x: str) -> str:
    return x


@pytest.fixture
def checker(start_server: StartServer) -> MockServer:
    return start_server(checks)


def outcome(server: MockServer, api: str, value: Any) -> tuple[str, Any]:
    [(event, data)] = call(server.url, api, [value])
    return event, data


def accepted(server: MockServer, api: str, value: Any) -> Any:
    event, data = outcome(server, api, value)
    assert event == "complete", (api, value, data)
    return data[0]


def refused(server: MockServer, api: str, value: Any) -> str:
    event, data = outcome(server, api, value)
    assert event == "error", (api, value, data)
    message: str = data["error"]
    return message


@pytest.mark.parametrize("api", ["number", "slider"])
def test_a_range_takes_both_ends_and_refuses_just_past_them(checker: MockServer, api: str) -> None:
    assert accepted(checker, api, -5) == -5
    assert accepted(checker, api, 10) == 10
    assert accepted(checker, api, 2.5) == 2.5
    for value in (-5.001, -6, 10.001, 11):
        message = refused(checker, api, value)
        assert "between -5 and 10" in message, message
        assert str(value) in message


@pytest.mark.parametrize("api", ["number", "slider", "free_number"])
@pytest.mark.parametrize("value", [True, False, "3", [3], {"n": 3}])
def test_numbers_refuse_bools_and_other_types(checker: MockServer, api: str, value: Any) -> None:
    message = refused(checker, api, value)
    assert "expects a number" in message, message
    assert type(value).__name__ in message


@pytest.mark.parametrize("api", ["number", "free_number", "slider"])
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_numbers_refuse_what_is_not_finite(checker: MockServer, api: str, literal: str) -> None:
    # Python's JSON parser reads these non-standard literals: the check must catch them.
    response = HTTP.post(
        f"{checker.url}/call/{api}",
        content=b'{"data": [%s]}' % literal.encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    [(event, data)] = read_frames(f"{checker.url}/call/{api}/{response.json()['event_id']}")
    assert event == "error"
    assert "finite" in data["error"] or "between" in data["error"], data


def test_a_number_without_a_range_takes_any_finite_number(checker: MockServer) -> None:
    for value in (-1e300, 0, 1e300):
        assert accepted(checker, "free_number", value) == value
    assert accepted(checker, "free_number", None) is None


def test_checkbox_takes_only_true_or_false(checker: MockServer) -> None:
    assert accepted(checker, "checkbox", True) is True
    assert accepted(checker, "checkbox", False) is False
    for value in (0, 1, "true", None):
        assert "true or false" in refused(checker, "checkbox", value)


def test_textbox_takes_a_string_or_null(checker: MockServer) -> None:
    assert accepted(checker, "text", "") == ""
    assert accepted(checker, "text", None) is None
    for value in (0, True, ["a"]):
        assert "expects a string" in refused(checker, "text", value)


def test_dropdown_takes_only_its_choices(checker: MockServer) -> None:
    assert accepted(checker, "dropdown", "a") == "a"
    assert accepted(checker, "dropdown", "b") == "b"
    for value in ("c", "A", None, 0):
        assert "one of ['a', 'b']" in refused(checker, "dropdown", value)


# -- fn_index on /queue/join -------------------------------------------------------------


def join(server: MockServer, **body: Any) -> Any:
    body = {"data": ["x"], "session_hash": "fn-index", **body}
    return HTTP.post(f"{server.url}/gradio_api/queue/join", json=body)


@pytest.mark.parametrize("fn_index", [-1, -2, "count", "count+1"])
def test_fn_index_outside_the_endpoints_is_refused(checker: MockServer, fn_index: Any) -> None:
    count = len(checks.endpoints)
    index = {"count": count, "count+1": count + 1}.get(fn_index, fn_index)
    response = join(checker, fn_index=index)
    assert response.status_code == 404, response.text
    detail = response.json()["detail"]
    assert f"fn_index {index}" in detail and f"0 to {count - 1}" in detail, detail
    assert checker.state.cache.running == checker.state.cache.finished == 0  # nothing ran


def test_first_and_last_fn_index_run_their_endpoints(checker: MockServer) -> None:
    for index in (0, len(checks.endpoints) - 1):
        response = join(checker, fn_index=index, data=[checks.endpoints[index].inputs[0].example])
        assert response.status_code == 200, response.text
        job = checker.state.cache.get(response.json()["event_id"])
        assert job is not None and job.endpoint is checks.endpoints[index]


def test_a_join_naming_no_endpoint_says_what_to_send(checker: MockServer) -> None:
    response = join(checker)
    assert response.status_code == 422, response.text
    assert "api_name or fn_index" in response.json()["detail"]


# -- sessions: isolation and expiry -----------------------------------------------------

sessions_app = App("sessions")


@sessions_app.api("count")
def count(step: int, session: Session) -> int:
    session["total"] = session.get("total", 0) + step
    return int(session["total"])


@pytest.fixture
def counting(start_server: StartServer) -> MockServer:
    return start_server(sessions_app)


def total(server: MockServer, session_hash: str, step: int = 1) -> Any:
    return last_value(call(server.url, "count", [step], session_hash=session_hash))


def test_sessions_whose_hashes_share_a_prefix_stay_apart(counting: MockServer) -> None:
    a, b = "0123456789abcdef-a", "0123456789abcdef-b"
    assert total(counting, a) == 1
    assert total(counting, b, 10) == 10
    assert total(counting, a) == 2
    assert total(counting, b, 10) == 20
    assert total(counting, a[:8]) == 1  # the prefix itself is a third session
    assert total(counting, a + "x") == 1  # and so is a longer hash


class Clock:
    """A timer the test moves by hand (``SessionStore`` takes one for this)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_expires_after_ttl_unused_and_not_before() -> None:
    clock = Clock()
    store = SessionStore(ttl=60, timer=clock)
    store.get("s")["x"] = 1
    clock.now += 59.9
    assert store.get("s").get("x") == 1  # just before the deadline: kept (and used again)
    clock.now += 59.9  # the deadline counts from the last use
    assert "s" in store and len(store) == 1
    assert store.get("s").get("x") == 1
    clock.now += 60.1
    assert "s" not in store and len(store) == 0
    assert store.get("s") == {}  # a fresh session under the same hash


def test_touch_keeps_a_session_alive_and_creates_none() -> None:
    clock = Clock()
    store = SessionStore(ttl=60, timer=clock)
    store.get("s")["x"] = 1
    for _ in range(3):
        clock.now += 50
        store.touch("s")
    assert store.get("s").get("x") == 1
    store.touch("never-seen")
    assert "never-seen" not in store


def test_past_max_sessions_the_least_recently_used_goes() -> None:
    store = SessionStore(ttl=60, max_sessions=2, timer=Clock())
    store.get("a")["n"] = "a"
    store.get("b")["n"] = "b"
    store.get("a")  # "b" is now the least recently used
    assert len(store) == 2
    store.get("c")["n"] = "c"
    assert "b" not in store and "a" in store and "c" in store


def test_a_session_without_a_hash_is_never_stored() -> None:
    store = SessionStore(ttl=60, timer=Clock())
    first, second = store.get(None), store.get("")
    assert first is not second and len(store) == 0


def test_the_server_forgets_a_session_unused_for_session_ttl(
    counting: MockServer,
) -> None:
    clock = Clock()
    counting.state.sessions = SessionStore(ttl=30, timer=clock)
    assert [total(counting, "s") for _ in range(3)] == [1, 2, 3]
    clock.now += 29
    assert total(counting, "s") == 4
    clock.now += 29  # the heartbeat route keeps it alive too
    with HTTP.stream("GET", f"{counting.url}/gradio_api/heartbeat/s") as response:
        assert response.status_code == 200  # the route has touched the session
    clock.now += 29
    assert total(counting, "s") == 5
    clock.now += 31
    assert total(counting, "s") == 1


def test_session_ttl_setting_reaches_the_store(start_server: StartServer) -> None:
    server = start_server(sessions_app, session_ttl=12.5)
    assert server.state.sessions.ttl == 12.5


# -- the result cache ---------------------------------------------------------------------


def test_reset_forgets_every_result_and_session(counting: MockServer) -> None:
    event_id = start_call(counting.url, "count", [1], session_hash="r")
    assert last_value(read_frames(f"{counting.url}/call/count/{event_id}")) == 1
    assert (counting.state.cache.running, counting.state.cache.finished) == (0, 1)
    counting.reset()
    assert (counting.state.cache.running, counting.state.cache.finished) == (0, 0)
    assert HTTP.get(f"{counting.url}/call/count/{event_id}").status_code == 404
    assert total(counting, "r") == 1  # the session started again too


# -- what components make of values (both ways) ----------------------------------------

shapes = App("shapes")


@shapes.api("rounded", inputs=[Number(precision=0)], outputs=[Number(precision=0)])
def rounded(x: float) -> float:
    return x + 0.4


@shapes.api("two_places", inputs=[Number(precision=2)], outputs=[Number(precision=2)])
def two_places(x: float) -> float:
    return x


@shapes.api("any_json", inputs=[Textbox()], outputs=[Json()])
def any_json(kind: str) -> Any:
    return {"nan": float("nan"), "set": {1}}.get(kind, {"a": [1, 2.5, None, "x"]})


@shapes.api("history", inputs=[Chatbot()], outputs=[Number(precision=0)])
def history(messages: list[Any]) -> int:
    return len(messages)


@shapes.api("reply", inputs=[Textbox()], outputs=[Chatbot()])
def reply(kind: str) -> Any:
    said = [{"role": "assistant", "content": "hi"}]
    return {"none": None, "text": "hi"}.get(kind, said)


@shapes.api("choose", inputs=[Dropdown(["a", "b"])], outputs=[Textbox()])
def choose(x: str) -> str:
    return x


@pytest.fixture
def shaper(start_server: StartServer) -> Iterator[MockServer]:
    server = start_server(shapes)
    yield server
    server.take_errors()  # the Json outputs JSON cannot carry are logged as the function's


def test_number_precision_rounds_in_and_out(shaper: MockServer) -> None:
    [(_, [value])] = call(shaper.url, "rounded", [2.4])  # 2 in, 2.4 back, 2 out
    assert value == 2 and isinstance(value, int)
    [(_, [value])] = call(shaper.url, "two_places", [2.567])
    assert value == 2.57


def test_json_output_goes_out_as_it_is_or_fails_the_call(shaper: MockServer) -> None:
    assert call(shaper.url, "any_json", ["ok"]) == [("complete", [{"a": [1, 2.5, None, "x"]}])]
    for kind in ("nan", "set"):
        [(event, payload)] = call(shaper.url, "any_json", [kind])
        assert event == "error", payload  # and the stream stays valid JSON


def test_chatbot_input_is_a_list_of_messages(shaper: MockServer) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    assert accepted(shaper, "history", messages) == 2
    assert accepted(shaper, "history", None) == 0  # no history yet
    for value in ("hi", {"role": "user"}, 3):
        assert "a list of messages" in refused(shaper, "history", value)


def test_dropdown_choices_in_config(shaper: MockServer) -> None:
    config = HTTP.get(shaper.url + "/config").json()
    [dropdown] = [c for c in config["components"] if c["type"] == "dropdown"]
    assert dropdown["props"]["choices"] == [["a", "a"], ["b", "b"]]
    assert dropdown["props"]["value"] == "a"


def test_a_session_shows_its_hash_and_contents() -> None:
    session = Session("abc")
    session["n"] = 1
    assert repr(session) == "Session('abc', {'n': 1})"


# -- routes' answers to what they refuse, and the home page --------------------------------


def test_a_refused_join_body_is_422_quoting_each_refused_field(checker: MockServer) -> None:
    response = HTTP.post(f"{checker.url}/queue/join", json={"data": 1, "fn_index": "x"})
    assert response.status_code == 422
    refused = {tuple(e["loc"]): (e["type"], e["input"]) for e in response.json()["detail"]}
    assert refused == {
        ("body", "data"): ("list_type", 1),
        ("body", "fn_index"): ("int_parsing", "x"),
        ("body", "session_hash"): ("missing", {"data": 1, "fn_index": "x"}),
    }


@pytest.mark.parametrize("prefix", ["", "/gradio_api"])
def test_the_home_page_is_the_app_s_page(checker: MockServer, prefix: str) -> None:
    """The page (its endpoints come from /info, read by its script: tests/test_page.py)."""
    response = HTTP.get(f"{checker.url}{prefix}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>checks · gradio-mock</title>" in response.text
    assert '<meta name="gradio-mock-api" content="/gradio_api">' in response.text


@pytest.mark.parametrize(
    ("body", "kind"), [(b"", "missing"), (b"{", "json_invalid"), (b'{"data": 1}', "list_type")]
)
def test_a_call_body_that_is_not_a_call_is_422(checker: MockServer, body: bytes, kind: str) -> None:
    response = HTTP.post(
        f"{checker.url}/call/text", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["detail"]
    assert detail["type"] == kind
    # FastAPI's shape to the key (no pydantic "url"); json_invalid adds the parser's reason.
    assert set(detail) - {"ctx"} == {"type", "loc", "msg", "input"}


def test_chatbot_output_is_a_list_of_messages(shaper: MockServer) -> None:
    assert accepted(shaper, "reply", "list") == [{"role": "assistant", "content": "hi"}]
    assert accepted(shaper, "reply", "none") == []  # no messages: an empty history
    [(event, _)] = call(shaper.url, "reply", ["text"])
    assert event == "error"


def test_a_component_says_what_it_is() -> None:
    from server import Slider, Textbox

    assert repr(Textbox(label="Name")) == "Textbox(label='Name')"
    assert repr(Slider(0, 10)) == "Slider(label=None)"
