"""Between the wire and the function: check and convert inputs, shape outputs.

``Processor.execute`` is what the job queue runs for a job: it turns the JSON ``data`` list
into the function's arguments (components check each value, file inputs become local paths),
calls the function the uniform way, and turns each value it produces into the JSON outputs
(files become FileData with a URL built from the address the client used).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import os
import reprlib
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from contextlib import aclosing
from typing import Any

from ._app import Endpoint
from ._calling import call_once, iterate_call
from ._components import Component, Image, State
from ._exceptions import InputError, OutputError
from ._faithful import Faithful, MissingInputs
from ._files import FileStore, file_data
from ._jobs import Job
from ._output import serving_files
from ._progress import Progress, reporting
from ._sessions import Session
from ._state import read_states, write_state, write_states

__all__ = ["Processor", "describe_inputs"]

logger = logging.getLogger("gradio_mock")


def describe_inputs(endpoint: Endpoint) -> str:
    """``"text (Textbox)"``, for messages that say what an endpoint expects."""
    parts = [
        f"{name} ({component.display_name})"
        for name, component in zip(endpoint.parameter_names, endpoint.inputs)
    ]
    return ", ".join(parts) or "nothing"


class Processor:
    def __init__(self, files: FileStore, faithful: Faithful | None = None) -> None:
        self.files = files
        self.faithful = faithful

    def execute(
        self, job: Job, executor: Executor, on_start: Callable[[], None] | None
    ) -> AsyncIterator[list[Any]]:
        """Run ``job``'s function (sync code in ``executor``) and yield its shaped outputs.

        A plain function's one value comes from ``_Once``, not from an async generator:
        each of those costs a hook call and a finaliser per call, on every call."""
        if not job.endpoint.is_generator:
            return _Once(functools.partial(self._call_once, job, executor, on_start))
        return self._iterate(job, executor, on_start)

    async def _arguments(
        self, job: Job, on_start: Callable[[], None] | None
    ) -> tuple[Callable[..., Any], list[Any], dict[str, Any]]:
        """The function to call (the endpoint's, or a wrapper reading and writing its state)
        and its arguments."""
        endpoint = job.endpoint
        serving_files(self.files)  # for output_path(): this job's task only
        prepared = job.context.pop("prepared", None)
        if isinstance(prepared, BaseException):
            if isinstance(prepared, MissingInputs) and on_start is not None:
                # --faithful: Gradio starts the job (process_starts) before it fails. The
                # hook schedules the start on the loop: let it run before the error is logged.
                on_start()
                await asyncio.sleep(0)
            raise prepared
        args = prepared if prepared is not None else await self.prepare_inputs(endpoint, job.inputs)
        session = job.session
        fn = endpoint.fn
        if endpoint.has_state and on_start is not None:
            # A plain sync function queued in its lane's own threads, which take the next
            # call up as soon as one returns: its state is read as a thread takes the call
            # up and written as it returns (not later, on the loop), so that each call sees
            # what the session's call before it returned, as in Gradio.
            def fn(*values: Any, **named: Any) -> Any:
                result = endpoint.fn(*read_states(endpoint, list(values), session), **named)
                write_states(endpoint, result, session)
                return result

        elif endpoint.has_state:
            args = read_states(endpoint, args, session)
        reporting(job)  # progress() and info() of this job's function: into its log
        kwargs: dict[str, Any] = {}
        if endpoint.session_parameter is not None:
            kwargs[endpoint.session_parameter] = session
        if endpoint.progress_parameter is not None:
            kwargs[endpoint.progress_parameter] = Progress.for_call()
        return fn, args, kwargs

    async def _call_once(
        self, job: Job, executor: Executor, on_start: Callable[[], None] | None
    ) -> list[Any]:
        fn, args, kwargs = await self._arguments(job, on_start)
        value = await call_once(fn, args, kwargs, executor, on_start, job.loop)
        return self.shape_outputs(job.endpoint, value, job.context["file_base_url"], job.session)

    async def _iterate(
        self, job: Job, executor: Executor, on_start: Callable[[], None] | None
    ) -> AsyncIterator[list[Any]]:
        fn, args, kwargs = await self._arguments(job, on_start)
        endpoint = job.endpoint
        session = job.session
        base_url = job.context["file_base_url"]

        def shape(value: Any) -> list[Any]:
            return self.shape_outputs(endpoint, value, base_url, session)

        # aclosing: a value that cannot be sent stops the function here and now (its
        # generator is closed in this task, not whenever it is garbage-collected).
        values = iterate_call(fn, args, kwargs, executor, on_start, shape)
        async with aclosing(values):
            async for outputs in values:
                yield outputs

    async def prepare(self, job: Job) -> None:
        """Check the inputs and fetch the URL files of ``job`` before it takes a slot of its
        endpoint's concurrency limit: a slow URL then holds only its own job, never the calls
        queued behind it. What went wrong is raised when the job runs, as its error."""
        try:
            job.context["prepared"] = await self.prepare_inputs(job.endpoint, job.inputs)
        except Exception as error:
            job.context["prepared"] = error

    async def prepare_inputs(self, endpoint: Endpoint, data: list[Any]) -> list[Any]:
        expected = len(endpoint.inputs)
        skipped = [component.skip_api for component in endpoint.inputs]
        fills = self.faithful is None or self.faithful.fills_state_inputs
        if fills and len(data) != expected and any(skipped) and len(data) == skipped.count(False):
            # As Gradio 6's /call: a call may leave out the state inputs (their values are
            # the session's); under --faithful, 4.44 and 5.50 count them as missing.
            given = iter(data)
            data = [None if skip else next(given) for skip in skipped]
        if len(data) != expected and self.faithful is not None:
            if len(data) < expected:
                raise self.faithful.missing_inputs(endpoint.api_name, expected, len(data))
            data = self.faithful.too_many_inputs(data, expected)
        if len(data) != expected:
            plural = "" if expected == 1 else "s"
            raise InputError(
                f"/{endpoint.api_name} expects {expected} input{plural}: "
                f"{describe_inputs(endpoint)}; got {len(data)}"
            )
        args = []
        for position, (component, value) in enumerate(zip(endpoint.inputs, data), start=1):
            name = endpoint.parameter_names[position - 1]
            try:
                if component.is_file:
                    args.append(await self.files.resolve_input(value))
                else:
                    args.append(component.preprocess(value))
            except InputError as error:
                raise InputError(f"input {position} ({name}): {error}") from None
            except Exception as error:
                # A value the checks above let through and our code then choked on (each
                # case found is checked explicitly; this names any that is not yet).
                logger.warning("input %d of /%s", position, endpoint.api_name, exc_info=True)
                raise InputError(
                    f"input {position} ({name}): {component.display_name} cannot take "
                    f"{reprlib.repr(value)} ({type(error).__name__}: {error})"
                ) from None
        return args

    def shape_outputs(
        self, endpoint: Endpoint, value: Any, base_url: str, session: Session | None = None
    ) -> list[Any]:
        """The outputs for one value the function produced, checked to be JSON: a value
        that is not raises ``OutputError`` naming the output, before any frame is built.
        A ``State`` output's value goes to ``session``; the client gets ``null``."""
        outputs = endpoint.shape_outputs(value)
        shaped: list[Any] = []
        for position, (component, output) in enumerate(zip(endpoint.outputs, outputs), 1):
            if isinstance(component, State):
                write_state(session, component, output)
                shaped.append(None)
                continue
            if component.is_file and output is not None:
                # Gradio sends a File's size, and none for an Image (every version).
                with_size = not isinstance(component, Image)
                shaped.append(self._file_output(output, base_url, with_size))
                continue
            try:
                shaped.append(component.postprocess(output))
            except InputError as error:
                raise _output_error(endpoint, position, component, str(error)) from None
        if all(_plain_json(output) for output in shaped):
            return shaped  # strings, small numbers, booleans, null: JSON as they are
        # One encoding of the whole list, the cheap check that holds for every component
        # (what it finds wrong is looked for only when it fails).
        try:
            encoded = json.dumps(shaped, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as error:
            for position, (component, output) in enumerate(zip(endpoint.outputs, shaped), 1):
                problem = _json_problem(output)
                if problem is not None:
                    raise _output_error(endpoint, position, component, problem) from None
            raise _output_error(endpoint, 0, None, str(error)) from None
        if any(isinstance(output, (list, tuple, dict)) for output in shaped):
            # Log a copy of what was checked: the function may go on changing what it
            # returned (a chat generator yields one history list and appends to it), which
            # would rewrite the job's past values and empty the diffs between them.
            shaped = json.loads(encoded)
        return shaped

    def _file_output(self, output: Any, base_url: str, with_size: bool) -> Any:
        if isinstance(output, dict) and "path" in output:
            output = output["path"]
        if isinstance(output, str) and output.startswith(("http://", "https://")):
            return {**file_data(output, base_url), "url": output}
        if not isinstance(output, (str, os.PathLike)):
            raise TypeError(f"a file output must be a path, not {type(output).__name__}")
        path = self.files.adopt(output)
        return file_data(path, base_url, os.path.getsize(path) if with_size else None)


class _Once:
    """The one value of a plain function's call, as an async iterator (``execute``)."""

    __slots__ = ("_call",)

    def __init__(self, call: Callable[[], Awaitable[list[Any]]]) -> None:
        self._call: Callable[[], Awaitable[list[Any]]] | None = call

    def __aiter__(self) -> _Once:
        return self

    async def __anext__(self) -> list[Any]:
        call, self._call = self._call, None
        if call is None:
            raise StopAsyncIteration
        return await call()


def _plain_json(value: Any) -> bool:
    """``value`` is sure to encode as JSON (and to stay as it is): a string, a boolean, null,
    an int below 2**63 (Python will not print a much larger one), a finite float."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-(1 << 63) < value < 1 << 63)
    return kind is float and math.isfinite(value)


def _output_error(
    endpoint: Endpoint, position: int, component: Component | None, problem: str
) -> OutputError:
    if component is None:
        what = "an output"
    else:
        label = f"{component.label}, " if component.label else ""
        what = f"output {position} ({label}{component.display_name})"
    return OutputError(f"/{endpoint.api_name} returned a value that {what} cannot send: {problem}")


def _json_problem(value: Any) -> str | None:
    """What makes ``value`` impossible to send as JSON, and where; None if nothing does."""
    seen: set[int] = set()

    def where(path: str) -> str:
        if len(path) > 80:
            path = path[:80] + "..."
        return f" at {path}" if path else ""

    def problem(item: Any, path: str, depth: int) -> str | None:
        if item is None or isinstance(item, (str, bool, int)):
            return None
        if isinstance(item, float):
            if math.isfinite(item):
                return None
            name = "NaN" if math.isnan(item) else "Infinity" if item > 0 else "-Infinity"
            return f"{name}{where(path)}, which JSON cannot carry"
        if depth > 200:
            return "a value nested more than 200 levels deep"
        if isinstance(item, (list, tuple, dict)):
            if id(item) in seen:
                return f"a circular reference{where(path)}"
            seen.add(id(item))
            try:
                if isinstance(item, dict):
                    for key, member in item.items():
                        if key is not None and not isinstance(key, (str, int, float, bool)):
                            return (
                                f"a dict key of type {type(key).__name__} "
                                f"({reprlib.repr(key)}){where(path)}; JSON keys are strings"
                            )
                        if isinstance(key, float) and not math.isfinite(key):
                            return f"a dict key {key!r}{where(path)}, which JSON cannot carry"
                        found = problem(member, f"{path}[{reprlib.repr(key)}]", depth + 1)
                        if found is not None:
                            return found
                else:
                    for index, member in enumerate(item):
                        found = problem(member, f"{path}[{index}]", depth + 1)
                        if found is not None:
                            return found
            finally:
                seen.discard(id(item))
            return None
        kind = type(item)
        article = "an" if kind.__name__[:1].lower() in "aeiou" else "a"
        return f"{article} {kind.__name__}{where(path)}, which JSON cannot carry"

    return problem(value, "", 0)
