"""The admin API under ``/__mock/``: the same model the pytest plugin drives, for clients in
any language (curl, Node, Go, ...). Protected by ``--token`` like every route, journalled by
nothing, and absent from ``/info`` and ``/config``.

    GET    /__mock/requests              the journal, oldest first: ?api_name=/predict&limit=N
    GET    /__mock/requests/unmatched    requests that matched no endpoint, with near misses
    DELETE /__mock/requests              forget the journal
    POST   /__mock/reset                 jobs, results, sessions and the journal, all gone
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

if TYPE_CHECKING:
    from .._server import ServerState

__all__ = ["admin_router"]

admin_router = APIRouter(prefix="/__mock")


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.mock
    return state


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=422)


def _int_param(request: Request, name: str, minimum: int) -> int | JSONResponse | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        return _bad(f"?{name}= must be a whole number, not {raw!r}.")
    if value < minimum:
        return _bad(f"?{name}= must be at least {minimum}, not {value}.")
    return value


@admin_router.get("/requests")
async def requests(request: Request) -> Response:
    limit = _int_param(request, "limit", 1)
    since = _int_param(request, "since", 0)
    for value in (limit, since):
        if isinstance(value, JSONResponse):
            return value
    unmatched_raw = request.query_params.get("unmatched")
    unmatched = None
    if unmatched_raw is not None:
        if unmatched_raw not in ("true", "false"):
            return _bad(f"?unmatched= must be true or false, not {unmatched_raw!r}.")
        unmatched = unmatched_raw == "true"
    entries = _state(request).journal.entries(
        api_name=request.query_params.get("api_name"),
        unmatched=unmatched,
        since=since if isinstance(since, int) else 0,
        limit=limit if isinstance(limit, int) else None,
    )
    return JSONResponse({"requests": [e.to_json() for e in entries]})


@admin_router.get("/requests/unmatched")
async def unmatched(request: Request) -> Response:
    entries = _state(request).journal.entries(unmatched=True)
    return JSONResponse({"requests": [e.to_json() for e in entries]})


@admin_router.delete("/requests")
async def clear_requests(request: Request) -> Response:
    _state(request).journal.clear()
    return JSONResponse({"requests": []})


@admin_router.post("/reset")
async def reset(request: Request) -> Response:
    await _state(request).reset()
    return JSONResponse({"reset": True})
