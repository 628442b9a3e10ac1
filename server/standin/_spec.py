"""The spec file: what defines an app's API, as ``gradio-mock snapshot`` saves it.

A spec holds the Gradio release, and per endpoint (in ``fn_index`` order) whether it streams,
its parameters and returns as ``/info`` words them (kept verbatim, plus the ``/config`` type of
each component and the ``state`` inputs and outputs ``/info`` leaves out), and optional
examples: ``{"data": [...], "outputs": [...]}`` or ``{"data": [...], "events": [...]}``.
``load_spec`` checks all of it and says what is wrong where.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import GradioMockError

__all__ = [
    "FORMAT",
    "SPACE_NAME",
    "EndpointSpec",
    "InputSpec",
    "OutputSpec",
    "Spec",
    "SpecError",
    "load_spec",
    "save_spec",
]

#: The ``format`` field of every spec file this version reads and writes.
FORMAT = "gradio-mock-spec/1"

#: A Space's name on the Hub: ``owner/name`` (letters, digits, ``-``, ``_``, ``.``).
SPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")


class SpecError(GradioMockError):
    """A spec file that cannot be used: the message says where and what was expected."""


@dataclass
class InputSpec:
    #: /info's parameter entry as the app sent it (empty for a state input).
    info: dict[str, Any]
    #: /config's ``type`` of the component (``"textbox"``, ``"state"``).
    config_type: str
    state: bool = False

    @property
    def name(self) -> str | None:
        value = self.info.get("parameter_name")
        return value if isinstance(value, str) else None

    @property
    def component(self) -> str:
        return str(self.info.get("component", "State" if self.state else "Component"))


@dataclass
class OutputSpec:
    info: dict[str, Any]
    config_type: str
    state: bool = False

    @property
    def component(self) -> str:
        return str(self.info.get("component", "State" if self.state else "Component"))


@dataclass
class EndpointSpec:
    api_name: str
    streams: bool
    inputs: list[InputSpec]
    outputs: list[OutputSpec]
    description: str = ""
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: The original's ``fn_index`` (its place among all its events, hidden ones included).
    fn_index: int | None = None

    @property
    def parameters(self) -> list[InputSpec]:
        """The inputs a client passes (state inputs are the server's)."""
        return [i for i in self.inputs if not i.state]

    @property
    def returns(self) -> list[OutputSpec]:
        return [o for o in self.outputs if not o.state]


@dataclass
class Spec:
    gradio_version: str
    endpoints: list[EndpointSpec]
    title: str = "gradio-mock"
    source: str | None = None
    #: The original's events outside its API, by fn_index: their /config api_name (or None).
    hidden: dict[int, str | None] = field(default_factory=dict)
    #: The Hugging Face Space this app answers for (``owner/name``), as ``--space`` gives it.
    space: str | None = None

    @property
    def major(self) -> int:
        return int(self.gradio_version.split(".")[0])

    def endpoint(self, api_name: str) -> EndpointSpec | None:
        name = "/" + api_name.strip("/")
        return next((e for e in self.endpoints if e.api_name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "source": self.source,
            "gradio_version": self.gradio_version,
            "title": self.title,
            "endpoints": [
                {
                    "api_name": e.api_name,
                    "fn_index": e.fn_index,
                    "streams": e.streams,
                    "description": e.description,
                    "inputs": [_io_json(i.info, i.config_type, i.state) for i in e.inputs],
                    "outputs": [_io_json(o.info, o.config_type, o.state) for o in e.outputs],
                    "examples": e.examples,
                }
                for e in self.endpoints
            ],
            "hidden": [{"fn_index": k, "api_name": v} for k, v in sorted(self.hidden.items())],
            **({"space": self.space} if self.space else {}),
        }

    @classmethod
    def from_json(cls, value: Any, where: str = "spec") -> Spec:
        return _parse(value, where)


def _io_json(info: dict[str, Any], config_type: str, state: bool) -> dict[str, Any]:
    if state:
        return {"state": True, "config_type": config_type}
    return {**info, "config_type": config_type}


def read_json(
    path: str | os.PathLike[str], what: str, error: type[GradioMockError] = SpecError
) -> Any:
    """The JSON value in the file at ``path`` (a spec, a cassette, a stubs file: ``what``),
    or ``error`` saying it cannot be read, or is not JSON."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except OSError as problem:
        raise error(f"cannot read the {what} {path}: {problem.strerror or problem}") from None
    except ValueError as problem:
        raise error(f"the {what} {path} is not valid JSON: {problem}") from None


def load_spec(path: str | os.PathLike[str]) -> Spec:
    return _parse(read_json(path, "spec"), str(path))


def save_spec(spec: Spec, path: str | os.PathLike[str]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(spec.to_json(), file, indent=2, ensure_ascii=False)
        file.write("\n")


# -- checking ---------------------------------------------------------------------------


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _parse(value: Any, where: str) -> Spec:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: a spec is a JSON object, not {_kind(value)}")
    if value.get("format") != FORMAT:
        raise SpecError(
            f'{where}: "format" must be {FORMAT!r} (a file saved by gradio-mock snapshot), '
            f"not {value.get('format')!r}"
        )
    version = value.get("gradio_version")
    if not isinstance(version, str) or version.split(".")[0] not in ("4", "5", "6"):
        raise SpecError(
            f'{where}: "gradio_version" is the Gradio release, 4.x, 5.x or 6.x, not {version!r}'
        )
    endpoints = value.get("endpoints")
    if not isinstance(endpoints, list):
        raise SpecError(f'{where}: "endpoints" is a list of endpoints, not {_kind(endpoints)}')
    parsed = [_endpoint(e, f"{where}: endpoints[{n}]") for n, e in enumerate(endpoints)]
    names = [e.api_name for e in parsed]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SpecError(f"{where}: endpoint {', '.join(twice)} is listed twice")
    indexes = [e.fn_index for e in parsed if e.fn_index is not None]
    if indexes != sorted(set(indexes)):
        raise SpecError(f'{where}: "fn_index" must increase from one endpoint to the next')
    title = value.get("title", "gradio-mock")
    source = value.get("source")
    space = value.get("space")
    if space is not None and (not isinstance(space, str) or not SPACE_NAME.fullmatch(space)):
        raise SpecError(
            f'{where}: "space" is the Space\'s name on the Hub, e.g. "owner/name", not {space!r}'
        )
    return Spec(
        version,
        parsed,
        title if isinstance(title, str) else "gradio-mock",
        source if isinstance(source, str) else None,
        _hidden(value.get("hidden", []), where),
        space,
    )


def _hidden(value: Any, where: str) -> dict[int, str | None]:
    """``"hidden": [{"fn_index": 0, "api_name": "secret"}]``: events outside the API."""
    message = f'{where}: "hidden" is a list of {{"fn_index": 0, "api_name": "name" or null}}'
    if not isinstance(value, list):
        raise SpecError(message)
    hidden: dict[int, str | None] = {}
    for event in value:
        fn_index = event.get("fn_index") if isinstance(event, dict) else None
        name = event.get("api_name") if isinstance(event, dict) else None
        if isinstance(fn_index, bool) or not isinstance(fn_index, int) or fn_index < 0:
            raise SpecError(message)
        hidden[fn_index] = name if isinstance(name, str) else None
    return hidden


def _endpoint(value: Any, where: str) -> EndpointSpec:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: an endpoint is an object, not {_kind(value)}")
    api_name = value.get("api_name")
    if not isinstance(api_name, str) or not api_name.strip("/"):
        raise SpecError(f'{where}: "api_name" is the endpoint\'s name, e.g. "/predict"')
    api_name = "/" + api_name.strip("/")
    where = f"{where} ({api_name})"
    streams = value.get("streams", False)
    if not isinstance(streams, bool):
        raise SpecError(f'{where}: "streams" is true or false, not {streams!r}')
    raw_inputs, raw_outputs = _list(value, "inputs", where), _list(value, "outputs", where)
    inputs = [_io(i, f"{where}: inputs[{n}]", True) for n, i in enumerate(raw_inputs)]
    outputs = [_io(o, f"{where}: outputs[{n}]", False) for n, o in enumerate(raw_outputs)]
    examples = _list(value, "examples", where)
    for n, example in enumerate(examples):
        if not isinstance(example, dict) or not isinstance(example.get("data"), (list, dict)):
            raise SpecError(
                f'{where}: examples[{n}] is {{"data": [...], "outputs": [...]}} or '
                f'{{"data": [...], "events": [...]}}'
            )
    description = value.get("description") or ""
    fn_index = value.get("fn_index")
    if fn_index is not None and (
        isinstance(fn_index, bool) or not isinstance(fn_index, int) or fn_index < 0
    ):
        raise SpecError(f'{where}: "fn_index" is 0 or more (or null), not {fn_index!r}')
    return EndpointSpec(
        api_name,
        streams,
        [i for i in inputs if isinstance(i, InputSpec)],
        [o for o in outputs if isinstance(o, OutputSpec)],
        str(description),
        examples,
        fn_index,
    )


def _list(value: dict[str, Any], key: str, where: str) -> list[Any]:
    items = value.get(key, [])
    if not isinstance(items, list):
        raise SpecError(f'{where}: "{key}" is a list, not {_kind(items)}')
    return items


def _io(value: Any, where: str, is_input: bool) -> InputSpec | OutputSpec:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: an input or output is an object, not {_kind(value)}")
    config_type = value.get("config_type", "state" if value.get("state") else None)
    if not isinstance(config_type, str):
        raise SpecError(f'{where}: "config_type" is the component\'s /config type, e.g. "textbox"')
    state = value.get("state") is True
    info = {k: v for k, v in value.items() if k not in ("config_type", "state")}
    if not state:
        if not isinstance(info.get("component"), str):
            raise SpecError(f'{where}: "component" is the component\'s name, e.g. "Textbox"')
        if not isinstance(info.get("type"), dict):
            raise SpecError(f'{where}: "type" is the JSON schema of its values (/info\'s type)')
        if is_input and not isinstance(info.get("parameter_name"), str):
            raise SpecError(f'{where}: "parameter_name" is the parameter\'s name, e.g. "text"')
    return InputSpec(info, config_type, state) if is_input else OutputSpec(info, config_type, state)
