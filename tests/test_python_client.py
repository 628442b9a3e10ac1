"""The official Python client, ``gradio_client``, used unchanged against gradio-mock.

Tried with gradio_client 2.7.2 (from PyPI), against the Gradio 6.31.0 flavour (the default)
and the 4.44.1 one (``gradio_version=4``).

Most tests use ``demo_server``: the demos on a server of this module whose heartbeat is
short. The client's heartbeat thread only notices ``Client.close()`` when a line arrives on its
``/heartbeat`` stream, so against the plugin's 15 s heartbeat every close would wait a second
(and leave the thread behind). The ``connect`` fixture closes every client after the test and
checks that none of its threads is left running. Raw-protocol checks use ``gradio_mock``.

What the client does, as seen here:
- a missing or wrong token makes ``Client()`` itself raise
  ``gradio_client.exceptions.AuthenticationError`` ("Could not load ... as credentials were
  not provided"), because ``GET /config`` answers 401;
- a full queue (503 on ``/queue/join``) raises ``gradio_client.utils.QueueError`` from
  ``predict()`` / ``job.result()``;
- ``job.cancel()`` posts ``/cancel`` then ``/reset``; ``job.result()`` then raises
  ``CancelledError`` or ``AppError("Cancelled.")``, whichever of two client threads wins.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, AuthenticationError
from gradio_client.utils import QueueError, Status

from demos import _png
from demos import app as demos_app
from server import App, Settings
from server.pytest_plugin import MockServer
from tests.client_apps import blocking_app, endless_app, failing_app

StartServer = Callable[..., MockServer]
Connect = Callable[..., Client]

#: Heartbeat interval of the servers the client talks to (see the module docstring).
HEARTBEAT = 0.2
WAIT = 10.0
DEMO_ENDPOINTS = ["/predict", "/hello", "/stream", "/image", "/chat"]
RED = (200, 30, 30)


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _demo_server() -> Iterator[MockServer]:
    with MockServer(demos_app, Settings(port=0, heartbeat=HEARTBEAT)) as server:
        assert isinstance(server, MockServer)
        yield server


@pytest.fixture
def demo_server(_demo_server: MockServer) -> Iterator[MockServer]:
    _demo_server.reset()
    yield _demo_server
    _demo_server.check_errors()


def _client_threads(client: Client) -> list[threading.Thread]:
    threads: list[threading.Thread] = [client.heartbeat]
    for executor in (client.executor, client.helper_executor, client.stream_executor):
        threads.extend(executor._threads)
    return [t for t in threads if t.ident is not None]  # started ones only


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Connect]:
    """``connect(url, **kwargs)``: a quiet ``Client`` without telemetry, closed after the test."""
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    clients: list[Client] = []

    def make(url: str, **kwargs: Any) -> Client:
        kwargs.setdefault("verbose", False)
        kwargs.setdefault("analytics_enabled", False)
        kwargs.setdefault("download_files", str(tmp_path / "downloads"))
        client = Client(url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client._kill_heartbeat.set()
    threads = []
    for client in clients:
        client.close()
        for executor in (client.executor, client.helper_executor, client.stream_executor):
            executor.shutdown(wait=False, cancel_futures=True)
        threads.extend(_client_threads(client))
    for thread in threads:
        thread.join(WAIT)
    alive = [t.name for t in threads if t.is_alive()]
    assert not alive, f"client threads still running after close: {alive}"


def _sepia(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = rgb
    return (
        min(255, int(0.393 * r + 0.769 * g + 0.189 * b)),
        min(255, int(0.349 * r + 0.686 * g + 0.168 * b)),
        min(255, int(0.272 * r + 0.534 * g + 0.131 * b)),
    )


def _red_png(tmp_path: Path) -> Path:
    path = tmp_path / "red.png"
    path.write_bytes(_png.solid(4, 3, RED))
    return path


def _assert_sepia_png(path: str | Path) -> None:
    picture = _png.decode(Path(path).read_bytes())
    assert (picture.width, picture.height) == (4, 3)
    pixel = tuple(picture.rows[0][:3])
    assert pixel != RED
    assert pixel == _sepia(RED)
    assert all(bytes(row) == bytes(picture.rows[0]) for row in picture.rows)


def _sse_data(body: str) -> list[dict[str, Any]]:
    """The JSON of each ``data:`` frame of a ``/queue/data`` body, heartbeats left out."""
    messages = []
    for block in body.split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        assert block.startswith("data: "), block
        assert "\n" not in block, f"one line per frame expected: {block!r}"
        raw = block[len("data: ") :]
        message = json.loads(raw)
        # Compact JSON, as Gradio sends it.
        assert raw == json.dumps(message, separators=(",", ":"))
        if message["msg"] != "heartbeat":
            messages.append(message)
    return messages


def _join_and_read(base: str, fn_index: int, data: list[Any]) -> tuple[str, str]:
    """POST /queue/join then read the session's /queue/data stream: (event_id, raw body)."""
    session_hash = uuid.uuid4().hex
    joined = httpx.post(
        f"{base}/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session_hash},
        timeout=WAIT,
    )
    assert joined.status_code == 200, joined.text
    event_id: str = joined.json()["event_id"]
    with httpx.stream(
        "GET", f"{base}/queue/data", params={"session_hash": session_hash}, timeout=WAIT
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()
    return event_id, body


# -- loading -----------------------------------------------------------------------------


def test_client_reads_config_and_info(
    demo_server: MockServer, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested: list[str] = []
    original_get = httpx.get

    def recording_get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        requested.append(str(url))
        return original_get(url, *args, **kwargs)

    monkeypatch.setattr(httpx, "get", recording_get)
    client = connect(demo_server.url)
    monkeypatch.setattr(httpx, "get", original_get)

    assert requested == [
        f"{demo_server.url}/config",
        f"{demo_server.url}/gradio_api/info?serialize=False",
    ]
    assert client.config["version"] == "6.31.0"
    assert client.protocol == "sse_v3"
    assert client.src_prefixed == f"{demo_server.url}/gradio_api/"
    assert list(client._info["named_endpoints"]) == DEMO_ENDPOINTS
    assert [e.api_name for e in client.endpoints.values()] == DEMO_ENDPOINTS


# -- predict -----------------------------------------------------------------------------


def test_predict_one_input_one_output(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."


def test_predict_several_inputs_and_outputs_gives_a_tuple(
    demo_server: MockServer, connect: Connect
) -> None:
    client = connect(demo_server.url)
    result = client.predict("Hello", True, 5, api_name="/hello")
    assert result == ("Good morning Hello. It is 5 degrees today", -15.0)


def test_predict_by_fn_index(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    assert client.predict("Hello, world!", fn_index=0) == "Bonjour, le monde !"
    assert client.predict("Ann", False, 50, fn_index=1) == (
        "Good evening Ann. It is 50 degrees today",
        10.0,
    )


def test_predict_with_keyword_arguments(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    result = client.predict(temperature=41, name="Bo", is_morning=True, api_name="/hello")
    assert result == ("Good morning Bo. It is 41 degrees today", 5.0)


def test_predict_with_defaults_left_out(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    assert client.predict("Ann", api_name="/hello") == (
        "Good evening Ann. It is 0 degrees today",
        -17.78,
    )
    assert client.predict(name="Ann", is_morning=True, api_name="/hello") == (
        "Good morning Ann. It is 0 degrees today",
        -17.78,
    )


def test_predict_without_api_name_on_a_one_endpoint_app(
    start_server: StartServer, connect: Connect
) -> None:
    app = App("One endpoint")

    @app.api("shout")
    def shout(text: str) -> str:
        return text.upper()

    server = start_server(app, heartbeat=HEARTBEAT)
    client = connect(server.url)
    assert client.predict("quiet") == "QUIET"


# -- submit and streaming ----------------------------------------------------------------


def test_submit_generator_iterates_intermediate_values(
    demo_server: MockServer, connect: Connect
) -> None:
    client = connect(demo_server.url)
    job = client.submit("Hello!", api_name="/stream")
    expected = ["H", "He", "Hel", "Hell", "Hello", "Hello!"]
    assert list(job) == expected
    assert job.result(timeout=WAIT) == "Hello!"
    assert job.outputs() == expected
    status = job.status()
    assert status.code is Status.FINISHED
    assert status.success is True


def test_submit_plain_function(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    job = client.submit("Ann", True, 32, api_name="/hello")
    result = job.result(timeout=WAIT)
    assert result == ("Good morning Ann. It is 32 degrees today", 0.0)
    assert job.outputs() == [result]
    assert job.status().code is Status.FINISHED


def test_submit_result_callback_gets_the_outputs(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    received: list[tuple[Any, ...]] = []
    called = threading.Event()

    def callback(*values: Any) -> None:
        received.append(values)
        called.set()

    job = client.submit("Ann", True, 32, api_name="/hello", result_callbacks=callback)
    job.result(timeout=WAIT)
    assert called.wait(WAIT)
    assert received == [("Good morning Ann. It is 32 degrees today", 0.0)]


def test_several_jobs_of_one_client_at_once(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    jobs = [client.submit(f"text {i}", api_name="/stream") for i in range(3)]
    jobs.append(client.submit("Hello, my friend.", api_name="/predict"))
    assert [job.result(timeout=WAIT) for job in jobs] == [
        "text 0",
        "text 1",
        "text 2",
        "Bonjour, mon ami.",
    ]
    assert jobs[1].outputs() == ["text 1"[: i + 1] for i in range(len("text 1"))]


def test_queue_data_stream_sends_diffs_after_the_first_value(gradio_mock: MockServer) -> None:
    event_id, body = _join_and_read(gradio_mock.url + "/gradio_api", 2, ["Hello!"])
    assert "\r" not in body
    messages = _sse_data(body)
    assert [m["msg"] for m in messages] == [
        "estimation",
        "process_starts",
        *["process_generating"] * 6,
        "process_completed",
        "close_stream",
    ]
    estimation, starts, *generating, completed, close = messages
    assert estimation == {
        "msg": "estimation",
        "event_id": event_id,
        "rank": 0,
        "queue_size": 1,
        "rank_eta": None,
    }
    assert starts["event_id"] == event_id
    assert all(m["event_id"] == event_id and m["success"] is True for m in generating)
    assert all(m["output"]["is_generating"] is True for m in generating)
    assert [m["output"]["data"] for m in generating] == [
        ["H"],
        [[["append", [], "e"]]],
        [[["append", [], "l"]]],
        [[["append", [], "l"]]],
        [[["append", [], "o"]]],
        [[["append", [], "!"]]],
    ]
    assert completed["success"] is True
    assert completed["output"]["data"] == ["Hello!"]
    assert completed["output"]["is_generating"] is False
    assert close == {"msg": "close_stream", "event_id": None}


def test_queue_data_stream_of_a_plain_function_matches_the_trace(
    gradio_mock: MockServer,
) -> None:
    event_id, body = _join_and_read(gradio_mock.url + "/gradio_api", 0, ["Hello, my friend."])
    messages = _sse_data(body)
    assert [m["msg"] for m in messages] == [
        "estimation",
        "process_starts",
        "process_completed",
        "close_stream",
    ]
    completed = messages[2]
    # The keys of the trace's process_completed, in its order.
    assert list(completed) == [
        "msg",
        "event_id",
        "output",
        "success",
        "title",
        "used_cache",
        "cache_duration",
        "avg_time",
    ]
    assert completed["event_id"] == event_id
    assert list(completed["output"]) == [
        "data",
        "is_generating",
        "duration",
        "average_duration",
        "render_config",
        "changed_state_ids",
        "used_cache",
    ]
    assert completed["output"]["data"] == ["Bonjour, mon ami."]


# -- files -------------------------------------------------------------------------------


def test_handle_file_upload_and_download(
    demo_server: MockServer, connect: Connect, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    client = connect(demo_server.url, download_files=str(downloads))
    result = client.predict(handle_file(_red_png(tmp_path)), api_name="/image")
    assert isinstance(result, str)
    path = Path(result)
    assert path.is_file()
    assert downloads.resolve() in path.parents
    assert path.suffix == ".png"
    _assert_sepia_png(path)


def test_file_output_without_download_has_a_working_url(
    demo_server: MockServer, connect: Connect, tmp_path: Path
) -> None:
    client = connect(demo_server.url, download_files=False)
    result = client.predict(handle_file(_red_png(tmp_path)), api_name="/image")
    assert isinstance(result, dict)
    assert result["meta"] == {"_type": "gradio.FileData"}
    assert result["url"].startswith(f"{demo_server.url}/gradio_api/file=")
    response = httpx.get(result["url"], timeout=WAIT)
    assert response.status_code == 200
    _png.decode(response.content)  # a PNG
    assert response.content == Path(result["path"]).read_bytes()


def test_upload_of_a_non_png_fails_with_the_demo_message(
    demo_server: MockServer, connect: Connect, tmp_path: Path
) -> None:
    not_png = tmp_path / "notes.txt"
    not_png.write_text("not an image")
    client = connect(demo_server.url)
    with pytest.raises(AppError, match="reads 8-bit PNG files"):
        client.predict(handle_file(not_png), api_name="/image")


# -- errors ------------------------------------------------------------------------------


def test_error_reaches_the_client_as_app_error(start_server: StartServer, connect: Connect) -> None:
    client = connect(start_server(failing_app(), heartbeat=HEARTBEAT).url)
    with pytest.raises(AppError) as caught:
        client.predict("x", api_name="/fail")
    assert caught.value.message == "custom failure: x"
    assert str(caught.value) == "custom failure: x"
    assert caught.value.title == "Error"
    assert caught.value.duration == 10
    assert caught.value.visible is True


def test_error_title_and_duration_reach_the_client(
    start_server: StartServer, connect: Connect
) -> None:
    client = connect(start_server(failing_app(), heartbeat=HEARTBEAT).url)
    job = client.submit("x", api_name="/fail_titled")
    with pytest.raises(AppError) as caught:
        job.result(timeout=WAIT)
    assert caught.value.message == "with a title"
    assert caught.value.title == "Oops"
    assert caught.value.duration is None
    status = job.status()
    assert status.code is Status.FINISHED
    assert status.success is False


def test_unexpected_exception_is_hidden_by_default(
    start_server: StartServer, connect: Connect
) -> None:
    server = start_server(failing_app(), heartbeat=HEARTBEAT)
    client = connect(server.url)
    with pytest.raises(AppError) as caught:
        client.predict("x", api_name="/crash")
    assert "show_error=True" in caught.value.message
    assert "secret" not in caught.value.message
    errors = server.take_errors()
    assert [type(e) for e in errors] == [ValueError]
    # The client keeps working after a failure.
    with pytest.raises(AppError, match="custom failure: y"):
        client.predict("y", api_name="/fail")


def test_unexpected_exception_is_shown_with_show_error(
    start_server: StartServer, connect: Connect
) -> None:
    server = start_server(failing_app(), heartbeat=HEARTBEAT, show_error=True)
    client = connect(server.url)
    assert client.config["show_error"] is True
    with pytest.raises(AppError) as caught:
        client.predict("x", api_name="/crash")
    assert "secret internals" in caught.value.message
    assert len(server.take_errors()) == 1


# -- cancelling --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_name", "stopped"), [("/forever", "async_stopped"), ("/forever_sync", "sync_stopped")]
)
def test_cancel_stops_the_generator_on_the_server(
    start_server: StartServer, connect: Connect, api_name: str, stopped: str
) -> None:
    endless = endless_app()
    server = start_server(endless.app, heartbeat=HEARTBEAT)
    client = connect(server.url)
    job = client.submit("tick", api_name=api_name)
    assert next(job) == "tick 1"
    assert next(job) == "tick 2"
    assert job.cancel() is True
    assert getattr(endless, stopped).wait(WAIT), "the generator kept running after cancel"
    _assert_cancelled(job)
    assert job.status().code is Status.CANCELLED
    # Nothing of the cancelled job is left running on the server.
    server.run(asyncio.wait_for(_no_running_jobs(server), WAIT), timeout=WAIT + 1)


def _assert_cancelled(job: Any) -> None:
    """How a cancelled job ends depends on a race inside the client: its cancel watcher
    raises ``CancelledError`` (after POST /reset, polling every 50 ms), its stream reader
    returns the ``process_completed`` the server sends for the cancelled job. gradio-mock
    makes that message an error saying "Cancelled.", so either way the reason is clear."""
    with pytest.raises((concurrent.futures.CancelledError, AppError)) as caught:
        job.result(timeout=WAIT)
    if isinstance(caught.value, AppError):
        assert caught.value.message == "Cancelled."


async def _no_running_jobs(server: MockServer) -> None:
    while server.state.queue._tasks:
        await asyncio.sleep(0.01)


# -- auth --------------------------------------------------------------------------------

TOKEN = "hf_mockTokenForTests0123456789"


def test_client_with_token_works(start_server: StartServer, connect: Connect) -> None:
    server = start_server(token=TOKEN, heartbeat=HEARTBEAT)
    client = connect(server.url, token=TOKEN)
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    assert list(client.submit("Hi!", api_name="/stream")) == ["H", "Hi", "Hi!"]


def test_client_with_token_uploads_and_downloads(
    start_server: StartServer, connect: Connect, tmp_path: Path
) -> None:
    server = start_server(token=TOKEN, heartbeat=HEARTBEAT)
    client = connect(server.url, token=TOKEN)
    _assert_sepia_png(client.predict(handle_file(_red_png(tmp_path)), api_name="/image"))


def test_client_without_token_fails_with_authentication_error(
    start_server: StartServer, connect: Connect
) -> None:
    """``Client()`` itself raises ``gradio_client.exceptions.AuthenticationError``: /config
    answers 401 and the client says so ("credentials were not provided")."""
    server = start_server(token=TOKEN, heartbeat=HEARTBEAT)
    with pytest.raises(AuthenticationError, match="credentials were not provided"):
        connect(server.url)
    with pytest.raises(AuthenticationError):
        connect(server.url, token="hf_wrongToken")


# -- view_api ----------------------------------------------------------------------------


def test_view_api_prints_the_endpoints(
    demo_server: MockServer, connect: Connect, capsys: pytest.CaptureFixture[str]
) -> None:
    client = connect(demo_server.url)
    capsys.readouterr()
    assert client.view_api() is None
    printed = capsys.readouterr().out
    assert "Named API endpoints: 5" in printed
    for api_name in DEMO_ENDPOINTS:
        assert f'api_name="{api_name}"' in printed
    assert 'predict(name, is_morning, temperature, api_name="/hello")' in printed
    assert "[Slider] temperature: float (not required, defaults to:   0)" in printed
    assert "[Image] image: filepath (required)" in printed


def test_view_api_as_str_and_dict(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    text = client.view_api(print_info=False, return_format="str")
    assert isinstance(text, str)
    assert text.startswith("Client.predict() Usage Info")
    info = client.view_api(print_info=False, return_format="dict")
    assert isinstance(info, dict)
    assert list(info["named_endpoints"]) == DEMO_ENDPOINTS
    assert info["unnamed_endpoints"] == {}
    hello = info["named_endpoints"]["/hello"]
    assert [p["parameter_name"] for p in hello["parameters"]] == [
        "name",
        "is_morning",
        "temperature",
    ]
    assert [p["parameter_has_default"] for p in hello["parameters"]] == [False, True, True]
    assert [r["component"] for r in hello["returns"]] == ["Textbox", "Number"]


# -- sessions ----------------------------------------------------------------------------


def test_two_clients_keep_their_chat_histories_apart(
    demo_server: MockServer, connect: Connect
) -> None:
    first = connect(demo_server.url)
    second = connect(demo_server.url)
    assert first.session_hash != second.session_hash
    assert first.predict("a", api_name="/chat").endswith("(0 earlier messages in this session)")
    assert first.predict("b", api_name="/chat").endswith("(2 earlier messages in this session)")
    assert second.predict("c", api_name="/chat") == (
        "You said: c (0 earlier messages in this session)"
    )
    assert first.predict("d", api_name="/chat").endswith("(4 earlier messages in this session)")
    assert second.predict("e", api_name="/chat").endswith("(2 earlier messages in this session)")


def test_reset_session_starts_a_new_history(demo_server: MockServer, connect: Connect) -> None:
    client = connect(demo_server.url)
    client.predict("a", api_name="/chat")
    assert client.predict("b", api_name="/chat").endswith("(2 earlier messages in this session)")
    client.reset_session()
    assert client.predict("c", api_name="/chat").endswith("(0 earlier messages in this session)")


# -- queue full --------------------------------------------------------------------------


def test_full_queue_raises_queue_error(start_server: StartServer, connect: Connect) -> None:
    blocking = blocking_app(max_queue_size=1)
    server = start_server(blocking.app, heartbeat=HEARTBEAT)
    try:
        client = connect(server.url)
        running = client.submit("a", api_name="/block")
        assert blocking.started.wait(WAIT)
        # One job waits behind the running one: the queue (size 1) is now full.
        waiting = httpx.post(
            f"{server.url}/gradio_api/queue/join",
            json={"data": ["b"], "fn_index": 0, "session_hash": "other-session"},
            timeout=WAIT,
        )
        assert waiting.status_code == 200, waiting.text
        with pytest.raises(QueueError, match="Queue is full"):
            client.predict("c", api_name="/block")
        refused = httpx.post(
            f"{server.url}/gradio_api/queue/join",
            json={"data": ["d"], "fn_index": 0, "session_hash": "other-session"},
            timeout=WAIT,
        )
        assert refused.status_code == 503
        assert refused.json() == {"detail": "Queue is full."}
    finally:
        blocking.release.set()
    assert running.result(timeout=WAIT) == "done a"
    # Room again once the queue has drained.
    assert client.predict("e", api_name="/block") == "done e"


# -- root path and Gradio 4 --------------------------------------------------------------


def test_root_path_predict_and_file_download(
    start_server: StartServer, connect: Connect, tmp_path: Path
) -> None:
    server = start_server(root_path="/myapp", heartbeat=HEARTBEAT)
    base = f"{server.url}/myapp"
    client = connect(base + "/")
    assert client.config["root"] == base
    assert client.src_prefixed == f"{base}/gradio_api/"
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    assert list(client.submit("Hey", api_name="/stream")) == ["H", "He", "Hey"]
    _assert_sepia_png(client.predict(handle_file(_red_png(tmp_path)), api_name="/image"))

    raw = connect(base + "/", download_files=False)
    file_data = raw.predict(handle_file(_red_png(tmp_path)), api_name="/image")
    assert file_data["url"].startswith(f"{base}/gradio_api/file=")
    response = httpx.get(file_data["url"], timeout=WAIT)
    assert response.status_code == 200
    _png.decode(response.content)


def test_gradio_version_4_predict_stream_upload(
    start_server: StartServer, connect: Connect, tmp_path: Path
) -> None:
    server = start_server(gradio_version=4, heartbeat=HEARTBEAT)
    client = connect(server.url)
    assert client.config["version"] == "4.44.1"
    assert "api_prefix" not in client.config
    assert client.src_prefixed == f"{server.url}/"
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    assert client.predict("Ann", fn_index=1) == ("Good evening Ann. It is 0 degrees today", -17.78)
    job = client.submit("Hello", api_name="/stream")
    assert list(job) == ["H", "He", "Hel", "Hell", "Hello"]
    assert job.result(timeout=WAIT) == "Hello"
    _assert_sepia_png(client.predict(handle_file(_red_png(tmp_path)), api_name="/image"))
    assert client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_gradio_version_4_cancel(start_server: StartServer, connect: Connect) -> None:
    endless = endless_app()
    server = start_server(endless.app, gradio_version=4, heartbeat=HEARTBEAT)
    client = connect(server.url)
    job = client.submit("tick", api_name="/forever")
    assert next(job) == "tick 1"
    job.cancel()
    assert endless.async_stopped.wait(WAIT)
    _assert_cancelled(job)


# -- the routes the client relies on, seen raw -------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "?serialize=False", "?all_endpoints=True", "?serialize=False&all_endpoints=True"]
)
def test_info_answers_with_and_without_query(gradio_mock: MockServer, query: str) -> None:
    response = httpx.get(f"{gradio_mock.url}/gradio_api/info{query}", timeout=WAIT)
    assert response.status_code == 200
    info = response.json()
    assert list(info) == ["named_endpoints", "unnamed_endpoints"]
    assert list(info["named_endpoints"]) == DEMO_ENDPOINTS
    parameter = info["named_endpoints"]["/predict"]["parameters"][0]
    assert list(parameter) == [
        "label",
        "parameter_name",
        "parameter_has_default",
        "parameter_default",
        "type",
        "python_type",
        "component",
        "example_input",
    ]
    assert parameter["type"] == {"type": "string"}
    assert parameter["python_type"] == {"type": "str", "description": ""}


def test_heartbeat_first_frame_is_alive(gradio_mock: MockServer) -> None:
    url = f"{gradio_mock.url}/gradio_api/heartbeat/{uuid.uuid4()}"
    with httpx.stream("GET", url, timeout=WAIT) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == "data: ALIVE"
        assert next(lines) == ""


@pytest.mark.parametrize("route", ["cancel", "reset"])
def test_cancel_and_reset_answer_json(gradio_mock: MockServer, route: str) -> None:
    body = {"event_id": uuid.uuid4().hex, "session_hash": "s", "fn_index": 0}
    for prefix in ("", "/gradio_api"):
        response = httpx.post(f"{gradio_mock.url}{prefix}/{route}", json=body, timeout=WAIT)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        answer = response.json()
        assert list(answer) == ["success"]
        assert isinstance(answer["success"], bool)
        if route == "reset":  # as real Gradio: no running iterator with that id
            assert answer["success"] is False


def test_cancel_of_a_running_job_ends_its_stream(start_server: StartServer) -> None:
    endless = endless_app()
    server = start_server(endless.app)
    base = f"{server.url}/gradio_api"
    session_hash = uuid.uuid4().hex
    joined = httpx.post(
        f"{base}/queue/join",
        json={"data": ["x"], "fn_index": 0, "session_hash": session_hash},
        timeout=WAIT,
    )
    event_id = joined.json()["event_id"]
    lines: list[str] = []
    cancelled = False
    with httpx.stream(
        "GET", f"{base}/queue/data", params={"session_hash": session_hash}, timeout=WAIT
    ) as response:
        for line in response.iter_lines():
            lines.append(line)
            if not cancelled and line.startswith('data: {"msg":"process_generating"'):
                cancelled = True
                cancel = httpx.post(
                    f"{base}/cancel",
                    json={"event_id": event_id, "session_hash": session_hash, "fn_index": 0},
                    timeout=WAIT,
                )
                assert cancel.json() == {"success": True}
    assert cancelled
    assert endless.async_stopped.wait(WAIT)
    messages = _sse_data("\n".join(lines))
    assert [m["msg"] for m in messages[:3]] == [
        "estimation",
        "process_starts",
        "process_generating",
    ]
    assert messages[-1] == {"msg": "close_stream", "event_id": None}
    completed = messages[-2]
    assert completed["msg"] == "process_completed"
    assert completed["event_id"] == event_id
    assert completed["success"] is False
