"""Paths inside the server's own temporary folder, for functions that write files.

A function that makes a file (an image, a report) should write it where the server keeps
its files: it is then served at once, and deleted with the rest when the server stops.
``output_path(name)`` gives such a path. It knows which server runs the call through a
context variable the job sets before calling the function (and that threads running sync
code inherit), so several servers in one process each get their own folder.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._files import FileStore

__all__ = ["output_path", "serving_files"]

_STORE: contextvars.ContextVar[FileStore | None] = contextvars.ContextVar(
    "gradio_mock_files", default=None
)


def serving_files(store: FileStore) -> None:
    """Make ``output_path`` use ``store`` in the current context (one job's task: its
    functions, and the threads it runs sync code in, see it; nothing else does)."""
    _STORE.set(store)


def output_path(name: str = "output") -> str:
    """A new path, in a folder of its own inside the server's temporary folder, for a file
    named ``name`` (e.g. ``"sepia.png"``) that the function is about to write. Return it (as
    a file output) and it is served as is; it is deleted when the server stops.

    Only inside a function the server is running; elsewhere it raises ``RuntimeError``.
    """
    store = _STORE.get()
    if store is None:
        raise RuntimeError(
            "output_path() can only be called inside a function gradio-mock is running"
        )
    return store.register(store.new_path(name))
