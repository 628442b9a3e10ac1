"""Our ``/config`` and ``/info`` for each ``--gradio-version``, compared field by field with what
real Gradio 4.44.1, 5.50.0 and 6.31.0 answered for ``tests/reference/reference_app.py``
(``tests/reference/gradio-<version>/``, recorded by ``tests/reference/capture.py``).

Every field we do not send as Gradio does is in ``DELIBERATE`` with its reason; anything else
that differs fails the test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.pytest_plugin import MockServer
from tests.reference.capture import Normaliser
from tests.reference.mock_app import app as mock_app

REFERENCE = Path(__file__).parent / "reference"
VERSIONS = {4: "4.44.1", 5: "5.50.0", 6: "6.31.0"}
#: The endpoints mock_app.py shares with the reference app, with the same components (/kinds
#: is compared apart: its Chatbot is simpler than Gradio's, see DELIBERATE).
SHARED = (
    "predict", "hello", "stream", "image", "file", "count", "boom", "crash", "progress", "chat",
)  # fmt: skip
#: Dependency fields compared one by one (what the clients read, and the flags around them).
DEPENDENCY_FIELDS = (
    "backend_fn",
    "js",
    "queue",
    "api_name",
    "scroll_to_output",
    "show_progress",
    "batch",
    "max_batch_size",
    "cancels",
    "types",
    "collects_event_data",
    "trigger_after",
    "trigger_only_on_success",
    "trigger_mode",
    "show_api",
    "zerogpu",
    "api_visibility",
    "connection",
    "time_limit",
    "stream_every",
    "event_specific_args",
    "js_implementation",
    "component_prop_inputs",
    "api_description",
    "trigger_only_on_failure",
    "show_progress_on",
    "render_id",
    "like_user_message",
)
#: Fields that differ on purpose, and why.
DELIBERATE: dict[str, str] = {
    "config: theme_hash, i18n_translations, mcp_server, page, pwa, vibe_mode, run_history": (
        "web UI state gradio-mock has no use for; no client reads them"
    ),
    "config.max_file_size": "Gradio sends null (no limit); we send --max-file-size",
    "config.stylesheets, body_css, css, js, head": "the web UI's look",
    "config.footer_links (6: without 'runs')": "web UI links; gradio-mock keeps no run history",
    "component.props": "layout and styling props of the web UI, which gradio-mock does not serve",
    "component.component_class_id": "a hash of Gradio's component class source; ours hashes the "
    "component's kind",
    "component.example_inputs": "the same values except Image's, which points at our example "
    "URL (Gradio 4 gives an upload path of its own)",
    "info: parameter and return labels": "numbered by component id (parameter_4); our ids follow "
    "our own layout",
    "info: description": "Gradio gives a docstring only where the app set one; ours come from "
    "the functions' docstrings",
    "Chatbot": "a plain {role, content} list schema, not Gradio's Message/FileMessage/"
    "ComponentMessage $defs; no default []",
    "Dropdown (4.44)": "Gradio 4.44 says parameter_has_default false; we give its first choice",
    "code snippets for File and Image inputs (6)": "Gradio 6 writes an upload step (bash) and a "
    "fetch() of the example (JavaScript); ours pass the example URL",
}


def ours(server: MockServer, path: str) -> Any:
    response = httpx.get(server.url + path, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def theirs(major: int, name: str) -> Any:
    return json.loads((REFERENCE / f"gradio-{VERSIONS[major]}" / name).read_text())


def by_api(config: dict[str, Any]) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """api_name → (dependency, its input and output components, in order)."""
    components = {c["id"]: c for c in config["components"]}
    return {
        d["api_name"]: (d, [components[i] for i in d["inputs"] + d["outputs"]])
        for d in config["dependencies"]
    }


@pytest.fixture(params=sorted(VERSIONS), ids=[f"gradio{m}" for m in sorted(VERSIONS)])
def profile(request: pytest.FixtureRequest, start_server: Any) -> tuple[int, MockServer]:
    return request.param, start_server(mock_app, gradio_version=request.param)


def test_top_level_fields_match(profile: tuple[int, MockServer]) -> None:
    major, server = profile
    mine, real = ours(server, "/config"), theirs(major, "config.json")
    for field in ("version", "protocol", "mode", "enable_queue", "connect_heartbeat"):
        assert mine[field] == real[field], field
    assert mine.get("api_prefix") == real.get("api_prefix")
    assert mine.get("show_api") == real.get("show_api")
    assert ("footer_links" in mine) == ("footer_links" in real)


def test_component_schemas_match(profile: tuple[int, MockServer]) -> None:
    major, server = profile
    mine, real = by_api(ours(server, "/config")), by_api(theirs(major, "config.json"))
    for api in SHARED:
        my_components, real_components = mine[api][1], real[api][1]
        assert [c["type"] for c in my_components] == [c["type"] for c in real_components], api
        for a, b in zip(my_components, real_components):
            where = f"{api}: {b['type']}"
            # The same keys, and the same value schemas, to the byte.
            assert set(a) == set(b), (where, set(a) ^ set(b))
            for key in ("api_info", "api_info_as_input", "api_info_as_output"):
                if key in b:
                    assert json.dumps(a[key]) == json.dumps(b[key]), (where, key)
            assert (a["skip_api"], a["key"]) == (b["skip_api"], b["key"]), where


def test_dependencies_match(profile: tuple[int, MockServer]) -> None:
    major, server = profile
    mine, real = by_api(ours(server, "/config")), by_api(theirs(major, "config.json"))
    for api in SHARED:
        a, b = mine[api][0], real[api][0]
        for field in DEPENDENCY_FIELDS:
            assert (field in a) == (field in b), (api, field)
            if field in a and field in b:
                assert a[field] == b[field], (api, field, a[field], b[field])
        assert len(a["inputs"]) == len(b["inputs"]) and len(a["outputs"]) == len(b["outputs"])


def test_a_state_is_one_component_as_in_gradio(profile: tuple[int, MockServer]) -> None:
    """/chat's ``gr.State`` is its second input and its second output, with one id, once in
    ``components``: its props have the version's keys (4.44: its initial value too)."""
    major, server = profile
    for config in (ours(server, "/config"), theirs(major, "config.json")):
        (chat,) = [d for d in config["dependencies"] if d["api_name"] == "chat"]
        assert chat["inputs"][1] == chat["outputs"][1]
        states = [c for c in config["components"] if c["id"] == chat["inputs"][1]]
        assert len(states) == 1 and states[0]["type"] == "state"
        assert states[0]["skip_api"] is True
        props = states[0]["props"]
        assert sorted(props) == sorted(
            ["time_to_live", "delete_callback", "name", "_selectable"]
            + (["value"] if major == 4 else [])
        )
        assert props.get("value", []) == [] and props["name"] == "state"


def test_info_matches(profile: tuple[int, MockServer]) -> None:
    """/info (what gradio_client's view_api reads): every field but the labels and the
    descriptions, value schemas to the byte."""
    major, server = profile
    prefix = "" if major == 4 else "/gradio_api"
    mine = ours(server, prefix + "/info")["named_endpoints"]
    real = theirs(major, "info.json")["named_endpoints"]
    norm = Normaliser(server.url, [])
    for api in SHARED:
        a, b = mine[f"/{api}"], real[f"/{api}"]
        image = api == "image"
        assert set(a) == set(b), (api, set(a) ^ set(b))
        for side in ("parameters", "returns"):
            assert len(a[side]) == len(b[side]), (api, side)
            for x, y in zip(a[side], b[side]):
                for key in set(x) | set(y):
                    if key in {"label", "parameter_name"} or (key == "example_input" and image):
                        continue  # DELIBERATE (labels); the demos name the image `image`
                    assert json.dumps(x.get(key)) == json.dumps(y.get(key)), (api, side, key)
        snippets = b.get("code_snippets", {})
        if api not in ("image", "file"):  # DELIBERATE["code snippets for File and Image inputs"]
            for lang, code in snippets.items():
                assert norm.text(a["code_snippets"][lang]) == code, (api, lang)


def test_the_captures_are_normalised() -> None:
    """A check of the capture script's normaliser, which the stored captures rely on."""
    norm = Normaliser("http://127.0.0.1:1234", ["/tmp/capture-x"])
    text = norm.text(
        "http://127.0.0.1:1234/file=/tmp/capture-x/ab12/f.png 0123456789abcdef0123456789abcdef"
    )
    assert text == "<root>/file=<tmp>/…/f.png <id1>"
    assert norm.json({"rank_eta": 0.3, "duration": 10, "output": {"duration": 0.25}}) == {
        "rank_eta": "<float>",
        "duration": 10,
        "output": {"duration": "<float>"},
    }
