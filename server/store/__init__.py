"""Where jobs, results and sessions live when several processes share them (``--store``).

Without ``--store`` everything stays in the process (``_cache.py``, ``_sessions.py``,
``_streams.py``); with ``--store redis://...`` the ``RedisStore`` copies it to Redis, so
that any number of processes, on any hosts, serve the same app as one.
"""

from ._check import check_store, where
from ._redis import RedisStore, SharedChannel, SharedSession, app_namespace
from ._stubs import SharedStubs

__all__ = [
    "RedisStore",
    "SharedChannel",
    "SharedSession",
    "SharedStubs",
    "app_namespace",
    "check_store",
    "where",
]
