"""``/config`` and ``/info`` compared with what real Gradio answered, as wholes.

The reference captures (``tests/reference/``) come from Gradio 4.44.1 and 6.31.0 serving the
reference app, which ``tests/apps.py`` rebuilds. Every key and every value is compared; the
differences we mean are listed below, each with its reason, and a listed difference that no
longer occurs fails too (so the list stays true). A key dropped from ``/config`` or a value
changed anywhere shows up as a difference nobody explained.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest

from server.pytest_plugin import MockServer
from tests.apps import make_app
from tests.conftest import StartServer
from tests.sse import HTTP

REFERENCE = Path(__file__).parent / "reference"

#: The endpoints of the reference app that real Gradio and gradio-mock both serve.
SHARED = ["predict", "hello", "stream", "image", "chat", "boom", "crash", "slow"]

#: Props of components that only Gradio's web page reads (layout, look, behaviour in the
#: browser). gradio-mock serves no page, and no API client reads them.
UI_PROPS = {
    "_selectable",
    "autofocus",
    "autoscroll",
    "buttons",
    "container",
    "elem_classes",
    "format",
    "image_mode",
    "lines",
    "link_target",
    "max_lines",
    "min_width",
    "mirror_webcam",
    "preserved_by_key",
    "rtl",
    "show_copy_button",
    "show_download_button",
    "show_fullscreen_button",
    "show_share_button",
    "size",
    "sources",
    "step",
    "stop_btn",
    "streamable",
    "streaming",
    "submit_btn",
    "type",
    "watermark",
    "webcam_options",
}

BOTH, G4, G6 = {4, 6}, {4}, {6}

#: (pattern of a difference, the versions where it occurs, why). A difference is
#: ``"<how> <path>"`` with ``how`` one of ``only-ref``, ``only-ours``, ``differs``.
EXPLAINED: list[tuple[str, set[int], str]] = [
    # -- /config, top level
    ("differs /app_id", BOTH, "a random id of each running app"),
    ("differs /root", BOTH, "the address this server answers at"),
    ("differs /title", BOTH, "the reference app has no title of its own; ours is named"),
    ("differs /body_css*", G4, "theme colours: gradio-mock serves no page"),
    ("differs /stylesheets", G4, "theme fonts: gradio-mock serves no page"),
    ("only-ref /theme_hash", BOTH, "the hash of a theme gradio-mock does not have"),
    ("differs /footer_links", G6, "the page's footer: gradio-mock has no run history page"),
    (
        "only-ref /[ipmrv]*",
        G6,
        "i18n_translations, mcp_server, page, pwa, run_history, vibe_mode: the web page's and "
        "its MCP server's settings, which no API client reads",
    ),
    (
        "differs /max_file_size",
        BOTH,
        "the reference ran without a limit (null); gradio-mock always has one (--max-file-size)",
    ),
    ("differs /layout*", BOTH, "the reference app's page lays out more components"),
    # -- /config, components (the first of each type in the reference)
    ("differs /components/*/id", BOTH, "ids count the page's components, more in the reference"),
    ("differs /components/*/component_class_id", BOTH, "a hash of Gradio's component classes"),
    ("differs /components/button/props/value", BOTH, "each button's text on the page"),
    ("only-ref /components/*/props/*", BOTH, "UI props (UI_PROPS), checked just below"),
    # -- /config, dependencies of the shared endpoints
    ("differs /dependencies/*/id", BOTH, "dependency ids count the page's events"),
    ("differs /dependencies/*/inputs*", BOTH, "component ids (their types are compared)"),
    ("differs /dependencies/*/outputs*", BOTH, "component ids (their types are compared)"),
    ("differs /dependencies/*/targets*", BOTH, "the ids of the buttons that trigger them"),
    # -- /info
    ("differs /named_endpoints/*/label", BOTH, "labels count the page's components"),
    ("differs /named_endpoints/chat/parameters/0/label", BOTH, "ours is unlabelled"),
    (
        "* /named_endpoints/chat/returns/0/*",
        G6,
        "the 6.x reference app's chat returns Json; the demo's returns text",
    ),
    (
        "differs /named_endpoints/image/parameters/0/parameter_name",
        BOTH,
        "the reference function's parameter is img; the demo's is image",
    ),
    (
        "differs /named_endpoints/*/python_type/description",
        G6,
        "gradio-mock describes slider ranges and image paths as 5.x does",
    ),
    ("differs /named_endpoints/*/description", G6, "the demos have docstrings; the reference none"),
    ("differs /named_endpoints/*/code_snippets/*", G6, "snippets name this server's address"),
]


def reference(version: str, what: str) -> Any:
    return json.loads((REFERENCE / f"gradio-{version}-{what}.json").read_text())


def differences(ref: Any, ours: Any, path: str = "") -> list[str]:
    """Every place where ``ours`` differs from ``ref``: ``"<how> <path>"``."""
    if isinstance(ref, dict) and isinstance(ours, dict):
        found = []
        for key in sorted(set(ref) | set(ours), key=str):
            where = f"{path}/{key}"
            if key not in ours:
                found.append(f"only-ref {where}")
            elif key not in ref:
                found.append(f"only-ours {where}")
            else:
                found += differences(ref[key], ours[key], where)
        return found
    if isinstance(ref, list) and isinstance(ours, list) and len(ref) == len(ours):
        pairs = enumerate(zip(ref, ours))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}/{i}")]
    return [] if ref == ours and type(ref) is type(ours) else [f"differs {path}"]


def unexplained(found: list[str], major: int, used: set[str]) -> list[str]:
    left = []
    for difference in found:
        patterns = [p for p, versions, _ in EXPLAINED if major in versions]
        matching = [p for p in patterns if fnmatch.fnmatchcase(difference, p)]
        used.update(matching)
        if not matching:
            left.append(difference)
    return left


@pytest.fixture(params=[(4, "4.44"), (6, "6.31")], ids=["gradio4", "gradio6"])
def versions(request: pytest.FixtureRequest, start_server: StartServer) -> tuple[Any, ...]:
    major, name = request.param
    app, controls = make_app()
    controls.open_all()
    server = start_server(app, gradio_version=major)
    return server, major, reference(name, "config"), reference(name, "info")


def get_json(server: MockServer, path: str) -> Any:
    response = HTTP.get(server.url + path)
    assert response.status_code == 200, response.text
    return response.json()


def config_differences(ref: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    found = differences(
        {k: v for k, v in ref.items() if k not in ("components", "dependencies")},
        {k: v for k, v in ours.items() if k not in ("components", "dependencies")},
    )
    # Components: each of ours against the reference's first of its type, every key.
    first_of = {}
    for component in ref["components"]:
        first_of.setdefault(component["type"], component)
    for component in ours["components"]:
        kind = component["type"]
        assert kind in first_of, f"the reference has no {kind} to compare with"
        found += differences(first_of[kind], component, f"/components/{kind}")
        # The props ours lack are UI props only; the props we send, Gradio sends.
        props, ref_props = set(component["props"]), set(first_of[kind]["props"])
        assert ref_props - props <= UI_PROPS, (kind, ref_props - props - UI_PROPS)
    # Dependencies of the endpoints both serve, every key.
    ref_deps = {d["api_name"]: d for d in ref["dependencies"]}
    our_deps = {d["api_name"]: d for d in ours["dependencies"]}
    for name in SHARED:
        found += differences(ref_deps[name], our_deps[name], f"/dependencies/{name}")
    return sorted(set(found))


def test_config_and_info_differ_from_gradio_only_where_explained(
    versions: tuple[Any, ...],
) -> None:
    server, major, ref_config, ref_info = versions
    used: set[str] = set()
    for prefix in ("", "/gradio_api"):
        config = get_json(server, prefix + "/config")
        assert unexplained(config_differences(ref_config, config), major, used) == []
        info = get_json(server, prefix + "/info")
        assert set(info) == set(ref_info) == {"named_endpoints", "unnamed_endpoints"}
        assert info["unnamed_endpoints"] == ref_info["unnamed_endpoints"] == {}
        found = []
        for name in SHARED:
            where = f"/named_endpoints/{name}"
            found += differences(
                ref_info["named_endpoints"][f"/{name}"], info["named_endpoints"][f"/{name}"], where
            )
        assert unexplained(sorted(set(found)), major, used) == []
    # Where we differ on purpose, we still say something definite: Gradio's label pattern,
    for name in SHARED:
        endpoint = info["named_endpoints"][f"/{name}"]
        assert all(re.fullmatch(r"parameter_\d+", p["label"]) for p in endpoint["parameters"])
        assert all(re.fullmatch(r"value_\d+", r["label"]) for r in endpoint["returns"])
    # and a slider's range.
    [*_, temperature] = info["named_endpoints"]["/hello"]["parameters"]
    [*_, ref_temperature] = ref_info["named_endpoints"]["/hello"]["parameters"]
    # (4.x words the range in python_type too; 6.x leaves its description empty.)
    assert temperature["python_type"] == ref_temperature["python_type"]
    assert temperature["type"] == {
        "type": "number",
        "description": "numeric value between 0 and 100",
    }
    # app_id differs (explained), but is an unsigned 64-bit number, as Gradio's.
    assert isinstance(config["app_id"], int) and 0 <= config["app_id"] < 2**64
    # The layout differs (explained), but places every component once.
    placed = [child["id"] for child in config["layout"]["children"]]
    assert sorted(placed) == sorted(c["id"] for c in config["components"])
    stale = [p for p, versions, _ in EXPLAINED if major in versions and p not in used]
    assert stale == [], "explained differences that no longer occur"


def test_config_dependencies_are_the_apps_endpoints_and_the_reference_has_ours(
    versions: tuple[Any, ...],
) -> None:
    server, _, ref_config, ref_info = versions
    config = get_json(server, "/config")
    ours = [d["api_name"] for d in config["dependencies"]]
    assert ours == [e.api_name for e in server.state.app.endpoints]
    assert set(SHARED) <= {d["api_name"] for d in ref_config["dependencies"]}
    assert {f"/{name}" for name in SHARED} <= set(ref_info["named_endpoints"])
    # The reference's other dependencies are the events of Gradio's chat page (its own
    # ``_submit_fn``, ``lambda``s and the like), which gradio-mock has no page to fire.
    page_events = {d["api_name"] for d in ref_config["dependencies"]} - set(SHARED)
    # (6.x also names the chat's example clicks and two unnamed events.)
    page_names = ("_", "lambda", "format_", "option_clicked", "unnamed")
    assert all(name is None or name.startswith(page_names) for name in page_events), page_events


def test_components_the_reference_app_lacks_describe_themselves_as_gradio_does(
    start_server: StartServer,
) -> None:
    from server import App, File, Json
    from server._components import Chatbot

    app = App("kinds")
    for name, component in (("json", Json()), ("chatbot", Chatbot()), ("file", File())):
        app.add(lambda x: x, api_name=name, inputs=[component], outputs=[component])
    server = start_server(app)
    info = get_json(server, "/info")["named_endpoints"]

    keys = ("type", "python_type", "component")

    def described(name: str, side: str = "parameters") -> dict[str, Any]:
        [item] = info[f"/{name}"][side]
        return {k: item[k] for k in keys}

    # Json: exactly what Gradio 6.31 says of a Json input and a Json output (only the
    # output's python_type has a description).
    kinds = json.loads((REFERENCE / "gradio-6.31.0" / "info.json").read_text())
    kinds = kinds["named_endpoints"]["/kinds"]
    json_in = next(p for p in kinds["parameters"] if p["component"] == "Json")
    json_out = next(p for p in kinds["returns"] if p["component"] == "Json")
    assert described("json") == {k: json_in[k] for k in keys}
    assert described("json", "returns") == {k: json_out[k] for k in keys}
    message = {
        "type": "object",
        "properties": {"role": {"type": "string"}, "content": {"type": "string"}},
    }
    assert described("chatbot") == {
        "type": {"type": "array", "items": message},
        "python_type": {"type": "list[dict[str, str]]", "description": ""},
        "component": "Chatbot",
    }
    file = described("file")
    file_ref = json.loads((REFERENCE / "gradio-6.31.0" / "info.json").read_text())
    [file_in] = file_ref["named_endpoints"]["/file"]["parameters"]
    assert (file["component"], file["python_type"]) == ("File", file_in["python_type"])
    assert file["type"]["title"] == "FileData"
    # FileData exactly as Gradio 6.31 describes a File input's.
    assert file["type"] == file_in["type"]
    # /config carries the same descriptions.
    config = get_json(server, "/config")
    by_type = {c["type"]: c for c in config["components"]}
    assert by_type["json"]["api_info"] == json_in["type"]
    assert by_type["chatbot"]["api_info"] == {"type": "array", "items": message}
