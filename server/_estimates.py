"""The queue's estimates: how long an endpoint takes, and when a waiting job will be done.

Gradio's queue (``queueing.py``) measures each endpoint's successful runs and tells every
waiting client its ``rank`` and ``rank_eta`` (``estimation``), and every starting job the
endpoint's average run (``process_starts``' ``eta``). This module does the arithmetic the
same way; ``_jobs.py`` records the runs and sends the messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

__all__ = ["Estimates"]


class Estimates:
    """Each endpoint's successful runs (count and total seconds), as Gradio keeps them
    (``ProcessTime``: failures and cancels do not count)."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[int, float]] = {}

    def ran(self, api_name: str, seconds: float) -> None:
        count, total = self._runs.get(api_name, (0, 0.0))
        self._runs[api_name] = (count + 1, total + seconds)

    def average(self, api_name: str) -> float | None:
        """The endpoint's average successful run; None before its first (``process_starts``'
        ``eta``)."""
        count, total = self._runs.get(api_name, (0, 0.0))
        return total / count if count else None

    def rank_eta(
        self,
        api_name: str,
        running_since: Iterable[float],
        limit: int | None,
        now: float | None = None,
    ) -> Callable[[int], float | None]:
        """``rank_eta`` by rank in one endpoint's lane, as Gradio's ``broadcast_estimations``:
        the average run, plus the runs of the jobs ahead shared among the lane's workers,
        plus the time until a worker is free (when every worker is busy: the soonest a
        running job is expected to end, by its start time, ``time.monotonic`` seconds).
        None while the endpoint has no successful run."""
        average = self.average(api_name)
        if average is None:
            return _unknown
        until_free = 0.0
        if limit is not None:
            starts = list(running_since)
            if starts and len(starts) >= limit:
                now = time.monotonic() if now is None else now
                until_free = max(min(starts) + average - now, 0.0)
        per_rank = 0.0 if limit is None else average / limit

        def eta(rank: int) -> float:
            return average + rank * per_rank + until_free

        return eta

    def clear(self) -> None:
        self._runs.clear()


def _unknown(rank: int) -> None:
    return None
