"""``State``: a value per session that a function takes and returns, as Gradio's ``gr.State``
(``tests/reference/gradio-*/sessions.json`` and ``test_reference_messages.py`` compare the
wire with real Gradio's). The clients see the same inputs as on a real app: the state is in
``/config``, not in ``/info`` or ``view_api``, and the official clients fill it themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gradio_client import Client

from server import App, State, Textbox
from server.pytest_plugin import MockServer
from tests.apps import Gate
from tests.conftest import StartServer
from tests.sse import HTTP, call, read_frames, start_call
from tests.test_js_client import node, run_js

__all__ = ["node"]  # the fixture, imported so that pytest finds it here


class StateApp:
    def __init__(self) -> None:
        self.gate = Gate()
        self.app = App("state")
        history = State([])
        self.history = history

        @self.app.api("chat", inputs=[Textbox(), history], outputs=[Textbox(), history])
        def chat(message: str, earlier: list[str]) -> tuple[str, list[str]]:
            earlier.append(message)  # (its own copy: the initial [] is deep-copied)
            return f"{message} after {len(earlier) - 1}", earlier

        @self.app.api("peek", inputs=[history], outputs=["json"])
        def peek(earlier: list[str]) -> list[str]:
            return earlier

        @self.app.api("held_chat", inputs=[Textbox(), history], outputs=[Textbox(), history])
        def held_chat(message: str, earlier: list[str]) -> tuple[str, list[str]]:
            self.gate.pass_through()
            return f"{message} after {len(earlier)}", [*earlier, message]

        @self.app.api("hinted")
        def hinted(x: str, count: State = 0) -> tuple[str, State]:  # type: ignore[assignment]
            return f"{x}{count}", count + 1

        @self.app.api("growing", inputs=["textbox", "state"], outputs=["textbox", "state"])
        def growing(x: str, seen: Any) -> Iterator[tuple[str, Any]]:
            seen = seen or ""
            for letter in x:
                seen += letter
                yield seen, seen


@pytest.fixture
def state_app(start_server: StartServer) -> Iterator[tuple[StateApp, MockServer]]:
    app = StateApp()
    yield app, start_server(app.app)
    app.gate.open()


def reply(server: MockServer, api: str, data: list[Any], **body: Any) -> Any:
    *_values, (event, outputs) = call(server.url + "/gradio_api", api, data, **body)
    assert event == "complete", outputs
    return outputs


def test_a_state_output_is_the_session_s_next_state_input(
    state_app: tuple[StateApp, MockServer],
) -> None:
    """With a session_hash, each call gets what the last returned (the client gets ``null``
    in the state's place); another session, or none, starts from the initial value; an
    endpoint that shares the State object reads the same value."""
    _app, server = state_app
    assert reply(server, "chat", ["a"], session_hash="s") == ["a after 0", None]
    assert reply(server, "chat", ["b"], session_hash="s") == ["b after 1", None]
    assert reply(server, "chat", ["c", None], session_hash="s") == ["c after 2", None]
    assert reply(server, "chat", ["x"], session_hash="other") == ["x after 0", None]
    assert reply(server, "chat", ["y"]) == ["y after 0", None]
    assert reply(server, "chat", ["z"]) == ["z after 0", None]
    assert reply(server, "peek", [], session_hash="s") == [["a", "b", "c"]]
    assert reply(server, "peek", [None], session_hash="nobody") == [[]]


def test_the_state_is_read_when_the_call_runs(state_app: tuple[StateApp, MockServer]) -> None:
    """Two calls of one session queued back to back: the second gets what the first
    returned (the state is read when a call starts, not when it is queued)."""
    app, server = state_app
    base = server.url + "/gradio_api"
    first = start_call(base, "held_chat", ["a"], session_hash="s")
    app.gate.wait_entered()
    second = start_call(base, "held_chat", ["b"], session_hash="s")
    app.gate.open()
    assert read_frames(f"{base}/call/held_chat/{first}") == [("complete", ["a after 0", None])]
    assert read_frames(f"{base}/call/held_chat/{second}") == [("complete", ["b after 1", None])]


def test_hints_and_the_name_state_link_the_output_to_the_input(
    state_app: tuple[StateApp, MockServer],
) -> None:
    """``s: State = 0`` and ``-> tuple[str, State]``: one state, starting at the default; the
    name ``"state"`` in inputs and outputs too. A generator's every value updates it."""
    _app, server = state_app
    assert [reply(server, "hinted", ["n"], session_hash="h")[0] for _ in range(3)] == [
        "n0",
        "n1",
        "n2",
    ]
    assert reply(server, "growing", ["ab"], session_hash="g") == ["ab", None]
    assert reply(server, "growing", ["c"], session_hash="g") == ["abc", None]


def test_config_shows_the_state_and_info_hides_it(
    state_app: tuple[StateApp, MockServer],
) -> None:
    """One ``state`` component (one id) for the State object, wherever it is used; /info
    lists only the Textbox."""
    _app, server = state_app
    config = HTTP.get(server.url + "/config").json()
    dependencies = {d["api_name"]: d for d in config["dependencies"]}
    state_id = dependencies["chat"]["inputs"][1]
    assert dependencies["chat"]["outputs"][1] == state_id
    assert dependencies["peek"]["inputs"] == [state_id]
    assert dependencies["held_chat"]["inputs"][1] == state_id
    states = [c for c in config["components"] if c["type"] == "state"]
    assert [c["id"] for c in states].count(state_id) == 1
    assert len(states) == 3  # /chat's (shared), /hinted's and /growing's
    assert len({c["id"] for c in config["components"]}) == len(config["components"])
    info = HTTP.get(server.url + "/gradio_api/info").json()["named_endpoints"]
    assert [p["parameter_name"] for p in info["/chat"]["parameters"]] == ["message"]
    assert [r["component"] for r in info["/chat"]["returns"]] == ["Textbox"]
    assert info["/peek"]["parameters"] == []


def test_gradio_client_fills_the_state_and_keeps_sessions_apart(
    state_app: tuple[StateApp, MockServer],
) -> None:
    """gradio_client: view_api shows one parameter; predict sends ``null`` for the state
    and gets the Textbox alone back; each Client is a session."""
    _app, server = state_app
    first, second = (Client(server.url, verbose=False) for _ in range(2))
    try:
        api = first.view_api(return_format="dict", print_info=False)
        assert [p["parameter_name"] for p in api["named_endpoints"]["/chat"]["parameters"]] == [
            "message"
        ]
        assert first.predict("a", api_name="/chat") == "a after 0"
        assert first.predict("b", api_name="/chat") == "b after 1"
        assert second.predict("x", api_name="/chat") == "x after 0"
        assert first.predict(message="c", api_name="/chat") == "c after 2"
        assert first.predict(api_name="/peek") == ["a", "b", "c"]
    finally:
        first.close()
        second.close()


@pytest.mark.node
def test_js_client_fills_the_state_per_connection(
    node: str, state_app: tuple[StateApp, MockServer]
) -> None:
    """@gradio/client: ``predict("/chat", [text])`` on one connection carries its state on;
    a second connection starts afresh."""
    _app, server = state_app
    messages = [["first", "a"], ["first", "b"], ["second", "x"], ["first", "c"]]
    result = run_js(node, server.url, "sessions", {"messages": messages})
    assert result["replies"] == [
        ["first", "a after 0"],
        ["first", "b after 1"],
        ["second", "x after 0"],
        ["first", "c after 2"],
    ]


def test_a_state_value_lives_on_the_session_only() -> None:
    """A function called directly (a unit test of the app) gets what it is given; the State's
    initial value is never handed out itself (each session gets a deep copy)."""
    app = StateApp()
    assert app.history.initial() == [] and app.history.initial() is not app.history.value
    endpoint = app.app.endpoint("chat")
    assert endpoint is not None and endpoint.has_state
    assert endpoint.fn("m", ["z"]) == ("m after 1", ["z", "m"])
