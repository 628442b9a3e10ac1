"""Serving a spec: an ``App`` whose endpoints are the spec's, answering its examples or
generated values, any of which a real function can replace.

    app = App.from_spec("app.json", seed=1)

    @app.implement("/predict")
    def predict(text):
        return text[::-1]

Each endpoint keeps the original's name, order, parameter names, components (described
verbatim, so /info reads as the original's), defaults, state inputs and streaming flag.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

from .._app import _API_NAME, App, Endpoint
from .._components import Component, described_component
from .._exceptions import DefinitionError, Error
from .._output import output_path
from ..mock._stubs import StubError, TimelineEvent, _same, parse_stub
from ._generate import generate_file, generate_value, is_file_schema
from ._spec import EndpointSpec, InputSpec, OutputSpec, Spec, SpecError, load_spec

__all__ = ["SpecApp", "app_from_spec"]

#: Values a streaming endpoint yields when it answers with generated values.
STREAMED_VALUES = 3


class SpecApp(App):
    """An ``App`` built from a spec (``App.from_spec``)."""

    def __init__(self, spec: Spec, seed: int = 0) -> None:
        super().__init__(spec.title)
        self.spec = spec
        self.seed = seed
        self.gradio_version = spec.gradio_version

    def implement(self, api_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: ``fn`` answers ``api_name`` from now on, in place of the examples and
        generated values; refused (``DefinitionError``) unless its signature fits the spec."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            endpoint_spec = self.spec.endpoint(api_name)
            endpoint = self.endpoint(api_name)
            if endpoint_spec is None or endpoint is None:
                names = ", ".join(e.api_name for e in self.spec.endpoints) or "none"
                raise DefinitionError(
                    f"implement: the spec has no endpoint /{api_name.strip('/')}; "
                    f"its endpoints: {names}"
                )
            problems = signature_problems(endpoint_spec, fn)
            if problems:
                raise DefinitionError(
                    f"implement {endpoint_spec.api_name}: {fn.__name__} does not fit the "
                    "spec: " + "; ".join(problems)
                )
            endpoint.fn = fn
            endpoint.answer = None
            return fn

        return register


def app_from_spec(
    spec: Spec | dict[str, Any] | str | os.PathLike[str],
    *,
    seed: int = 0,
    app_class: type[SpecApp] = SpecApp,
) -> SpecApp:
    if isinstance(spec, (str, os.PathLike)):
        spec = load_spec(spec)
    elif isinstance(spec, dict):
        spec = Spec.from_json(spec)
    app = app_class(spec, seed)
    names = {e.api_name.strip("/") for e in spec.endpoints}
    for endpoint_spec in spec.endpoints:
        while endpoint_spec.fn_index is not None and len(app.endpoints) < endpoint_spec.fn_index:
            _add_hidden(app, names)
        _add_endpoint(app, endpoint_spec)
    while len(app.endpoints) <= max(spec.hidden, default=-1):  # hidden events after the last
        _add_hidden(app, names)
    return app


def _add_hidden(app: SpecApp, names: set[str]) -> None:
    """A stand-in for an event of the original that is not in its API (a UI event, a hidden
    endpoint), so that the next endpoints keep the original's fn_index; named as in the
    original's /config when it had a name that is free."""
    fn_index = len(app.endpoints)
    name = app.spec.hidden.get(fn_index) or f"hidden_{fn_index}"
    if name in names or not _API_NAME.match(name):
        name = f"hidden_{fn_index}"
    while name in names:
        name = "_" + name
    names.add(name)

    def hidden() -> None:
        raise Error(f"fn_index {fn_index} is an event the original app keeps out of its API")

    app.add(hidden, name, inputs=[], outputs=[], description="").hidden = True


def _input_component(spec: InputSpec) -> Component:
    if spec.state:
        return described_component(spec.config_type, "State", skip_api=True)({}, {})
    info = spec.info
    cls = described_component(
        spec.config_type, spec.component, is_file=is_file_schema(info.get("type"))
    )
    component = cls(
        info["type"],
        info.get("python_type") or {"type": "Any", "description": ""},
        label=info.get("label"),
        example=info.get("example_input"),
    )
    if info.get("parameter_has_default"):
        component.with_default(info.get("parameter_default"))
    return component


def _output_component(spec: OutputSpec) -> Component:
    if spec.state:
        return described_component(spec.config_type, "State", skip_api=True)({}, {})
    info = spec.info
    cls = described_component(
        spec.config_type, spec.component, is_file=is_file_schema(info.get("type"))
    )
    return cls(
        info["type"],
        info.get("python_type") or {"type": "Any", "description": ""},
        label=info.get("label"),
    )


def _add_endpoint(app: SpecApp, spec: EndpointSpec) -> None:
    function = _streamed(app, spec) if spec.streams else _generated(app, spec)
    endpoint = app.add(
        function,
        spec.api_name,
        inputs=[_input_component(i) for i in spec.inputs],
        outputs=[_output_component(o) for o in spec.outputs],
        description=spec.description,
    )
    endpoint.parameter_names = [i.name or f"state_{n}" for n, i in enumerate(spec.inputs)]
    endpoint.answer = _examples(app, endpoint, spec)


# -- generated answers --------------------------------------------------------------------


def _fingerprint(value: Any, is_file: bool) -> Any:
    """An input as it counts for the seed: a file by its content, not its temporary path."""
    if not is_file or not isinstance(value, str) or not os.path.isfile(value):
        return value
    digest = hashlib.sha256()
    with open(value, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _rng(app: SpecApp, spec: EndpointSpec, args: tuple[Any, ...]) -> random.Random:
    files = [not i.state and is_file_schema(i.info.get("type")) for i in spec.inputs]
    values = [_fingerprint(a, f) for a, f in zip(args, files)]
    inputs = json.dumps(values, sort_keys=True, default=repr)
    return random.Random(f"{app.seed}\n{spec.api_name}\n{inputs}")


def _outputs(spec: EndpointSpec, rng: random.Random) -> Any:
    values: list[Any] = []
    for output in spec.outputs:
        schema = output.info.get("type")
        if output.state:
            values.append(None)
        elif is_file_schema(schema):
            name, data = generate_file(output.config_type, rng)
            path = output_path(name)
            with open(path, "wb") as file:
                file.write(data)
            values.append(path)
        else:
            values.append(generate_value(schema, rng))
    if len(values) == 1:
        return values[0]
    return tuple(values) if values else None


def _generated(app: SpecApp, spec: EndpointSpec) -> Callable[..., Any]:
    def generated(*args: Any) -> Any:
        return _outputs(spec, _rng(app, spec, args))

    return generated


def _streamed(app: SpecApp, spec: EndpointSpec) -> Callable[..., Any]:
    def streamed(*args: Any) -> Iterator[Any]:
        rng = _rng(app, spec, args)
        for _ in range(STREAMED_VALUES):
            yield _outputs(spec, rng)

    return streamed


# -- examples -----------------------------------------------------------------------------


def _examples(
    app: SpecApp, endpoint: Endpoint, spec: EndpointSpec
) -> Callable[[Any], list[TimelineEvent] | None] | None:
    """The endpoint's ``answer``: the timeline of the first example whose inputs match."""
    if not spec.examples:
        return None
    parsed: list[tuple[Any, list[TimelineEvent]]] = []
    for n, example in enumerate(spec.examples):
        response = {k: v for k, v in example.items() if k != "data"}
        response = _with_state_outputs(spec, response)
        try:
            stub = parse_stub(
                app, {"api_name": spec.api_name, "response": response}, f"example-{n}"
            )
        except StubError as error:
            raise SpecError(f"{spec.api_name}: examples[{n}]: {error}") from None
        if stub.fault is not None:
            raise SpecError(f"{spec.api_name}: examples[{n}]: an example answers no fault")
        parsed.append((example["data"], stub.events))
    names = [i.name for i in spec.parameters]
    state = [i.state for i in spec.inputs]

    def answer(data: Any) -> list[TimelineEvent] | None:
        if isinstance(data, list) and len(data) == len(state):
            data = [value for value, is_state in zip(data, state) if not is_state]
        for wanted, events in parsed:
            if _matches(wanted, data, names):
                return events
        return None

    return answer


def _with_state_outputs(spec: EndpointSpec, response: dict[str, Any]) -> dict[str, Any]:
    """An example lists the returns a client sees; the timeline carries every output
    (``None`` for state outputs, which clients drop)."""
    if not any(o.state for o in spec.outputs):
        return response

    def expand(values: Any) -> Any:
        if not isinstance(values, list) or len(values) != len(spec.returns):
            return values  # parse_stub says what is wrong
        shown = iter(values)
        return [None if o.state else next(shown) for o in spec.outputs]

    response = dict(response)
    if "outputs" in response:
        response["outputs"] = expand(response["outputs"])
    if isinstance(response.get("events"), list):
        response["events"] = [
            {**e, "data": expand(e.get("data"))}
            if isinstance(e, dict) and e.get("type") in ("generating", "complete")
            else e
            for e in response["events"]
        ]
    return response


def _matches(wanted: Any, data: Any, names: list[str | None]) -> bool:
    if isinstance(wanted, dict):
        named = dict(zip(names, data)) if isinstance(data, list) else data
        if not isinstance(named, dict):
            return False
        return all(k in named and _same(named[k], v) for k, v in wanted.items())
    return _same(wanted, data)


# -- implement's check -----------------------------------------------------------------------


def signature_problems(spec: EndpointSpec, fn: Callable[..., Any]) -> list[str]:
    """What differs between ``fn``'s signature and the spec's endpoint, one phrase each."""
    problems = []
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return ["its signature cannot be read"]
    parameters = list(signature.parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    expected = [i.name or "<state>" for i in spec.inputs]
    if len(positional) != len(expected) and not (varargs and len(positional) < len(expected)):
        problems.append(
            f"it takes {len(positional)} positional parameter"
            f"{'' if len(positional) == 1 else 's'} ({', '.join(p.name for p in positional)}), "
            f"the spec has {len(expected)} ({', '.join(expected) or 'none'})"
        )
    for n, (parameter, spec_input) in enumerate(zip(positional, spec.inputs), start=1):
        if spec_input.state or spec_input.name == parameter.name:
            continue
        problems.append(
            f"parameter {n} is named {parameter.name!r}, the spec calls it {spec_input.name!r}"
        )
    streams = inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)
    if streams != spec.streams:
        problems.append(
            "the spec's endpoint streams, so the function must be a generator (yield its values)"
            if spec.streams
            else "the function is a generator, the spec's endpoint does not stream"
        )
    return problems
