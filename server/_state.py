"""``State`` values per session, as Gradio keeps ``gr.State``: read when a call runs (not when
it is queued, so a call sees what the session's previous call returned) and written with each
value the function returns or yields. They live on the ``Session`` (``Session.states``), by
the ``State`` object, so they expire and are evicted with it."""

from __future__ import annotations

from typing import Any

from ._app import Endpoint
from ._components import State
from ._sessions import Session

__all__ = ["read_states", "write_state", "write_states"]


def read_states(endpoint: Endpoint, args: list[Any], session: Session | None) -> list[Any]:
    """``args`` with the session's value at each state input (a new session: the state's
    initial value, kept from now on)."""
    if session is None:
        return args
    values = session.states
    args = list(args)
    for position, component in enumerate(endpoint.inputs):
        if isinstance(component, State) and position < len(args):
            if component not in values:
                values[component] = component.initial()
            args[position] = values[component]
    return args


def write_state(session: Session | None, state: State, value: Any) -> None:
    """What the function returned for ``state``: the session's value from now on."""
    if session is not None:
        session.states[state] = value


def write_states(endpoint: Endpoint, result: Any, session: Session | None) -> None:
    """Each state output's value of what the function returned (a result that does not
    fit the outputs writes nothing: shaping it fails the call)."""
    if session is None:
        return
    try:
        outputs = endpoint.shape_outputs(result)
    except TypeError:
        return
    for component, value in zip(endpoint.outputs, outputs):
        if isinstance(component, State):
            session.states[component] = value
