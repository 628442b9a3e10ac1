"""Answering for a Space's name (``server/standin/_hub.py``): the Hub API that
``Client("owner/name")`` asks before it connects, each lifecycle stage as gradio_client meets
it, private Spaces, and several apps on one server under their own paths.

The client is the real ``gradio_client`` with the real ``huggingface_hub`` under it, pointed at
a real server on a loopback port: in-process by setting the Hub endpoint that
``HF_ENDPOINT`` sets at import (``hf_api.api.endpoint``), and as the README
says it, ``HF_ENDPOINT=... python app.py`` in a process of its own against ``gradio-mock``'s
command line. No sleeps: a BUILDING Space lasts a fraction of a second and gradio_client's own
wait (it asks again every 2 s) ends it, under a deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import huggingface_hub
import huggingface_hub.hf_api as hf_api
import pytest
from gradio_client import Client
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from demos import app as demos_app
from server import App, Settings
from server._cli import main
from server._loader import load_app
from server._runner import BackgroundServer, bind, make_server
from server.standin import spec_from_captures
from server.standin._hub import SpaceOption, SpacesApp, StageOption, serve_spaces
from tests.old_clients import CLIENTS, py_client
from tests.sse import iter_frames, read_frames, stream_timeout
from tests.test_cli import ROOT, Served, cli_env
from tests.test_js_client import JS_DIR, node  # noqa: F401 (node: the fixture)

REFERENCE = Path(__file__).parent / "reference"
WAIT = 20.0
TOKEN = "s3cr"


def _spec(version: str, space: str | None = None) -> dict[str, Any]:
    folder = REFERENCE / f"gradio-{version}"
    config = json.loads((folder / "config.json").read_text())
    info = json.loads((folder / "info.json").read_text())
    spec = spec_from_captures(config, info).to_json()
    if space:
        spec["space"] = space
    return spec


class SpacesServer(BackgroundServer):
    """A ``SpacesApp`` on a loopback port, in a thread (``BackgroundServer``'s running)."""

    def __init__(self, asgi_app: SpacesApp) -> None:
        self.asgi_app = asgi_app  # type: ignore[assignment]
        self.state = asgi_app.states[0]
        self._socket = bind("127.0.0.1", 0)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server(asgi_app, access_log=False, log_level="warning")
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.loop = None

    def space(self, name: str) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(
            f"{self.url}/__mock/spaces/{name}", headers=_auth(self.asgi_app), timeout=WAIT
        ).json()
        return answer


def _auth(app: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"} if app.hub.token else {}


@pytest.fixture
def spaces() -> Iterator[Callable[..., SpacesServer]]:
    started: list[SpacesServer] = []

    def start(
        root: App | None,
        options: Sequence[SpaceOption],
        stages: Sequence[StageOption] = (),
        apps: dict[str, App] | None = None,
        clock: Callable[[], float] = time.monotonic,
        **settings: Any,
    ) -> SpacesServer:
        asgi_app, _ = serve_spaces(
            root,
            Settings(port=0, heartbeat=0.5, **settings),
            options,
            stages,
            load=lambda target: (apps or {})[target],
            clock=clock,
        )
        server = SpacesServer(asgi_app).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def hub_at(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[SpacesServer], None]:
    """Point huggingface_hub at ``server`` as ``HF_ENDPOINT=server.url`` does at import: the
    endpoint of the ``HfApi`` its module-level functions use; no saved token."""
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))

    def point(server: SpacesServer) -> None:
        monkeypatch.setattr(hf_api.api, "endpoint", server.url)

    return point


@pytest.fixture
def hub_client(
    hub_at: Callable[[SpacesServer], None], tmp_path: Path
) -> Iterator[Callable[..., Client]]:
    """``Client(name)`` as ``HF_ENDPOINT=server.url python app.py`` runs it."""
    clients: list[Client] = []

    def make(server: SpacesServer, name: str, **options: Any) -> Client:
        hub_at(server)
        client = Client(
            name,
            analytics_enabled=False,
            download_files=str(tmp_path / "downloads"),
            **{"verbose": False, **options},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
        for executor in (client.executor, client.helper_executor, client.stream_executor):
            executor.shutdown(wait=False, cancel_futures=True)


def _connect_within(make: Callable[[], Client], timeout: float = WAIT) -> Client:
    """``make()`` in a thread, under a deadline: a client that waits for a Space to build
    must not hang the test."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(make).result(timeout)
    finally:
        pool.shutdown(wait=False)


# -- the Hub API and a running Space --------------------------------------------------------


def test_a_client_given_a_space_name_connects_to_the_mock_it_names(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    server = spaces(demos_app, [SpaceOption("me/demos")])
    client = hub_client(server, "me/demos")
    assert client.space_id == "me/demos"
    assert client.src == server.url  # the Hub's "host": the address the request came in on
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    assert server.space("me/demos")["hub_requests"] == {"info": 1, "runtime": 1, "host": 0}

    info = huggingface_hub.space_info("me/demos")
    assert (info.id, info.host, info.private, info.sdk) == ("me/demos", server.url, False, "gradio")
    assert huggingface_hub.get_space_runtime("me/demos").stage == "RUNNING"
    with pytest.raises(RepositoryNotFoundError, match="Repository Not Found"):
        huggingface_hub.space_info("me/other")


def test_a_spec_names_its_own_space(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    server = spaces(App.from_spec(_spec("6.31.0", space="gradio/reference")), [])
    client = hub_client(server, "gradio/reference")
    assert "/hello" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


# -- each stage, as gradio_client meets it --------------------------------------------------


class Clock:
    """A clock that moves when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _asked(server: SpacesServer, name: str, route: str, times: int) -> None:
    """Wait (on the Hub's own signal, under a deadline) until the Hub has answered
    ``route`` for ``name`` ``times`` times."""
    hub = server.asgi_app.hub

    async def wait() -> None:
        while True:
            waiter = hub.asked.waiter()
            if hub.spaces[name].requests[route] >= times:
                return
            await asyncio.wait_for(asyncio.shield(waiter), WAIT)

    server.run(wait(), timeout=WAIT + 1)


def test_building_for_n_seconds_makes_the_client_wait_then_connect(
    spaces: Callable[..., SpacesServer],
    hub_client: Callable[..., Client],
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = Clock()
    server = spaces(
        demos_app, [SpaceOption("me/demos")], [StageOption("BUILDING", 30)], clock=clock
    )
    before = httpx.get(server.url + "/config", timeout=WAIT)
    assert before.status_code == 503
    assert "The Space me/demos is BUILDING" in before.json()["detail"]

    pool = concurrent.futures.ThreadPoolExecutor(1)
    connecting = pool.submit(lambda: hub_client(server, "me/demos", verbose=True))
    try:
        _asked(server, "me/demos", "runtime", 1)  # told BUILDING: it waits 2 s, asks again
        clock.now += 30  # the 30 s are over: RUNNING at its next ask
        client = connecting.result(WAIT)
    finally:
        pool.shutdown(wait=False)
    assert "Space is still building. Please wait..." in capsys.readouterr().out
    # Asked again 2 s later (again each 2 s if this thread was slow to move the clock).
    assert server.space("me/demos")["hub_requests"]["runtime"] >= 2
    assert server.space("me/demos")["stage"] == "RUNNING"
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."


def test_building_until_the_admin_api_says_running(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    server = spaces(demos_app, [SpaceOption("me/demos")], [StageOption("BUILDING")])
    pool = concurrent.futures.ThreadPoolExecutor(1)
    connecting = pool.submit(lambda: hub_client(server, "me/demos"))
    try:
        _asked(server, "me/demos", "runtime", 2)  # still building after one wait
        assert not connecting.done()
        answer = httpx.post(
            server.url + "/__mock/spaces/me/demos", json={"stage": "RUNNING"}, timeout=WAIT
        )
        assert answer.json()["stage"] == "RUNNING"
        client = connecting.result(WAIT)
    finally:
        pool.shutdown(wait=False)
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."


def test_a_build_that_fails_while_the_client_waits_is_not_refused_but_unreachable(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    """gradio_client checks only the first stage it was told against its invalid ones: a
    BUILDING that turns BUILD_ERROR ends its wait, and it goes on to the app's 503."""
    server = spaces(demos_app, [SpaceOption("me/demos")], [StageOption("BUILDING")])
    pool = concurrent.futures.ThreadPoolExecutor(1)
    connecting = pool.submit(lambda: hub_client(server, "me/demos"))
    try:
        _asked(server, "me/demos", "runtime", 1)
        httpx.post(server.url + "/__mock/spaces/me/demos", json={"stage": "BUILD_ERROR"})
        with pytest.raises(ValueError, match=f"^Could not fetch config for {server.url}"):
            connecting.result(WAIT)
    finally:
        pool.shutdown(wait=False)


@pytest.mark.parametrize("stage", ["PAUSED", "RUNTIME_ERROR", "BUILD_ERROR"])
def test_a_broken_or_paused_space_is_refused_by_the_client(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client], stage: str
) -> None:
    server = spaces(demos_app, [SpaceOption("me/demos")], [StageOption(stage)])
    with pytest.raises(ValueError) as refused:
        hub_client(server, "me/demos")
    assert str(refused.value) == (
        f"The current space is in the invalid state: {stage}. Please contact the owner to fix this."
    )
    assert server.state.journal.entries() == []  # it never reached the app
    answer = httpx.get(server.url + "/gradio_api/info", timeout=WAIT)
    assert answer.status_code == 503
    assert f"is {stage}" in answer.json()["detail"]


@pytest.mark.parametrize("stage", ["APP_STARTING", "STOPPED"])
def test_other_stages_let_the_client_on_to_the_apps_503(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client], stage: str
) -> None:
    """gradio_client neither waits for nor refuses these: it asks the app, which answers 503
    while its Space is not running."""
    server = spaces(demos_app, [SpaceOption("me/demos")], [StageOption(stage)])
    with pytest.raises(ValueError, match=f"^Could not fetch config for {server.url}"):
        hub_client(server, "me/demos")


def test_a_sleeping_space_wakes_at_the_clients_first_request(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    server = spaces(demos_app, [SpaceOption("me/demos")], [StageOption("SLEEPING")])
    assert server.space("me/demos")["stage"] == "SLEEPING"
    client = hub_client(server, "me/demos")  # SLEEPING is not a stage it refuses or waits on
    assert server.space("me/demos")["stage"] == "RUNNING"
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."


def test_a_private_space_needs_the_token(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    server = spaces(demos_app, [SpaceOption("me/demos")], token=TOKEN)
    assert server.space("me/demos")["private"] is True
    with pytest.raises(RepositoryNotFoundError, match="401 Client Error"):
        hub_client(server, "me/demos")
    with pytest.raises(HfHubHTTPError, match="Invalid credentials in Authorization header"):
        hub_client(server, "me/demos", token="hf_wrong")
    client = hub_client(server, "me/demos", token=TOKEN)
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."


# -- the admin API ---------------------------------------------------------------------------


def test_the_admin_api_sets_the_stage_and_says_what_is_wrong(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    server = spaces(demos_app, [SpaceOption("me/demos")])
    url = server.url + "/__mock/spaces"
    with httpx.Client(timeout=WAIT) as http:
        paused = http.post(url + "/me/demos", json={"stage": "paused"})
        assert paused.status_code == 200
        assert paused.json()["stage"] == "PAUSED"
        assert http.get(server.url + "/api/spaces/me/demos/runtime").json()["stage"] == "PAUSED"
        with pytest.raises(ValueError, match="invalid state: PAUSED"):
            hub_client(server, "me/demos")

        building = http.post(url + "/me/demos", json={"stage": "BUILDING", "seconds": 0.2})
        assert building.json()["stage"] == "BUILDING"
        assert 0 < building.json()["seconds_left"] <= 0.2
        client = _connect_within(lambda: hub_client(server, "me/demos"))
        assert client.predict("Hi", api_name="/predict")

        listed = http.get(url).json()["spaces"]
        assert [(s["space"], s["stage"], s["path"]) for s in listed] == [
            ("me/demos", "RUNNING", "/")
        ]
        refusals = [
            (url + "/me/nope", {"stage": "RUNNING"}, 404, "No Space me/nope; this server"),
            (url + "/me/demos", {"stage": "ASLEEP"}, 422, "the stage is one of RUNNING"),
            (url + "/me/demos", {"seconds": 2}, 422, '"seconds" goes with a "stage"'),
            (url + "/me/demos", {"stage": "BUILDING", "seconds": -1}, 422, "0 or more"),
            (url + "/me/demos", {"private": True}, 422, "needs the server's token"),
            (url + "/me/demos", {"stages": "RUNNING"}, 422, "Unknown field 'stages'"),
            (url + "/me/demos", [], 422, "must be a JSON object"),
            (url + "/me/demos", {"stage": "x" * 70_000}, 413, "The body is over 65536 bytes"),
            (url + "/me/demos", "{", 422, "The body is not valid JSON"),
        ]
        for where, body, status, message in refusals:
            answer = (
                http.post(where, content=body)
                if isinstance(body, str)
                else http.post(where, json=body)
            )
            assert (answer.status_code, message) == (status, message)
            assert message in answer.json()["detail"]
        assert server.space("me/demos")["stage"] == "RUNNING"


def test_a_reset_puts_every_space_back_as_it_started_and_resets_every_app(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    server = spaces(
        demos_app,
        [SpaceOption("me/demos"), SpaceOption("me/hello", "hello")],
        [StageOption("SLEEPING", None, "me/hello")],
        apps={"hello": load_app(str(ROOT / "demos" / "hello.py"))},
    )
    hello = hub_client(server, "me/hello")  # wakes it
    assert hello.predict("Ann", True, 5, api_name="/hello")[1] == -15.0
    paused = httpx.post(server.url + "/__mock/spaces/me/demos", json={"stage": "PAUSED"})
    assert paused.json()["stage"] == "PAUSED"
    mounted = server.asgi_app.states[1]
    assert mounted.journal.entries(api_name="/hello")

    assert httpx.post(server.url + "/__mock/reset", timeout=WAIT).json() == {"reset": True}
    listed = httpx.get(server.url + "/__mock/spaces", timeout=WAIT).json()["spaces"]
    assert [(s["space"], s["stage"], s["hub_requests"]["info"]) for s in listed] == [
        ("me/demos", "RUNNING", 0),
        ("me/hello", "SLEEPING", 0),
    ]
    assert mounted.journal.entries() == []
    assert httpx.get(server.url + "/__mock/reset", timeout=WAIT).status_code == 405


def test_the_admin_api_is_token_protected_and_can_make_a_space_public(
    spaces: Callable[..., SpacesServer], hub_at: Callable[[SpacesServer], None]
) -> None:
    server = spaces(demos_app, [SpaceOption("me/demos")], token=TOKEN)
    hub_at(server)
    assert huggingface_hub.space_info("me/demos", token=TOKEN).private is True
    url = server.url + "/__mock/spaces/me/demos"
    assert httpx.post(url, json={"private": False}, timeout=WAIT).status_code == 401
    made_public = httpx.post(url, json={"private": False}, headers=_auth(server.asgi_app))
    assert made_public.json()["private"] is False
    # The Hub now shows it without the token; the app itself still wants it (--token).
    assert huggingface_hub.space_info("me/demos", token=False).private is False


# -- several Spaces on one server ------------------------------------------------------------


def test_three_spaces_on_one_server_each_under_its_own_path(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    apps = {"ref5.json": App.from_spec(_spec("5.50.0")), "demos": demos_app}
    server = spaces(
        App.from_spec(_spec("4.44.1")),  # at the root: see test_a_gradio_4_app_under_a_path
        [
            SpaceOption("gradio/four"),
            SpaceOption("gradio/five", "ref5.json"),
            SpaceOption("me/demos", "demos"),
        ],
        [StageOption("SLEEPING", None, "gradio/five")],
        apps=apps,
    )
    four = hub_client(server, "gradio/four")
    five = hub_client(server, "gradio/five")
    demos = hub_client(server, "me/demos")
    assert four.src == server.url
    assert five.src == server.url + "/spaces/gradio/five/"
    assert demos.src == server.url + "/spaces/me/demos/"
    # Each its own version: Gradio 4's API at the root of its path, 5 and 6 under gradio_api.
    assert (four.api_prefix, five.api_prefix, demos.api_prefix) == ("/", *["gradio_api/"] * 2)

    assert isinstance(four.predict("Hi", api_name="/predict"), str)
    assert isinstance(five.predict("Hi", api_name="/predict"), str)
    assert demos.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    assert list(demos.submit("Hey", api_name="/stream")) == ["H", "He", "Hey"]
    journals = [state.journal.entries(api_name="/predict") for state in server.asgi_app.states]
    assert [len(entries) for entries in journals] == [1, 1, 1]


def _forever_app() -> App:
    app = App("forever")

    @app.api("forever")
    async def forever(text: str) -> AsyncIterator[str]:
        yield text
        await asyncio.Event().wait()  # until the server stops
        yield "never"

    return app


def test_stopping_the_server_ends_every_mounted_apps_streams_with_a_final_event(
    spaces: Callable[..., SpacesServer],
) -> None:
    """The server stops the first app (make_server's); the others must stop with it, so
    their streams end with the stopping event rather than be cut at the graceful timeout."""
    server = spaces(
        demos_app,
        [SpaceOption("me/a", "forever"), SpaceOption("me/b", "forever")],
        apps={"forever": _forever_app()},
        shutdown_timeout=30,
    )
    base = server.url + "/spaces/me/b/gradio_api"
    event_id = httpx.post(f"{base}/call/forever", json={"data": ["x"]}, timeout=WAIT).json()
    with httpx.stream(
        "GET", f"{base}/call/forever/{event_id['event_id']}", timeout=stream_timeout(WAIT)
    ) as response:
        frames = iter_frames(response, WAIT)
        assert next(frames) == ("generating", ["x"])
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        rest = list(frames)
    stopping.join(WAIT)
    assert rest[-1][0] == "error"
    assert rest[-1][1]["error"] == "The server is stopping."


def test_spaces_behind_a_proxy_under_a_root_path(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    """With --root-path, the Hub's hosts carry it, whether the proxy passes it on or not."""
    server = spaces(
        demos_app,
        [SpaceOption("me/demos"), SpaceOption("me/hello", "hello")],
        apps={"hello": load_app(str(ROOT / "demos" / "hello.py"))},
        root_path="/proxy",
    )
    proxied = copy.copy(server)
    proxied.url = server.url + "/proxy"  # HF_ENDPOINT with the prefix, as through the proxy
    demos, hello = hub_client(proxied, "me/demos"), hub_client(proxied, "me/hello")
    assert (demos.src, hello.src) == (f"{proxied.url}/", f"{proxied.url}/spaces/me/hello/")
    assert hello.predict("Ann", True, 5, api_name="/hello")[1] == -15.0
    # A proxy that takes the prefix off: the mounted app answers all the same.
    config = httpx.get(server.url + "/spaces/me/hello/config", timeout=WAIT)
    assert config.json()["root"] == f"{proxied.url}/spaces/me/hello"


def test_a_gradio_4_app_under_a_path_is_out_of_reach_of_gradio_client_2(
    spaces: Callable[..., SpacesServer], hub_client: Callable[..., Client]
) -> None:
    """gradio_client 1.4 and later join a Gradio 4 app's routes onto "/" (its /config has no
    api_prefix), which leaves the Space's path: such an app is served at the root. The
    README says so; this test notices the day the client changes."""
    apps = {"ref4.json": App.from_spec(_spec("4.44.1"))}
    server = spaces(None, [SpaceOption("gradio/four", "ref4.json")], apps=apps)
    with pytest.raises(ValueError, match="Could not fetch api info") as refused:
        hub_client(server, "gradio/four")
    assert "No app answers at /info: this server serves the Spaces gradio/four at " in str(
        refused.value
    )


@pytest.mark.node
def test_the_javascript_client_asks_huggingface_co_itself_and_takes_the_mocks_url(
    spaces: Callable[..., SpacesServer],
    node: str,  # noqa: F811 (the fixture imported above)
) -> None:
    """@gradio/client looks a Space name up at https://huggingface.co, whatever HF_ENDPOINT
    says: its users pass the mock's URL (or send huggingface.co's requests to it)."""
    server = spaces(None, [SpaceOption("me/demos", "demos")], apps={"demos": demos_app})
    space_url = server.url + "/spaces/me/demos/"
    done = subprocess.run(
        [node, str(JS_DIR / "space_name.mjs"), server.url, "me/demos", space_url],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=WAIT,
        env={**os.environ, "HF_ENDPOINT": server.url},
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"], report
    result = report["result"]
    assert result["by_name_asked"] == ["https://huggingface.co/api/spaces/me/demos/host"]
    assert result["by_name"] == "Space metadata could not be loaded. "
    assert result["redirected_asked"][0] == "https://huggingface.co/api/spaces/me/demos/host"
    assert result["redirected"] == ["Bonjour, mon ami."]
    assert result["by_url"] == ["Bonjour, mon ami."]
    assert server.space("me/demos")["hub_requests"]["host"] == 1


OLD_CLIENT_SCRIPT = """
import json
from gradio_client import Client

out = {"root": Client("me/demos", verbose=False).predict("Hello, my friend.", api_name="/predict")}
out["mounted"] = Client("me/hello", verbose=False).predict("Ann", True, 5, api_name="/hello")
try:
    Client("me/paused", verbose=False)
    out["paused"] = "connected"
except ValueError as error:
    out["paused"] = str(error)
print(json.dumps(out))
"""

SMOLAGENTS_SCRIPT = """
import json
from smolagents import Tool

translate = Tool.from_space("me/demos", "translate", "English to French", api_name="/predict")
hello = Tool.from_space("me/hello", "hello", "greets", api_name="/hello")
print(json.dumps({
    "inputs": translate.inputs, "translated": translate("Hello, my friend."),
    "hello_inputs": list(hello.inputs), "hello": hello("Ann", True, 5),
}))
"""


def _run_with_hub(python: Path, script: str, server: SpacesServer, tmp_path: Path) -> Any:
    """``HF_ENDPOINT=server.url python -c script``: its one line of JSON."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "PYTHONPATH")}
    env |= {
        "HF_ENDPOINT": server.url,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    done = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, timeout=WAIT, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _era_spaces(spaces: Callable[..., SpacesServer], version: int) -> SpacesServer:
    return spaces(
        demos_app,
        [SpaceOption("me/demos"), SpaceOption("me/paused"), SpaceOption("me/hello", "hello")],
        [StageOption("PAUSED", None, "me/paused")],
        apps={"hello": load_app(str(ROOT / "demos" / "hello.py"))},
        gradio_version=version,
    )


@pytest.mark.old_clients
@pytest.mark.parametrize(("version", "gradio"), [("1.3.0", 4), ("1.14.0", 5)])
def test_older_python_clients_given_a_space_name(
    spaces: Callable[..., SpacesServer], tmp_path: Path, version: str, gradio: int
) -> None:
    """gradio_client 1.x asks the Hub the same two questions (its own era's profile; 1.3.0
    reaches a Gradio 4 app under a path too, having no api_prefix to join)."""
    server = _era_spaces(spaces, gradio)
    result = _run_with_hub(py_client(version).python, OLD_CLIENT_SCRIPT, server, tmp_path)
    assert result == {
        "root": "Bonjour, mon ami.",
        "mounted": ["Good morning Ann. It is 5 degrees today", -15.0],
        "paused": "The current space is in the invalid state: PAUSED. "
        "Please contact the owner to fix this.",
    }


@pytest.mark.old_clients
def test_smolagents_tool_from_space(spaces: Callable[..., SpacesServer], tmp_path: Path) -> None:
    """smolagents' ``Tool.from_space`` is ``Client(space_id, hf_token=token)`` and
    ``view_api()``: with gradio_client 1.x (2.x has no ``hf_token`` and raises TypeError)."""
    server = _era_spaces(spaces, 5)
    venv = py_client(
        "smolagents-1.26.0",
        CLIENTS / "smolagents-1.26.0.txt",
        CLIENTS.parent / ".clients" / "smolagents-1.26.0",
    )
    result = _run_with_hub(venv.python, SMOLAGENTS_SCRIPT, server, tmp_path)
    assert result == {
        "inputs": {"text": {"type": "string", "description": "", "nullable": False}},
        "translated": "Bonjour, mon ami.",
        "hello_inputs": ["name", "is_morning", "temperature"],
        "hello": "Good morning Ann. It is 5 degrees today",
    }


@pytest.fixture
def command() -> Iterator[Callable[..., Served]]:
    """``gradio-mock ARGS`` as a process of its own, stopped after the test."""
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(list(args), cli_env()))
        return started[-1]

    yield start
    for served in started:
        served.stop()
        assert served.process.stdout is not None and served.process.stderr is not None
        served.process.stdout.close()
        served.process.stderr.close()


def test_the_command_line_serves_three_spaces_to_an_unchanged_script(
    command: Callable[..., Served], tmp_path: Path
) -> None:
    """The README's promise: ``HF_ENDPOINT=http://127.0.0.1:PORT python app.py``."""
    spec = tmp_path / "six.json"
    spec.write_text(json.dumps(_spec("6.31.0", space="gradio/six")))
    four = tmp_path / "five.json"
    four.write_text(json.dumps(_spec("5.50.0")))
    served = command(
        str(spec),
        "--port=0",
        f"--space=gradio/five={four}",
        f"--space=me/hello={ROOT / 'demos' / 'hello.py'}",
        "--space-stage=me/hello=BUILDING:0.2",
    )
    served.wait_for_line(lambda line: line.startswith("Hub API for Space names: HF_ENDPOINT="))
    banner = [served.wait_for_line(lambda line: line) for _ in range(3)]
    assert banner == [
        f"  Space gradio/six: 'reference' at {served.url}/ (the root app) (RUNNING)\n",
        f"  Space gradio/five: 'reference' at {served.url}/spaces/gradio/five/ (RUNNING)\n",
        f"  Space me/hello: 'Greeting' at {served.url}/spaces/me/hello/ (BUILDING for 0.2 s)\n",
    ]
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            """
            from gradio_client import Client

            six, four = Client("gradio/six"), Client("gradio/five")
            hello = Client("me/hello")
            print(type(six.predict("Hi", api_name="/predict")).__name__)
            print(type(four.predict("Hi", api_name="/predict")).__name__)
            print(hello.predict("Ann", True, 5, api_name="/hello"))
            print(six.src, four.src, hello.src)
            """
        )
    )
    env = {
        **cli_env(),
        "HF_ENDPOINT": served.url,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("HF_TOKEN", None)
    run = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=WAIT,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-4:] == [
        "str",
        "str",
        "('Good morning Ann. It is 5 degrees today', -15.0)",
        f"{served.url} {served.url}/spaces/gradio/five/ {served.url}/spaces/me/hello/",
    ]
    assert served.stop() == 0


def test_a_mounted_cassette_replays_at_the_speed_asked(
    command: Callable[..., Served], tmp_path: Path
) -> None:
    spec = _spec("6.31.0")
    cassette = tmp_path / "cassette.json"
    slow = {"type": "complete", "data": ["Salut"], "delay": 20.0, "offset": 20.0}
    recording = {"api_name": "/predict", "data": ["Hi"], "wire": "call", "events": [slow]}
    cassette.write_text(
        json.dumps({"format": "gradio-mock-cassette/1", "spec": spec, "recordings": [recording]})
    )
    served = command("--port=0", f"--space=me/recorded={cassette}", "--speed=0")
    base = served.url + "/spaces/me/recorded/gradio_api"
    event_id = httpx.post(f"{base}/call/predict", json={"data": ["Hi"]}, timeout=WAIT).json()
    # At the recorded speed the answer would take 20 s: the deadline of 10 s says it did not.
    frames = read_frames(f"{base}/call/predict/{event_id['event_id']}", timeout=10)
    assert frames == [("complete", ["Salut"])]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--space", "nobody"], 2, "a Space is named owner/name"),
        (["--space", "me/x="], 2, "name the app to serve after '='"),
        (["--space", "me/x", "--space-stage", "ASLEEP"], 2, "the stage is one of RUNNING"),
        (["--space", "me/x", "--space-stage", "BUILDING:soon"], 2, "e.g. BUILDING:3"),
        (["--space-stage", "PAUSED"], 2, "--space-stage needs a --space"),
        (["--space", "me/x", "--space", "me/x"], 3, "--space me/x is given twice"),
        (["--space", "me/x", "--space-stage", "me/y=PAUSED"], 3, "no --space me/y"),
        (["--space", "me/x=nowhere.json"], 3, "nowhere.json: no such file"),
        (
            ["--space", "me/x", "--workers", "2", "--store", "redis://127.0.0.1:1/0"],
            2,
            "--space serves one process",
        ),
    ],
)
def test_bad_space_options_are_refused_saying_what_was_expected(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    try:
        result = main(["--port=0", *args])
    except SystemExit as exit:
        result = exit.code
    assert result == code
    assert message in capsys.readouterr().err
