"""Behind a reverse proxy (root_path, X-Forwarded-*) and --gradio-version 4/5/6, with /config
and /info checked against what real Gradio 4.44.1 and 6.31.0 answered (shared/reference)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from demos import _png
from server.pytest_plugin import MockServer
from tests.sse import read_body

StartServer = Callable[..., MockServer]
#: One client for the whole module: a new httpx client costs ~0.1 s (its SSL context).
HTTP = httpx.Client(timeout=10)
#: What real Gradio answered (copied from the project's shared/reference captures).
REFERENCE = Path(__file__).parent / "reference"
PNG = _png.solid(3, 2, (10, 200, 30))

#: What the official clients read from /config, /info and their parts.
CONFIG_KEYS = {"version", "protocol", "root", "components", "dependencies", "enable_queue"}
COMPONENT_KEYS = {"id", "type", "props", "api_info"}
DEPENDENCY_KEYS = {"id", "api_name", "inputs", "outputs", "types", "queue", "backend_fn"}
PARAMETER_KEYS = {
    "label",
    "parameter_name",
    "parameter_has_default",
    "parameter_default",
    "type",
    "python_type",
    "component",
    "example_input",
}
RETURN_KEYS = {"label", "type", "python_type", "component"}
#: Endpoints the demos share with the reference app (same components in and out).
SHARED = ("predict", "hello", "stream", "image")


@pytest.fixture(scope="module", autouse=True)
def _close_client() -> Iterator[None]:
    yield
    HTTP.close()


def reference(version: str, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / f"gradio-{version}-{kind}.json").read_text())
    return data


def get_json(url: str, **headers: str) -> Any:
    response = HTTP.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.text)
    return response.json()


def run(base: str, api: str, data: list[Any], **headers: str) -> tuple[str, Any]:
    """POST a call under ``base``, read its stream: the last frame."""
    response = HTTP.post(f"{base}/call/{api}", json={"data": data}, headers=headers)
    assert response.status_code == 200, response.text
    with HTTP.stream("GET", f"{base}/call/{api}/{response.json()['event_id']}") as stream:
        assert stream.status_code == 200
        body = read_body(stream)  # within the test's own deadline
    blocks = [b for b in body.split("\n\n") if b.strip()]
    fields = dict(line.split(": ", 1) for line in blocks[-1].split("\n"))
    return fields["event"], json.loads(fields["data"])


def sepia_of(server: MockServer, base: str, **headers: str) -> dict[str, Any]:
    """The FileData the /image demo returns for a PNG uploaded under ``base``."""
    response = HTTP.post(
        f"{base}/upload", files=[("files", ("in.png", PNG, "image/png"))], headers=headers
    )
    assert response.status_code == 200, response.text
    kind, payload = run(base, "image", [{"path": response.json()[0]}], **headers)
    assert kind == "complete", payload
    out: dict[str, Any] = payload[0]
    return out


# -- root_path ------------------------------------------------------------------------


@pytest.fixture
def myapp(start_server: StartServer) -> MockServer:
    return start_server(root_path="/myapp")


def test_config_answers_with_and_without_the_root_path(myapp: MockServer) -> None:
    for path in ("/myapp/config", "/config", "/myapp/gradio_api/config"):
        config = get_json(myapp.url + path)
        assert config["root"] == myapp.url + "/myapp", path
        assert config["api_prefix"] == "/gradio_api"


def test_calls_work_under_the_root_path(myapp: MockServer) -> None:
    for base in ("/myapp/gradio_api", "/myapp", "/gradio_api"):
        assert run(myapp.url + base, "predict", ["Hello, my friend."]) == (
            "complete",
            ["Bonjour, mon ami."],
        )
    info = get_json(myapp.url + "/myapp/gradio_api/info")
    assert "/predict" in info["named_endpoints"]


def test_a_path_that_only_starts_like_the_root_path_is_not_stripped(myapp: MockServer) -> None:
    assert HTTP.get(myapp.url + "/myappx/config").status_code == 404
    assert HTTP.get(myapp.url + "/myapp").status_code == 200  # the home page


def test_file_urls_carry_the_root_path_and_are_fetchable(myapp: MockServer) -> None:
    out = sepia_of(myapp, myapp.url + "/myapp/gradio_api")
    assert out["url"] == f"{myapp.url}/myapp/gradio_api/file={out['path']}"
    response = HTTP.get(out["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert _png.decode(response.content).width == 3


def test_the_root_path_is_normalised(start_server: StartServer) -> None:
    for given in ("myapp/", "/myapp/", "//myapp"):
        server = start_server(root_path=given)
        assert get_json(server.url + "/myapp/config")["root"] == server.url + "/myapp", given
    server = start_server(root_path="/")
    assert get_json(server.url + "/config")["root"] == server.url


# -- X-Forwarded-* -------------------------------------------------------------------


def test_forwarded_headers_make_the_public_root(gradio_mock: MockServer) -> None:
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "space.example",
        "X-Forwarded-Prefix": "/proxied",
    }
    assert get_json(gradio_mock.url + "/config", **headers)["root"] == (
        "https://space.example/proxied"
    )
    out = sepia_of(gradio_mock, gradio_mock.url + "/gradio_api", **headers)
    assert out["url"] == f"https://space.example/proxied/gradio_api/file={out['path']}"
    # What the proxy would forward (prefix stripped) serves the file.
    local = out["url"].replace("https://space.example/proxied", gradio_mock.url)
    assert HTTP.get(local).content.startswith(_png.SIGNATURE)


def test_forwarded_prefix_alone(gradio_mock: MockServer) -> None:
    config = get_json(gradio_mock.url + "/config", **{"X-Forwarded-Prefix": "/a/b/"})
    assert config["root"] == gradio_mock.url + "/a/b"
    out = sepia_of(gradio_mock, gradio_mock.url, **{"X-Forwarded-Prefix": "/a/b"})
    assert out["url"].startswith(f"{gradio_mock.url}/a/b/gradio_api/file=")


def test_forwarded_prefix_overrides_the_root_path(myapp: MockServer) -> None:
    config = get_json(myapp.url + "/myapp/config", **{"X-Forwarded-Prefix": "/outer"})
    assert config["root"] == myapp.url + "/outer"


def test_forwarded_host_with_several_proxies_takes_the_first(gradio_mock: MockServer) -> None:
    headers = {
        "X-Forwarded-Host": "first.example, second.example",
        "X-Forwarded-Proto": "https,http",
    }
    assert get_json(gradio_mock.url + "/config", **headers)["root"] == "https://first.example"


def test_unusable_forwarded_values_are_ignored(gradio_mock: MockServer) -> None:
    for headers in (
        {"X-Forwarded-Proto": "javascript"},
        {"X-Forwarded-Host": "evil.example/path"},
        {"X-Forwarded-Host": "evil.example?x=1"},
        {"X-Forwarded-Prefix": "no-leading-slash"},
        {"X-Forwarded-Prefix": "/a?b=<script>"},
        {"Host": "bad host"},
    ):
        assert get_json(gradio_mock.url + "/config", **headers)["root"] == gradio_mock.url


# -- --gradio-version --------------------------------------------------------------------


def test_gradio_4_config_and_file_urls(start_server: StartServer) -> None:
    server = start_server(gradio_version=4)
    config = get_json(server.url + "/config")
    assert config["version"] == "4.44.1"
    assert "api_prefix" not in config
    assert all(d["show_api"] is True for d in config["dependencies"])
    info = get_json(server.url + "/info")
    assert all(e["show_api"] is True for e in info["named_endpoints"].values())
    out = sepia_of(server, server.url)
    assert out["url"] == f"{server.url}/file={out['path']}"
    assert HTTP.get(out["url"]).status_code == 200


def test_gradio_6_config_and_file_urls(start_server: StartServer) -> None:
    server = start_server(gradio_version=6)
    config = get_json(server.url + "/config")
    assert config["version"] == "6.31.0"
    assert config["api_prefix"] == "/gradio_api"
    assert all("show_api" not in d for d in config["dependencies"])
    out = sepia_of(server, server.url)  # posted at the root: the link still uses the prefix
    assert out["url"] == f"{server.url}/gradio_api/file={out['path']}"


def test_gradio_5_announces_5(start_server: StartServer) -> None:
    config = get_json(start_server(gradio_version=5).url + "/config")
    assert config["version"].startswith("5.")
    assert config["api_prefix"] == "/gradio_api"


def test_an_unknown_gradio_version_is_refused() -> None:
    from demos import app
    from server import Settings, create_app

    with pytest.raises(ValueError, match="gradio version"):
        create_app(app, Settings(gradio_version=3))


# -- the shapes real Gradio answers ------------------------------------------------------


@pytest.fixture(params=[(4, "4.44"), (6, "6.31")], ids=["gradio4", "gradio6"])
def versions(request: pytest.FixtureRequest, start_server: StartServer) -> tuple[Any, ...]:
    major, name = request.param
    server = start_server(gradio_version=major)
    return server, reference(name, "config"), reference(name, "info"), major


def components_by_id(config: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {c["id"]: c for c in config["components"]}


def test_config_top_level_keys_match_gradio(versions: tuple[Any, ...]) -> None:
    server, ref, _, major = versions
    ours = get_json(server.url + "/config")
    wanted = CONFIG_KEYS | ({"show_api"} if major == 4 else {"api_prefix"})
    assert wanted <= set(ref)  # the reference really has them
    assert wanted <= set(ours)
    assert (ours["protocol"], ours["version"]) == (ref["protocol"], ref["version"])
    assert ("api_prefix" in ours) == ("api_prefix" in ref)
    if major != 4:
        assert ours["api_prefix"] == ref["api_prefix"]


def test_config_components_match_gradio(versions: tuple[Any, ...]) -> None:
    server, ref, _, _ = versions
    ours = get_json(server.url + "/config")
    ref_keys = {c["type"]: set(c) for c in ref["components"]}
    for component in ours["components"]:
        kind = component["type"]
        needed = COMPONENT_KEYS if kind != "button" else COMPONENT_KEYS - {"api_info"}
        assert needed <= set(component), component
        if kind in ref_keys:
            # Every key real Gradio sends for this component type, we send too.
            assert ref_keys[kind] <= set(component), (kind, ref_keys[kind] - set(component))


def test_config_dependencies_match_gradio(versions: tuple[Any, ...]) -> None:
    server, ref, _, _ = versions
    ours = get_json(server.url + "/config")
    ref_deps = {d["api_name"]: d for d in ref["dependencies"]}
    our_deps = {d["api_name"]: d for d in ours["dependencies"]}
    ref_components, our_components = components_by_id(ref), components_by_id(ours)
    for name in SHARED:
        mine, theirs = our_deps[name], ref_deps[name]
        assert set(theirs) >= DEPENDENCY_KEYS
        assert set(mine) >= DEPENDENCY_KEYS
        assert set(mine["types"]) == set(theirs["types"])
        assert mine["types"]["generator"] == theirs["types"]["generator"]
        assert (mine["queue"], mine["backend_fn"]) == (theirs["queue"], theirs["backend_fn"])
        for side in ("inputs", "outputs"):
            ours_types = [our_components[i]["type"] for i in mine[side]]
            ref_types = [ref_components[i]["type"] for i in theirs[side]]
            assert ours_types == ref_types, (name, side)
    # Ids are unique, and what a dependency names exists.
    assert len(our_components) == len(ours["components"])
    for dep in ours["dependencies"]:
        assert all(i in our_components for i in dep["inputs"] + dep["outputs"])


def test_info_endpoints_match_gradio(versions: tuple[Any, ...]) -> None:
    server, _, ref, _ = versions
    for prefix in ("", "/gradio_api"):
        ours = get_json(server.url + prefix + "/info")
        assert set(ours) == set(ref) == {"named_endpoints", "unnamed_endpoints"}
        for name in SHARED:
            mine, theirs = ours["named_endpoints"][f"/{name}"], ref["named_endpoints"][f"/{name}"]
            assert len(mine["parameters"]) == len(theirs["parameters"])
            assert len(mine["returns"]) == len(theirs["returns"])
            for a, b in zip(mine["parameters"], theirs["parameters"]):
                assert set(a) == set(b) == PARAMETER_KEYS
                assert (a["component"], a["python_type"]["type"], a["type"].get("type")) == (
                    b["component"],
                    b["python_type"]["type"],
                    b["type"].get("type"),
                )
                assert a["parameter_has_default"] == b["parameter_has_default"]
                assert a["parameter_default"] == b["parameter_default"]
            for a, b in zip(mine["returns"], theirs["returns"]):
                assert set(a) == set(b) == RETURN_KEYS
                assert a["component"] == b["component"]


def test_info_parameter_names_match_the_function(gradio_mock: MockServer) -> None:
    info = get_json(gradio_mock.url + "/gradio_api/info")["named_endpoints"]
    names = [p["parameter_name"] for p in info["/hello"]["parameters"]]
    assert names == ["name", "is_morning", "temperature"]
    ref = reference("6.31", "info")["named_endpoints"]["/hello"]["parameters"]
    assert names == [p["parameter_name"] for p in ref]
