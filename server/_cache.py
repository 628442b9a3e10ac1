"""The result cache: where finished jobs wait to be read (and read again), within one bound.

Running jobs sit in a plain dict and are never evicted. A finished job moves into an LRU of
finished results, bounded twice: at most ``maxsize`` results, and at most ``max_bytes`` bytes
for every job here, running or finished (each job counts the JSON text of the events its log
keeps, plus a fixed overhead per event and per job: see ``_jobs.EVENT_OVERHEAD``). Past
either bound the least recently used finished result goes first, whoever reads it or not
(jobs joined to a session and never read count like any other), and its ``event_id``
answers 404 from then on. A job's log reports its growth and compaction here as they happen
(``resized``), so the total is always current.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._jobs import Job

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_MAX_RESULT_SIZE",
    "EVENT_OVERHEAD",
    "JOB_OVERHEAD",
    "ResultCache",
]

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_RESULT_SIZE = 64 * 1024 * 1024
#: Bytes a logged event costs beyond its JSON text (its record, the bytes object, the list
#: slot), and what a job itself costs (the ``Job``, its log, its notifier), measured with
#: tracemalloc. They are counted so that results of a few bytes each are not free.
EVENT_OVERHEAD = 176
JOB_OVERHEAD = 1000


class ResultCache:
    def __init__(
        self,
        maxsize: int = 2000,
        max_bytes: int = DEFAULT_CACHE_BYTES,
        max_result_size: int = DEFAULT_MAX_RESULT_SIZE,
        on_evict: Callable[[Job], None] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"the cache must hold at least one result, not {maxsize}")
        if not 0 < max_result_size <= max_bytes:
            raise ValueError(
                f"the per-result limit ({max_result_size} bytes) must be above 0 and at most "
                f"the cache's byte budget ({max_bytes} bytes)"
            )
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.max_result_size = max_result_size
        #: Called with each finished job evicted (the session streams forget it).
        self.on_evict = on_evict
        #: Called with the bytes let go (a log compacted or trimmed, a result evicted), so
        #: that freed memory can be handed back (``_memory.MemoryReleaser``).
        self.on_release: Callable[[int], None] | None = None
        #: Bytes counted for every job here, running or finished.
        self.bytes = 0
        self._running: dict[str, Job] = {}
        self._finished: OrderedDict[str, Job] = OrderedDict()

    def add(self, job: Job) -> None:
        self._running[job.id] = job
        job.ledger = self
        self.bytes += job.size + JOB_OVERHEAD

    def resized(self, job: Job, delta: int) -> None:
        """``job``'s log grew or shrank by ``delta`` bytes."""
        self.bytes += delta
        if delta > 0 and self.bytes > self.max_bytes:
            self._trim()
        elif delta < 0 and self.on_release is not None:
            self.on_release(-delta)

    def finish(self, job: Job) -> None:
        if self._running.pop(job.id, None) is not None:
            self._finished[job.id] = job
            self._trim()

    def forget(self, job: Job) -> None:
        """Drop a finished ``job`` without evicting it (a shared store keeps it now)."""
        if self._finished.pop(job.id, None) is not None:
            self.bytes -= job.size + JOB_OVERHEAD
            job.ledger = None
            if self.on_release is not None:
                self.on_release(job.size + JOB_OVERHEAD)

    def local(self, event_id: str) -> Job | None:
        """The job if it runs here (or has just finished here), without touching the LRU."""
        return self._running.get(event_id) or self._finished.get(event_id)

    def get(self, event_id: str) -> Job | None:
        job = self._running.get(event_id)
        if job is None:
            job = self._finished.get(event_id)
            if job is not None:
                self._finished.move_to_end(event_id)  # a use, for the LRU order
        return job

    def _trim(self) -> None:
        finished = self._finished
        while finished and (len(finished) > self.maxsize or self.bytes > self.max_bytes):
            _, job = finished.popitem(last=False)
            size = job.size + JOB_OVERHEAD
            self.bytes -= size
            job.ledger = None
            job.evict()
            if self.on_evict is not None:
                self.on_evict(job)
            if self.on_release is not None:
                self.on_release(size)

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def finished(self) -> int:
        return len(self._finished)

    def clear(self) -> None:
        for job in [*self._running.values(), *self._finished.values()]:
            job.ledger = None
        self._running.clear()
        self._finished.clear()
        self.bytes = 0
