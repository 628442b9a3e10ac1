"""The HTTP routes: Gradio's API, served at the root (4.x form) and under ``/gradio_api``.

Routes only parse and check requests, then hand work to the job queue and return what the
streams read from it. They hold no state of their own: everything is on ``ServerState``.
"""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sse_starlette import EventSourceResponse
from starlette.datastructures import UploadFile

from ._app import Endpoint
from ._exceptions import InputError
from ._jobs import Job, QueueFull
from ._processing import describe_inputs
from ._streams import call_stream, heartbeat_stream, session_stream
from ._types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from ._server import ServerState

__all__ = ["API_PREFIX", "PathNormalizer", "api_router", "validation_error"]

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
    """An error answered as ``{"detail": message}`` with ``status``."""

    def __init__(self, status: int, message: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse({"detail": error.message}, status_code=error.status)


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
    state: ServerState = request.app.state.mock
    return state


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


def _endpoint(state: ServerState, api_name: str) -> Endpoint:
    endpoint = state.app.endpoint(api_name)
    if endpoint is None:
        names = ", ".join(f"/{e.api_name}" for e in state.app.endpoints) or "none"
        raise ApiError(
            404, f"There is no endpoint /{api_name.strip('/')}. Available endpoints: {names}."
        )
    return endpoint


def _submit(request: Request, endpoint: Endpoint, data: list[Any], session_hash: str | None) -> Job:
    state = state_of(request)
    # Only endpoints that take a Session get one: anonymous calls leave no state behind.
    session = state.sessions.get(session_hash) if endpoint.session_parameter else None
    # File outputs carry URLs built from the address this request came to.
    base = public_root(request) + state.schema.api_prefix if endpoint.has_file_outputs else ""
    try:
        return state.queue.submit(endpoint, data, session, {"file_base_url": base})
    except QueueFull:
        raise ApiError(503, "Queue is full.") from None


# -- the /call API ---------------------------------------------------------------------


async def call(request: Request) -> Response:
    """Start a call: ``{"data": [...], "session_hash"?}`` → ``{"event_id"}``."""
    api_name = request.path_params["api_name"]
    try:
        data, session_hash = parse_call_body(await request.body())
        job = _submit(request, _endpoint(state_of(request), api_name), data, session_hash)
    except ApiError as error:
        return error_response(error)
    return Response(b'{"event_id":"%s"}' % job.id.encode(), media_type="application/json")


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
        body = json.loads(raw)
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


async def call_named(request: Request) -> Response:
    """Start a call with named arguments (Gradio 6's ``/call/v2``); defaults fill the gaps."""
    api_name = request.path_params["api_name"]
    state = state_of(request)
    try:
        endpoint = _endpoint(state, api_name)
        body = await _json_object(request)
        data = _positional(endpoint, body)
        # "session_hash" names the session, unless the function has a parameter of that name.
        is_parameter = "session_hash" in endpoint.parameter_names
        session_hash = None if is_parameter else body.get("session_hash")
        job = _submit(request, endpoint, data, session_hash)
    except ApiError as error:
        return error_response(error)
    return JSONResponse({"event_id": job.id})


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
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


def _positional(endpoint: Endpoint, named: dict[str, Any]) -> list[Any]:
    names = endpoint.parameter_names
    unknown = sorted(set(named) - set(names) - {"session_hash"})
    if unknown:
        raise ApiError(
            422,
            f"/{endpoint.api_name} has no parameter {', '.join(unknown)}; "
            f"it takes {describe_inputs(endpoint)}.",
        )
    data = []
    for name, component in zip(names, endpoint.inputs):
        if name in named:
            data.append(named[name])
        elif component.has_default:
            data.append(component.default)
        else:
            raise ApiError(
                422,
                f"/{endpoint.api_name} needs the parameter {name!r} "
                f"({component.display_name}); it takes "
                f"{describe_inputs(endpoint)}.",
            )
    return data


async def call_events(request: Request) -> Response:
    """Stream a call's events from the start; replays a finished one, then closes."""
    api_name, event_id = request.path_params["api_name"], request.path_params["event_id"]
    state = state_of(request)
    job = state.cache.get(event_id)
    if job is None:
        return error_response(
            ApiError(
                404,
                f"No event {event_id}: it never existed here, or its result was evicted "
                f"from the result cache (the last {state.cache.maxsize} results are kept).",
            )
        )
    if job.endpoint.api_name != api_name.strip("/"):
        return error_response(
            ApiError(404, f"Event {event_id} belongs to /{job.endpoint.api_name}, not /{api_name}.")
        )
    return await call_stream(job, state.settings.heartbeat)


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
    try:
        if body.api_name is not None:
            endpoint = _endpoint(state, body.api_name)
        elif body.fn_index is None:
            raise ApiError(422, "Name the endpoint to call: send api_name or fn_index.")
        elif 0 <= body.fn_index < len(endpoints):
            endpoint = endpoints[body.fn_index]
        else:
            raise ApiError(
                404,
                f"There is no endpoint with fn_index {body.fn_index}; "
                f"valid: 0 to {len(endpoints) - 1}.",
            )
        job = _submit(request, endpoint, body.data, body.session_hash)
    except ApiError as error:
        return error_response(error)
    state.channels.add(body.session_hash, job)
    return JSONResponse({"event_id": job.id})


@api_router.get("/queue/data")
async def queue_data(request: Request, session_hash: str) -> Response:
    state = state_of(request)
    if state.channels.get(session_hash) is None:
        return error_response(ApiError(404, "Session not found."))
    return session_stream(
        state.channels, session_hash, state.settings.heartbeat, state.queue.cancel
    )


@api_router.get("/heartbeat/{session_hash}")
async def heartbeat(request: Request, session_hash: str) -> EventSourceResponse:
    state = state_of(request)
    state.sessions.touch(session_hash)
    return heartbeat_stream(state.settings.heartbeat)


@api_router.post("/cancel")
@api_router.post("/reset")  # what older clients post to stop a job
async def cancel(request: Request, body: CancelBody) -> Response:
    return JSONResponse({"success": state_of(request).queue.cancel(body.event_id)})


# -- files -----------------------------------------------------------------------------


@api_router.post("/upload")
async def upload(request: Request) -> Response:
    """Multipart upload, field ``files`` (repeatable) → the server paths, as a JSON list."""
    files = state_of(request).files
    try:
        form = await request.form()
    except Exception as error:
        return error_response(
            ApiError(422, f"Expected a multipart/form-data body with 'files' fields ({error}).")
        )
    try:
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not uploads:
            return error_response(
                ApiError(
                    422,
                    "Expected one or more file fields named 'files' in a multipart/form-data body.",
                )
            )
        paths = [await files.save_upload(item) for item in uploads]
    except InputError as error:
        return error_response(ApiError(413, f"Upload refused: {error}."))
    finally:
        await form.close()
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
    response = FileResponse(found)
    response.headers["x-content-type-options"] = "nosniff"
    if (response.media_type or "").startswith(("text/html", "image/svg", "application/xhtml")):
        response.headers["content-disposition"] = "attachment"
    return response


# -- what the app says about itself ----------------------------------------------------


@api_router.get("/info")
async def info(request: Request, serialize: bool = True, all_endpoints: bool = False) -> Response:
    return JSONResponse(state_of(request).schema.info_for(public_root(request)))


@api_router.get("/config")
async def config(request: Request) -> Response:
    return JSONResponse(state_of(request).schema.config(public_root(request)))


@api_router.get("/")
async def home(request: Request) -> Response:
    state = state_of(request)
    root = public_root(request) + state.schema.api_prefix
    items = "".join(
        f"<li><code>POST {root}/call/{e.api_name}</code>: {describe_inputs(e)}</li>"
        for e in state.app.endpoints
    )
    title = html.escape(state.app.title)
    return HTMLResponse(
        f"<!doctype html><title>{title}</title><h1>{title}</h1>"
        f"<p>gradio-mock, speaking Gradio {state.schema.version}'s API. "
        f"Endpoints (details at <a href='{root}/info'>/info</a>):</p><ul>{items}</ul>"
    )


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
            path = _normalize(scope["path"], self.root_path)
            if path != scope["path"]:
                scope = {**scope, "path": path, "raw_path": None}
        await self.app(scope, receive, send)


def _normalize(path: str, root_path: str) -> str:
    if root_path and (path == root_path or path.startswith(root_path + "/")):
        path = path[len(root_path) :] or "/"
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :] or "/"
    if len(path) > 1 and path.endswith("/") and not path.startswith("/file="):
        path = path.rstrip("/") or "/"
    return path
