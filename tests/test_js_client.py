"""The official JavaScript client, ``@gradio/client`` from npm, works unchanged against gradio-mock.

Each test starts a server, runs ``node tests/js/client.mjs <url> <scenario> <json>`` (the
scenarios are in that script) and checks the JSON the script prints. The npm packages are
installed here on first use (``npm ci`` in tests/js), so a fresh clone's ``pytest`` works;
Node.js 18+ and npm must be on the PATH.
"""

from __future__ import annotations

import base64
import json
import re
import select
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from demos import _png
from demos.image import _sepia
from server.pytest_plugin import MockServer
from tests.conftest import StartServer
from tests.js_apps import make_app

pytestmark = pytest.mark.node

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "client.mjs"
NODE_TIMEOUT = 30.0
NPM_TIMEOUT = 300.0
TOKEN = "hf_jsClientTestToken123"


# -- Node and the npm packages ---------------------------------------------------------


def _stale_packages(js_dir: Path = JS_DIR) -> list[str]:
    """The packages of package-lock.json that node_modules lacks or holds in another version."""
    lock = json.loads((js_dir / "package-lock.json").read_text())
    stale = []
    for key, entry in lock["packages"].items():
        if not key.startswith("node_modules/"):
            continue
        manifest = js_dir / key / "package.json"
        try:
            version = json.loads(manifest.read_text()).get("version")
        except (OSError, ValueError):
            version = None
        if version != entry.get("version"):
            stale.append(f"{key.removeprefix('node_modules/')}@{entry.get('version')}")
    return stale


@pytest.fixture(scope="session")
def node() -> str:
    """The path of ``node``, with tests/js/node_modules installed and up to date."""
    return node_with_packages(JS_DIR)


def node_with_packages(js_dir: Path) -> str:
    """The path of ``node``, with ``js_dir``'s node_modules installed (``npm ci``) and up to
    date; fails the test, saying why, without Node.js 18+ and npm."""
    node_path, npm_path = shutil.which("node"), shutil.which("npm")
    if node_path is None or npm_path is None:
        pytest.fail(
            "The @gradio/client tests need Node.js 18+ and npm on the PATH "
            f"(node: {node_path or 'missing'}, npm: {npm_path or 'missing'}). "
            "Install Node.js (https://nodejs.org) and run pytest again.",
            pytrace=False,
        )
    version = subprocess.run(
        [node_path, "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < 18:
        pytest.fail(
            f"The @gradio/client tests need Node.js 18 or newer (global fetch); found {version}.",
            pytrace=False,
        )
    stale = _stale_packages(js_dir)
    if stale:
        try:
            installed = subprocess.run(
                [npm_path, "ci", "--no-audit", "--no-fund"],
                cwd=js_dir,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"`npm ci` in {js_dir} took more than {NPM_TIMEOUT:.0f} s "
                f"(installing {', '.join(stale)}).",
                pytrace=False,
            )
        if installed.returncode != 0 or _stale_packages(js_dir):
            pytest.fail(
                f"`npm ci` in {js_dir} failed (exit {installed.returncode}) installing "
                f"{', '.join(stale)}:\n{installed.stdout}\n{installed.stderr}",
                pytrace=False,
            )
    return node_path


def run_js(node: str, url: str, scenario: str, argument: Any = None) -> Any:
    """Run one scenario of tests/js/client.mjs against ``url``; what it returned."""
    command = [node, str(SCRIPT), url, scenario]
    if argument is not None:
        command.append(json.dumps(argument))
    try:
        done = subprocess.run(
            command, cwd=JS_DIR, capture_output=True, text=True, timeout=NODE_TIMEOUT
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"node {scenario} took more than {NODE_TIMEOUT:.0f} s: {error.stderr!r}")
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        pytest.fail(
            f"node {scenario} printed no JSON result (exit {done.returncode}).\n"
            f"stdout: {done.stdout}\nstderr: {done.stderr}"
        )
    assert len(lines) == 1, f"node {scenario} printed more than its result: {done.stdout}"
    if not report["ok"]:
        pytest.fail(
            f"node {scenario} failed: {report['error']}\n{report.get('stack')}\n"
            f"stderr: {done.stderr}"
        )
    return report["result"]


def greeting_png(tmp_path: Path) -> tuple[Path, bytes]:
    """A 5x3 PNG of one colour, and the PNG the sepia demo should make of it."""
    data = _png.solid(5, 3, (200, 100, 50))
    path = tmp_path / "input.png"
    path.write_bytes(data)
    return path, _png.encode(_sepia(_png.decode(data)))


# -- connecting and calling ------------------------------------------------------------


def test_connect_reads_config_and_api_info(node: str, gradio_mock: MockServer) -> None:
    result = run_js(node, gradio_mock.url, "connect")
    assert result["version"].startswith("6.")
    assert result["protocol"] == "sse_v3"
    assert result["api_prefix"] == "/gradio_api"
    assert result["root"] == gradio_mock.url
    assert result["api_map"] == {"predict": 0, "hello": 1, "stream": 2, "image": 3, "chat": 4}
    assert result["named_endpoints"] == ["/chat", "/hello", "/image", "/predict", "/stream"]
    [parameter] = result["predict_parameters"]
    assert parameter["parameter_name"] == "text"
    assert parameter["component"] == "Textbox"


def test_predict_with_a_list(node: str, gradio_mock: MockServer) -> None:
    result = run_js(
        node, gradio_mock.url, "predict", {"endpoint": "/predict", "data": ["Hello, my friend."]}
    )
    assert result == {"type": "data", "endpoint": "/predict", "data": ["Bonjour, mon ami."]}


def test_predict_with_named_arguments(node: str, gradio_mock: MockServer) -> None:
    argument = {"endpoint": "/predict", "data": {"text": "Hello, my friend."}}
    result = run_js(node, gradio_mock.url, "predict", argument)
    assert result["data"] == ["Bonjour, mon ami."]


def test_predict_several_inputs_and_outputs(node: str, gradio_mock: MockServer) -> None:
    argument = {"endpoint": "/hello", "data": ["Hello", True, 5]}
    result = run_js(node, gradio_mock.url, "predict", argument)
    assert result["data"] == ["Good morning Hello. It is 5 degrees today", -15]


def test_submit_streams_a_generator(node: str, gradio_mock: MockServer) -> None:
    messages = run_js(node, gradio_mock.url, "submit", {"endpoint": "/stream", "data": ["Hello"]})
    values = [m["data"][0] for m in messages if m["type"] == "data"]
    # Each yield is a "data" message; the completion repeats the last value (as Gradio does).
    assert values == ["H", "He", "Hel", "Hell", "Hello", "Hello"]
    stages = [m["stage"] for m in messages if m["type"] == "status"]
    assert stages[0] == "pending"
    assert "generating" in stages
    assert stages[-1] == "complete"
    assert messages[-1]["type"] == "status"
    assert "error" not in stages


# -- files -----------------------------------------------------------------------------


def test_handle_file_upload_and_download(
    node: str, gradio_mock: MockServer, tmp_path: Path
) -> None:
    path, expected = greeting_png(tmp_path)
    result = run_js(node, gradio_mock.url, "image", {"path": str(path)})
    for kind in ("buffer", "blob"):
        file, download = result[kind]["file"], result[kind]["download"]
        assert file["url"].startswith(gradio_mock.url + "/gradio_api/file="), kind
        assert file["meta"] == {"_type": "gradio.FileData"}, kind
        assert download["status"] == 200, kind
        assert download["is_png"], kind
        assert (download["ihdr"], download["width"], download["height"]) == ("IHDR", 5, 3), kind
        data = base64.b64decode(download["base64"])
        assert len(data) == download["length"]
        assert _png.decode(data) == _png.decode(expected), kind


# -- errors ----------------------------------------------------------------------------


def test_endpoint_error_rejects_with_its_message(node: str, start_server: StartServer) -> None:
    server = start_server(make_app().app)
    result = run_js(node, server.url, "error", {"endpoint": "/fail", "data": ["x"]})
    assert result["predict"] == {"rejected": "custom failure"}
    last = result["submit"][-1]
    assert (last["type"], last["stage"], last["message"]) == ("status", "error", "custom failure")
    assert not [m for m in result["submit"] if m["type"] == "data"]


# -- token -----------------------------------------------------------------------------


# @gradio/client 1.x+ calls the option `token`; `hf_token` (0.x) is still a deprecated alias.
@pytest.mark.parametrize("option", ["token", "hf_token"])
def test_token_option_authenticates(node: str, start_server: StartServer, option: str) -> None:
    server = start_server(token=TOKEN)
    result = run_js(node, server.url, "token", {"token": TOKEN, "option": option})
    assert result["with_token"] == {"resolved": ["Bonjour, mon ami."]}
    assert "rejected" in result["without_token"], result["without_token"]
    assert "rejected" in result["wrong_token"], result["wrong_token"]


# -- sessions --------------------------------------------------------------------------


def test_two_clients_keep_separate_chat_histories(node: str, gradio_mock: MockServer) -> None:
    messages = [["first", "a"], ["first", "b"], ["second", "c"], ["first", "d"], ["second", "e"]]
    result = run_js(node, gradio_mock.url, "sessions", {"messages": messages})
    first_hash, second_hash = result["session_hashes"]
    assert first_hash != second_hash
    assert result["replies"] == [
        ["first", "You said: a (0 earlier messages in this session)"],
        ["first", "You said: b (2 earlier messages in this session)"],
        ["second", "You said: c (0 earlier messages in this session)"],
        ["first", "You said: d (4 earlier messages in this session)"],
        ["second", "You said: e (2 earlier messages in this session)"],
    ]


# -- cancel ----------------------------------------------------------------------------


async def _events_of(server: MockServer, event_id: str) -> list[str]:
    job = server.state.cache.get(event_id)
    assert job is not None, f"no job {event_id}"
    return [event.kind for event in job.events]


def test_cancel_stops_an_endless_generator(node: str, start_server: StartServer) -> None:
    test_app = make_app()
    server = start_server(test_app.app)
    argument = {"endpoint": "/forever", "data": ["tick"], "after": 3}
    result = run_js(node, server.url, "cancel", argument)
    values = [m["data"][0] for m in result["before"] if m["type"] == "data"]
    assert values == ["tick 1", "tick 2", "tick 3"], result
    # The generator's finally: ran server-side, and the job's log is closed.
    assert test_app.stopped.wait(5), "the generator was not stopped by job.cancel()"
    kinds = server.run(_events_of(server, result["event_id"]))
    assert kinds[-1] in ("complete", "error"), kinds
    # The client's iterator ended (the script returned) on a final status. Real Gradio ends a
    # cancelled event with an empty successful process_completed ("complete"); gradio-mock
    # ends it with the error "Cancelled.". Either way no value comes after the final status.
    last = result["after_cancel"][-1]
    assert last["type"] == "status", result["after_cancel"]
    assert last["stage"] in ("complete", "error"), last


# -- deployment variants ---------------------------------------------------------------


def test_root_path(node: str, start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(root_path="/myapp")
    app_url = server.url + "/myapp/"
    connected = run_js(node, app_url, "connect")
    assert connected["root"] == server.url + "/myapp"
    predicted = run_js(
        node, app_url, "predict", {"endpoint": "/predict", "data": ["Hello, my friend."]}
    )
    assert predicted["data"] == ["Bonjour, mon ami."]
    path, expected = greeting_png(tmp_path)
    image = run_js(node, app_url, "image", {"path": str(path)})["buffer"]
    assert image["file"]["url"].startswith(server.url + "/myapp/gradio_api/file=")
    assert _png.decode(base64.b64decode(image["download"]["base64"])) == _png.decode(expected)


@pytest.mark.parametrize(("gradio_version", "api_prefix"), [(4, ""), (5, "/gradio_api")])
def test_older_gradio_versions(
    node: str, start_server: StartServer, gradio_version: int, api_prefix: str
) -> None:
    server = start_server(gradio_version=gradio_version)
    connected = run_js(node, server.url, "connect")
    assert connected["version"].startswith(f"{gradio_version}.")
    assert connected["api_prefix"] == api_prefix
    hello = {"endpoint": "/hello", "data": ["Hello", True, 5]}
    predicted = run_js(node, server.url, "predict", hello)
    assert predicted["data"] == ["Good morning Hello. It is 5 degrees today", -15]
    messages = run_js(node, server.url, "submit", {"endpoint": "/stream", "data": ["Hi!"]})
    values = [m["data"][0] for m in messages if m["type"] == "data"]
    assert values == ["H", "Hi", "Hi!", "Hi!"]
    assert messages[-1]["stage"] == "complete"


def test_info_javascript_snippet_runs(node: str, gradio_mock: MockServer) -> None:
    """The JavaScript snippet ``/info`` prints for /hello runs as printed, under Node. (It
    does not exit by itself: the client keeps its heartbeat stream open, as with real
    Gradio; the test stops it once the result is printed.)"""
    info = json.loads(_http_get(f"{gradio_mock.url}/gradio_api/info"))
    code = info["named_endpoints"]["/hello"]["code_snippets"]["javascript"]
    # Inside tests/js, so that Node resolves "@gradio/client" from its node_modules.
    script = JS_DIR / f".snippet-{gradio_mock.port}.mjs"
    script.write_text(code)
    try:
        with subprocess.Popen([node, str(script)], stdout=subprocess.PIPE, text=True) as process:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], NODE_TIMEOUT)
            line = process.stdout.readline() if ready else ""
            process.kill()
    finally:
        script.unlink()
    assert "Good evening Hello!!. It is 0 degrees today" in line
    assert "-17.78" in line


def _http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
    return body.decode()
