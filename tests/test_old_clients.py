"""The official clients of older Gradio eras, used unchanged against the profile of their era.

- ``gradio_client`` 1.3.0 (what Gradio 4.44.1 requires) against ``gradio_version=4``;
- ``gradio_client`` 1.14.0 (the last 1.x, what Gradio 5.50.0 requires) against ``5``;
- ``@gradio/client`` 0.20.1 (the last 0.x) against ``4``;
- ``@gradio/client`` 1.19.1 (the last 1.x, the one Gradio 5.50.0's page bundles) against ``5``.

(Today's clients, gradio_client 2.7.2 and @gradio/client 2.7.0, are tested against 6 in
test_python_client.py and test_js_client.py.) Each client runs in its own environment, which
the suite builds on first use and keeps (see tests/old_clients.py); each test starts a server
with ``era_app()`` (or ``tests/reference/mock_app.py``, for a ``State``), runs one scenario of
tests/clients/py_client.py or js_client.mjs in a subprocess and checks the JSON it printed.

Where a client has a bug of its own, the test pins what the client does against gradio-mock,
and the README's client table says what the same client does against real Gradio (each
observed against Gradio 4.44.1 or 5.50.0 with the same scenario script).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from demos import _png
from demos.image import _sepia
from server.pytest_plugin import MockServer
from tests.conftest import StartServer
from tests.old_clients import (
    EraApp,
    JsClient,
    PyClient,
    era_app,
    js_client,
    py_client,
)
from tests.reference.mock_app import app as mock_app

pytestmark = pytest.mark.old_clients

HEARTBEAT = 0.2
TOKEN = "hf_oldClientTestToken123"
ENDPOINTS = ["/predict", "/hello", "/stream", "/image", "/chat", "/fail", "/file", "/forever"]
API_PREFIX = {4: "", 5: "/gradio_api"}
CHAT = [["first", "a"], ["first", "b"], ["second", "c"], ["first", "d"], ["second", "e"]]
CHAT_REPLIES = [
    ["first", "You said: a (0 earlier messages in this session)"],
    ["first", "You said: b (2 earlier messages in this session)"],
    ["second", "You said: c (0 earlier messages in this session)"],
    ["first", "You said: d (4 earlier messages in this session)"],
    ["second", "You said: e (2 earlier messages in this session)"],
]

#: The same conversation with a gr.State (mock_app's /chat counts the session's messages).
STATE_REPLIES = [
    ["first", "You said: a (0 earlier messages)"],
    ["first", "You said: b (1 earlier messages)"],
    ["second", "You said: c (0 earlier messages)"],
    ["first", "You said: d (2 earlier messages)"],
    ["second", "You said: e (1 earlier messages)"],
]


@pytest.fixture
def era(start_server: StartServer) -> Any:
    """``era(major, **settings)``: (the app, a server of ``era_app()`` for that profile)."""

    def start(major: int, **settings: Any) -> tuple[EraApp, MockServer]:
        app = era_app()
        settings.setdefault("heartbeat", HEARTBEAT)
        return app, start_server(app.app, gradio_version=major, **settings)

    return start


def png_and_sepia(tmp_path: Path) -> tuple[Path, bytes]:
    """A 4x3 PNG of one colour, and the PNG the sepia demo makes of it."""
    data = _png.solid(4, 3, (200, 30, 30))
    path = tmp_path / "red.png"
    path.write_bytes(data)
    return path, _png.encode(_sepia(_png.decode(data)))


def same_picture(data: bytes, expected: bytes) -> bool:
    return _png.decode(data) == _png.decode(expected)


# == building the environments =========================================================


def test_a_venv_that_cannot_be_built_fails_the_test_saying_why(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("gradio_client==1.3.0 ; this is not a marker\n")
    with pytest.raises(pytest.fail.Exception) as failed:
        py_client("1.3.0", requirements, tmp_path / "venv")
    message = str(failed.value)
    assert message.startswith(f"Could not build the environment of gradio_client 1.3.0 ({tmp_path}")
    assert "pip install" in message and "exited" in message
    assert not (tmp_path / "venv" / ".built-from").exists()


def test_missing_node_fails_the_test_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match=r"Node.js 18\+ and npm must be on the PATH"):
        js_client("0.20.1", "js-0.20")


# == gradio_client 1.3.0 and 1.14.0 ====================================================


@pytest.fixture(
    scope="session",
    params=[("1.3.0", 4), ("1.14.0", 5)],
    ids=["gradio_client-1.3.0@4", "gradio_client-1.14.0@5"],
)
def python_client(request: pytest.FixtureRequest) -> tuple[PyClient, int]:
    version, major = request.param
    return py_client(version), major


def test_py_connect_and_view_api(python_client: tuple[PyClient, int], era: Any) -> None:
    client, major = python_client
    _, server = era(major)
    result = client.run(server.url, "connect")
    assert result["version"].startswith(f"{major}.")
    assert result["protocol"] == "sse_v3"
    if client.version != "1.3.0":  # 1.3.0 has no src_prefixed: it reads api_prefix itself
        assert result["src_prefixed"] == f"{server.url}{API_PREFIX[major]}/"
    assert result["named_endpoints"] == ENDPOINTS
    assert result["parameters"]["/hello"] == ["name", "is_morning", "temperature"]
    text = result["view_api_text"]
    assert f"Named API endpoints: {len(ENDPOINTS)}" in text
    assert 'predict(name, is_morning, temperature, api_name="/hello")' in text
    # As each client prints it for the same component of real Gradio 4.44.1 / 5.50.0.
    if major == 4:
        assert "[Image] image: filepath (required)" in text
    else:
        assert "[Image] image: dict(path: str | None (Path to a local file), url: " in text


def test_py_predict_by_name_keywords_and_index(
    python_client: tuple[PyClient, int], era: Any
) -> None:
    client, major = python_client
    _, server = era(major)
    by_name = {"api_name": "/hello", "args": ["Hello", True, 5]}
    assert client.run(server.url, "predict", by_name) == {
        "returned": ["Good morning Hello. It is 5 degrees today", -15.0]
    }
    keywords = {"api_name": "/hello", "kwargs": {"temperature": 41, "name": "Bo"}}
    assert client.run(server.url, "predict", keywords) == {
        "returned": ["Good evening Bo. It is 41 degrees today", 5.0]
    }
    by_index = {"fn_index": 0, "args": ["Hello, my friend."]}
    assert client.run(server.url, "predict", by_index) == {"returned": "Bonjour, mon ami."}


def test_py_streaming_generator(python_client: tuple[PyClient, int], era: Any) -> None:
    client, major = python_client
    _, server = era(major)
    result = client.run(server.url, "submit", {"api_name": "/stream", "args": ["Hello!"]})
    values = ["H", "He", "Hel", "Hell", "Hello", "Hello!"]
    assert result == {
        "iterated": values,
        "result": "Hello!",
        "outputs": values,
        "status": "FINISHED",
        "success": True,
    }


def test_py_file_in_and_out(python_client: tuple[PyClient, int], era: Any, tmp_path: Path) -> None:
    client, major = python_client
    _, server = era(major)
    path, expected = png_and_sepia(tmp_path)
    downloads = tmp_path / "downloads"
    result = client.run(server.url, "file", {"path": str(path), "downloads": str(downloads)})
    assert Path(result["path"]).parent.parent == downloads
    assert same_picture(base64.b64decode(result["base64"]), expected)
    filedata = result["filedata"]
    assert filedata["url"].startswith(f"{server.url}{API_PREFIX[major]}/file=")
    assert filedata["meta"] == {"_type": "gradio.FileData"}


def test_py_error(python_client: tuple[PyClient, int], era: Any) -> None:
    client, major = python_client
    _, server = era(major)
    result = client.run(server.url, "error", {"api_name": "/fail", "args": ["x"]})
    # 1.3.0 prefixes the message itself (so does it against Gradio 4.44.1).
    prefix = "The upstream Gradio app has raised an exception: " if major == 4 else ""
    raised = {"raised": "AppError", "message": f"{prefix}custom failure: x"}
    assert result == {
        "predict": raised,
        "result": raised,
        "status": "FINISHED",
        "success": False,
        "after": {"returned": "Bonjour, mon ami."},
    }


def test_py_cancel_stops_the_generator(python_client: tuple[PyClient, int], era: Any) -> None:
    client, major = python_client
    app, server = era(major)
    result = client.run(
        server.url, "cancel", {"api_name": "/forever", "args": ["tick"], "after": 2}
    )
    assert result["before"] == ["tick 1", "tick 2"]
    assert result["cancel"] is True
    assert result["status"] == "CANCELLED"
    # job.result() raises: CancelledError or AppError("... Cancelled."), whichever of the
    # client's two threads wins (against real Gradio: CancelledError, or with 1.14.0 a
    # KeyError about the empty process_completed that Gradio sends for a cancelled job).
    raised = result["result"]
    assert raised["raised"] == "CancelledError" or (
        raised["raised"] == "AppError" and raised["message"].endswith("Cancelled.")
    ), raised
    assert app.stopped.wait(5), "the generator kept running after job.cancel()"


def test_py_sessions(python_client: tuple[PyClient, int], era: Any) -> None:
    client, major = python_client
    _, server = era(major)
    result = client.run(server.url, "sessions", {"messages": CHAT})
    first, second = result["session_hashes"]
    assert first != second
    assert result["replies"] == CHAT_REPLIES


def test_py_state(python_client: tuple[PyClient, int], start_server: StartServer) -> None:
    """A ``State`` input and output (tests/reference/mock_app.py's /chat, as the reference
    app's gr.State): the client fills the state in itself, and each Client's state goes on."""
    client, major = python_client
    server = start_server(mock_app, gradio_version=major)
    result = client.run(server.url, "sessions", {"messages": CHAT})
    assert result["replies"] == STATE_REPLIES


def test_py_token(python_client: tuple[PyClient, int], era: Any) -> None:
    client, major = python_client
    _, server = era(major, token=TOKEN)
    result = client.run(server.url, "token", {"token": TOKEN})
    assert result["with_token"] == {"returned": "Bonjour, mon ami."}
    # /config answers 401, and Client() itself raises (as 2.7.2 does).
    refused = {
        "raised": "AuthenticationError",
        "message": f"Could not load {server.url}/ as credentials were not provided. Please login.",
    }
    assert result["without_token"] == refused
    assert result["wrong_token"] == refused


# == @gradio/client 0.20.1 and 1.19.1 ==================================================


@pytest.fixture(
    scope="session",
    params=[("0.20.1", "js-0.20", 4), ("1.19.1", "js-1.x", 5)],
    ids=["gradio-client-js-0.20.1@4", "gradio-client-js-1.19.1@5"],
)
def javascript_client(request: pytest.FixtureRequest) -> tuple[JsClient, int]:
    version, folder, major = request.param
    return js_client(version, folder), major


def data_values(messages: list[dict[str, Any]]) -> list[Any]:
    return [m["data"][0] for m in messages if m["type"] == "data"]


def test_js_connect_and_view_api(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major)
    result = client.run(server.url, "connect")
    assert result["version"].startswith(f"{major}.")
    assert result["protocol"] == "sse_v3"
    if client.version != "0.20.1":  # 0.20 keeps no api_prefix: Gradio 4 has none
        assert result["api_prefix"] == API_PREFIX[major]
    assert result["api_map"] == {name[1:]: index for index, name in enumerate(ENDPOINTS)}
    assert result["named_endpoints"] == sorted(ENDPOINTS)
    assert result["parameters"]["/hello"] == ["name", "is_morning", "temperature"]


def test_js_predict_by_name_and_index(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major)
    by_name = client.run(server.url, "predict", {"endpoint": "/hello", "data": ["Hi", True, 5]})
    assert by_name == {"resolved": ["Good morning Hi. It is 5 degrees today", -15], "unhandled": []}
    by_index = client.run(server.url, "predict", {"endpoint": 0, "data": ["Hello, my friend."]})
    assert by_index == {"resolved": ["Bonjour, mon ami."], "unhandled": []}


def test_js_predict_with_named_inputs(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major)
    named = {"endpoint": "/predict", "data": {"text": "Hello, my friend."}}
    result = client.run(server.url, "predict", named)
    if client.version == "0.20.1":
        # 0.20.1's bug, the same against Gradio 4.44.1: it throws inside a promise nobody
        # awaits (an unhandled rejection) and predict() never settles; nothing is sent.
        assert result == {
            "pending": True,
            "unhandled": ["No value provided for required parameter: name"],
        }
        assert server.requests("predict") == []
    else:
        assert result == {"resolved": ["Bonjour, mon ami."], "unhandled": []}


def test_js_streaming_generator(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major)
    argument = {"endpoint": "/stream", "data": ["Hello!"], "events": ["data", "status"]}
    result = client.run(server.url, "submit", argument)
    # Each yield is a "data" message; the completion repeats the last value (as Gradio does).
    values = ["H", "He", "Hel", "Hell", "Hello", "Hello!"]
    assert data_values(result["messages"]) == [*values, "Hello!"]
    stages = [m["stage"] for m in result["messages"] if m["type"] == "status"]
    assert stages[0] == "pending"
    assert "generating" in stages
    assert stages[-1] == "complete"
    assert result["ended"] == "final status"


def test_js_submit_without_asking_for_status_events(
    javascript_client: tuple[JsClient, int], era: Any
) -> None:
    client, major = javascript_client
    _, server = era(major)
    result = client.run(server.url, "submit", {"endpoint": "/stream", "data": ["Hi!"]})
    if client.version == "1.19.1":
        # 1.x yields only "data" messages unless Client.connect gets events: ["data", "status"],
        # and then its iterator never ends (the same against Gradio 5.50.0).
        assert result == {
            "messages": [{"type": "data", "data": [value]} for value in ["H", "Hi", "Hi!", "Hi!"]],
            "ended": "deadline",
        }
    else:  # 0.x has no events option: on("status") always hears the status messages
        assert data_values(result["messages"]) == ["H", "Hi", "Hi!", "Hi!"]
        assert result["messages"][-1]["stage"] == "complete"


def test_js_file_in_and_out(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major)
    result = client.run(server.url, "file", {"text": "some text"})
    assert result["file"]["url"].startswith(f"{server.url}{API_PREFIX[major]}/file=")
    assert (result["status"], result["text"]) == (200, "SOME TEXT")


def test_js_image_in_and_out(
    javascript_client: tuple[JsClient, int], era: Any, tmp_path: Path
) -> None:
    client, major = javascript_client
    _, server = era(major)
    path, expected = png_and_sepia(tmp_path)
    result = client.run(server.url, "image", {"path": str(path)})
    if client.version == "0.20.1":
        # 0.20.1's bug: a Blob or Buffer given to an Image input is never uploaded; the value
        # goes out as JSON ({} for a Blob, {"type": "Buffer", "data": [...]} for a Buffer).
        # Gradio 4.44.1 fails the call too (FileData validation, "path: Field required"),
        # with no message; gradio-mock says what was wrong.
        for kind, keys in (("buffer", "['data', 'type']"), ("blob", "[]")):
            assert result[kind] == {
                "predict": {
                    "rejected": "input 1 (image): a file input must be FileData with a path "
                    f"(or url), got an object with keys {keys}: upload the file with "
                    "POST /upload and pass its path, or pass an http(s) or data: URL"
                }
            }, kind
        return
    for kind in ("buffer", "blob"):
        assert result[kind]["file"]["url"].startswith(f"{server.url}{API_PREFIX[major]}/file=")
        assert result[kind]["status"] == 200
        assert same_picture(base64.b64decode(result[kind]["base64"]), expected), kind


def test_js_error(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major)
    result = client.run(server.url, "error", {"endpoint": "/fail", "data": ["x"]})
    assert result["predict"] == {"rejected": "custom failure: x"}
    last = result["submit"]["messages"][-1]
    assert (last["stage"], last["message"]) == ("error", "custom failure: x")
    assert not data_values(result["submit"]["messages"])
    assert result["after"] == ["Bonjour, mon ami."]


def test_js_cancel_stops_the_generator(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    app, server = era(major)
    argument = {"endpoint": "/forever", "data": ["tick"], "after": 2}
    result = client.run(server.url, "cancel", argument)
    assert data_values(result["before"]) == ["tick 1", "tick 2"]
    assert app.stopped.wait(5), "the generator kept running after job.cancel()"
    assert result["ended"] == "final status"
    first = result["after_cancel"][0]
    if client.version == "0.20.1":
        # 0.20.1's cancel() reports "complete" itself, before the server answers (as with
        # Gradio 4.44.1, where a stray "generating" status follows it too).
        assert (first["type"], first["stage"]) == ("status", "complete")
    else:
        # gradio-mock ends a cancelled job with the error "Cancelled."; against Gradio 5.50.0
        # the same client ends it with the error "An Unexpected Error Occurred!" (it chokes
        # on the empty process_completed Gradio sends).
        assert result["after_cancel"] == [
            {"type": "status", "stage": "error", "message": "Cancelled."}
        ]


def test_js_sessions(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major)
    result = client.run(server.url, "sessions", {"messages": CHAT})
    first, second = result["session_hashes"]
    assert first != second
    assert result["replies"] == CHAT_REPLIES


def test_js_state(javascript_client: tuple[JsClient, int], start_server: StartServer) -> None:
    client, major = javascript_client
    server = start_server(mock_app, gradio_version=major)
    result = client.run(server.url, "sessions", {"messages": CHAT})
    assert result["replies"] == STATE_REPLIES


def test_js_token(javascript_client: tuple[JsClient, int], era: Any) -> None:
    client, major = javascript_client
    _, server = era(major, token=TOKEN)
    result = client.run(server.url, "token", {"token": TOKEN})
    if client.version == "0.20.1":
        # 0.20.1 sends hf_token on its fetches (/config, /queue/join, /upload) but opens
        # /queue/data with an EventSource, which takes no headers: the stream is refused
        # (401) and predict() rejects. Real Gradio checks no token; on a private Space
        # the client signs the stream with a JWT from huggingface.co instead (__sign).
        assert result["with_token"] == {"rejected": "Connection errored out. "}
        [stream] = [r for r in server.requests() if r["path"].endswith("/queue/data")]
        assert stream["status"] == 401, stream
    else:
        assert result["with_token"] == {"resolved": ["Bonjour, mon ami."]}
    # /config answers 401: Client.connect() rejects (0.20.1 wraps the error once more).
    wrapped = "Error: " * (2 if client.version == "0.20.1" else 1)
    refused = {"rejected": f"{wrapped}Login credentials are required to access this space."}
    assert result["without_token"] == refused
    assert result["wrong_token"] == refused


@pytest.mark.parametrize(("at", "left"), [("data", True), ("final", False)])
def test_js_1x_break_out_of_the_loop(era: Any, at: str, left: bool) -> None:
    """1.19.1's iterator: ``break`` at a "data" message leaves the loop, but ``break`` at the
    final status never does (its return() never settles), as against Gradio 5.50.0. The
    scenarios therefore never break out of a 1.x loop."""
    client = js_client("1.19.1", "js-1.x")
    _, server = era(5)
    result = client.run(server.url, "break_loop", {"endpoint": "/stream", "data": ["Hi"], "at": at})
    assert (result["left"], result["pending"]) == (left, not left)
    assert result["seen"][-1]["type"] == ("data" if at == "data" else "status")
