"""Progress and log messages from a running function (Gradio's ``gr.Progress``, ``gr.Info``,
``gr.Warning``, ``gr.Success``).

    from server import Progress, info, warning

    @app.api("work")
    def work(text: str, progress: Progress) -> str:
        progress(0, desc="Starting")
        for _ in progress.tqdm(range(10), desc="Steps"):
            ...
        info("Halfway there")
        return text

The job sets a context variable before it calls the function (threads running its sync code
inherit it, as for ``output_path``), so ``info`` and a ``Progress`` work from sync or async
code, generators or not, in whatever thread the function runs. They become ``progress`` and
``log`` events in the job's log, which the clients' ``/queue/data`` stream shows as Gradio's
``progress`` and ``log`` messages (the ``/call`` stream shows neither, as Gradio's does not).
Outside a function the server runs, they do nothing, as Gradio's do.

What a function can make the server hold is bounded: only the latest progress is kept (a
reader that is behind skips to it, as Gradio sends only the latest), and a job's log
messages stop at ``MAX_LOG_MESSAGES`` (``MAX_LOG_BYTES`` in all); the rest are dropped
with one warning in the server's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ._calling import in_order

if TYPE_CHECKING:
    from ._jobs import Job

__all__ = [
    "MAX_LOG_BYTES",
    "MAX_LOG_MESSAGES",
    "Progress",
    "Reporter",
    "info",
    "reporting",
    "success",
    "warning",
]

logger = logging.getLogger("gradio_mock")

#: Log messages one job may send, and their bytes in all (message text).
MAX_LOG_MESSAGES = 1000
MAX_LOG_BYTES = 1 << 20

T = TypeVar("T")


class Reporter:
    """One job's progress and log messages, logged on the event loop from any thread."""

    def __init__(self, job: Job, loop: asyncio.AbstractEventLoop) -> None:
        self.job = job
        self.loop = loop
        self._lock = threading.Lock()
        #: The latest progress not yet logged: calls in a row between two turns of the
        #: loop cost one event, the last.
        self._pending: list[dict[str, Any]] | None = None
        self._messages = 0
        self._bytes = 0
        self._warned = False

    def progress(self, units: list[dict[str, Any]]) -> None:
        with self._lock:
            scheduled = self._pending is not None
            self._pending = units
        if not scheduled:
            self._on_loop(self._log_progress)

    def _log_progress(self) -> None:
        from ._jobs import JobEvent

        with self._lock:
            units, self._pending = self._pending, None
        if units is not None:
            self.job.append(JobEvent("progress", units))

    def log(
        self, level: str, message: str, duration: float | None, visible: bool, title: str
    ) -> None:
        from ._jobs import JobEvent

        with self._lock:
            self._messages += 1
            self._bytes += len(message)
            over = self._messages > MAX_LOG_MESSAGES or self._bytes > MAX_LOG_BYTES
            first_over = over and not self._warned
            self._warned = self._warned or over
        if over:
            if first_over:
                logger.warning(
                    "/%s sent more than %d log messages or %d bytes of them (event %s): "
                    "the rest are dropped",
                    self.job.endpoint.api_name,
                    MAX_LOG_MESSAGES,
                    MAX_LOG_BYTES,
                    self.job.id,
                )
            return
        payload = {
            "log": message,
            "level": level,
            # Gradio's LogMessage has a float duration (10 is sent as 10.0).
            "duration": None if duration is None else float(duration),
            "visible": visible,
            "title": title,
        }
        self._on_loop(self.job.append, JobEvent("log", payload))

    def _on_loop(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            fn(*args)
            return
        if in_order(fn, *args):  # a sync generator's thread: in order with its values
            return
        # A closed loop (the server stopped while a thread ran on): nobody is listening.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(fn, *args)


class _Binding:
    """The running job, its loop, and its ``Reporter`` once one is needed (most functions
    report nothing: binding a job costs this small object). The context's copies in the
    job's threads share it, so a job has one reporter."""

    __slots__ = ("job", "loop", "reporter")

    def __init__(self, job: Job, loop: asyncio.AbstractEventLoop) -> None:
        self.job = job
        self.loop = loop
        self.reporter: Reporter | None = None


_BINDING: contextvars.ContextVar[_Binding | None] = contextvars.ContextVar(
    "gradio_mock_reporting", default=None
)
#: Guards making a job's reporter (two of its threads may report at once).
_MAKING = threading.Lock()


def reporting(job: Job) -> None:
    """Send the progress and log messages of the current context (one job's task, and the
    threads it runs sync code in) to ``job``'s log."""
    _BINDING.set(_Binding(job, job.loop or asyncio.get_running_loop()))


def _reporter() -> Reporter | None:
    binding = _BINDING.get()
    if binding is None:
        return None
    if binding.reporter is None:
        with _MAKING:
            if binding.reporter is None:
                binding.reporter = Reporter(binding.job, binding.loop)
    return binding.reporter


class _Unit:
    __slots__ = ("desc", "index", "length", "progress", "unit")

    def __init__(
        self,
        index: float | None,
        length: float | None,
        desc: str | None,
        unit: str,
        progress: float | None = None,
    ) -> None:
        self.index = index
        self.length = length
        self.desc = desc
        self.unit = unit
        self.progress = progress

    def data(self) -> dict[str, Any]:
        # Gradio's ProgressUnit, field for field.
        return {
            "index": self.index,
            "length": self.length,
            "unit": self.unit,
            "progress": self.progress,
            "desc": self.desc,
        }


class Progress:
    """A progress tracker, as Gradio's ``gr.Progress``. Declare a parameter annotated
    ``Progress`` (or Gradio's idiom, ``progress=Progress()``): it is not an input, and the
    server passes each call a tracker of its own. ``progress(0.5, desc="Half")`` (a
    fraction), ``progress((3, 10), unit="files")`` (steps done, of a total) and
    ``for x in progress.tqdm(items, desc="Steps")`` send Gradio's ``progress`` messages.
    Called outside a function the server runs, it does nothing."""

    def __init__(self, track_tqdm: bool = False) -> None:
        # ``track_tqdm`` (patching the tqdm library) is Gradio's; accepted and ignored.
        self.track_tqdm = track_tqdm
        self._reporter: Reporter | None = None
        self._units: list[_Unit] = []

    @classmethod
    def for_call(cls) -> Progress:
        """A tracker bound to the running job (what the server passes the function)."""
        progress = cls()
        progress._reporter = _reporter()
        return progress

    def _report(self, units: list[_Unit]) -> None:
        reporter = self._reporter if self._reporter is not None else _reporter()
        if reporter is not None:
            reporter.progress([unit.data() for unit in units])

    def __call__(
        self,
        progress: float | tuple[int, int | None] | None,
        desc: str | None = None,
        total: float | None = None,
        unit: str = "steps",
    ) -> None:
        """A fraction from 0 to 1; or (steps done, total steps or None); None hides the bar."""
        index: float | None = None
        fraction: float | None
        if isinstance(progress, tuple):
            index, total = progress
            fraction = None
        else:
            # Gradio's ProgressUnit has a float progress (0 is sent as 0.0).
            fraction = None if progress is None else float(progress)
        self._report([*self._units, _Unit(index, total, desc, unit, fraction)])

    def tqdm(
        self,
        iterable: Iterable[T],
        desc: str | None = None,
        total: float | None = None,
        unit: str = "steps",
    ) -> Iterator[T]:
        """``iterable``'s items, reporting each step (nested calls nest, as in Gradio)."""
        length = len(iterable) if hasattr(iterable, "__len__") else total  # type: ignore[arg-type]
        return self._track(iter(iterable), _Unit(0, length, desc, unit))

    def _track(self, items: Iterator[T], unit: _Unit) -> Iterator[T]:
        self._units.append(unit)
        try:
            while True:
                # As Gradio: the step about to be taken is reported, then counted.
                self._report(self._units)
                assert unit.index is not None
                unit.index += 1
                try:
                    item = next(items)
                except StopIteration:
                    return
                yield item
        finally:
            self._units.remove(unit)


def _log(level: str, message: str, duration: float | None, visible: bool, title: str) -> None:
    reporter = _reporter()
    if reporter is not None:
        reporter.log(level, str(message), duration, bool(visible), str(title))


def info(
    message: str, duration: float | None = 10, visible: bool = True, title: str = "Info"
) -> None:
    """Show the client an info message (Gradio's ``gr.Info``): a ``log`` message of level
    ``info`` on ``/queue/data``. Works inside a function the server runs (sync or async, in
    any thread it runs it in); elsewhere it does nothing."""
    _log("info", message, duration, visible, title)


def warning(
    message: str, duration: float | None = 10, visible: bool = True, title: str = "Warning"
) -> None:
    """Show the client a warning (Gradio's ``gr.Warning``): a ``log`` message of level
    ``warning``. As ``info``."""
    _log("warning", message, duration, visible, title)


def success(
    message: str, duration: float | None = 10, visible: bool = True, title: str = "Success"
) -> None:
    """Show the client a success message (Gradio 5's ``gr.Success``): a ``log`` message of
    level ``success``. As ``info``."""
    _log("success", message, duration, visible, title)
