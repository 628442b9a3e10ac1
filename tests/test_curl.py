"""Gradio's "Querying Gradio Apps with Curl" guide, run with the real ``curl`` binary.

Each expected byte string below is what real Gradio 6.31 sent for the same request (see
/work/shared/reference/gradio-6.31-curl.txt), except where PROTOCOL.md says we deliberately
differ (wrong input counts, unknown api names, sessions of our own /chat demo).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demos import _png
from server.pytest_plugin import MockServer
from tests.apps import Controls, make_app
from tests.conftest import StartServer

CURL = shutil.which("curl")
assert CURL is not None, "these tests need the curl binary"

EVENT_ID = re.compile(r'^\{"event_id":"[0-9a-f]{32}"\}$')
SSE = "text/event-stream; charset=utf-8"
JSON_TYPE = "application/json"
#: The reference snippets (gradio-6.31-info.json) name the server they were captured from.
REFERENCE_URL = "http://127.0.0.1:7861"


@dataclass
class Curl:
    status: int
    content_type: str
    body: str


def curl(*args: str, timeout: float = 20) -> Curl:
    """``curl -s -N ARGS``: the body from stdout, the status and content type from stderr."""
    assert CURL is not None
    write_out = "%{stderr}%{http_code} %{content_type}"
    result = subprocess.run(
        [CURL, "-s", "-N", "--max-time", str(timeout), "-w", write_out, *args],
        capture_output=True,
        timeout=timeout + 5,
        check=True,
    )
    status, _, content_type = result.stderr.decode().partition(" ")
    return Curl(int(status), content_type, result.stdout.decode())


def post(url: str, body: str) -> Curl:
    """The guide's POST: ``curl -X POST URL -H "Content-Type: application/json" -d BODY``."""
    return curl("-X", "POST", url, "-H", "Content-Type: application/json", "-d", body)


def start(base: str, api: str, body: str) -> str:
    response = post(f"{base}/call/{api}", body)
    assert (response.status, response.content_type) == (200, JSON_TYPE)
    assert EVENT_ID.match(response.body), response.body
    event_id: str = json.loads(response.body)["event_id"]
    return event_id


def events(base: str, api: str, event_id: str) -> str:
    """The guide's GET: ``curl -N URL/call/API/EVENT_ID``; checks the content type."""
    response = curl(f"{base}/call/{api}/{event_id}")
    assert (response.status, response.content_type) == (200, SSE)
    return response.body


def run(base: str, api: str, body: str) -> str:
    return events(base, api, start(base, api, body))


def bash(script: str, timeout: float = 30) -> str:
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, timeout=timeout, check=True, text=True
    )
    return result.stdout


@dataclass
class Ref:
    server: MockServer
    controls: Controls


@pytest.fixture
def ref(start_server: StartServer) -> Iterator[Ref]:
    app, controls = make_app()
    yield Ref(start_server(app), controls)
    controls.open_all()


@pytest.fixture(params=["", "/gradio_api"], ids=["root", "gradio_api"])
def base(request: pytest.FixtureRequest, ref: Ref) -> str:
    """The API's base URL, in the 4.x form (root) and the 5/6 form (/gradio_api)."""
    return ref.server.url + str(request.param)


# -- the guide's examples, byte for byte -------------------------------------------------


def test_predict_one_input_one_output(base: str) -> None:
    body = run(base, "predict", '{"data": ["Hello, my friend."]}')
    assert body == 'event: complete\ndata: ["Bonjour, mon ami."]\n\n'


def test_hello_three_inputs_two_outputs(base: str) -> None:
    body = run(base, "hello", '{"data": ["Hello", true, 5]}')
    assert body == 'event: complete\ndata: ["Good morning Hello. It is 5 degrees today", -15.0]\n\n'


def test_stream_sends_generating_frames_then_complete(base: str) -> None:
    body = run(base, "stream", '{"data": ["Hello!"]}')
    prefixes = ["H", "He", "Hel", "Hell", "Hello", "Hello!"]
    expected = "".join(f'event: generating\ndata: ["{p}"]\n\n' for p in prefixes)
    assert body == expected + 'event: complete\ndata: ["Hello!"]\n\n'


def test_error_raised_with_server_error_is_shown(base: str) -> None:
    body = run(base, "boom", '{"data": ["x"]}')
    assert body == (
        "event: error\n"
        'data: {"error": "custom failure", "duration": 10, "visible": true, "title": "Error"}\n\n'
    )


def test_unexpected_exception_is_hidden(base: str, ref: Ref) -> None:
    body = run(base, "crash", '{"data": ["x"]}')
    assert body == 'event: error\ndata: {"error": null}\n\n'
    assert "secret internals" not in body
    [error] = ref.server.take_errors()
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            '{"dat": ["x"]}',
            '{"detail":[{"type":"missing","loc":["body","data"],"msg":"Field required",'
            '"input":{"dat":["x"]}}]}',
        ),
        (
            '{"data": "x"}',
            '{"detail":[{"type":"list_type","loc":["body","data"],'
            '"msg":"Input should be a valid list","input":"x"}]}',
        ),
        (
            "not json",
            '{"detail":[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error",'
            '"input":{},"ctx":{"error":"Expecting value"}}]}',
        ),
    ],
    ids=["missing-data", "data-not-a-list", "not-json"],
)
def test_bad_bodies_get_gradios_422(base: str, payload: str, expected: str) -> None:
    response = post(f"{base}/call/predict", payload)
    assert (response.status, response.content_type, response.body) == (422, JSON_TYPE, expected)


def test_heartbeats_while_a_slow_function_runs(start_server: StartServer) -> None:
    """GRADIO_HEARTBEAT_INTERVAL's effect, read by ``curl -N`` as it arrives."""
    app, controls = make_app()
    server = start_server(app, heartbeat=0.2)
    event_id = start(server.url + "/gradio_api", "slow", '{"data": ["x"]}')
    assert CURL is not None
    url = f"{server.url}/gradio_api/call/slow/{event_id}"
    with subprocess.Popen(
        [CURL, "-s", "-N", "--max-time", "20", url], stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        received = []
        try:
            while received.count("event: heartbeat\n") < 2:
                line = process.stdout.readline()
                assert line, f"the stream closed early: {received}"
                received.append(line)
            controls.slow.open()
            received.extend(process.stdout)
        finally:
            controls.open_all()
        assert process.wait(10) == 0
    body = "".join(received)
    heartbeat = "event: heartbeat\ndata: null\n\n"
    complete = 'event: complete\ndata: ["x"]\n\n'
    assert body.endswith(complete)
    beats = body[: -len(complete)]
    assert len(beats) >= 2 * len(heartbeat)
    assert beats == heartbeat * (len(beats) // len(heartbeat))


# -- the guide's two-step shell recipes --------------------------------------------------


def test_guide_recipe_with_awk_and_read(ref: Ref) -> None:
    """The guide's one-liner; ``lastpipe`` lets bash's ``read`` set the variable (zsh does)."""
    url = ref.server.url + "/gradio_api"
    out = bash(
        "shopt -s lastpipe\n"
        f"curl -X POST {url}/call/predict -s -H 'Content-Type: application/json' "
        """-d '{"data": ["Hello, my friend."]}' \\\n"""
        """  | awk -F'"' '{ print $4}' \\\n"""
        f"  | read EVENT_ID; curl -N -s {url}/call/predict/$EVENT_ID"
    )
    assert out == 'event: complete\ndata: ["Bonjour, mon ami."]\n\n'


def test_guide_recipe_with_command_substitution(ref: Ref) -> None:
    out = bash(
        f"URL={ref.server.url}\n"
        'EVENT_ID=$(curl -s -X POST "$URL/call/hello" -H "Content-Type: application/json" '
        """-d '{"data": ["Hello", true, 5]}' | awk -F'"' '{ print $4}')\n"""
        'curl -s -N "$URL/call/hello/$EVENT_ID"'
    )
    assert out == 'event: complete\ndata: ["Good morning Hello. It is 5 degrees today", -15.0]\n\n'


def _reference_snippet(api: str, url: str) -> str:
    info = json.loads((Path(__file__).parent / "reference" / "gradio-6.31-info.json").read_text())
    snippet: str = info["named_endpoints"][f"/{api}"]["code_snippets"]["bash"]
    return "shopt -s lastpipe\n" + snippet.replace(REFERENCE_URL, url).replace(
        "curl -N ", "curl -s -N "
    )


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("predict", 'event: complete\ndata: ["Bonjour!!"]\n\n'),
        (
            "hello",
            'event: complete\ndata: ["Good evening Hello!!. It is 0 degrees today", -17.78]\n\n',
        ),
        (
            "boom",
            'event: error\ndata: {"error": "custom failure", "duration": 10, '
            '"visible": true, "title": "Error"}\n\n',
        ),
    ],
)
def test_view_api_bash_snippet_of_gradio_6(ref: Ref, api: str, expected: str) -> None:
    """The `bash` code snippet of Gradio 6's API page (``/call/v2`` with named arguments)."""
    assert bash(_reference_snippet(api, ref.server.url)) == expected


def test_view_api_bash_snippet_for_a_file_upload(ref: Ref, tmp_path: Path) -> None:
    picture = tmp_path / "red.png"
    picture.write_bytes(_png.solid(2, 2, (255, 0, 0)))
    script = _reference_snippet("image", ref.server.url)
    script = script.replace("/path/to/your/file", str(picture)).replace('{"img":', '{"image":')
    event, _, data = bash(script).partition("\ndata: ")
    assert event == "event: complete"
    [output] = json.loads(data)
    assert output["meta"] == {"_type": "gradio.FileData"}
    assert output["url"].startswith(f"{ref.server.url}/gradio_api/file=")
    assert output["orig_name"].endswith(".png")


# -- what we do where Gradio is vague or broken ---------------------------------------


def test_same_session_hash_shares_history(ref: Ref) -> None:
    base = ref.server.url
    question = '{"data": ["Are you sentient?"], "session_hash": "%s"}'
    first = run(base, "chat", question % "randomsequence1234")
    again = run(base, "chat", '{"data": ["Really?"], "session_hash": "randomsequence1234"}')
    fresh = run(base, "chat", question % "newsequence5678")
    assert first == (
        'event: complete\ndata: ["You said: Are you sentient? '
        '(0 earlier messages in this session)"]\n\n'
    )
    assert again == (
        'event: complete\ndata: ["You said: Really? (2 earlier messages in this session)"]\n\n'
    )
    assert fresh == first


@pytest.mark.parametrize(
    ("payload", "got"), [('{"data": []}', "got 0"), ('{"data": ["a", "b"]}', "got 2")]
)
def test_wrong_input_count_is_an_error_event_saying_what_was_expected(
    base: str, payload: str, got: str
) -> None:
    event, _, data = run(base, "predict", payload).partition("\ndata: ")
    assert event == "event: error"
    payload_sent: dict[str, Any] = json.loads(data)
    assert "expects 1 input" in payload_sent["error"]
    assert "text (Textbox)" in payload_sent["error"]
    assert got in payload_sent["error"]
    assert data.endswith("\n\n")


def test_unknown_api_name_is_a_404_naming_the_endpoints(base: str) -> None:
    response = post(f"{base}/call/nosuch", '{"data": ["x"]}')
    assert (response.status, response.content_type) == (404, JSON_TYPE)
    detail = json.loads(response.body)["detail"]
    assert "/nosuch" in detail
    assert "/predict" in detail
    assert "/hello" in detail


def test_unknown_event_id_is_a_404(base: str) -> None:
    response = curl(f"{base}/call/predict/0123456789abcdef")
    assert (response.status, response.content_type) == (404, JSON_TYPE)
    assert "0123456789abcdef" in json.loads(response.body)["detail"]


def test_reading_a_finished_event_again_replays_it_and_closes(base: str) -> None:
    event_id = start(base, "predict", '{"data": ["Hello, my friend."]}')
    first = events(base, "predict", event_id)
    assert first == 'event: complete\ndata: ["Bonjour, mon ami."]\n\n'
    assert events(base, "predict", event_id) == first


def test_private_space_token_on_both_requests(start_server: StartServer) -> None:
    app, _ = make_app(with_demos=False)
    server = start_server(app, token="hf_s3cret")
    auth = "Authorization: Bearer hf_s3cret"
    response = curl(
        "-X", "POST", f"{server.url}/gradio_api/call/echo", "-H", auth,
        "-H", "Content-Type: application/json", "-d", '{"data": ["hi"]}',
    )  # fmt: skip
    assert response.status == 200
    event_id = json.loads(response.body)["event_id"]
    url = f"{server.url}/gradio_api/call/echo/{event_id}"
    assert curl(url).status == 401
    stream = curl("-H", auth, url)
    assert (stream.status, stream.body) == (200, 'event: complete\ndata: ["hi"]\n\n')


def test_cancel_with_curl_stops_a_running_generator(start_server: StartServer) -> None:
    """``POST /cancel`` (what the official clients send) works from curl too: the generator
    stops on the server and the open stream ends with an error event."""
    import asyncio
    import threading
    from collections.abc import AsyncIterator

    from server import App

    stopped = threading.Event()
    app = App("cancel")

    @app.api("forever")
    async def forever(text: str) -> AsyncIterator[str]:
        try:
            while True:
                yield text
                await asyncio.sleep(0.01)
        finally:
            stopped.set()

    server = start_server(app)
    base = server.url + "/gradio_api"
    started = post(f"{base}/call/forever", '{"data": ["x"]}')
    event_id = json.loads(started.body)["event_id"]
    assert CURL is not None
    with subprocess.Popen(
        [CURL, "-s", "-N", "--max-time", "20", f"{base}/call/forever/{event_id}"],
        stdout=subprocess.PIPE,
    ) as stream:
        assert stream.stdout is not None
        assert stream.stdout.readline() == b"event: generating\n"  # the stream is live
        answer = post(f"{base}/cancel", json.dumps({"event_id": event_id}))
        assert (answer.status, json.loads(answer.body)) == (200, {"success": True})
        rest = stream.stdout.read().decode()
        assert stream.wait(timeout=20) == 0
    assert stopped.wait(timeout=10), "the generator did not stop"
    assert rest.endswith("\n\n")
    last = rest.strip().split("\n\n")[-1]
    event, data = last.split("\n", 1)
    assert event == "event: error"
    payload = json.loads(data.removeprefix("data: "))
    assert (payload["error"], payload["visible"], payload["title"]) == ("Cancelled.", True, "Error")
