"""Stubs: what an endpoint answers instead of its function, for every call or for some.

A stub names an endpoint (``api_name``), optionally the inputs it answers (``data``: the same
list, or a dict of named inputs that must all match), optionally how many calls it answers
(``times``), and a ``response``, one of:

* ``{"outputs": [...]}``: the call completes with these outputs;
* ``{"error": "message" | null, "title"?, "duration"?, "visible"?}``: a ``gr.Error``-style
  error, or (``null``) the hidden ``{"error": null}`` of an unexpected exception;
* ``{"events": [{"type": ..., "data": ..., "delay": seconds}, ...]}``: a timeline of
  ``estimation``, ``progress``, ``log``, ``generating``, then ``complete`` or ``error``;
* ``{"fault": ...}``: ``queue_full`` (503 on the POST), ``status`` (any status on the POST),
  ``zerogpu_quota`` (the ZeroGPU quota error as Spaces send it), or a fault of the stream:
  ``drop`` (it ends after ``after`` events), ``stall`` (after ``after`` events it sends
  nothing more, not even heartbeats, and never ends), ``malformed`` (after ``after`` events
  a line that is not JSON, then the end), ``dribble`` (the bytes come ``chunk`` at a time,
  ``interval`` seconds apart). A stream fault changes only the stream: the call itself runs
  the function (or the stub's ``outputs``/``events`` when given beside the fault).

The newest matching stub answers; one whose ``times`` are used up steps aside, so stubs
stacked on one endpoint make a sequence ("the first call hits the quota, the next succeeds").
The same model is driven from Python (``gradio_mock.stub(...)``), HTTP (``POST
/__mock/stubs``) and files (``--stubs stubs.json``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import GradioMockError
from .._types import ASGIApp, Receive, Scope, Send
from ._journal import entry_of

if TYPE_CHECKING:
    from .._app import App, Endpoint
    from ..store import SharedStubs

__all__ = [
    "EVENT_TYPES",
    "FAULTS",
    "Fault",
    "RouteStubs",
    "Stub",
    "StubError",
    "Stubs",
    "TimelineEvent",
    "load_stub_file",
]

EVENT_TYPES = ("estimation", "progress", "log", "generating", "complete", "error")
#: Faults answered on the POST itself, and faults of the stream that follows.
POST_FAULTS = ("queue_full", "status")
STREAM_FAULTS = ("drop", "stall", "malformed", "dribble")
FAULTS = (*POST_FAULTS, *STREAM_FAULTS, "zerogpu_quota")
LOG_LEVELS = ("info", "warning", "success", "error")


class StubError(GradioMockError):
    """A stub definition that cannot be used: the message says what and what was expected."""


@dataclass(frozen=True)
class TimelineEvent:
    type: str
    data: Any
    delay: float


@dataclass(frozen=True)
class Fault:
    kind: str
    #: Stream faults: how many events go out before the fault.
    after: int = 0
    #: ``status``: the status code and body of the POST's answer.
    status: int = 503
    body: Any = None
    #: ``dribble``: bytes per chunk and seconds between chunks.
    chunk: int = 1
    interval: float = 0.05


@dataclass
class Stub:
    id: str
    #: The endpoint it answers (``predict``), or None for a stub of a route (``path``).
    api_name: str | None
    #: The timeline the call plays (empty: the function runs).
    events: list[TimelineEvent]
    fault: Fault | None
    data: list[Any] | dict[str, Any] | None = None
    times: int | None = None
    hits: int = 0
    #: The stub as it was defined (what ``GET /__mock/stubs`` shows back).
    definition: dict[str, Any] = field(default_factory=dict)
    #: A route stub: the path (``/config``, as normalised: no ``/gradio_api``) and method.
    path: str | None = None
    method: str = "GET"

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, endpoint: Endpoint, data: Any) -> bool:
        if self.api_name is None or self.api_name != endpoint.api_name or self.exhausted:
            return False
        if self.data is None:
            return True
        if isinstance(self.data, dict):
            if isinstance(data, dict):
                named = data
            elif isinstance(data, list):
                named = dict(zip(endpoint.parameter_names, data))
            else:
                return False
            return all(k in named and _same(named[k], v) for k, v in self.data.items())
        return _same(data, self.data)

    def to_json(self) -> dict[str, Any]:
        return {**self.definition, "id": self.id, "hits": self.hits, "exhausted": self.exhausted}


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: ``1`` is not ``true``, ``1`` and ``1.0`` are the same number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


class Stubs:
    """The stubs of one server, newest last."""

    def __init__(self) -> None:
        self._stubs: list[Stub] = []
        #: Whether any stub is a route stub: every request asks, so it is kept, not computed.
        self.has_routes = False
        self._ids = itertools.count(1)

    def add(self, app: App, definition: Any, stub_id: str | None = None) -> Stub:
        stub = parse_stub(app, definition, stub_id or f"stub-{next(self._ids)}")
        self._stubs.append(stub)
        self.has_routes = self.has_routes or stub.path is not None
        return stub

    def replace(self, stubs: list[Stub]) -> None:
        """Hold exactly ``stubs``, oldest first (a shared store's copy, read anew)."""
        self._stubs = list(stubs)
        self.has_routes = any(stub.path is not None for stub in self._stubs)

    def remove(self, stub_id: str) -> bool:
        before = len(self._stubs)
        self._stubs = [s for s in self._stubs if s.id != stub_id]
        self.has_routes = any(stub.path is not None for stub in self._stubs)
        return len(self._stubs) != before

    def clear(self) -> None:
        self._stubs.clear()
        self.has_routes = False

    def all(self) -> list[Stub]:
        return list(self._stubs)

    def get(self, stub_id: str) -> Stub | None:
        return next((s for s in self._stubs if s.id == stub_id), None)

    def take_route(self, method: str, path: str) -> Stub | None:
        """The newest route stub for ``method path``, counted as used."""
        for stub in reversed(self._stubs):
            if stub.path == path and stub.method == method and not stub.exhausted:
                stub.hits += 1
                return stub
        return None

    def take(self, endpoint: Endpoint, data: Any) -> Stub | None:
        """The newest stub answering this call, counted as used; None: the function runs."""
        for stub in reversed(self._stubs):
            if stub.matches(endpoint, data):
                stub.hits += 1
                return stub
        return None

    def __bool__(self) -> bool:
        return bool(self._stubs)


# -- parsing and checking definitions ----------------------------------------------------


def parse_stub(app: App, definition: Any, stub_id: str) -> Stub:
    if not isinstance(definition, dict):
        raise StubError(f"A stub is a JSON object, not {_kind(definition)}.")
    fields = {"api_name", "path", "method", "data", "times", "response", "id"}
    unknown = sorted(set(definition) - fields)
    if unknown:
        raise StubError(
            f"Unknown stub field(s) {', '.join(unknown)}; a stub has api_name (or path), "
            "response, and optionally data and times."
        )
    if "path" in definition:
        return _route_stub(definition, stub_id)
    api_name = definition.get("api_name")
    if not isinstance(api_name, str) or not api_name.strip("/"):
        raise StubError('A stub needs "api_name", the endpoint it answers, e.g. "/predict".')
    endpoint = app.endpoint(api_name)
    if endpoint is None:
        names = ", ".join(f"/{e.api_name}" for e in app.endpoints) or "none"
        raise StubError(f"There is no endpoint /{api_name.strip('/')} to stub; endpoints: {names}.")
    data = definition.get("data")
    if data is not None and not isinstance(data, (list, dict)):
        raise StubError(
            '"data" matches the inputs: a list (all of them) or an object of named inputs '
            f"(those given), not {_kind(data)}."
        )
    if isinstance(data, dict):
        unknown_names = sorted(set(data) - set(endpoint.parameter_names))
        if unknown_names:
            raise StubError(
                f"/{endpoint.api_name} has no input named {', '.join(unknown_names)}; "
                f"its inputs: {', '.join(endpoint.parameter_names) or 'none'}."
            )
    times = definition.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise StubError(f'"times" is how many calls the stub answers: 1 or more, not {times!r}.')
    response = definition.get("response")
    if not isinstance(response, dict):
        raise StubError(
            'A stub needs "response": an object with "outputs", "error", "events" or "fault".'
        )
    events, fault = _parse_response(endpoint, response)
    clean = {k: v for k, v in definition.items() if k != "id"}
    clean["api_name"] = "/" + endpoint.api_name
    return Stub(stub_id, endpoint.api_name, events, fault, data, times, definition=clean)


def _route_stub(definition: dict[str, Any], stub_id: str) -> Stub:
    """A stub of a route that is not an endpoint (``/config``, ``/info``, ``/upload``, ...):
    it can only answer a status (``{"fault": "status", "status": 429}``)."""
    path = definition["path"]
    if not isinstance(path, str) or not path.startswith("/") or "api_name" in definition:
        raise StubError(
            'A route stub has "path" (such as "/config") instead of "api_name", not both.'
        )
    from .._routing import normalize_path

    method = definition.get("method", "GET")
    if method not in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
        raise StubError(f'"method" is an HTTP method such as GET or POST, not {method!r}.')
    response = definition.get("response")
    if not isinstance(response, dict) or response.get("fault") not in POST_FAULTS:
        raise StubError(
            'A route stub answers a status: "response": {"fault": "status", "status": 429} '
            '(or {"fault": "queue_full"}).'
        )
    fault = _parse_fault(response)
    times = definition.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise StubError(f'"times" is how many calls the stub answers: 1 or more, not {times!r}.')
    clean = {k: v for k, v in definition.items() if k != "id"}
    return Stub(
        stub_id,
        None,
        [],
        fault,
        None,
        times,
        definition=clean,
        path=normalize_path(path),
        method=method,
    )


def _parse_response(
    endpoint: Endpoint, response: dict[str, Any]
) -> tuple[list[TimelineEvent], Fault | None]:
    kinds = [k for k in ("outputs", "error", "events") if k in response]
    fault = _parse_fault(response) if "fault" in response else None
    if len(kinds) > 1:
        raise StubError(
            f'A response has one of "outputs", "error" or "events", not {" and ".join(kinds)}.'
        )
    if not kinds and fault is None:
        raise StubError(
            'A response needs "outputs", "error", "events" or "fault"; got '
            f"{', '.join(sorted(response)) or 'nothing'}."
        )
    if fault is not None and fault.kind in (*POST_FAULTS, "zerogpu_quota") and kinds:
        raise StubError(f'The fault "{fault.kind}" is the whole answer: leave out "{kinds[0]}".')
    allowed = {"outputs", "error", "events", "fault", "title", "duration", "visible"}
    allowed |= {"after", "status", "body", "chunk", "interval", "requested", "left", "retry_in"}
    allowed |= {"message"}
    unknown = sorted(set(response) - allowed)
    if unknown:
        raise StubError(f"Unknown response field(s) {', '.join(unknown)}.")
    if "outputs" in response:
        return [
            TimelineEvent("complete", _outputs(endpoint, response["outputs"], "outputs"), 0.0)
        ], fault
    if "error" in response:
        return [TimelineEvent("error", _error(response, "response"), 0.0)], fault
    if "events" in response:
        return _timeline(endpoint, response["events"]), fault
    if fault is not None and fault.kind == "zerogpu_quota":
        return [TimelineEvent("error", _zerogpu(response), 0.0)], fault
    return [], fault


def _parse_fault(response: dict[str, Any]) -> Fault:
    kind = response["fault"]
    if kind not in FAULTS:
        raise StubError(f"Unknown fault {kind!r}; faults: {', '.join(FAULTS)}.")
    after = response.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise StubError(
            f'"after" counts the events sent before the fault: 0 or more, not {after!r}.'
        )
    status = response.get("status", 503)
    if kind == "status":
        if "status" not in response:
            raise StubError('The fault "status" needs "status", the HTTP status code, e.g. 429.')
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise StubError(f'"status" is an HTTP status code from 200 to 599, not {status!r}.')
    chunk = response.get("chunk", 1)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise StubError(f'"chunk" is the bytes sent at a time: 1 or more, not {chunk!r}.')
    interval = _seconds(response.get("interval", 0.05), "interval")
    return Fault(kind, after, status, response.get("body"), chunk, interval)


def _outputs(endpoint: Endpoint, outputs: Any, where: str) -> list[Any]:
    count = len(endpoint.outputs)
    if not isinstance(outputs, list) or len(outputs) != count:
        labels = ", ".join(c.display_name for c in endpoint.outputs) or "none"
        raise StubError(
            f"{where}: /{endpoint.api_name} has {count} output{'' if count == 1 else 's'} "
            f"({labels}), so a list of {count} value{'' if count == 1 else 's'}; got "
            f"{_kind(outputs) if not isinstance(outputs, list) else f'{len(outputs)} values'}."
        )
    _check_json(outputs, where)
    return outputs


def _error(source: dict[str, Any], where: str) -> dict[str, Any]:
    message = source.get("error", source.get("message"))
    if message is None:
        return {"error": None}
    if not isinstance(message, str):
        raise StubError(f"{where}: an error message is a string or null, not {_kind(message)}.")
    duration = source.get("duration", 10)
    if duration is not None:
        duration = _seconds(duration, "duration")
    visible = source.get("visible", True)
    if not isinstance(visible, bool):
        raise StubError(f'{where}: "visible" is true or false, not {visible!r}.')
    title = source.get("title", "Error")
    if not isinstance(title, str):
        raise StubError(f'{where}: "title" is a string, not {_kind(title)}.')
    return {"error": message, "duration": duration, "visible": visible, "title": title}


def _zerogpu(response: dict[str, Any]) -> dict[str, Any]:
    """The ZeroGPU quota error as Spaces send it (a ``gr.Error`` raised by ``spaces``)."""
    requested = response.get("requested", 60)
    left = response.get("left", 56)
    retry_in = response.get("retry_in", "0:09:48")
    message = response.get("message") or (
        f"You have exceeded your GPU quota ({requested}s requested vs. {left}s left). "
        f"Try again in {retry_in}"
    )
    return {"error": message, "duration": None, "visible": True, "title": "ZeroGPU quota exceeded"}


def _timeline(endpoint: Endpoint, events: Any) -> list[TimelineEvent]:
    if not isinstance(events, list) or not events:
        raise StubError('"events" is a non-empty list of {"type", "data", "delay"} objects.')
    timeline = []
    for n, event in enumerate(events, start=1):
        where = f"events[{n - 1}]"
        if not isinstance(event, dict) or event.get("type") not in EVENT_TYPES:
            got = event.get("type") if isinstance(event, dict) else _kind(event)
            raise StubError(f"{where}: the type is one of {', '.join(EVENT_TYPES)}, not {got!r}.")
        kind = event["type"]
        delay = _seconds(event.get("delay", 0), f"{where}.delay")
        data = event.get("data")
        if kind in ("generating", "complete"):
            data = _outputs(endpoint, data, f"{where}.data")
        elif kind == "error":
            data = _error(data if isinstance(data, dict) else {"error": data}, where)
        elif kind == "progress":
            data = _progress(data, where)
        elif kind == "log":
            data = _log(data, where)
        else:  # estimation
            data = _estimation(data, where)
        timeline.append(TimelineEvent(kind, data, delay))
        if kind in ("complete", "error") and n != len(events):
            raise StubError(f"{where}: a {kind} event ends the call, so it must be the last.")
    if timeline[-1].type not in ("complete", "error"):
        raise StubError('The last event must be "complete" or "error": a call always ends.')
    return timeline


def _progress(data: Any, where: str) -> list[dict[str, Any]]:
    units = data if isinstance(data, list) else [data]
    out = []
    for unit in units:
        if not isinstance(unit, dict):
            raise StubError(
                f"{where}.data: progress is an object such as "
                '{"progress": 0.5, "desc": "Loading"} (or a list of them), '
                f"not {_kind(unit)}."
            )
        unknown = sorted(set(unit) - {"index", "length", "unit", "progress", "desc"})
        if unknown:
            raise StubError(f"{where}.data: unknown progress field(s) {', '.join(unknown)}.")
        out.append({k: unit.get(k) for k in ("index", "length", "unit", "progress", "desc")})
    return out


def _log(data: Any, where: str) -> dict[str, Any]:
    if isinstance(data, str):
        data = {"log": data}
    if not isinstance(data, dict) or not isinstance(data.get("log"), str):
        raise StubError(f'{where}.data: a log is a message, or {{"log": "...", "level": "info"}}.')
    level = data.get("level", "info")
    if level not in LOG_LEVELS:
        raise StubError(
            f"{where}.data: the level is one of {', '.join(LOG_LEVELS)}, not {level!r}."
        )
    duration = data.get("duration", 10)
    return {
        "log": data["log"],
        "level": level,
        "duration": None if duration is None else _seconds(duration, f"{where}.duration"),
        "visible": bool(data.get("visible", True)),
        "title": data.get("title", level.capitalize()),
    }


def _estimation(data: Any, where: str) -> dict[str, Any]:
    data = data if data is not None else {}
    if not isinstance(data, dict):
        raise StubError(
            f'{where}.data: an estimation is {{"rank": 0, "queue_size": 1, "rank_eta": 2.5}}.'
        )
    out: dict[str, Any] = {}
    for key in ("rank", "queue_size"):
        value = data.get(key, 0 if key == "rank" else 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise StubError(f"{where}.data: {key} is 0 or more, not {value!r}.")
        out[key] = value
    eta = data.get("rank_eta")
    out["rank_eta"] = None if eta is None else _seconds(eta, f"{where}.rank_eta")
    return out


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StubError(f"{where} is a number of seconds, not {value!r}.")
    if value < 0 or value > 3600:
        raise StubError(f"{where} is between 0 and 3600 seconds, not {value}.")
    return float(value)


def _check_json(value: Any, where: str, depth: int = 0) -> None:
    if depth > 64:
        raise StubError(f"{where}: nested deeper than 64 levels.")
    if isinstance(value, float) and not math.isfinite(value):
        raise StubError(f"{where}: {value} is not a JSON number.")
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_json(item, where, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise StubError(f"{where}: object keys are strings, not {_kind(key)}.")
            _check_json(item, where, depth + 1)
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        raise StubError(f"{where}: {_kind(value)} is not a JSON value.")


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), type(value).__name__)


def load_stub_file(app: App, stubs: Stubs, definitions: Sequence[Any], source: str) -> None:
    """``--stubs FILE``: a JSON list of stub objects, each checked as the admin API does."""
    for n, definition in enumerate(definitions):
        try:
            stubs.add(app, definition)
        except StubError as error:
            raise StubError(f"{source}, stub {n}: {error}") from None


class RouteStubs:
    """ASGI middleware, inside ``PathNormalizer``: answers route stubs (a 429 on ``/config``,
    ...). Costs one attribute check per request while no route stub exists."""

    def __init__(self, app: ASGIApp, stubs: Stubs, shared: SharedStubs | None = None) -> None:
        self.app = app
        self.stubs = stubs
        #: With a shared store: stubs are counted there (``store.SharedStubs``).
        self.shared = shared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.stubs.has_routes:
            if self.shared is not None:
                stub = await self.shared.take_route(scope["method"], scope["path"])
            else:
                stub = self.stubs.take_route(scope["method"], scope["path"])
            if stub is not None and stub.fault is not None:
                from .._routing import error_response, stub_status

                entry = entry_of(scope)
                if entry is not None:
                    entry.answered_by = f"stub {stub.id}"
                await error_response(stub_status(stub.fault))(scope, receive, send)
                return
        await self.app(scope, receive, send)
