"""``--faithful``: each profile behaves as its Gradio version where gradio-mock is kinder.

The first half records gradio-mock ``--faithful --gradio-version N`` serving ``mock_app.py``
with ``capture.py``'s own code (so both sides are read and normalised alike) and compares
the recorded answers with real Gradio's in ``tests/reference/gradio-<version>/``. The second
half shows what the captures do not: the default (kind) mode unchanged, piece by piece, and
details of the faithful mode (the values a call runs with, the cancel's ``/call`` ending).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server._cli import build_parser
from tests.apps import Controls, make_app
from tests.conftest import StartServer
from tests.reference.capture import capture_mock
from tests.sse import HTTP, bounded_lines

REFERENCE = Path(__file__).parent / "reference"
VERSIONS = [(4, "4.44.1"), (5, "5.50.0"), (6, "6.31.0")]


@pytest.fixture(scope="module", params=VERSIONS, ids=["4.44.1", "5.50.0", "6.31.0"])
def recorded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """(ours under --faithful, Gradio's) capture folders of one version."""
    major, version = request.param
    out = tmp_path_factory.mktemp(f"faithful-{major}")
    capture_mock(major, out, faithful=True)
    return out, REFERENCE / f"gradio-{version}"


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text())


# -- against the captures --------------------------------------------------------------


@pytest.mark.parametrize(
    "case", ["too few inputs", "too many inputs", "queue: too few inputs", "queue: too many inputs"]
)
def test_input_counts_as_gradio(recorded: tuple[Path, Path], case: str) -> None:
    """Too few: ``event: error`` with ``data: null`` (4.44, 5.50) or ``{"error": null}``
    (6.31); on the queue ``process_starts``, then a failed ``process_completed``. Too many:
    the extra value dropped, the call run."""
    ours, theirs = recorded
    assert load(ours, "errors.json")[case] == load(theirs, "errors.json")[case]


def test_a_body_that_is_not_json_is_refused_in_the_version_s_words(
    recorded: tuple[Path, Path],
) -> None:
    ours, theirs = recorded
    case = "body is not JSON"
    assert load(ours, "errors.json")[case] == load(theirs, "errors.json")[case]


def test_an_unknown_event_breaks_the_connection(recorded: tuple[Path, Path]) -> None:
    ours, theirs = recorded
    case = "unknown event_id"
    assert load(ours, "errors.json")[case] == load(theirs, "errors.json")[case]


def test_reading_a_finished_event_again_hangs(recorded: tuple[Path, Path]) -> None:
    ours, theirs = recorded
    case = "finished event read again"
    assert load(ours, "errors.json")[case] == load(theirs, "errors.json")[case]


@pytest.mark.parametrize("case", ["unknown api_name", "queue: unknown fn_index"])
def test_unknown_endpoint_is_a_500(recorded: tuple[Path, Path], case: str) -> None:
    ours, theirs = recorded
    assert load(ours, "errors.json")[case] == load(theirs, "errors.json")[case]


@pytest.mark.parametrize(
    "name", ["call/boom.json", "call/crash.json", "queue/boom.json", "call/chat.json"]
)
def test_errors_have_the_version_s_shape(recorded: tuple[Path, Path], name: str) -> None:
    """``gr.Error`` and an unexpected exception: ``data: null`` on ``/call`` in 4.44 and
    5.50; 4.44's ``gr.Error`` message in quotes on ``/queue/data``. A ``/call`` of /chat
    without its state's value: an error in 4.44 and 5.50, run in 6.31."""
    ours, theirs = recorded
    assert load(ours, name) == load(theirs, name)


def etas(capture: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (m["msg"], m.get("rank_eta", m.get("eta")))
        for m in capture["data"]["messages"]
        if m.get("msg") in ("estimation", "process_starts")
    ]


@pytest.mark.parametrize(
    "endpoint", ["predict", "hello", "stream", "boom", "crash", "count", "file", "image", "chat"]
)
def test_queue_etas_as_gradio(recorded: tuple[Path, Path], endpoint: str) -> None:
    """An endpoint's ETAs are its average successful run (``null`` before the first
    success: ``/boom`` and ``/crash`` never have one, nor ``/chat`` in 4.44 and 5.50, whose
    ``/call`` without the state's value fails); the capture keeps floats as ``<float>``."""
    ours, theirs = recorded
    name = f"queue/{endpoint}.json"
    assert etas(load(ours, name)) == etas(load(theirs, name))


def test_cancel_and_reset_as_gradio(recorded: tuple[Path, Path]) -> None:
    """``/cancel`` ends a running generator with an empty successful ``process_completed``;
    an unknown event is a success too; ``/reset`` stops nothing."""
    ours, theirs = recorded
    assert load(ours, "cancel.json") == load(theirs, "cancel.json")


def test_route_forms_as_gradio(recorded: tuple[Path, Path]) -> None:
    """4.44 only at the root, 5 and 6 only under ``/gradio_api`` (``/config`` at the root);
    ``/call/v2`` is a 405 before 6."""
    ours, theirs = recorded
    assert load(ours, "routes.json") == load(theirs, "routes.json")


# -- in process: the default mode unchanged, and what the captures do not show ------------


@pytest.fixture
def servers(start_server: StartServer) -> Iterator[Any]:
    """``start(version, faithful)``: a server of ``make_app()`` (heartbeats every 0.2 s) and
    its gates, all opened at the end of the test."""
    opened: list[Controls] = []

    def start(version: int, faithful: bool) -> tuple[str, Controls]:
        app, controls = make_app()
        opened.append(controls)
        server = start_server(app, gradio_version=version, faithful=faithful, heartbeat=0.2)
        return server.url, controls

    yield start
    for controls in opened:
        controls.open_all()


def call(url: str, api: str, data: list[Any]) -> tuple[str, str]:
    """POST then GET one call; the event id and the whole body of its stream."""
    post = HTTP.post(f"{url}/call/{api}", json={"data": data})
    assert post.status_code == 200, post.text
    event_id = post.json()["event_id"]
    return event_id, read(f"{url}/call/{api}/{event_id}")


def read(url: str) -> str:
    with HTTP.stream("GET", url) as response:
        return "\n".join(bounded_lines(response, 10))


def heartbeats_only(url: str, count: int = 3) -> list[str]:
    """The lines of a stream up to its ``count``-th heartbeat (bounded)."""
    lines: list[str] = []
    with HTTP.stream("GET", url, timeout=httpx.Timeout(10, read=5)) as response:
        assert response.status_code == 200
        for line in bounded_lines(response, 10):
            if line:
                lines.append(line)
            if lines.count("event: heartbeat") >= count and line == "data: null":
                break
    return lines


# 1. input counts


@pytest.mark.parametrize("version", [4, 6])
def test_default_input_counts_are_errors_that_say_why(servers: Any, version: int) -> None:
    url, _ = servers(version, False)
    _, few = call(url, "hello", ["Hello"])
    assert "event: error" in few and "expects 3 inputs" in few
    _, many = call(url, "predict", ["Hello, my friend.", "extra"])
    assert "event: error" in many and "expects 1 input" in many


def test_faithful_runs_a_call_with_the_first_inputs(servers: Any) -> None:
    url, _ = servers(4, True)
    _, body = call(url, "sync_fn", ["abc", "dropped", 3])
    assert body == 'event: complete\ndata: ["ABC"]\n'


# 2. reading a finished event again


def test_default_reread_replays_then_closes(servers: Any) -> None:
    url, _ = servers(4, False)
    event_id, first = call(url, "predict", ["Hello, my friend."])
    again = read(f"{url}/call/predict/{event_id}")
    assert again == first == 'event: complete\ndata: ["Bonjour, mon ami."]\n'


def test_faithful_reread_after_a_live_read_hangs(servers: Any) -> None:
    """A stream that was open while the job ran (not the one-write answer) is the read that
    delivered it: the next read gets heartbeats only."""
    url, controls = servers(6, True)
    event_id = HTTP.post(f"{url}/gradio_api/call/steps", json={"data": ["x"]}).json()["event_id"]
    events_url = f"{url}/gradio_api/call/steps/{event_id}"
    lines = []
    with HTTP.stream("GET", events_url) as response:
        for line in bounded_lines(response, 10):
            lines.append(line)
            if line == 'data: ["x"]':
                controls.steps.open()
    assert lines[-3:] == ["event: complete", 'data: ["xx"]', ""]
    assert heartbeats_only(events_url) == ["event: heartbeat", "data: null"] * 3


# unknown event ids


def test_default_unknown_event_is_a_404_that_says_why(servers: Any) -> None:
    url, _ = servers(4, False)
    response = HTTP.get(f"{url}/call/predict/{'0' * 32}")
    assert response.status_code == 404
    assert response.json()["detail"].startswith(f"No event {'0' * 32}: it never existed here")


def test_faithful_unknown_event_breaks_only_its_connection(servers: Any) -> None:
    url, _ = servers(4, True)
    events_url = f"{url}/call/predict/{'0' * 32}"
    with (
        httpx.Client(timeout=10) as client,
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("GET", events_url) as response,
    ):
        assert response.status_code == 200
        for _ in bounded_lines(response, 10):
            pass
    _, body = call(url, "predict", ["Hello, my friend."])
    assert body == 'event: complete\ndata: ["Bonjour, mon ami."]\n'


# 3. unknown endpoints


def test_default_unknown_endpoint_is_a_404_that_lists_them(servers: Any) -> None:
    url, _ = servers(6, False)
    response = HTTP.post(f"{url}/gradio_api/call/nope", json={"data": ["x"]})
    assert response.status_code == 404
    assert "Available endpoints: /predict" in response.json()["detail"]
    join = {"data": ["x"], "fn_index": 999, "session_hash": "s"}
    response = HTTP.post(f"{url}/gradio_api/queue/join", json=join)
    assert response.status_code == 404


def test_faithful_unknown_named_call_is_a_500(servers: Any) -> None:
    url, _ = servers(6, True)
    response = HTTP.post(f"{url}/gradio_api/call/v2/nope", json={})
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Internal Server Error"


# 4. error shapes


@pytest.mark.parametrize("version", [4, 5])
def test_default_error_on_call_carries_its_message(servers: Any, version: int) -> None:
    url, _ = servers(version, False)
    _, body = call(url, "boom", ["x"])
    payload = {"error": "custom failure", "duration": 10, "visible": True, "title": "Error"}
    assert body == f"event: error\ndata: {json.dumps(payload)}\n"


# 5. cancel and reset


def test_default_cancel_ends_with_an_error_and_says_if_it_found_the_event(servers: Any) -> None:
    url, controls = servers(4, False)
    assert HTTP.post(f"{url}/cancel", json={"event_id": "0" * 32}).json() == {"success": False}
    post = HTTP.post(f"{url}/call/steps", json={"data": ["x"]})
    event_id = post.json()["event_id"]
    controls.steps.wait_entered()
    assert HTTP.post(f"{url}/reset", json={"event_id": event_id}).json() == {"success": True}
    body = read(f"{url}/call/steps/{event_id}")
    assert body.endswith(
        'event: error\ndata: {"error": "Cancelled.", "duration": 10, '
        '"visible": true, "title": "Error"}\n'
    )


def test_faithful_cancel_ends_a_call_as_a_success_without_outputs(servers: Any) -> None:
    """Not in the captures (they cancel on the queue): the ``/call`` stream of a cancelled
    job ends with ``event: complete`` and the ``{}`` Gradio's ``process_completed`` carries."""
    url, controls = servers(4, True)
    post = HTTP.post(f"{url}/call/steps", json={"data": ["x"]})
    event_id = post.json()["event_id"]
    controls.steps.wait_entered()
    assert HTTP.post(f"{url}/cancel", json={"event_id": event_id}).json() == {"success": True}
    body = read(f"{url}/call/steps/{event_id}")
    assert body == 'event: generating\ndata: ["x"]\n\nevent: complete\ndata: {}\n'


# 6. route forms


def test_default_serves_both_route_forms(servers: Any) -> None:
    url, _ = servers(4, False)
    assert HTTP.get(f"{url}/info").status_code == 200
    assert HTTP.get(f"{url}/gradio_api/info").status_code == 200
    response = HTTP.post(f"{url}/call/v2/echo", json={"x": "hi"})
    assert response.status_code == 200 and "event_id" in response.json()


@pytest.mark.parametrize("root_path", ["", "/app"])
def test_faithful_route_forms_behind_a_root_path(start_server: StartServer, root_path: str) -> None:
    app, _ = make_app(with_demos=True)
    url = start_server(app, gradio_version=5, faithful=True, root_path=root_path).url + root_path
    assert HTTP.get(f"{url}/config").status_code == 200
    assert HTTP.get(f"{url}/gradio_api/info").status_code == 200
    assert HTTP.get(f"{url}/info").status_code == 404
    assert HTTP.get(f"{url}/gradio_api/config").status_code == 404
    assert HTTP.post(f"{url}/call/predict", json={"data": ["x"]}).status_code == 404
    assert HTTP.get(f"{url}/").status_code == 200  # the page stays


# -- the switch ------------------------------------------------------------------------


def test_switch_from_the_command_line_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADIO_MOCK_FAITHFUL", raising=False)
    assert build_parser().parse_args([]).faithful is False
    assert build_parser().parse_args(["--faithful"]).faithful is True
    monkeypatch.setenv("GRADIO_MOCK_FAITHFUL", "1")
    assert build_parser().parse_args([]).faithful is True
    monkeypatch.setenv("GRADIO_MOCK_FAITHFUL", "0")
    assert build_parser().parse_args([]).faithful is False
    assert "GRADIO_MOCK_FAITHFUL" in " ".join(build_parser().format_help().split())
