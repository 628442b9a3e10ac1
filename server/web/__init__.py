"""The page at ``/``: the API described, a form per endpoint to try it, served by the package.

Plain HTML, CSS and JavaScript in ``static/`` (no framework, no CDN, no build step): the page
reads ``/info`` and calls the public API like any other client, with the token if one is set.
"""

from ._routes import STATIC_PREFIX, is_public, page_router

__all__ = ["STATIC_PREFIX", "is_public", "page_router"]
