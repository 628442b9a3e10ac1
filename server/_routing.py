"""The HTTP routes: Gradio's API, served at the root (4.x form) and under ``/gradio_api``.

Routes only parse and check requests, then hand work to the job queue and return what the
streams read from it. They hold no state of their own: everything is on ``ServerState``.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sse_starlette import EventSourceResponse

from ._answers import Prepared
from ._app import Endpoint
from ._exceptions import InputError
from ._faithful import BrokenStream
from ._files import serving_headers
from ._jobs import Job, QueueFull
from ._multipart import MultipartError, save_multipart
from ._processing import describe_inputs
from ._sessions import Session
from ._streams import (
    ChannelView,
    LocalChannel,
    call_stream,
    heartbeat_stream,
    session_stream,
    silent_call_stream,
)
from ._types import ASGIApp, Receive, Scope, Send
from .mock import note_call, note_unmatched
from .mock._journal import (
    ANSWERED_BY,
    API_NAME,
    CALL,
    ENTRY_KEY,
    EVENT_ID,
    FN_INDEX,
    JOURNAL,
    SESSION_HASH,
    Entry,
    Row,
)
from .mock._stubs import POST_FAULTS, STREAM_FAULTS, Fault, Stub
from .store import SharedChannel

if TYPE_CHECKING:
    from ._server import ServerState

__all__ = [
    "API_PREFIX",
    "PathNormalizer",
    "api_router",
    "normalize_path",
    "split_path",
    "start_call",
    "store_unavailable",
    "validation_error",
]

api_router = APIRouter()

#: Where Gradio 5 and 6 serve the API (4.x serves it at the root).
API_PREFIX = "/gradio_api"

_HOST = re.compile(r"^[A-Za-z0-9.\-_:\[\]]+$")


class CallBody(BaseModel):
    data: list[Any]
    session_hash: str | None = None


class JoinBody(BaseModel):
    data: list[Any]
    fn_index: int | None = None
    api_name: str | None = None
    session_hash: str
    event_data: Any = None
    trigger_id: int | None = None


class CancelBody(BaseModel):
    event_id: str
    session_hash: str | None = None
    fn_index: int | None = None


class ApiError(Exception):
    """An error answered as ``{"detail": message}`` (or ``body``, as is) with ``status``."""

    def __init__(self, status: int, message: Any, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body


class Answered(ApiError):
    """An error whose answer is made already (``--faithful``'s, in the version's shape)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code, "")
        self.response = response


def error_response(error: ApiError) -> Response:
    if isinstance(error, Answered):
        return error.response
    body = {"detail": error.message} if error.body is None else error.body
    return JSONResponse(body, status_code=error.status)


def stub_status(fault: Fault) -> ApiError:
    """The answer of a stub's ``queue_full`` or ``status`` fault."""
    if fault.kind == "queue_full":
        return ApiError(503, "Queue is full.")
    return ApiError(fault.status, HTTPStatus(fault.status).phrase, fault.body)


async def store_unavailable(request: Request, error: Exception) -> Response:
    """The shared store cannot be reached: 503, saying so (the server reconnects itself)."""
    return error_response(ApiError(503, str(error)))


async def validation_error(request: Request, error: Exception) -> Response:
    """FastAPI's 422 for a body its models refuse, safe for any body: its own handler
    crashes (a 500) when the refused input, which it quotes, is bytes that are not UTF-8
    or holds a NaN or an infinity (Python's parser reads them; JSON cannot carry them)."""
    assert isinstance(error, RequestValidationError)
    details = jsonable_encoder([{**e, "input": _quotable(e.get("input"))} for e in error.errors()])
    return JSONResponse({"detail": details}, status_code=422)


def _quotable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        json.dumps(jsonable_encoder(value), allow_nan=False)
    except ValueError:
        return repr(value)
    return value


def state_of(request: Request) -> ServerState:
    app = request.scope["app"]
    state: ServerState | None = getattr(app, "mock", None)  # (a MockApp's: see there)
    return app.state.mock if state is None else state


def public_root(request: Request) -> str:
    """The base URL the client used: scheme, host (``X-Forwarded-*`` honoured), root path."""
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", "").split(",")[0].strip()
    if scheme not in ("http", "https"):
        scheme = request.scope.get("scheme", "http")
    host = headers.get("x-forwarded-host", headers.get("host", "")).split(",")[0].strip()
    if not _HOST.match(host):
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    prefix = headers.get("x-forwarded-prefix", "").rstrip("/")
    if not prefix.startswith("/") or not _HOST.match(prefix.replace("/", "")):
        prefix = ""
    return f"{scheme}://{host}{prefix or state_of(request).settings.root_path}"


def _endpoint(request: Request, api_name: str, data: Any = None) -> Endpoint:
    state = state_of(request)
    endpoint = state.app.endpoint(api_name)
    if endpoint is None:
        shown = [e for e in state.app.endpoints if not e.hidden]
        names = ", ".join(f"/{e.api_name}" for e in shown) or "none"
        message = f"There is no endpoint /{api_name.strip('/')}. Available endpoints: {names}."
        note_unmatched(request.scope, message, state.app.endpoints, api_name, data)
        if state.faithful is not None:
            what = (
                "gradio.route_utils.FnIndexInferError: "
                f"Could not infer function index for API name: {api_name.strip('/')}"
            )
            raise Answered(state.faithful.unknown_endpoint(what))
        raise ApiError(404, message)
    return endpoint


async def _submit(
    request: Request,
    endpoint: Endpoint,
    data: list[Any],
    session_hash: str | None,
    channel: str | None = None,
) -> Job:
    """Queue a call of ``endpoint``; ``channel``: the session whose ``/queue/data`` stream
    carries it (``/queue/join``)."""
    entry: Row | None = request.scope.get(ENTRY_KEY)
    if entry is not None:  # (what note_call does, with the endpoint's own name; first, so
        # that any refusal below is journalled with it)
        entry[API_NAME] = endpoint.route
        entry[FN_INDEX] = endpoint.fn_index
    state = state_of(request)
    shared = state.shared
    # Only endpoints that take a Session get one: anonymous calls leave no state behind.
    wants_session = endpoint.session_parameter is not None or endpoint.has_state
    session: Session | None = None
    if wants_session and shared is None:
        session = state.sessions.get(session_hash)
    # File outputs carry URLs built from the address this request came to.
    base = public_root(request) + state.schema.api_prefix if endpoint.has_file_outputs else ""
    context: dict[str, Any] = {"file_base_url": base}
    if channel is not None:
        context["channel"] = channel
    job_id = None
    stub: Stub | None = None
    if shared is None:
        stub = state.stubs.take(endpoint, data) if state.stubs else None
    else:
        # Counted against every process's queue (and named in the store, so that any
        # process can answer for it) before its event_id is given out; the answer says
        # whether the stubs changed, so one added through another process is in force.
        job_id = state.queue.new_id()
        admitted, stubs_version = await shared.admit(job_id, endpoint.api_name, channel)
        if not admitted:
            raise ApiError(503, "Queue is full.")
        await shared.stubs.current(stubs_version)
        stub = await shared.stubs.take(endpoint, data) if state.stubs else None
    if entry is not None:
        entry[ANSWERED_BY] = "function" if stub is None else f"stub {stub.id}"
    if stub is None and endpoint.answer is not None:
        timeline = endpoint.answer(data)  # a spec's example for these inputs
        settle = getattr(timeline, "settle", None)
        if settle is not None:  # a cassette's (standin._replay): it journals what answered
            timeline = settle(state.files, base, None if entry is None else Entry(entry))
        elif timeline and entry is not None:
            entry[ANSWERED_BY] = "example"
        if timeline:
            context["timeline"] = timeline
    if stub is not None:
        if stub.fault is not None and stub.fault.kind in POST_FAULTS:
            if shared is not None and job_id is not None:
                shared.unadmit(job_id)
            raise stub_status(stub.fault)
        context["timeline"] = stub.events
        if stub.fault is not None and stub.fault.kind in STREAM_FAULTS:
            context["fault"] = stub.fault
    if wants_session and shared is not None:
        # (taken last: a call refused before it is queued holds no session)
        session = await shared.session(session_hash)
    try:
        job = state.queue.submit(endpoint, data, session, context, job_id)
    except QueueFull:
        if shared is not None and job_id is not None:
            shared.unadmit(job_id)
            shared.release_session(session)
        raise ApiError(503, "Queue is full.") from None
    if channel is not None and shared is None:
        state.channels.add(channel, job)
    if entry is not None:
        entry[CALL] = True
        entry[EVENT_ID] = job.id
        job.context["journal"] = entry
    return job


# -- the /call API ---------------------------------------------------------------------


async def call(request: Request) -> Response:
    """Start a call: ``{"data": [...], "session_hash"?}`` → ``{"event_id"}``."""
    return await start_call(request, await request.body())


async def start_call(request: Request, raw: bytes) -> Response:
    """``call`` with its body read (the hot path reads it without a ``Request`` stream)."""
    api_name = request.path_params["api_name"]
    entry: Row | None = request.scope.get(ENTRY_KEY)
    try:
        data, session_hash = parse_call_body(raw)
        if entry is not None:  # (what note_call does; the name: _submit's, or the miss's)
            entry[JOURNAL].keep_data(entry, data, raw)
            if session_hash is not None:
                entry[SESSION_HASH] = session_hash
        job = await _submit(request, _endpoint(request, api_name, data), data, session_hash)
    except ApiError as error:
        faithful = state_of(request).faithful
        if faithful is not None and _is_json_invalid(error):
            detail = faithful.not_json(raw)
            error = error if detail is None else ApiError(422, detail)
        return error_response(error)
    return Prepared(b'{"event_id":"%s"}' % job.id.encode(), b"application/json")


def _is_json_invalid(error: ApiError) -> bool:
    detail = error.message
    return isinstance(detail, list) and bool(detail) and detail[0].get("type") == "json_invalid"


#: The answer to a body whose JSON nests deeper than the parser goes (about 1,000 levels,
#: Python's recursion limit), as FastAPI's routes answer it.
_TOO_DEEP = "The body's JSON is nested too deeply to be parsed; expected a shallower value."


def parse_call_body(raw: bytes) -> tuple[list[Any], str | None]:
    """``data`` and ``session_hash`` from a ``/call`` body, or a 422 in FastAPI's words.

    Parsed by hand because this is the hottest route: a FastAPI body model costs more than
    the rest of the call. Bad bodies are still judged by the same pydantic model, so the
    errors are FastAPI's (and Gradio's) to the byte.
    """
    if not raw:
        raise ApiError(
            422, [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
        )
    try:
        body = json.loads(_json_text(raw))
    except RecursionError:
        raise ApiError(422, _TOO_DEEP) from None
    except ValueError as error:
        position = getattr(error, "pos", 0)
        reason = getattr(error, "msg", str(error))
        raise ApiError(
            422,
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", position],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": reason},
                }
            ],
        ) from None
    if isinstance(body, dict):
        data, session_hash = body.get("data"), body.get("session_hash")
        if isinstance(data, list) and (session_hash is None or isinstance(session_hash, str)):
            return data, session_hash
    try:
        CallBody.model_validate(body)
    except ValidationError as error:
        details = [{**e, "loc": ["body", *e["loc"]]} for e in error.errors(include_url=False)]
        raise ApiError(422, jsonable_encoder(details)) from None
    raise AssertionError("unreachable: the fast path accepts every valid body")


def _json_text(raw: bytes) -> str | bytes:
    """``raw`` decoded as ``json.loads`` would decode it, when that is surely UTF-8 (an
    object's ``{`` then no NUL: no BOM, not UTF-16 or -32); else ``raw`` itself, for
    ``json.loads`` to work out. Its detection, in Python, cost as much as the parsing."""
    if raw[:1] == b"{" and raw[1:2] != b"\0":
        return raw.decode("utf-8", "surrogatepass")
    return raw


async def call_named(request: Request) -> Response:
    """Start a call with named arguments (Gradio 6's ``/call/v2``); defaults fill the gaps."""
    api_name = request.path_params["api_name"]
    note_call(request.scope, api_name=api_name)
    faithful = state_of(request).faithful
    if faithful is not None and not faithful.named_calls:
        return faithful.method_not_allowed()
    try:
        endpoint = _endpoint(request, api_name)
        body = await _json_object(request)
        note_call(request.scope, data=body)
        data = _positional(request, endpoint, body)
        # "session_hash" names the session, unless the function has a parameter of that name.
        is_parameter = "session_hash" in endpoint.parameter_names
        session_hash = None if is_parameter else body.get("session_hash")
        if session_hash is not None and not isinstance(session_hash, str):
            raise ApiError(
                422, f"session_hash must be a string, got {type(session_hash).__name__}."
            )
        job = await _submit(request, endpoint, data, session_hash)
    except ApiError as error:
        return error_response(error)
    return JSONResponse({"event_id": job.id})


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except RecursionError:
        raise ApiError(422, _TOO_DEEP) from None
    except ValueError as error:
        raise ApiError(
            422,
            f"The body is not valid JSON ({error}); expected an object "
            'of named arguments such as {"text": "Hello"}.',
        ) from None
    if not isinstance(body, dict):
        raise ApiError(
            422, f"Expected a JSON object of named arguments, got {type(body).__name__}."
        )
    return body


def _positional(request: Request, endpoint: Endpoint, named: dict[str, Any]) -> list[Any]:
    names = endpoint.parameter_names
    unknown = sorted(set(named) - set(names) - {"session_hash"})
    if unknown:
        message = (
            f"/{endpoint.api_name} has no parameter {', '.join(unknown)}; "
            f"it takes {describe_inputs(endpoint)}."
        )
        note_unmatched(request.scope, message, [endpoint], endpoint.api_name, None)
        raise ApiError(422, message)
    data = []
    for name, component in zip(names, endpoint.inputs):
        if name in named:
            data.append(named[name])
        elif component.has_default:
            data.append(component.default)
        else:
            message = (
                f"/{endpoint.api_name} needs the parameter {name!r} "
                f"({component.display_name}); it takes {describe_inputs(endpoint)}."
            )
            note_unmatched(request.scope, message, [endpoint], endpoint.api_name, None)
            raise ApiError(422, message)
    return data


async def call_events(request: Request) -> Response:
    """Stream a call's events from the start; replays a finished one, then closes."""
    api_name, event_id = request.path_params["api_name"], request.path_params["event_id"]
    entry: Row | None = request.scope.get(ENTRY_KEY)
    state = state_of(request)
    job = state.cache.get(event_id) if state.shared is None else await state.shared.find(event_id)
    named = job is not None and job.endpoint.api_name == api_name.strip("/")
    if entry is not None:  # (what note_call does)
        if named:
            assert job is not None
            # The endpoint's and the job's own strings, the same values: an entry keeps as
            # few objects of its own as it can (see ``mock._journal.Journal.open``).
            entry[API_NAME], entry[EVENT_ID] = job.endpoint.route, job.id
        else:
            entry[API_NAME], entry[EVENT_ID] = "/" + api_name.strip("/"), event_id
    if job is None and state.faithful is not None:
        return BrokenStream()
    if job is None:
        return error_response(
            ApiError(
                404,
                f"No event {event_id}: it never existed here, or its result was evicted "
                f"from the result cache (at most {state.cache.maxsize} results and "
                f"{state.cache.max_bytes} bytes are kept: --cache-size, --cache-bytes).",
            )
        )
    if not named:
        return error_response(
            ApiError(404, f"Event {event_id} belongs to /{job.endpoint.api_name}, not /{api_name}.")
        )
    faithful = state.faithful
    if faithful is None:
        return await call_stream(job, state.settings.heartbeat, state.first_frame)
    if job.delivered:  # Gradio's second read of a finished event: heartbeats, forever
        return silent_call_stream(state.settings.heartbeat, state.stopping)
    return await call_stream(
        job, state.settings.heartbeat, state.first_frame, faithful.call_error_data
    )


# The /call routes are the hot path: plain Starlette routes, without FastAPI's per-request
# dependency solving (they parse their few inputs themselves).
api_router.add_route("/call/{api_name}", call, methods=["POST"])
api_router.add_route("/call/v2/{api_name}", call_named, methods=["POST"])
api_router.add_route("/call/{api_name}/{event_id}", call_events, methods=["GET"])


# -- the queue API of the official clients ---------------------------------------------


@api_router.post("/queue/join")
async def queue_join(request: Request, body: JoinBody) -> Response:
    state = state_of(request)
    endpoints = state.app.endpoints
    note_call(
        request.scope,
        api_name=body.api_name,
        fn_index=body.fn_index,
        data=body.data,
        session_hash=body.session_hash,
    )
    try:
        if body.api_name is not None:
            endpoint = _endpoint(request, body.api_name, body.data)
        elif body.fn_index is None:
            message = "Name the endpoint to call: send api_name or fn_index."
            note_unmatched(request.scope, message, endpoints, None, body.data)
            raise ApiError(422, message)
        elif 0 <= body.fn_index < len(endpoints):
            endpoint = endpoints[body.fn_index]
        else:
            message = (
                f"There is no endpoint with fn_index {body.fn_index}; "
                f"valid: 0 to {len(endpoints) - 1}."
            )
            note_unmatched(request.scope, message, endpoints, None, body.data)
            if state.faithful is not None:
                raise Answered(state.faithful.unknown_endpoint(f"KeyError: {body.fn_index}"))
            raise ApiError(404, message)
        job = await _submit(request, endpoint, body.data, body.session_hash, body.session_hash)
    except ApiError as error:
        return error_response(error)
    return JSONResponse({"event_id": job.id})


@api_router.get("/queue/data")
async def queue_data(request: Request, session_hash: str) -> Response:
    note_call(request.scope, session_hash=session_hash)
    state = state_of(request)
    view: ChannelView
    cancel: Callable[[str], object]
    if state.shared is None:
        view, cancel = LocalChannel(state.channels, session_hash), state.queue.cancel
    else:
        view, cancel = SharedChannel(state.shared, session_hash), state.shared.cancel_soon
    if not await view.pending():
        view.close()
        return error_response(ApiError(404, "Session not found."))
    return session_stream(
        view, state.cache, state.settings.heartbeat, cancel, state.schema.major_version
    )


@api_router.get("/heartbeat/{session_hash}")
async def heartbeat(request: Request, session_hash: str) -> EventSourceResponse:
    state = state_of(request)
    if state.shared is None:
        state.sessions.touch(session_hash)
    else:
        state.shared.touch_session(session_hash)
    return heartbeat_stream(state.settings.heartbeat, state.stopping)


@api_router.post("/cancel")
@api_router.post("/reset")  # what older clients post to stop a job
async def cancel(request: Request, body: CancelBody) -> Response:
    note_call(request.scope, event_id=body.event_id, session_hash=body.session_hash)
    state = state_of(request)
    if state.faithful is not None:
        # Gradio answers success whatever the event, and its /reset stops nothing (the
        # captures: a /call generator streams on to its end).
        if not request.scope["path"].endswith("/reset"):
            if state.shared is None:
                state.queue.cancel_as_gradio(body.event_id)
            else:
                await state.shared.cancel(body.event_id, as_gradio=True)
        return JSONResponse({"success": True})
    if state.shared is not None:
        return JSONResponse({"success": await state.shared.cancel(body.event_id)})
    return JSONResponse({"success": state.queue.cancel(body.event_id)})


# -- files -----------------------------------------------------------------------------


@api_router.post("/upload")
async def upload(request: Request) -> Response:
    """Multipart upload, field ``files`` (repeatable) → the server paths, as a JSON list.

    Parsed as it arrives (``_multipart.py``): a file over ``--max-file-size`` is refused at
    once, the rest unread (the connection is closed), and the upload leaves no file behind."""
    files = state_of(request).files
    try:
        paths = await save_multipart(
            files, request.headers.get("content-type", ""), request.stream()
        )
    except InputError as error:
        response = error_response(ApiError(413, f"Upload refused: {error}."))
        response.headers["connection"] = "close"  # the rest of the body is not read
        return response
    except MultipartError as error:
        return error_response(
            ApiError(422, f"Expected a multipart/form-data body with 'files' fields ({error}).")
        )
    if not paths:
        return error_response(
            ApiError(
                422, "Expected one or more file fields named 'files' in a multipart/form-data body."
            )
        )
    return JSONResponse(paths)


@api_router.get("/file={path:path}")
async def serve_file(request: Request, path: str) -> Response:
    status, found = state_of(request).files.lookup(path)
    if found is None:
        message = (
            "Not a file this server wrote or received."
            if status == 403
            else f"No file {path} here."
        )
        return error_response(ApiError(status, message))
    # Only types that cannot carry script are shown inline; the rest (html, svg, xml, ...)
    # are downloads, and every file gets nosniff and a sandboxing CSP.
    media_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
    disposition, headers = serving_headers(media_type)
    return FileResponse(
        found,
        media_type=media_type,
        headers=headers,
        filename=os.path.basename(found),
        content_disposition_type=disposition,
    )


# -- what the app says about itself ----------------------------------------------------


@api_router.get("/info")
async def info(request: Request, serialize: bool = True, all_endpoints: bool = False) -> Response:
    return JSONResponse(state_of(request).schema.info_for(public_root(request)))


@api_router.get("/config")
async def config(request: Request) -> Response:
    return JSONResponse(state_of(request).schema.config(public_root(request)))


class PathNormalizer:
    """Route every request through one set of routes: the API answers at the root (Gradio 4),
    under ``/gradio_api`` (Gradio 5, 6) and under ``root_path`` (behind a proxy that passes
    the prefix on), with or without a trailing slash. Normalising the path once here is
    cheaper and simpler than registering each route in every form."""

    def __init__(self, app: ASGIApp, root_path: str = "") -> None:
        self.app = app
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = split_path(scope["path"], self.root_path)[0]
            if path != scope["path"]:
                scope = {**scope, "path": path, "raw_path": None}
        await self.app(scope, receive, send)


def normalize_path(path: str, root_path: str = "") -> str:
    """A path as the routes see it: no root path, no ``/gradio_api``, no trailing slash."""
    return split_path(path, root_path)[0]


def split_path(path: str, root_path: str = "") -> tuple[str, str]:
    """``normalize_path``'s path, and the route form it came in: ``"gradio_api"`` (Gradio
    5/6: ``/gradio_api`` after the root path, if any) or ``"root"``, as the journal keeps it
    (``mock._journal.route_form``), known once the prefix is taken off: the hot path
    journals it without looking at the path again."""
    if root_path and (path == root_path or path.startswith(root_path + "/")):
        path = path[len(root_path) :] or "/"
    form = "root"
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :] or "/"
        form = "gradio_api"
    if len(path) > 1 and path.endswith("/") and not path.startswith("/file="):
        path = path.rstrip("/") or "/"
    return path, form
