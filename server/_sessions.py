"""Per-session state, keyed by the ``session_hash`` clients send.

Calls with the same ``session_hash`` see the same ``Session`` (a dict), so a chat endpoint can
keep its history there. A call without a hash gets a fresh session of its own. Sessions live in
a ``cachetools.TLRUCache``: one unused for ``ttl`` seconds expires, and past ``max_sessions``
(``--max-sessions``) the least recently used goes first, so memory stays bounded however many
clients come. An evicted session's state is gone: its next call starts a fresh one. Since
one client opening that many sessions evicts everyone else's, the first eviction is logged
as a warning, naming the option.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from cachetools import TLRUCache

__all__ = ["Session", "SessionStore"]

logger = logging.getLogger("gradio_mock")


class Session(dict[str, Any]):
    """The state one client session keeps between calls. Declare a parameter annotated
    ``Session`` and gradio-mock passes it in (it is not one of the endpoint's inputs)."""

    def __init__(self, session_hash: str) -> None:
        super().__init__()
        self.session_hash = session_hash
        #: The session's ``State`` values, by the ``State`` object (``_state.py``); apart
        #: from the dict, which is the function's own.
        self.states: dict[object, Any] = {}

    def __repr__(self) -> str:
        return f"Session({self.session_hash!r}, {dict.__repr__(self)})"

    def check(self) -> None:
        """Raise ``OutputError`` if the state cannot be kept (only a shared store's
        sessions have limits: ``store.SharedSession``)."""


class _Sessions(TLRUCache[str, Session]):
    """A TLRUCache that counts the sessions pushed out by its size (not by expiry)."""

    evicted = 0

    def popitem(self) -> tuple[str, Session]:
        item = super().popitem()
        if self.evicted == 0:
            logger.warning(
                "%d sessions are open: the least recently used are being forgotten "
                "(raise --max-sessions to keep more)",
                self.maxsize,
            )
        self.evicted += 1
        return item


class SessionStore:
    def __init__(
        self,
        ttl: float = 3600.0,
        max_sessions: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        # Each access re-inserts the session, so its deadline counts from its last use.
        self.max_sessions = max_sessions
        self._sessions = _Sessions(
            maxsize=max_sessions, ttu=lambda _key, _value, now: now + ttl, timer=timer
        )

    def get(self, session_hash: str | None) -> Session:
        """The session for ``session_hash``, created if new; a fresh one for ``None``."""
        if not session_hash:
            # Nobody can name this session again: it lives as long as its call, not in here.
            return Session(uuid.uuid4().hex)
        session = self._sessions.pop(session_hash, None)
        if session is None:
            session = Session(session_hash)
        self._sessions[session_hash] = session
        return session

    def touch(self, session_hash: str) -> None:
        """Keep a session alive (the heartbeat route calls this)."""
        session = self._sessions.pop(session_hash, None)
        if session is not None:
            self._sessions[session_hash] = session

    @property
    def evicted(self) -> int:
        """Sessions forgotten because ``max_sessions`` were open (expiry aside)."""
        return self._sessions.evicted

    def clear(self) -> None:
        self._sessions.clear()

    def __len__(self) -> int:
        self._sessions.expire()
        return len(self._sessions)

    def __contains__(self, session_hash: object) -> bool:
        return session_hash in self._sessions
