"""Type aliases shared across the package, kept in one place (as Starlette's ``types.py``)."""

from __future__ import annotations

from typing import Any, TypeAlias

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: A value that survives ``json.dumps``: what travels in ``data`` lists and event payloads.
JSON: TypeAlias = Any

__all__ = ["JSON", "ASGIApp", "Message", "Receive", "Scope", "Send"]
