"""The admin API under ``/__mock/``: the same model the pytest plugin drives, for clients in
any language (curl, Node, Go, ...). Protected by ``--token`` like every route, journalled by
nothing, and absent from ``/info`` and ``/config``.

    GET    /__mock/requests              the journal, oldest first: ?api_name=/predict&limit=N
    GET    /__mock/requests/stream       the journal live (Server-Sent Events)
    GET    /__mock/requests/unmatched    requests that matched no endpoint, with near misses
    DELETE /__mock/requests              forget the journal
    POST   /__mock/reset                 jobs, results, sessions, journal and stubs, all gone
    POST   /__mock/stubs                 add a stub (or a list): → {"id": ...}
    GET    /__mock/stubs                 the stubs, with their hit counts
    GET    /__mock/stubs/{id}            one stub
    DELETE /__mock/stubs/{id}            remove one stub
    DELETE /__mock/stubs                 remove every stub

With ``--space``, ``/__mock/spaces`` (the Spaces' lifecycle) is answered before any app, by
``server/standin/_hub.py``; each mounted app has these routes under its own path.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse

from .._notify import wait_for
from ._stubs import StubError

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
    state = _state(request)
    query: dict[str, Any] = {
        "api_name": request.query_params.get("api_name"),
        "unmatched": unmatched,
        "since": since if isinstance(since, int) else 0,
        "limit": limit if isinstance(limit, int) else None,
    }
    if state.shared is not None:  # every process's requests
        return JSONResponse({"requests": await state.shared.journal.entries(**query)})
    entries = state.journal.entries(**query)
    return JSONResponse({"requests": [e.to_json() for e in entries]})


@admin_router.get("/requests/stream")
async def request_stream(request: Request) -> Response:
    """The journal live, as Server-Sent Events: ``event: request`` with an entry (as
    ``GET /__mock/requests`` gives it) each time one is created or changes (its status, its
    outcome), the journal's last entries first; ``event: reset`` when the journal was
    cleared or the reader fell too far behind (read ``/__mock/requests`` again)."""
    state = _state(request)
    journal = state.journal
    backlog = _int_param(request, "backlog", 0)
    if isinstance(backlog, JSONResponse):
        return backlog

    async def shared_events() -> AsyncIterator[dict[str, Any]]:
        assert state.shared is not None
        async for entry in state.shared.journal.follow(count):
            if entry is None:
                yield {"event": "reset", "data": "null"}
            else:
                yield {"event": "request", "data": json.dumps(entry)}

    count = backlog if isinstance(backlog, int) else 100
    if state.shared is not None:
        return EventSourceResponse(shared_events(), ping=state.settings.heartbeat, sep="\n")

    async def events() -> AsyncIterator[dict[str, Any]]:
        with journal.reading():  # the journal remembers changes while someone reads them
            cursor, _ = journal.changes_since(1 << 62)
            for entry in journal.entries(limit=count):
                yield {"event": "request", "data": json.dumps(entry.to_json())}
            while True:
                waiter = journal.changed.waiter()
                newest, changed = journal.changes_since(cursor)
                if changed is None or newest < cursor:
                    yield {"event": "reset", "data": "null"}
                else:
                    for entry in changed:
                        yield {"event": "request", "data": json.dumps(entry.to_json())}
                cursor = newest
                await wait_for(waiter, None)

    return EventSourceResponse(events(), ping=state.settings.heartbeat, sep="\n")


@admin_router.get("/requests/unmatched")
async def unmatched(request: Request) -> Response:
    state = _state(request)
    if state.shared is not None:
        return JSONResponse({"requests": await state.shared.journal.entries(unmatched=True)})
    entries = state.journal.entries(unmatched=True)
    return JSONResponse({"requests": [e.to_json() for e in entries]})


@admin_router.delete("/requests")
async def clear_requests(request: Request) -> Response:
    state = _state(request)
    state.journal.clear()
    if state.shared is not None:
        await state.shared.journal.clear()
    return JSONResponse({"requests": []})


@admin_router.post("/reset")
async def reset(request: Request) -> Response:
    await _state(request).reset()
    return JSONResponse({"reset": True})


# -- stubs -----------------------------------------------------------------------------------


@admin_router.post("/stubs")
async def add_stub(request: Request) -> Response:
    """One stub object (or a list of them) → ``{"id": ...}`` (or ``{"ids": [...]}``)."""
    try:
        body = await request.json()
    except ValueError as error:
        return _bad(f"The body is not valid JSON ({error}); expected a stub object.")
    state = _state(request)
    definitions = body if isinstance(body, list) else [body]
    added = []
    if state.shared is not None:  # in the store, for every process
        try:
            added = await state.shared.stubs.add(definitions)
        except StubError as error:
            return _bad(str(error))
        if isinstance(body, list):
            return JSONResponse({"ids": [s.id for s in added]}, status_code=201)
        return JSONResponse({"id": added[0].id, **added[0].to_json()}, status_code=201)
    try:
        for n, definition in enumerate(definitions):
            try:
                added.append(state.stubs.add(state.app, definition))
            except StubError as error:
                prefix = f"stub {n}: " if isinstance(body, list) else ""
                raise StubError(f"{prefix}{error}") from None
    except StubError as error:
        for stub in added:  # all or nothing
            state.stubs.remove(stub.id)
        return _bad(str(error))
    if isinstance(body, list):
        return JSONResponse({"ids": [s.id for s in added]}, status_code=201)
    return JSONResponse({"id": added[0].id, **added[0].to_json()}, status_code=201)


async def _fresh(request: Request) -> ServerState:
    """The state, its stubs read anew from the shared store if there is one (hits counted
    by every process)."""
    state = _state(request)
    if state.shared is not None:
        await state.shared.stubs.reload()
    return state


@admin_router.get("/stubs")
async def list_stubs(request: Request) -> Response:
    return JSONResponse({"stubs": [s.to_json() for s in (await _fresh(request)).stubs.all()]})


@admin_router.get("/stubs/{stub_id}")
async def get_stub(request: Request, stub_id: str) -> Response:
    stub = (await _fresh(request)).stubs.get(stub_id)
    if stub is None:
        return JSONResponse({"detail": f"No stub {stub_id}."}, status_code=404)
    return JSONResponse(stub.to_json())


@admin_router.delete("/stubs/{stub_id}")
async def delete_stub(request: Request, stub_id: str) -> Response:
    state = _state(request)
    if state.shared is not None:
        removed = await state.shared.stubs.remove(stub_id)
    else:
        removed = state.stubs.remove(stub_id)
    if not removed:
        return JSONResponse({"detail": f"No stub {stub_id}."}, status_code=404)
    return JSONResponse({"deleted": stub_id})


@admin_router.delete("/stubs")
async def delete_stubs(request: Request) -> Response:
    state = _state(request)
    if state.shared is not None:
        await state.shared.stubs.clear()
    else:
        state.stubs.clear()
    return JSONResponse({"stubs": []})
