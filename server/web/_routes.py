"""The routes of the page: ``GET /`` (the HTML) and its static files under ``STATIC_PREFIX``.

The HTML and the assets hold no data (the page fetches ``/info`` itself, with the token), so
they are the only routes a token does not guard: a browser can load the page, then ask for
the token. Paths here are as ``PathNormalizer`` leaves them: ``/`` also answers at
``/gradio_api/`` and under ``--root-path``.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from .._routing import public_root, state_of

__all__ = ["STATIC_PREFIX", "is_public", "page_router"]

#: Under ``/__mock/`` (gradio-mock's own routes), so that no Gradio route can collide.
STATIC_PREFIX = "/__mock/page/"

_STATIC = Path(__file__).parent / "static"
#: The files served, by name: nothing else in the package is reachable through this route.
_ASSETS = {"page.css": "text/css; charset=utf-8", "page.js": "text/javascript; charset=utf-8"}
# The page talks to its own origin only; images may come from anywhere a function points to.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src * data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

page_router = APIRouter()


def is_public(method: str, path: str) -> bool:
    """True for the requests a token does not guard: reading the page and its assets."""
    return method in ("GET", "HEAD") and (
        path == "/" or (path.startswith(STATIC_PREFIX) and path[len(STATIC_PREFIX) :] in _ASSETS)
    )


@page_router.api_route("/", methods=["GET", "HEAD"])
async def page(request: Request) -> Response:
    state = state_of(request)
    # The path the browser reached the server by (root path, X-Forwarded-Prefix): the page
    # builds every API URL from it and its own origin, as /info's snippets do.
    root = urlsplit(public_root(request)).path.rstrip("/")
    template = (_STATIC / "index.html").read_text(encoding="utf-8")
    text = (
        template.replace("{{title}}", html.escape(state.app.title))
        .replace("{{api}}", html.escape(root + state.schema.api_prefix))
        .replace("{{root}}", html.escape(root))
        .replace("{{static}}", html.escape(root + STATIC_PREFIX))
        .replace("{{version}}", str(state.schema.major_version))
    )
    headers = {"content-security-policy": _CSP, "cache-control": "no-cache"}
    return HTMLResponse(text, headers=headers)


@page_router.api_route(STATIC_PREFIX + "{name}", methods=["GET", "HEAD"])
async def asset(name: str) -> Response:
    media_type = _ASSETS.get(name)
    if media_type is None:
        return Response(
            f"No page asset {name!r}; the page has {', '.join(sorted(_ASSETS))}.",
            status_code=404,
            media_type="text/plain",
        )
    response = FileResponse(_STATIC / name, media_type=media_type)
    response.headers["cache-control"] = "no-cache"
    response.headers["x-content-type-options"] = "nosniff"
    return response
