"""Checks the CLI makes before it serves with ``--store``."""

from __future__ import annotations

import redis

__all__ = ["check_store", "where"]


def where(url: str | None) -> str:
    """``url`` without its password, for messages and the banner."""
    if not url:
        return "none"
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def check_store(url: str) -> str | None:
    """What is wrong with the store at ``url`` (None: it answers)."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return f"--store {where(url)}: expected redis://HOST:PORT/DB, rediss://... or unix://..."
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as error:
        return f"cannot reach the shared store at {where(url)}: {error}"
    return None
