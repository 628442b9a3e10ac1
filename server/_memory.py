"""Giving the memory of released results back to the operating system.

The job logs hold the JSON bytes of what functions returned; a large result, or a generator's
large values (the soak's ``/grow``: 300 values of up to 300 KB, 45 MB a job), are freed when
the log is compacted or the job evicted. glibc's malloc keeps what is freed for reuse: once
one large block has been freed, its mmap threshold rises (up to 32 MiB), later large blocks
come from the heap, and small long-lived objects allocated between them (sessions, cached
results) keep the heap from shrinking. The soak measured it: the bytes malloc handed out
stayed at ~60 MB round after round while the free bytes it kept grew from 90 to 128 MB, and
RSS rose in steps of 33 MB or more that never came back; ``malloc_trim(0)`` returned them
(250 → 149 MB).

So the result cache reports every byte it lets go (``ResultCache.on_release``), and once
``threshold`` bytes have been let go since the last trim, ``malloc_trim(0)`` runs in a worker
thread (one at a time). Where there is no glibc (musl, macOS, Windows) this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import time
from collections.abc import Callable

__all__ = ["DEFAULT_RELEASE_THRESHOLD", "MemoryReleaser", "malloc_trim"]

#: Bytes of results let go before memory is handed back: a trim took 7 to 9 ms on average
#: in the soak (one took 140 ms), so this keeps it to a few a second under heavy traffic.
DEFAULT_RELEASE_THRESHOLD = 16 * 1024 * 1024


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None).malloc_trim  # glibc only: musl has no malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    trim: Callable[[int], int] = function
    return trim


#: glibc's ``malloc_trim``, or None where there is none.
malloc_trim = _find_malloc_trim()


class MemoryReleaser:
    """Counts the bytes of results let go and hands freed memory back past ``threshold``."""

    def __init__(
        self,
        threshold: int = DEFAULT_RELEASE_THRESHOLD,
        trim: Callable[[int], int] | None = malloc_trim,
    ) -> None:
        self.threshold = threshold
        self._trim = trim
        #: Bytes let go since the last trim.
        self.pending = 0
        #: The trim under way in a worker thread, if any.
        self.running: asyncio.Future[None] | None = None
        #: Trims done, and the seconds they took (for tests and the soak benchmark).
        self.trims = 0
        self.seconds = 0.0

    @property
    def available(self) -> bool:
        return self._trim is not None

    def released(self, nbytes: int) -> None:
        """The result cache let go of ``nbytes`` bytes (already freed, unless a reader
        still holds some of them for a moment)."""
        if self._trim is None:
            return
        self.pending += nbytes
        if self.pending < self.threshold or self.running is not None:
            return  # (a trim under way starts the next one as it ends, if need be)
        self.pending = 0
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a cache used on its own): now
            self.release()
            return
        # In a worker thread: a trim of a large fragmented heap took up to 140 ms in the
        # soak, which the event loop must not wait for.
        self.running = loop.run_in_executor(None, self.release)
        self.running.add_done_callback(self._done)

    def _done(self, _future: asyncio.Future[None]) -> None:
        self.running = None
        # Bytes let go while that trim ran may have been freed after it passed them by.
        self.released(0)

    def release(self) -> None:
        """Hand the memory malloc keeps free back to the operating system, now."""
        if self._trim is None:
            return
        started = time.perf_counter()
        self._trim(0)
        self.seconds += time.perf_counter() - started
        self.trims += 1
