"""What the app says about itself: ``/info`` (the "view API" page) and ``/config``.

Both are built from the registered endpoints in Gradio's shapes, so the official clients can
read them. Component ids are handed out once, in registration order: each endpoint gets a
button (its trigger, as in a Gradio Blocks app), then its input and output components.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ._app import App, Endpoint
from ._components import Component, State
from ._file_schemas import FILE_DATA_DOC, file_schema
from ._routing import API_PREFIX
from ._snippets import code_snippets

__all__ = ["GRADIO_VERSIONS", "AppSchema"]

#: The Gradio release each ``--gradio-version`` announces (4.44.1 and 6.31.0 are the
#: versions the reference traffic in ``shared/reference`` was captured from).
GRADIO_VERSIONS = {4: "4.44.1", 5: "5.50.0", 6: "6.31.0"}


def _api_info(component: Component, major: int) -> dict[str, Any]:
    """The component's value schema as Gradio ``major`` gives it (FileData differs by version)."""
    if component.is_file and not component.verbatim:
        return file_schema(component.kind, major)
    return component.api_info()


@dataclass
class _Ids:
    button: int
    inputs: list[int]
    outputs: list[int]


#: Gradio 5's python_type for an Image value (it describes ImageData, not a file path).
_IMAGE_DATA_5 = (
    "dict(path: str | None (Path to a local file), url: str | None (Publicly available url or "
    "base64 encoded image), size: int | None (Size of image in bytes), orig_name: str | None "
    "(Original filename), mime_type: str | None (mime type of image), is_stream: bool (Can "
    "always be set to False), meta: dict(str, Any))"
)


def _python_type(component: Component, major: int, as_input: bool) -> dict[str, str]:
    """``python_type`` in /info as Gradio ``major`` words it (see tests/reference/)."""
    described = component.python_type()
    if component.verbatim:
        return described
    kind, no_description = component.kind, {**described, "description": ""}
    if kind == "json":
        if major == 4:
            return {"type": "Dict[Any, Any]", "description": "any valid json"}
        return no_description if as_input else described  # 5, 6: described as a return only
    if kind == "slider" and major != 4:
        return no_description
    if kind == "image":
        if major == 5:
            note = file_schema("image", 5)["additional_description"] if as_input else ""
            return {"type": _IMAGE_DATA_5, "description": note}
        return described if major == 6 and as_input else no_description
    if kind == "file" and major != 4 and as_input:
        return {**described, "description": FILE_DATA_DOC}
    return described


def _parameter(name: str, component: Component, component_id: int, major: int) -> dict[str, Any]:
    return {
        "label": component.label or f"parameter_{component_id}",
        "parameter_name": name,
        "parameter_has_default": component.has_default,
        "parameter_default": component.default,
        "type": _api_info(component, major),
        "python_type": _python_type(component, major, as_input=True),
        "component": component.display_name,
        "example_input": component.example,
    }


def _return(component: Component, component_id: int, major: int) -> dict[str, Any]:
    return {
        "label": component.label or f"value_{component_id}",
        "type": _api_info(component, major),
        "python_type": _python_type(component, major, as_input=False),
        "component": component.display_name,
    }


class AppSchema:
    def __init__(self, app: App, major_version: int, show_error: bool, max_file_size: int) -> None:
        if major_version not in GRADIO_VERSIONS:
            raise ValueError(f"gradio version must be one of {sorted(GRADIO_VERSIONS)}")
        self.app = app
        self.major_version = major_version
        self.version = GRADIO_VERSIONS[major_version]
        if app.gradio_version and app.gradio_version.split(".")[0] == str(major_version):
            self.version = app.gradio_version  # a spec's: the release it was taken from
        #: Where the API lives in the announced version: "" (4.x) or "/gradio_api" (5, 6).
        self.api_prefix = "" if major_version == 4 else API_PREFIX
        self._ids = self._assign_ids(app)
        self.info = self._build_info()
        self._config = self._build_config(show_error, max_file_size)

    @staticmethod
    def _assign_ids(app: App) -> dict[str, _Ids]:
        ids: dict[str, _Ids] = {}
        # A State is one component wherever it is used (an input and an output, several
        # endpoints), as in Gradio: one id.
        states: dict[int, int] = {}
        next_id = 1

        def assign(component: Component) -> int:
            nonlocal next_id
            if isinstance(component, State) and id(component) in states:
                return states[id(component)]
            cid = next_id
            next_id += 1
            if isinstance(component, State):
                states[id(component)] = cid
            return cid

        for endpoint in app.endpoints:
            button = next_id
            next_id += 1
            inputs = [assign(c) for c in endpoint.inputs]
            outputs = [assign(c) for c in endpoint.outputs]
            ids[endpoint.api_name] = _Ids(button, inputs, outputs)
        return ids

    # -- /info -------------------------------------------------------------------------
    def _build_info(self) -> dict[str, Any]:
        named = {}
        for endpoint in self.app.endpoints:
            if endpoint.hidden:
                continue
            ids = self._ids[endpoint.api_name]
            entry: dict[str, Any] = {
                "parameters": [
                    _parameter(name, component, cid, self.major_version)
                    for name, component, cid in zip(
                        endpoint.parameter_names, endpoint.inputs, ids.inputs
                    )
                    if not component.skip_api
                ],
                "returns": [
                    _return(c, cid, self.major_version)
                    for c, cid in zip(endpoint.outputs, ids.outputs)
                    if not c.skip_api
                ],
            }
            if self.major_version == 6:
                entry["api_visibility"] = "public"
            else:
                entry["show_api"] = True
            if self.major_version != 4:
                entry["description"] = endpoint.description
            named[f"/{endpoint.api_name}"] = entry
        return {"named_endpoints": named, "unnamed_endpoints": {}}

    def info_for(self, root: str) -> dict[str, Any]:
        """``/info`` as read through ``root``: 6 adds code snippets with that address (4.44
        and 5.50 send none)."""
        if self.major_version != 6:
            return self.info
        named = {
            name: {
                **entry,
                "code_snippets": code_snippets(
                    name.lstrip("/"), entry["parameters"], root, self.api_prefix
                ),
            }
            for name, entry in self.info["named_endpoints"].items()
        }
        return {**self.info, "named_endpoints": named}

    # -- /config -----------------------------------------------------------------------
    def config(self, root: str) -> dict[str, Any]:
        """The config with ``root``, the public base URL this request came through."""
        return {**self._config, "root": root}

    def _component(self, component: Component, cid: int) -> dict[str, Any]:
        if isinstance(component, State):
            return self._state(component, cid)
        api_info = _api_info(component, self.major_version)
        described: dict[str, Any] = {
            "id": cid,
            "type": component.kind,
            "props": component.props(),
            "skip_api": component.skip_api,
            "component_class_id": hashlib.sha256(component.kind.encode()).hexdigest(),
            "key": None,
            "api_info": api_info,
            "api_info_as_input": api_info,
            "api_info_as_output": api_info,
            "example_inputs": component.example,
        }
        if self.major_version == 4:  # Gradio 4.44 has api_info only
            del described["api_info_as_input"], described["api_info_as_output"]
        return described

    def _state(self, state: State, cid: int) -> dict[str, Any]:
        """A ``gr.State`` as each version describes it: props only (no value schema, no
        example: /info leaves it out). Its ``delete_callback`` is the repr of a function of
        Gradio's; 4.44 also sends the initial value."""
        props: dict[str, Any] = {
            "time_to_live": None,
            "delete_callback": "<function default_delete_callback at 0x7f0000000000>",
            "name": "state",
            "_selectable": False,
        }
        if self.major_version == 4:
            value = state.value if not callable(state.value) else None
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                value = None  # an initial value JSON cannot carry: the server keeps it
            lambda_repr = "<function State.__init__.<locals>.<lambda> at 0x7f0000000000>"
            props = {"value": value, **props, "delete_callback": lambda_repr}
        return {
            "id": cid,
            "type": "state",
            "props": props,
            "skip_api": True,
            "component_class_id": hashlib.sha256(b"state").hexdigest(),
            "key": None,
        }

    def _dependency(self, endpoint: Endpoint, ids: _Ids) -> dict[str, Any]:
        dependency: dict[str, Any] = {
            "id": endpoint.fn_index,
            "targets": [[ids.button, "click"]],
            "inputs": ids.inputs,
            "outputs": ids.outputs,
            "backend_fn": True,
            "js": None,
            "queue": True,
            "api_name": endpoint.api_name,
            "api_description": None,
            "scroll_to_output": False,
            "show_progress": "full",
            "batch": False,
            "max_batch_size": 4,
            "cancels": [],
            "types": {"generator": endpoint.is_generator, "cancel": False},
            "collects_event_data": False,
            "trigger_after": None,
            "trigger_only_on_success": False,
            "trigger_mode": "once",
            "rendered_in": None,
            "connection": "sse",
            "time_limit": None,
            "stream_every": 0.5,
            "event_specific_args": None,
            "js_implementation": None,
            "component_prop_inputs": [],
        }
        # Each version's own set of fields (tests/reference/gradio-*/config.json).
        if self.major_version == 4:
            for newer in (
                "api_description",
                "connection",
                "time_limit",
                "stream_every",
                "event_specific_args",
                "js_implementation",
                "component_prop_inputs",
            ):
                del dependency[newer]
            dependency["show_api"] = not endpoint.hidden
            dependency["zerogpu"] = False
            return dependency
        dependency["trigger_only_on_failure"] = False
        dependency["show_progress_on"] = None
        dependency["render_id"] = None
        if self.major_version == 5:
            del dependency["component_prop_inputs"]
            dependency["show_api"] = not endpoint.hidden
            dependency["like_user_message"] = False
        else:
            dependency["api_visibility"] = "private" if endpoint.hidden else "public"
        return dependency

    def _build_config(self, show_error: bool, max_file_size: int) -> dict[str, Any]:
        components: list[dict[str, Any]] = []
        dependencies = []
        layout: list[dict[str, int]] = []
        # A State's id comes once, however many places use it.
        placed: set[int] = set()
        laid: set[int] = set()
        for endpoint in self.app.endpoints:
            ids = self._ids[endpoint.api_name]
            components.append(
                {
                    "id": ids.button,
                    "type": "button",
                    "skip_api": True,
                    "key": None,
                    "props": {
                        "value": endpoint.api_name,
                        "variant": "secondary",
                        "visible": True,
                        "interactive": True,
                        "name": "button",
                    },
                    "component_class_id": hashlib.sha256(b"button").hexdigest(),
                }
            )
            for component, cid in zip(endpoint.inputs + endpoint.outputs, ids.inputs + ids.outputs):
                if cid not in placed:
                    placed.add(cid)
                    components.append(self._component(component, cid))
            dependencies.append(self._dependency(endpoint, ids))
            for cid in [*ids.inputs, ids.button, *ids.outputs]:
                if cid not in laid:
                    laid.add(cid)
                    layout.append({"id": cid})
        names = json.dumps([e.api_name for e in self.app.endpoints]).encode()
        config: dict[str, Any] = {
            "version": self.version,
            "mode": "blocks",
            "app_id": int.from_bytes(hashlib.sha256(names).digest()[:8], "big"),
            "dev_mode": False,
            "analytics_enabled": False,
            "components": components,
            "css": None,
            "connect_heartbeat": True,
            "js": None,
            "head": None,
            "title": self.app.title,
            "space_id": None,
            "enable_queue": True,
            "show_error": show_error,
            "is_colab": False,
            "max_file_size": max_file_size,
            "stylesheets": [],
            "theme": "default",
            "protocol": "sse_v3",
            "body_css": {
                "body_background_fill": "white",
                "body_text_color": "#27272a",
                "body_background_fill_dark": "#0f0f11",
                "body_text_color_dark": "#f4f4f5",
            },
            "fill_height": False,
            "fill_width": False,
            "layout": {"id": 0, "children": layout},
            "dependencies": dependencies,
            "username": None,
        }
        if self.major_version != 4:
            config["api_prefix"] = self.api_prefix
            config["pages"] = [["", "Home", True]]
        if self.major_version == 6:
            config["footer_links"] = ["api", "gradio", "settings"]
        else:  # 4.44 and 5.50 (which still sends it next to api_prefix)
            config["show_api"] = True
        return config
