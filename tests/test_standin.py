"""Standing in for an app you don't own (``server/standin``): snapshot an app's API into a
spec, serve the spec, implement endpoints, and diff two specs.

The apps snapshotted are real servers on loopback ports: the demos and a richer gradio-mock
app (every component, defaults, streaming, state), and real Gradio's own ``/config`` and
``/info`` as captured in ``tests/reference/gradio-*`` (4.44.1, 5.50.0, 6.31.0), turned into
specs by the same code ``snapshot`` runs after fetching. The stand-in must read the same to
both official clients (``view_api()``) and answer their calls.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client, handle_file

from demos import app as demos_app
from server import (
    App,
    Chatbot,
    DefinitionError,
    Dropdown,
    File,
    Image,
    Json,
    Number,
    Session,
    Slider,
    Textbox,
)
from server._cli import main
from server.pytest_plugin import MockServer
from server.standin import (
    Spec,
    SpecError,
    diff_specs,
    generate_value,
    load_spec,
    snapshot,
    spec_from_captures,
)
from tests.conftest import StartServer
from tests.test_js_client import node, run_js  # noqa: F401 (node: the fixture)

pytest_plugins = ["pytester"]

REFERENCE = Path(__file__).parent / "reference"
VERSIONS = ["4.44.1", "5.50.0", "6.31.0"]
HEARTBEAT = 0.2
WAIT = 10.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def rich_app() -> App:
    """Every component gradio-mock knows, defaults, a generator, a session and a file."""
    app = App("rich")

    @app.api(
        "shop",
        inputs=[
            Textbox(label="Item"),
            Dropdown(["small", "large"], label="Size"),
            Slider(1, 10, 2, label="Count"),
            "checkbox",
        ],
        outputs=[Textbox(label="Receipt"), Number(label="Total"), Json()],
    )
    def shop(item: str, size: str, count: float, gift: bool = False) -> tuple[str, float, Any]:
        return f"{count} {size} {item}", count * 2.5, {"gift": gift}

    @app.api("talk", inputs=["textbox", Chatbot()], outputs=Chatbot())
    def talk(message: str, history: list[Any]) -> list[Any]:
        return [*history, {"role": "user", "content": message}]

    @app.api("count", inputs=Number(label="Up to", value=3))
    def count(n: float) -> Iterator[str]:
        for i in range(int(n)):
            yield str(i)

    @app.api("picture", inputs=Image(), outputs=Image())
    def picture(path: str) -> str:
        return path

    @app.api("document", inputs=File(), outputs=File())
    def document(path: str) -> str:
        return path

    @app.api("remember")
    def remember(text: str, session: Session) -> str:
        session.state["last"] = text
        return text

    return app


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[str], Client]]:
    """A quiet ``gradio_client.Client``, closed (threads and all) after the test."""
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    clients: list[Client] = []

    def make(url: str) -> Client:
        client = Client(
            url, verbose=False, analytics_enabled=False, download_files=str(tmp_path / "dl")
        )
        clients.append(client)
        return client

    yield make
    threads: list[threading.Thread] = []
    for client in clients:
        client._kill_heartbeat.set()
    for client in clients:
        client.close()
        for executor in (client.executor, client.helper_executor, client.stream_executor):
            executor.shutdown(wait=False, cancel_futures=True)
            threads.extend(t for t in executor._threads if t.ident is not None)
        threads.append(client.heartbeat)
    for thread in threads:
        thread.join(WAIT)
    assert not [t.name for t in threads if t.is_alive()]


def _start(start_server: StartServer, app: App, version: int = 6) -> MockServer:
    return start_server(app, heartbeat=HEARTBEAT, gradio_version=version)


def _api_prefix(version: int) -> str:
    return "" if version == 4 else "/gradio_api"


def _info(server: MockServer, version: int) -> dict[str, Any]:
    info = httpx.get(f"{server.url}{_api_prefix(version)}/info", timeout=WAIT).json()
    for entry in info["named_endpoints"].values():
        entry.pop("code_snippets", None)  # they hold the server's address
    return dict(info)


def _config(server: MockServer) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/config", timeout=WAIT).json())


def _dependencies(config: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What /config says of each endpoint that the clients act on."""
    types = {c["id"]: c["type"] for c in config["components"]}
    skipped = {c["id"] for c in config["components"] if c.get("skip_api")}
    return [
        (
            d["api_name"],
            d["types"]["generator"],
            [types[i] == "state" or i in skipped for i in d["inputs"]],
            [types[i] == "state" or i in skipped for i in d["outputs"]],
        )
        for d in config["dependencies"]
    ]


def _view_api(client: Client) -> Any:
    return client.view_api(print_info=False, return_format="dict")


def _captured(version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = REFERENCE / f"gradio-{version}"
    config = json.loads((folder / "config.json").read_text())
    info = json.loads((folder / "info.json").read_text())
    return config, info


# -- snapshot → serve → the same API ---------------------------------------------------------


@pytest.mark.parametrize("version", [4, 5, 6])
@pytest.mark.parametrize("make", [lambda: demos_app, rich_app], ids=["demos", "rich"])
def test_a_snapshot_serves_the_same_info_config_and_view_api(
    start_server: StartServer,
    connect: Callable[[str], Client],
    make: Callable[[], App],
    version: int,
) -> None:
    original = _start(start_server, make(), version)
    spec = snapshot(original.url)
    assert spec.major == version
    stand_in = _start(start_server, App.from_spec(spec.to_json()), version)

    assert _info(stand_in, version) == _info(original, version)
    config, original_config = _config(stand_in), _config(original)
    assert config["version"] == original_config["version"]
    assert _dependencies(config) == _dependencies(original_config)
    assert _view_api(connect(stand_in.url)) == _view_api(connect(original.url))


@pytest.mark.parametrize("version", VERSIONS)
def test_a_real_gradio_capture_becomes_a_spec_served_as_the_original(
    start_server: StartServer, connect: Callable[[str], Client], version: str
) -> None:
    config, info = _captured(version)
    spec = spec_from_captures(config, info)
    assert [e.api_name for e in spec.endpoints] == list(info["named_endpoints"])
    assert [e.api_name for e in spec.endpoints if e.streams] == ["/stream", "/count"]
    chat = spec.endpoint("/chat")
    assert chat is not None and [i.state for i in chat.inputs] == [False, True]
    major = spec.major
    stand_in = _start(start_server, App.from_spec(spec.to_json()), major)

    served = _info(stand_in, major)["named_endpoints"]
    for name, entry in info["named_endpoints"].items():
        entry = {k: v for k, v in entry.items() if k != "code_snippets"}
        assert served[name] == entry, name
    served_config = _config(stand_in)
    assert served_config["version"] == version
    assert _dependencies(served_config) == _dependencies(config)

    client = connect(stand_in.url)
    assert set(_view_api(client)["named_endpoints"]) == set(info["named_endpoints"])
    greeting, celsius = client.predict("Ada", api_name="/hello")  # defaults fill the rest
    assert isinstance(greeting, str) and isinstance(celsius, (int, float))
    assert isinstance(client.predict("hi", api_name="/chat"), str)  # the state is dropped
    job = client.submit("abc", api_name="/stream")
    job.result(timeout=WAIT)
    assert len(job.outputs()) == 3 and all(isinstance(o, str) for o in job.outputs())
    image = Path(client.predict(handle_file(str(REFERENCE / "README.md")), api_name="/image"))
    assert image.read_bytes().startswith(PNG_SIGNATURE)
    document = client.predict(handle_file(str(REFERENCE / "README.md")), api_name="/file")
    assert Path(document).read_bytes().startswith(b"gradio-mock generated file")


@pytest.mark.node
def test_javascript_client_reads_and_calls_the_stand_in_as_the_original(
    start_server: StartServer,
    node: str,  # noqa: F811 (the fixture imported above)
) -> None:
    original = _start(start_server, demos_app)
    stand_in = _start(start_server, App.from_spec(snapshot(original.url).to_json()))
    assert run_js(node, stand_in.url, "view_api") == run_js(node, original.url, "view_api")
    result = run_js(node, stand_in.url, "predict", {"endpoint": "/hello", "data": ["Ada"]})
    assert result["type"] == "data" and len(result["data"]) == 2
    messages = run_js(node, stand_in.url, "submit", {"endpoint": "/stream", "data": ["abc"]})
    values = [m["data"] for m in messages if m["type"] == "data"]
    assert len(values) == 4 and values[3] == values[2]  # three values, then the complete


# -- answers: examples, generated values, files ----------------------------------------


def _spec_json(version: str = "6.31.0") -> dict[str, Any]:
    return spec_from_captures(*_captured(version)).to_json()


def _endpoint(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in spec["endpoints"] if e["api_name"] == name)


def _call(server: MockServer, api: str, data: list[Any]) -> list[tuple[str, Any]]:
    """The SSE events of one call through the /call API."""
    with httpx.Client(base_url=server.url + "/gradio_api", timeout=WAIT) as client:
        event_id = client.post(f"/call/{api}", json={"data": data}).json()["event_id"]
        with client.stream("GET", f"/call/{api}/{event_id}") as response:
            body = response.read().decode()
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_examples_answer_matching_inputs_and_others_get_generated_values(
    start_server: StartServer, connect: Callable[[str], Client]
) -> None:
    spec = _spec_json()
    _endpoint(spec, "/predict")["examples"] = [
        {"data": ["Hello, my friend."], "outputs": ["Bonjour, mon ami."]}
    ]
    _endpoint(spec, "/hello")["examples"] = [
        {"data": {"name": "Ada"}, "outputs": ["Good morning Ada", 21.5]}
    ]
    _endpoint(spec, "/stream")["examples"] = [
        {
            "data": ["ab"],
            "events": [
                {"type": "generating", "data": ["a"]},
                {"type": "generating", "data": ["ab"]},
                {"type": "complete", "data": ["ab"]},
            ],
        }
    ]
    _endpoint(spec, "/chat")["examples"] = [{"data": ["hi"], "outputs": ["hello there"]}]
    server = _start(start_server, App.from_spec(spec))
    client = connect(server.url)

    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    assert client.predict("Ada", True, 50, api_name="/hello") == ("Good morning Ada", 21.5)
    assert client.predict("hi", api_name="/chat") == "hello there"  # state input and output
    job = client.submit("ab", api_name="/stream")
    job.result(timeout=WAIT)
    assert job.outputs() == ["a", "ab"]  # the complete repeats the last value
    assert _call(server, "predict", ["Hello, my friend."])[-1] == (
        "complete",
        ["Bonjour, mon ami."],
    )
    other = client.predict("something else", api_name="/predict")
    assert isinstance(other, str) and other != "Bonjour, mon ami."
    answered = [e["answered_by"] for e in server.requests("predict") if e.get("event_id")]
    assert answered[:2] == ["example", "example"] and answered[-1] == "function"


def test_a_bad_example_is_refused_naming_the_endpoint() -> None:
    spec = _spec_json()
    _endpoint(spec, "/hello")["examples"] = [{"data": ["Ada"], "outputs": ["only one"]}]
    with pytest.raises(SpecError, match=r"/hello: examples\[0\]: outputs: /hello has 2 outputs"):
        App.from_spec(spec)


def test_the_same_seed_gives_the_same_outputs(start_server: StartServer) -> None:
    spec = _spec_json()
    servers = [_start(start_server, App.from_spec(spec, seed=seed)) for seed in (7, 7, 8)]
    inputs = {"predict": ["x"], "hello": ["Ada", True, 50], "kinds": [1, "a", {}, []]}
    answers = [{api: _call(s, api, data)[-1] for api, data in inputs.items()} for s in servers]
    assert answers[0] == answers[1]
    assert answers[0] != answers[2]
    for api, (event, _) in answers[0].items():
        assert event == "complete", api
    hello = answers[0]["hello"][1]
    assert isinstance(hello[0], str) and isinstance(hello[1], (int, float))
    # Other inputs, other (but again repeatable) values.
    assert _call(servers[0], "predict", ["y"])[-1] != answers[0]["predict"]


def test_generated_values_fit_the_schemas_gradio_uses() -> None:
    import random

    file_data = {
        "title": "FileData",
        "type": "object",
        "properties": {"path": {"type": "string"}, "url": {}, "orig_name": {}},
    }
    schema = {
        "$defs": {"FileData": file_data, "Point": {"type": "object", "properties": {}}},
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": 4},
            "count": {"type": "integer", "minimum": 5, "maximum": 6},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1},
            "flag": {"type": "boolean"},
            "choice": {"enum": ["a", "b"]},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            "files": {"type": "array", "items": {"$ref": "#/$defs/FileData"}},
            "gallery": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"type": "object", "properties": {"image": {"$ref": "#/$defs/FileData"}}},
                        {"type": "object", "properties": {"video": {"$ref": "#/$defs/FileData"}}},
                    ]
                },
            },
            "maybe_file": {"anyOf": [{"$ref": "#/$defs/FileData"}, {"type": "null"}]},
            "either": {"anyOf": [{"type": "string"}, {"type": "number"}]},
            "point": {"$ref": "#/$defs/Point"},
            "anything": {},
        },
    }
    value = generate_value(schema, random.Random(1))
    assert value == generate_value(schema, random.Random(1))
    assert isinstance(value["text"], str) and len(value["text"]) <= 4
    assert value["count"] in (5, 6) and 0 <= value["ratio"] <= 1
    assert isinstance(value["flag"], bool) and value["choice"] in ("a", "b")
    assert isinstance(value["pair"][0], str) and isinstance(value["pair"][1], int)
    assert value["files"] == value["gallery"] == [] and value["maybe_file"] is None
    assert isinstance(value["either"], (str, float)) and value["point"] == {}
    json.dumps(value)


def _generic_spec() -> dict[str, Any]:
    """An app of components gradio-mock has no class for, as a snapshot describes them."""
    _, info = _captured("6.31.0")
    file_schema = info["named_endpoints"]["/file"]["returns"][0]["type"]
    python_type = {"type": "filepath", "description": ""}
    gallery = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"image": file_schema, "caption": {"anyOf": [{"type": "string"}]}},
        },
    }
    return {
        "format": "gradio-mock-spec/1",
        "gradio_version": "6.31.0",
        "endpoints": [
            {
                "api_name": "/speak",
                "streams": False,
                "inputs": [
                    {
                        "label": "Text",
                        "parameter_name": "text",
                        "parameter_has_default": True,
                        "parameter_default": "hi",
                        "type": {"type": "string"},
                        "python_type": {"type": "str", "description": ""},
                        "component": "Markdown",
                        "example_input": "hi",
                        "config_type": "markdown",
                    }
                ],
                "outputs": [
                    {
                        "label": "Speech",
                        "type": file_schema,
                        "python_type": python_type,
                        "component": "Audio",
                        "config_type": "audio",
                    },
                    {
                        "label": "Pictures",
                        "type": gallery,
                        "python_type": {"type": "list", "description": ""},
                        "component": "Gallery",
                        "config_type": "gallery",
                    },
                ],
            }
        ],
    }


def test_components_gradio_mock_does_not_know_are_served_from_their_schema(
    start_server: StartServer, connect: Callable[[str], Client]
) -> None:
    spec = _generic_spec()
    server = _start(start_server, App.from_spec(spec))
    parameters = _info(server, 6)["named_endpoints"]["/speak"]
    assert parameters["parameters"][0]["component"] == "Markdown"
    assert [r["component"] for r in parameters["returns"]] == ["Audio", "Gallery"]
    config = _config(server)
    assert {c["type"] for c in config["components"]} >= {"markdown", "audio", "gallery"}
    speech, pictures = connect(server.url).predict(api_name="/speak")
    audio = Path(speech).read_bytes()
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    assert pictures == []


# -- implement -------------------------------------------------------------------------------


def test_implement_replaces_an_endpoint_with_a_real_function(
    start_server: StartServer, connect: Callable[[str], Client]
) -> None:
    app = App.from_spec(_spec_json())

    @app.implement("/predict")
    def translate(text: str) -> str:
        return text[::-1]

    @app.implement("/chat")
    def chat(message: str, history: Any) -> tuple[str, Any]:
        return f"echo {message}", history

    @app.implement("/stream")
    def stream(text: str) -> Iterator[str]:
        for i in range(len(text)):
            yield text[: i + 1]

    client = connect(_start(start_server, app).url)
    assert client.predict("abc", api_name="/predict") == "cba"
    assert client.predict("yo", api_name="/chat") == "echo yo"
    job = client.submit("abc", api_name="/stream")
    job.result(timeout=WAIT)
    assert job.outputs() == ["a", "ab", "abc"]


def _refusal(api_name: str, fn: Callable[..., Any]) -> str:
    app = App.from_spec(_spec_json())
    with pytest.raises(DefinitionError) as refused:
        app.implement(api_name)(fn)
    return str(refused.value)


def test_implement_refuses_a_function_that_does_not_fit_naming_what_differs() -> None:
    def hello(name: str, morning: bool, temperature: float) -> Any: ...

    assert _refusal("/hello", hello) == (
        "implement /hello: hello does not fit the spec: "
        "parameter 2 is named 'morning', the spec calls it 'is_morning'"
    )

    def short(name: str) -> Any: ...

    assert _refusal("/hello", short) == (
        "implement /hello: short does not fit the spec: it takes 1 positional parameter "
        "(name), the spec has 3 (name, is_morning, temperature)"
    )

    def not_streaming(text: str) -> str:
        return text

    assert _refusal("/stream", not_streaming).endswith(
        "the spec's endpoint streams, so the function must be a generator (yield its values)"
    )

    def streaming(text: str) -> Iterator[str]:
        yield text

    assert _refusal("/predict", streaming).endswith(
        "the function is a generator, the spec's endpoint does not stream"
    )
    assert _refusal("/nope", streaming).startswith(
        "implement: the spec has no endpoint /nope; its endpoints: /predict, /hello"
    )


# -- the spec file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(format="other"), "\"format\" must be 'gradio-mock-spec/1'"),
        (lambda s: s.update(gradio_version="3.50"), '"gradio_version" is the Gradio release'),
        (lambda s: s["endpoints"][1].pop("api_name"), r"endpoints\[1\]: \"api_name\""),
        (
            lambda s: s["endpoints"][1]["inputs"][0].pop("component"),
            r"endpoints\[1\] \(/hello\): inputs\[0\]: \"component\"",
        ),
        (lambda s: s["endpoints"].append(s["endpoints"][0]), "endpoint /predict is listed twice"),
        (lambda s: s["endpoints"][0].update(streams="yes"), '"streams" is true or false'),
        (
            lambda s: s["endpoints"][1].update(fn_index=0),
            '"fn_index" must increase from one endpoint to the next',
        ),
    ],
)
def test_a_bad_spec_is_refused_saying_where(
    tmp_path: Path, change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    spec = _spec_json()
    change(spec)
    path = tmp_path / "app.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(SpecError, match=message):
        load_spec(path)


def test_spec_round_trips_through_its_file(tmp_path: Path) -> None:
    spec = spec_from_captures(*_captured("5.50.0"))
    path = tmp_path / "app.json"
    from server.standin import save_spec

    save_spec(spec, path)
    assert load_spec(path) == spec


# -- diff ------------------------------------------------------------------------------------


def _changed(change: Callable[[dict[str, Any]], Any]) -> list[str]:
    old = _spec_json()
    new = copy.deepcopy(old)
    change(new)
    return diff_specs(Spec.from_json(old), Spec.from_json(new))


def _input(spec: dict[str, Any], api: str, n: int) -> dict[str, Any]:
    return dict(_endpoint(spec, api)["inputs"][n])


def test_diff_names_each_change_by_endpoint_and_field() -> None:
    assert _changed(lambda s: None) == []

    def rename(s: dict[str, Any]) -> None:
        _endpoint(s, "/hello")["inputs"][1]["parameter_name"] = "morning"

    assert _changed(rename) == ["/hello: parameter 2 renamed: is_morning → morning"]

    def retype(s: dict[str, Any]) -> None:
        temperature = _endpoint(s, "/hello")["inputs"][2]
        temperature.update(component="Textbox", type={"type": "string"})

    assert _changed(retype) == [
        "/hello: parameter temperature retyped: Slider (number) → Textbox (string)"
    ]

    def remove(s: dict[str, Any]) -> None:
        s["endpoints"].remove(_endpoint(s, "/boom"))

    assert _changed(remove) == ["/boom: endpoint removed"]

    def add(s: dict[str, Any]) -> None:
        s["endpoints"].append(
            {**_endpoint(s, "/predict"), "api_name": "/translate", "fn_index": 12}
        )

    assert _changed(add) == ["/translate: endpoint added (text: Textbox)"]

    def stop_streaming(s: dict[str, Any]) -> None:
        _endpoint(s, "/stream")["streams"] = False

    assert _changed(stop_streaming) == ["/stream: streaming switched off"]

    def reorder(s: dict[str, Any]) -> None:
        s["endpoints"] = s["endpoints"][8:10] + s["endpoints"][:8] + s["endpoints"][10:]
        for endpoint in s["endpoints"]:
            endpoint["fn_index"] = None  # (a spec's fn_index must increase)

    assert _changed(reorder) == [
        "endpoints reordered (fn_index order): /count, /boom, /predict, /hello, /stream, "
        "/image, /chat, /file, /kinds, /progress, /crash, /slow"
    ]

    def hidden_event(s: dict[str, Any]) -> None:
        _endpoint(s, "/slow")["fn_index"] = 12

    assert _changed(hidden_event) == ["/slow: fn_index changed: 11 → 12"]

    def defaults(s: dict[str, Any]) -> None:
        _endpoint(s, "/hello")["inputs"][2]["parameter_has_default"] = False
        _endpoint(s, "/predict")["inputs"][0].update(
            parameter_has_default=True, parameter_default="hi"
        )

    assert _changed(defaults) == [
        '/predict: parameter text given a default: "hi"',
        "/hello: parameter temperature lost its default (was 0)",
    ]

    def outputs(s: dict[str, Any]) -> None:
        hello = _endpoint(s, "/hello")
        hello["outputs"].append(hello["outputs"][0])
        _endpoint(s, "/predict")["outputs"] = []

    assert _changed(outputs) == [
        "/predict: output 1 removed: Textbox (string)",
        "/hello: output 3 added: Textbox (string)",
    ]


def test_diff_cli_exits_0_when_the_same_and_1_with_the_list(
    start_server: StartServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = _start(start_server, demos_app)
    saved = tmp_path / "app.json"
    assert main(["snapshot", original.url, "-o", str(saved)]) == 0
    assert "Saved 5 endpoints" in capsys.readouterr().out
    assert main(["diff", str(saved), original.url]) == 0
    assert "has the API of" in capsys.readouterr().out

    changed = rich_app()
    live = _start(start_server, changed)
    assert main(["diff", str(saved), live.url]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{live.url} differs from {saved}:"
    assert "  /predict: endpoint removed" in out
    assert (
        "  /shop: endpoint added (item: Textbox, size: Dropdown, count: Slider, gift: "
        "Checkbox)" in out
    )
    assert "  /count: endpoint added (n: Number)" in out


def test_diff_and_snapshot_cli_exit_3_when_unreachable_or_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assert main(["snapshot", dead, "-o", str(tmp_path / "x.json")]) == 3
    assert "gradio-mock snapshot: error: cannot reach" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{")
    assert main(["diff", str(tmp_path / "bad.json"), dead]) == 3
    assert "is not valid JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["diff", str(tmp_path / "bad.json")])
    assert usage.value.code == 2


def test_snapshot_with_a_token_of_a_private_app(
    start_server: StartServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private = start_server(demos_app, token="s3cret")
    path = str(tmp_path / "app.json")
    assert main(["snapshot", private.url, "-o", path]) == 3
    assert "answered 401 (a private app: pass --token)" in capsys.readouterr().err
    assert main(["snapshot", private.url, "-o", path, "--token", "s3cret"]) == 0
    assert load_spec(path).endpoints[0].api_name == "/predict"


def test_gradio_mock_serves_a_spec_file_with_a_seed(tmp_path: Path) -> None:
    from tests.test_cli import Served, cli_env

    path = tmp_path / "app.json"
    path.write_text(json.dumps(_spec_json("4.44.1")))
    answers = []
    for _ in range(2):
        served = Served([str(path), "--port", "0", "--seed", "3"], cli_env())
        try:
            assert "speaking Gradio 4.44.1's API" in served.stdout
            with httpx.Client(base_url=served.url, timeout=WAIT) as client:
                event_id = client.post("/call/hello", json={"data": ["Ada", True, 3]}).json()
                answers.append(client.get(f"/call/hello/{event_id['event_id']}").text)
        finally:
            assert served.stop() == 0
            for stream in (served.process.stdout, served.process.stderr):
                assert stream is not None
                stream.close()
    assert answers[0] == answers[1] and "event: complete" in answers[0]


def test_the_readme_spec_example_is_served_as_documented(
    start_server: StartServer, connect: Callable[[str], Client]
) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("**The spec file**", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    app = App.from_spec(json.loads(block), seed=1)
    server = _start(start_server, app)
    client = connect(server.url)
    assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    assert client.predict("slow", api_name="/predict") == "lent"
    # As real Gradio: /call may leave out the state input; a state output is sent as null.
    assert _call(server, "predict", ["slow", None])[-1] == ("complete", ["lent", None])
    assert _call(server, "predict", ["slow"])[-1] == ("complete", ["lent", None])

    @app.implement("/predict")
    def predict(text: str, history: Any) -> tuple[str, Any]:
        return text[::-1], history

    assert client.predict("abc", api_name="/predict") == "cba"
    assert _call(server, "predict", ["abc"])[-1] == ("complete", ["cba", None])


def test_a_file_input_counts_for_the_seed_by_its_content(
    start_server: StartServer, connect: Callable[[str], Client], tmp_path: Path
) -> None:
    spec = _spec_json()
    servers = [_start(start_server, App.from_spec(spec, seed=5)) for _ in range(2)]
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("same")
    second.write_text("other")
    images = [
        Path(connect(s.url).predict(handle_file(str(path)), api_name="/image")).read_bytes()
        for s in servers
        for path in (first, first, second)
    ]
    assert all(image.startswith(PNG_SIGNATURE) for image in images)
    # Each upload has its own temporary path: only the content counts.
    assert images[0] == images[1] == images[3] == images[4]
    assert images[2] == images[5] != images[0]


def test_a_bad_spec_target_exits_3_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.json"
    path.write_text(json.dumps({"format": "gradio-mock-spec/1", "gradio_version": "6.0"}))
    assert main([str(path), "--port", "0"]) == 3
    assert capsys.readouterr().err == (
        f'gradio-mock: error: {path}: "endpoints" is a list of endpoints, not null\n'
    )
    assert main([str(tmp_path / "missing.json")]) == 3
    assert "missing.json: no such file" in capsys.readouterr().err


def test_diff_of_real_gradio_releases_names_where_a_schema_changed() -> None:
    """The same app under Gradio 5.50.0 and 6.31.0: FileData's own fields differ by release
    and are not reported; Chatbot's message schema changed and is, with where."""
    old, new = (spec_from_captures(*_captured(v)) for v in ("5.50.0", "6.31.0"))
    where = "$defs.ComponentMessage.properties.type"
    assert diff_specs(old, new) == [
        f"/kinds: parameter messages retyped: Chatbot (array), its value schema differs at {where}",
        f"/kinds: output 4 retyped: Chatbot (array), its value schema differs at {where}",
    ]


def test_the_plugin_serves_a_spec_as_the_readme_shows(pytester: pytest.Pytester) -> None:
    spec = _spec_json("4.44.1")
    _endpoint(spec, "/predict")["examples"] = [{"data": ["hi"], "outputs": ["salut"]}]
    (pytester.path / "app.json").write_text(json.dumps(spec))
    pytester.makeconftest(
        """
        import pytest
        from server import App, Settings

        @pytest.fixture(scope="session")
        def gradio_mock_app():
            return App.from_spec("app.json")

        @pytest.fixture(scope="session")
        def gradio_mock_settings(gradio_mock_app):
            return Settings(port=0, heartbeat=1.0, gradio_version=gradio_mock_app.spec.major)
        """
    )
    pytester.makepyfile(
        """
        import httpx

        def test_predict(gradio_mock):
            assert httpx.get(gradio_mock.url + "/config").json()["version"] == "4.44.1"
            event = httpx.post(gradio_mock.url + "/call/predict", json={"data": ["hi"]}).json()
            body = httpx.get(gradio_mock.url + "/call/predict/" + event["event_id"]).text
            assert body == 'event: complete\\ndata: ["salut"]\\n\\n'
            answered = [e["answered_by"] for e in gradio_mock.requests("predict")]
            assert [a for a in answered if a] == ["example"]
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_events_the_original_hides_keep_their_fn_index(
    start_server: StartServer, connect: Callable[[str], Client]
) -> None:
    spec = _spec_json()
    plain = _start(start_server, App.from_spec(copy.deepcopy(spec)))
    for endpoint in spec["endpoints"]:
        endpoint["fn_index"] = 2 * endpoint["fn_index"] + 1  # a hidden event before each
    spec["hidden"] = [{"fn_index": 0, "api_name": "secret"}, {"fn_index": 24, "api_name": None}]
    server = _start(start_server, App.from_spec(spec))

    assert _info(server, 6) == _info(plain, 6)
    dependencies = _config(server)["dependencies"]
    assert [d["id"] for d in dependencies] == list(range(25))
    assert [dependencies[n]["api_name"] for n in (0, 2, 24)] == ["secret", "hidden_2", "hidden_24"]
    assert [d["api_visibility"] for d in dependencies[:4]] == ["private", "public"] * 2
    assert dependencies[3]["api_name"] == "hello"
    assert not _spec_json()["hidden"]  # the reference app hides nothing
    client = connect(server.url)
    assert _view_api(client) == _view_api(connect(plain.url))
    assert isinstance(client.predict("Ada", True, 5, fn_index=3)[0], str)  # /hello
    with pytest.raises(ValueError, match="Invalid function index: 2"):
        client.predict(fn_index=2)  # as against the original: a private event
    event, payload = _call(server, "hidden_2", [])[-1]
    assert event == "error" and "keeps out of its API" in payload["error"]
    assert "hidden" not in httpx.post(f"{server.url}/gradio_api/call/nope", json={}).text
    server.take_unmatched()
