"""Declaring an app: plain Python functions registered as named endpoints.

    app = App()

    @app.api("hello", inputs=["textbox", "checkbox", Slider(0, 100)], outputs=["textbox", "number"])
    def hello(name, is_morning, temperature): ...

Inputs and outputs are components (instances, or Gradio's shorthand names such as
``"textbox"``); left out, they are inferred from type hints. A function may be sync or async,
a plain function or a generator; generators stream each value they yield.
"""

from __future__ import annotations

import collections.abc
import copy
import functools
import inspect
import pathlib
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._components import (
    Checkbox,
    Component,
    File,
    Json,
    Number,
    State,
    Textbox,
    component_from_name,
)
from ._exceptions import DefinitionError
from ._progress import Progress
from ._sessions import Session

if TYPE_CHECKING:
    from .standin import SpecApp

__all__ = ["App", "ComponentLike", "Endpoint"]

ComponentLike = Component | str
_API_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_STREAMING_ORIGINS = {
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.Generator,
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
}


@dataclass
class Endpoint:
    """One registered function and how it shows on the wire."""

    fn: Callable[..., Any]
    api_name: str
    fn_index: int
    inputs: list[Component]
    outputs: list[Component]
    parameter_names: list[str]
    session_parameter: str | None
    is_generator: bool
    concurrency_limit: int | None
    description: str = ""
    #: Answers given before the function runs (a spec's examples): the raw ``data`` of a
    #: call → a stub timeline (``mock._stubs.TimelineEvent``s), or None to run the function.
    answer: Callable[[Any], list[Any] | None] | None = None
    #: In /config but not in /info (an event a spec's original hides): it holds a fn_index.
    hidden: bool = False
    #: The parameter the server passes a ``Progress`` tracker in (not an input), if any.
    progress_parameter: str | None = None

    @functools.cached_property
    def route(self) -> str:
        """``/`` and the name, as the journal and the errors show it."""
        return "/" + self.api_name

    @functools.cached_property
    def has_state(self) -> bool:
        """Any ``State`` input or output: the call reads or writes its session's values."""
        return any(isinstance(c, State) for c in (*self.inputs, *self.outputs))

    @property
    def runs_in_thread(self) -> bool:
        """A plain sync function: each call runs in a thread, start to end."""
        return not self.is_generator and not inspect.iscoroutinefunction(self.fn)

    @functools.cached_property
    def has_file_outputs(self) -> bool:
        return any(component.is_file for component in self.outputs)

    def shape_outputs(self, value: Any) -> list[Any]:
        """Split what the function returned into one value per output component."""
        count = len(self.outputs)
        if count == 0:
            return []
        if count == 1:
            return [value]
        if not isinstance(value, (tuple, list)) or len(value) != count:
            got = f"{len(value)} values" if isinstance(value, (tuple, list)) else "one value"
            raise TypeError(
                f"endpoint /{self.api_name} has {count} outputs, its function returned {got}"
            )
        return list(value)


class App:
    """A set of endpoints served together, with the queue settings Gradio puts on ``.queue()``."""

    def __init__(self, title: str = "gradio-mock", *, max_queue_size: int = 1000) -> None:
        self.title = title
        self.max_queue_size = max_queue_size
        self._endpoints: dict[str, Endpoint] = {}
        #: The Gradio release /config announces when it is of the served major version
        #: (a spec's); None: the version's default release.
        self.gradio_version: str | None = None

    @classmethod
    def from_spec(cls, spec: Any, *, seed: int = 0) -> SpecApp:
        """The app a spec file describes (``gradio-mock snapshot``): a path or the parsed
        JSON; ``seed`` makes its generated answers. See ``server.standin``."""
        from .standin import app_from_spec

        return app_from_spec(spec, seed=seed)

    @property
    def endpoints(self) -> list[Endpoint]:
        """Endpoints in registration order; an endpoint's position is its ``fn_index``."""
        return list(self._endpoints.values())

    def endpoint(self, api_name: str) -> Endpoint | None:
        return self._endpoints.get(api_name.strip("/"))

    def api(
        self,
        api_name: str | None = None,
        *,
        inputs: Sequence[ComponentLike] | ComponentLike | None = None,
        outputs: Sequence[ComponentLike] | ComponentLike | None = None,
        concurrency_limit: int | None = 1,
        description: str | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form of :meth:`add`; returns the function unchanged."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add(
                fn,
                api_name,
                inputs=inputs,
                outputs=outputs,
                concurrency_limit=concurrency_limit,
                description=description,
            )
            return fn

        return register

    def add(
        self,
        fn: Callable[..., Any],
        api_name: str | None = None,
        *,
        inputs: Sequence[ComponentLike] | ComponentLike | None = None,
        outputs: Sequence[ComponentLike] | ComponentLike | None = None,
        concurrency_limit: int | None = 1,
        description: str | None = None,
    ) -> Endpoint:
        """Register ``fn`` as ``/api_name`` (default: the function's name).

        ``concurrency_limit`` is how many calls of this endpoint run at once (Gradio's
        default, 1); ``None`` means no limit.
        """
        name = str(api_name or getattr(fn, "__name__", "")).strip("/")
        if not _API_NAME.match(name):
            raise DefinitionError(f"api_name {name!r} must be letters, digits, '_', '-' or '.'")
        if name in self._endpoints:
            raise DefinitionError(f"api_name /{name} is registered twice")
        if concurrency_limit is not None and concurrency_limit < 1:
            raise DefinitionError(
                f"concurrency_limit must be at least 1 or None, not {concurrency_limit}"
            )
        signature = inspect.signature(fn)
        hints = _type_hints(fn)
        session_parameter = next((p for p in signature.parameters if hints.get(p) is Session), None)
        progress_parameter = next(
            (
                p.name
                for p in signature.parameters.values()
                if hints.get(p.name) is Progress or isinstance(p.default, Progress)
            ),
            None,
        )
        injected = {session_parameter, progress_parameter}
        parameters = [p for p in signature.parameters.values() if p.name not in injected]
        input_components = _input_components(name, parameters, hints, inputs)
        is_generator = inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)
        output_components = _output_components(name, hints.get("return", Any), outputs)
        _link_states(input_components, output_components)
        endpoint = Endpoint(
            fn=fn,
            api_name=name,
            fn_index=len(self._endpoints),
            inputs=input_components,
            outputs=output_components,
            parameter_names=[p.name for p in parameters[: len(input_components)]],
            session_parameter=session_parameter,
            is_generator=is_generator,
            concurrency_limit=concurrency_limit,
            description=description if description is not None else inspect.getdoc(fn) or "",
            progress_parameter=progress_parameter,
        )
        self._endpoints[name] = endpoint
        return endpoint

    def include(self, other: App) -> None:
        """Serve every endpoint of ``other`` from this app too (how the demo app is built)."""
        for endpoint in other.endpoints:
            if endpoint.api_name in self._endpoints:
                raise DefinitionError(f"api_name /{endpoint.api_name} is registered twice")
            self._endpoints[endpoint.api_name] = copy.copy(endpoint)
            self._endpoints[endpoint.api_name].fn_index = len(self._endpoints) - 1


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to no hints
        return {}


def _as_components(spec: Sequence[ComponentLike] | ComponentLike) -> list[Component]:
    items: Sequence[ComponentLike] = [spec] if isinstance(spec, (Component, str)) else spec
    # Copied so that one component object can serve several endpoints with other defaults;
    # a State is not: the object is the state (shared by the inputs and outputs it is in).
    return [
        _named(c) if isinstance(c, str) else c if isinstance(c, State) else copy.copy(c)
        for c in items
    ]


def _named(name: str) -> Component:
    component = component_from_name(name)
    if isinstance(component, State):
        component.implicit = True
    return component


def _link_states(inputs: list[Component], outputs: list[Component]) -> None:
    """An implicit state output (from a type hint or the name ``"state"``) is the state
    input of the same rank, as Gradio's Interface links ``"state"``: what the function
    returns there is what its next call in the session gets."""
    states = [c for c in inputs if isinstance(c, State)]
    rank = 0
    for position, component in enumerate(outputs):
        if isinstance(component, State) and component.implicit:
            if rank < len(states):
                outputs[position] = states[rank]
            rank += 1


def _input_components(
    api_name: str,
    parameters: list[inspect.Parameter],
    hints: dict[str, Any],
    inputs: Sequence[ComponentLike] | ComponentLike | None,
) -> list[Component]:
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if inputs is None:
        components = [_component_for_hint(hints.get(p.name)) for p in positional]
    else:
        components = _as_components(inputs)
        takes_varargs = any(p.kind is p.VAR_POSITIONAL for p in parameters)
        required = [p for p in positional if p.default is p.empty]
        if len(components) < len(required) or (
            len(components) > len(positional) and not takes_varargs
        ):
            raise DefinitionError(
                f"/{api_name}: {len(components)} input components for a function that takes "
                f"{len(required)} to {len(positional)} positional parameters"
            )
    for parameter, component in zip(positional, components):
        if parameter.default is not parameter.empty:
            component.with_default(parameter.default)
    return components


def _output_components(
    api_name: str, return_hint: Any, outputs: Sequence[ComponentLike] | ComponentLike | None
) -> list[Component]:
    if outputs is not None:
        return _as_components(outputs)
    hint = return_hint
    if typing.get_origin(hint) in _STREAMING_ORIGINS:
        hint = (typing.get_args(hint) or (Any,))[0]
    if hint is None or hint is type(None):
        return []
    if typing.get_origin(hint) is tuple:
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return [_component_for_hint(a) for a in args]
    return [_component_for_hint(hint)]


def _component_for_hint(hint: Any) -> Component:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        # Optional[X] is X that may be empty.
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = args[0] if len(args) == 1 else Any
    if hint is bool:
        return Checkbox()
    if hint in (int, float):
        return Number(precision=0 if hint is int else None)
    if hint is str:
        return Textbox()
    if hint is pathlib.Path or (isinstance(hint, type) and issubclass(hint, pathlib.PurePath)):
        return File()
    if hint is State:
        state = State()
        state.implicit = True
        return state
    return Json()
