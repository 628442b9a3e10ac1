"""The result cache: where finished jobs wait to be read (and read again).

Running jobs sit in a plain dict and are never evicted. A finished job moves into a
``cachetools.LRUCache`` of ``maxsize`` entries; past that, the least recently used result
goes first and its ``event_id`` answers 404 from then on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cachetools import LRUCache

if TYPE_CHECKING:
    from ._jobs import Job

__all__ = ["ResultCache"]


class ResultCache:
    def __init__(self, maxsize: int = 2000) -> None:
        if maxsize < 1:
            raise ValueError(f"the cache must hold at least one result, not {maxsize}")
        self.maxsize = maxsize
        self._running: dict[str, Job] = {}
        self._finished: LRUCache[str, Job] = LRUCache(maxsize=maxsize)

    def add(self, job: Job) -> None:
        self._running[job.id] = job

    def finish(self, job: Job) -> None:
        if self._running.pop(job.id, None) is not None:
            self._finished[job.id] = job

    def get(self, event_id: str) -> Job | None:
        job = self._running.get(event_id)
        if job is None:
            job = self._finished.get(event_id)  # counts as a use for the LRU order
        return job

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def finished(self) -> int:
        return len(self._finished)

    def clear(self) -> None:
        self._running.clear()
        self._finished.clear()
