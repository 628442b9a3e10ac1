"""Answering for a Space's name: the Hugging Face Hub API that clients ask before they
connect, and several apps on one server, each under a path of its own.

``Client("owner/name")`` (gradio_client 1.x and 2.x, through huggingface_hub) asks the Hub at
``HF_ENDPOINT`` (``https://huggingface.co`` unless set) before it connects:

    GET  /api/spaces/owner/name            ``space_info``: ``host`` is the URL the client then
                                           connects to, ``private`` whether it is private
    GET  /api/spaces/owner/name/runtime    ``get_space_runtime``: ``stage``. BUILDING: the
                                           client asks again every 2 s until it changes;
                                           PAUSED, BUILD_ERROR, RUNTIME_ERROR, ...: it refuses
    HEAD /api/telemetry/...                huggingface_hub's telemetry: 200, nothing kept

and ``GET /api/spaces/owner/name/host`` (``{"subdomain", "host"}``), which ``@gradio/client``
asks, though always of https://huggingface.co: JavaScript code reaches the mock by its URL.

Those are answered here for every Space this server answers for (``--space``), with ``host``
pointing back at this server (the address the request came in on): the root app's URL, or a
mounted app's ``/spaces/owner/name/``. A Space's lifecycle is set at start
(``--space-stage``) and through the admin API, token-protected like the rest of ``/__mock/``:

    GET  /__mock/spaces                    every Space: stage, private, path, Hub requests
    GET  /__mock/spaces/owner/name         one Space
    POST /__mock/spaces/owner/name         {"stage": "BUILDING", "seconds": 2, "private": true}
    POST /__mock/reset                     every app's reset, and each Space's stage at start

While a Space is not running its app answers ``503`` (the admin API under its path aside); a
SLEEPING Space wakes (RUNNING) at its app's first request, as a Space does on its first visit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._app import App
from .._auth import TokenAuth, token_matches
from .._exceptions import GradioMockError
from .._loader import load_app
from .._notify import Notifier
from .._server import ServerState, Settings, create_app
from .._types import ASGIApp, Message, Receive, Scope, Send
from ._serve import SpecApp
from ._spec import SPACE_NAME

__all__ = [
    "STAGES",
    "Hub",
    "HubError",
    "Space",
    "SpaceOption",
    "SpacesApp",
    "StageOption",
    "banner_lines",
    "serve_spaces",
    "space_option",
    "stage_option",
]

#: Every stage the Hub gives a Space (huggingface_hub's ``SpaceStage``, and SLEEPING).
STAGES = (
    "RUNNING",
    "BUILDING",
    "SLEEPING",
    "PAUSED",
    "RUNTIME_ERROR",
    "BUILD_ERROR",
    "CONFIG_ERROR",
    "NO_APP_FILE",
    "APP_STARTING",
    "RUNNING_BUILDING",
    "RUNNING_APP_STARTING",
    "STOPPED",
    "DELETING",
)
#: Stages in which the Space's app answers (a SLEEPING one wakes first).
_SERVING = frozenset({"RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"})

#: Where a mounted app answers: ``/spaces/owner/name`` (Hugging Face's own page path, which no
#: Gradio route uses).
MOUNT_ROOT = "/spaces/"

_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")


class HubError(GradioMockError):
    """A ``--space`` or ``--space-stage`` that cannot be used: says what was expected."""


# -- options --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceOption:
    """``--space owner/name`` (the served app answers for it) or ``--space owner/name=TARGET``
    (TARGET is served under ``/spaces/owner/name/`` and answers for it)."""

    name: str
    target: str | None = None


@dataclass(frozen=True)
class StageOption:
    """``--space-stage [owner/name=]STAGE[:SECONDS]``: no name, every Space."""

    stage: str
    seconds: float | None = None
    name: str | None = None


def _space_name(text: str) -> str:
    if not SPACE_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"a Space is named owner/name (letters, digits, - _ .), not {text!r}"
        )
    return text


def space_option(text: str) -> SpaceOption:
    """argparse's type for ``--space``."""
    name, sep, target = text.partition("=")
    if sep and not target:
        raise argparse.ArgumentTypeError(
            f"name the app to serve after '=', e.g. {name}=app.json, not {text!r}"
        )
    return SpaceOption(_space_name(name), target or None)


def stage_option(text: str) -> StageOption:
    """argparse's type for ``--space-stage``."""
    name, sep, rest = text.rpartition("=")
    stage, _, seconds_text = rest.partition(":")
    stage = stage.upper()
    if stage not in STAGES:
        raise argparse.ArgumentTypeError(
            f"the stage is one of {', '.join(STAGES)} (optionally :SECONDS), not {rest!r}"
        )
    seconds = None
    if seconds_text:
        try:
            seconds = float(seconds_text)
        except ValueError:
            seconds = -1.0
        if not seconds >= 0 or seconds == float("inf"):
            raise argparse.ArgumentTypeError(
                "after ':' comes how many seconds the stage lasts before RUNNING, "
                f"e.g. BUILDING:3, not {seconds_text!r}"
            )
    return StageOption(stage, seconds, _space_name(name) if sep else None)


# -- the Spaces and their lifecycle ---------------------------------------------------------


@dataclass
class Space:
    """One Space name this server answers for, and where its app is."""

    name: str
    #: The app's path below the root path: "" for the root app, else ``/spaces/owner/name``.
    path: str
    stage: str = "RUNNING"
    private: bool = False
    #: ``time.monotonic()`` at which ``stage`` turns RUNNING (None: it stays).
    until: float | None = None
    #: How long ``stage`` was set to last.
    seconds: float | None = None
    #: Requests the Hub API answered for it, by route (``info``, ``runtime``).
    requests: dict[str, int] = field(default_factory=lambda: {"info": 0, "runtime": 0, "host": 0})

    def current(self, now: float) -> str:
        if self.until is not None and now >= self.until:
            self.stage, self.until = "RUNNING", None
        return self.stage

    def to_json(self, now: float) -> dict[str, Any]:
        stage = self.current(now)
        return {
            "space": self.name,
            "stage": stage,
            "seconds_left": None if self.until is None else round(self.until - now, 3),
            "private": self.private,
            "path": self.path + "/",
            "hub_requests": dict(self.requests),
        }


class Hub:
    """The Spaces of one server, by name."""

    def __init__(
        self,
        spaces: Sequence[Space],
        token: str | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spaces = {space.name: space for space in spaces}
        self.token = token
        self.clock = clock
        #: Notified after each answer of the Hub API (a test waits on it for a client's ask).
        self.asked = Notifier()
        self._start: dict[str, tuple[str, float | None, bool]] = {}
        self.mark_start()

    def get(self, name: str) -> Space | None:
        return self.spaces.get(name)

    def set(
        self,
        space: Space,
        stage: str | None = None,
        seconds: float | None = None,
        private: bool | None = None,
    ) -> None:
        if private and not self.token:
            raise HubError(
                "a private Space needs the server's token (start it with --token): the Hub "
                "and the app ask for it"
            )
        if stage is not None:
            if stage not in STAGES:
                raise HubError(f"the stage is one of {', '.join(STAGES)}, not {stage!r}")
            space.stage, space.seconds = stage, seconds
            space.until = None if seconds is None else self.clock() + seconds
        elif seconds is not None:
            raise HubError('"seconds" goes with a "stage": how long it lasts before RUNNING')
        if private is not None:
            space.private = private

    def mark_start(self) -> None:
        """What ``reset`` goes back to: each Space as it is now."""
        self._start = {s.name: (s.stage, s.seconds, s.private) for s in self.spaces.values()}

    def reset(self) -> None:
        """Every Space back to its stage at start (a timed one starts its time again), its
        Hub requests forgotten."""
        for name, (stage, seconds, private) in self._start.items():
            space = self.spaces[name]
            space.private = private
            self.set(space, stage, seconds)
            space.requests = dict.fromkeys(space.requests, 0)

    def serving(self, spaces: Sequence[Space]) -> Space | None:
        """None if the app of ``spaces`` answers (waking the sleeping ones), else one of
        them that is not running (for the 503's message)."""
        now = self.clock()
        stages = [space.current(now) for space in spaces]
        if not spaces or any(stage in _SERVING for stage in stages):
            return None
        if "SLEEPING" in stages:
            for space in spaces:
                if space.stage == "SLEEPING":
                    space.stage = "RUNNING"
            return None
        return spaces[0]


# -- the Hub's answers ----------------------------------------------------------------------


def _origin(scope: Scope) -> str:
    """The scheme and host the client used (``X-Forwarded-*`` honoured), as ``public_root``."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    scheme = headers.get("x-forwarded-proto", "").split(",")[0].strip()
    if scheme not in ("http", "https"):
        scheme = scope.get("scheme", "http")
    host = headers.get("x-forwarded-host", headers.get("host", "")).split(",")[0].strip()
    if not _HOST.match(host):
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"


def _runtime(space: Space, stage: str) -> dict[str, Any]:
    running = stage in _SERVING
    return {
        "stage": stage,
        "hardware": {"current": "cpu-basic" if running else None, "requested": "cpu-basic"},
        "storage": None,
        "gcTimeout": 172800,
        "replicas": {"current": 1 if running else 0, "requested": 1},
        "devMode": False,
        "domains": [{"domain": f"{_subdomain(space.name)}.hf.space", "stage": "READY"}],
    }


def _subdomain(name: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", name.replace("/", "-").lower())


def _not_found(message: str, status: int = 404) -> Response:
    """The Hub's answer for a Space it will not show: huggingface_hub raises
    ``RepositoryNotFoundError`` for its ``X-Error-Code``."""
    return JSONResponse(
        {"error": message}, status_code=status, headers={"X-Error-Code": "RepoNotFound"}
    )


# -- one server, several apps ----------------------------------------------------------------


class _Lifespan:
    """Drives one inner app's lifespan protocol (startup, shutdown) from the outer one's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _step(self, message: str) -> None:
        await self.inbox.put({"type": message})
        assert self.task is not None
        answer = asyncio.ensure_future(self.outbox.get())
        await asyncio.wait({answer, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():  # the app left its lifespan without answering
            answer.cancel()
            self.task.result()
            raise RuntimeError(f"an app ended its lifespan at {message}")
        reply = answer.result()
        if reply["type"].endswith(".failed"):
            raise RuntimeError(reply.get("message") or f"{message} failed")

    async def start(self, scope: Scope) -> None:
        inner = {**scope, "state": {}}
        self.task = asyncio.ensure_future(self.app(inner, self.inbox.get, self.outbox.put))
        await self._step("lifespan.startup")

    async def stop(self) -> None:
        await self._step("lifespan.shutdown")
        assert self.task is not None
        await self.task


class SpacesApp:
    """The ASGI app of a server that answers for Spaces: the Hub API and its admin routes,
    each mounted app under ``/spaces/owner/name``, the root app (if any) for the rest.

    ``state.mock`` is the root app's ``ServerState`` (else the first mounted app's), so that
    ``make_server`` takes its settings and stops it; the others are stopped with it."""

    def __init__(
        self,
        hub: Hub,
        root: ASGIApp | None,
        mounts: dict[str, Any],
        root_path: str = "",
    ) -> None:
        if root is None and not mounts:
            raise HubError("nothing to serve: no root app and no mounted app")
        self.hub = hub
        self.root = root
        self.mounts = mounts
        self.root_path = root_path.rstrip("/")
        apps = ([root] if root is not None else []) + list(mounts.values())
        self.state = apps[0].state
        self.states: list[ServerState] = [app.state.mock for app in apps]
        self._lifespans = [_Lifespan(app) for app in apps]
        self._admin = TokenAuth(self._admin_routes, hub.token) if hub.token else self._admin_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send, scope)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if self.root_path and (path == self.root_path or path.startswith(self.root_path + "/")):
            path = path[len(self.root_path) :] or "/"
        if path.startswith(("/api/spaces/", "/api/telemetry/")):
            await self._hub_routes(scope, path)(scope, receive, send)
            return
        if path in ("/__mock/spaces", "/__mock/reset") or path.startswith("/__mock/spaces/"):
            await self._admin(scope, receive, send)
            return
        for prefix, app in self.mounts.items():
            if path == prefix or path.startswith(prefix + "/"):
                if scope["path"] != self.root_path + path:  # a proxy took the root path off
                    scope = {**scope, "path": self.root_path + path, "raw_path": None}
                await self._gated(app, prefix, path[len(prefix) :], scope, receive, send)
                return
        if self.root is not None:
            await self._gated(self.root, "", path, scope, receive, send)
            return
        where = ", ".join(f"{s.name} at {s.path}/" for s in self.hub.spaces.values())
        await JSONResponse(
            {"detail": f"No app answers at {path}: this server serves the Spaces {where}."},
            status_code=404,
        )(scope, receive, send)

    async def _gated(
        self, app: ASGIApp, prefix: str, inner: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if not inner.startswith("/__mock/"):
            spaces = [s for s in self.hub.spaces.values() if s.path == prefix]
            idle = self.hub.serving(spaces)
            if idle is not None:
                message = (
                    f"The Space {idle.name} is {idle.stage}: its app answers once it is "
                    f"RUNNING (POST /__mock/spaces/{idle.name} with a stage, or --space-stage)."
                )
                await JSONResponse({"detail": message}, status_code=503)(scope, receive, send)
                return
        await app(scope, receive, send)

    # -- lifespan -------------------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send, scope: Scope) -> None:
        await receive()
        started: list[_Lifespan] = []
        try:
            for lifespan in self._lifespans:
                await lifespan.start(scope)
                started.append(lifespan)
        except Exception as error:
            for lifespan in reversed(started):
                await lifespan.stop()
            await send({"type": "lifespan.startup.failed", "message": str(error)})
            return
        watcher = asyncio.ensure_future(self._stop_with_first())
        await send({"type": "lifespan.startup.complete"})
        await receive()
        watcher.cancel()
        for lifespan in reversed(self._lifespans):
            await lifespan.stop()
        await send({"type": "lifespan.shutdown.complete"})

    async def _stop_with_first(self) -> None:
        """The server stops the first app (``make_server``'s state): stop the others too,
        so that their streams end with a final event rather than at the graceful timeout."""
        await self.states[0].stopping.wait()
        for state in self.states[1:]:
            state.stop()

    # -- the Hub API ----------------------------------------------------------------------

    def _hub_routes(self, scope: Scope, path: str) -> Response:
        if path.startswith("/api/telemetry/"):
            return Response(status_code=200)
        if scope["method"] not in ("GET", "HEAD"):
            return JSONResponse(
                {"error": f"gradio-mock answers only GET for {path}"}, status_code=405
            )
        parts = path.strip("/").split("/")  # api, spaces, owner, name, [runtime | revision, x]
        name = "/".join(parts[2:4])
        rest = parts[4:]
        space = self.hub.get(name)
        if space is None or (rest not in ([], ["runtime"], ["host"]) and rest[:1] != ["revision"]):
            known = ", ".join(self.hub.spaces) or "none"
            return _not_found(
                f"Repository not found: gradio-mock answers for the Spaces {known} "
                "(GET /api/spaces/owner/name and /api/spaces/owner/name/runtime)"
            )
        if space.private:
            verdict = token_matches(self.hub.token or "", scope["headers"])
            if verdict is False:
                return JSONResponse(
                    {"error": "Invalid credentials in Authorization header"}, status_code=401
                )
            if verdict is None:
                return _not_found("Repository not found", 401)
        now = self.hub.clock()
        stage = space.current(now)
        route = rest[0] if rest in (["runtime"], ["host"]) else "info"
        space.requests[route] += 1
        self.hub.asked.notify()
        if route == "runtime":
            return JSONResponse(_runtime(space, stage))
        path_here = self.root_path + space.path
        # A URL with a path must end in "/": clients urljoin their routes onto it.
        host = _origin(scope) + (path_here + "/" if path_here else "")
        if route == "host":  # what @gradio/client asks
            return JSONResponse({"subdomain": _subdomain(space.name), "host": host})
        return JSONResponse(
            {
                "_id": _subdomain(space.name),
                "id": space.name,
                "author": space.name.split("/")[0],
                "sha": "0" * 40,
                "lastModified": "2026-01-01T00:00:00.000Z",
                "createdAt": "2026-01-01T00:00:00.000Z",
                "private": space.private,
                "gated": False,
                "disabled": False,
                "host": host,
                "subdomain": _subdomain(space.name),
                "likes": 0,
                "sdk": "gradio",
                "tags": ["gradio", "gradio-mock"],
                "runtime": _runtime(space, stage),
                "siblings": [{"rfilename": "app.py"}, {"rfilename": "README.md"}],
                "cardData": {"title": space.name.split("/")[1], "sdk": "gradio"},
            }
        )

    # -- the admin API --------------------------------------------------------------------

    async def _admin_routes(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self._admin_answer(request)
        await response(scope, receive, send)

    async def _admin_answer(self, request: Request) -> Response:
        path = request.url.path
        if self.root_path and path.startswith(self.root_path + "/"):
            path = path[len(self.root_path) :]
        if path == "/__mock/reset":
            if request.method != "POST":
                return _bad("POST /__mock/reset", 405)
            # The server's reset: every app's (as POST /__mock/reset of one app), and the
            # Spaces as they were at start.
            for state in self.states:
                await state.reset()
            self.hub.reset()
            return JSONResponse({"reset": True})
        name = path[len("/__mock/spaces") :].strip("/")
        now = self.hub.clock()
        if not name:
            if request.method != "GET":
                return _bad("POST to /__mock/spaces/owner/name to change one Space", 405)
            return JSONResponse({"spaces": [s.to_json(now) for s in self.hub.spaces.values()]})
        space = self.hub.get(name)
        if space is None:
            known = ", ".join(self.hub.spaces) or "none"
            return _bad(f"No Space {name}; this server answers for: {known}.", 404)
        if request.method == "GET":
            return JSONResponse(space.to_json(now))
        if request.method != "POST":
            return _bad(f"{request.method} is not allowed here: GET or POST", 405)
        raw = b""
        async for chunk in request.stream():  # read as it comes, no further than the cap
            raw += chunk
            if len(raw) > _MAX_CHANGE_BYTES:
                return _bad(f"The body is over {_MAX_CHANGE_BYTES} bytes; expected {_CHANGE}.", 413)
        try:
            body = json.loads(raw or b"{}")
        except ValueError as error:
            return _bad(f"The body is not valid JSON ({error}); expected {_CHANGE}.")
        problem = _change_problem(body)
        if problem:
            return _bad(f"{problem}; expected {_CHANGE}.")
        try:
            stage = body.get("stage")
            self.hub.set(
                space,
                stage.upper() if isinstance(stage, str) else None,
                body.get("seconds"),
                body.get("private"),
            )
        except HubError as error:
            return _bad(f"{error}.")
        return JSONResponse(space.to_json(self.hub.clock()))


_CHANGE = '{"stage": "BUILDING", "seconds": 2, "private": true} (each optional)'
#: A change is a few fields: a larger body is refused (this route is outside the apps' caps).
_MAX_CHANGE_BYTES = 64 * 1024


def _change_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "The body must be a JSON object"
    unknown = sorted(set(body) - {"stage", "seconds", "private"})
    if unknown:
        return f"Unknown field {', '.join(map(repr, unknown))}"
    stage, seconds, private = body.get("stage"), body.get("seconds"), body.get("private")
    if stage is not None and not isinstance(stage, str):
        return f'"stage" is a string such as "RUNNING", not {stage!r}'
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0
    ):
        return f'"seconds" is a number of seconds, 0 or more, not {seconds!r}'
    if private is not None and not isinstance(private, bool):
        return f'"private" is true or false, not {private!r}'
    return None


def _bad(message: str, status: int = 422) -> Response:
    return JSONResponse({"detail": message}, status_code=status)


# -- building it from the command line ------------------------------------------------------


def serve_spaces(
    root: App | None,
    settings: Settings,
    spaces: Sequence[SpaceOption],
    stages: Sequence[StageOption] = (),
    *,
    seed: int = 0,
    gradio_version: int | None = None,
    load: Callable[[str], App] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[SpacesApp, list[tuple[Space, App]]]:
    """The server's ASGI app: ``root`` at the root (answering for the ``--space`` names
    without a target, or its spec's ``space``), each ``name=TARGET`` mounted under
    ``/spaces/name``. ``gradio_version``: the one asked for (None: each spec's own, else
    ``settings``'). Returns the app and each Space with the app it answers for."""
    loader = load or (lambda target: load_app(target, seed=seed))
    root_path = "/" + settings.root_path.strip("/") if settings.root_path.strip("/") else ""
    settings = replace(settings, root_path=root_path)
    names = [s.name for s in spaces]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise HubError(f"--space {', '.join(twice)} is given twice")
    plain = [s.name for s in spaces if s.target is None]
    own = root.spec.space if isinstance(root, SpecApp) else None
    if not plain and own is not None and own not in names:
        plain = [own]
    listed: list[tuple[Space, App]] = []
    private = settings.token is not None
    if root is not None:
        listed += [(Space(name, "", private=private), root) for name in plain]
    mounts: dict[str, Any] = {}
    for option in spaces:
        if option.target is None:
            continue
        app = loader(option.target)
        path = MOUNT_ROOT.rstrip("/") + "/" + option.name
        version = gradio_version
        if version is None:
            version = app.spec.major if isinstance(app, SpecApp) else settings.gradio_version
        mounted = replace(settings, root_path=settings.root_path + path, gradio_version=version)
        mounts[path] = create_app(app, mounted)
        listed.append((Space(option.name, path, private=private), app))
    hub = Hub([space for space, _ in listed], settings.token, clock)
    for stage in stages:
        chosen = [s for s, _ in listed if stage.name in (None, s.name)]
        if stage.name is not None and not chosen:
            raise HubError(f"--space-stage {stage.name}=...: no --space {stage.name}")
        for space in chosen:
            hub.set(space, stage.stage, stage.seconds)
    hub.mark_start()
    root_app = None
    if root is not None:
        version = gradio_version
        if version is None:
            version = root.spec.major if isinstance(root, SpecApp) else settings.gradio_version
        root_app = create_app(root, replace(settings, gradio_version=version))
    return SpacesApp(hub, root_app, mounts, settings.root_path), listed


def banner_lines(listed: Sequence[tuple[Space, App]], url: str) -> list[str]:
    """The CLI banner's lines for the Spaces: where each answers, and HF_ENDPOINT."""
    lines = [f"Hub API for Space names: HF_ENDPOINT={url}"]
    for space, app in listed:
        where = f"{url}{space.path}/" if space.path else f"{url}/ (the root app)"
        stage = space.stage + (f" for {space.seconds:g} s" if space.seconds is not None else "")
        private = ", private" if space.private else ""
        lines.append(f"  Space {space.name}: {app.title!r} at {where} ({stage}{private})")
    return lines
