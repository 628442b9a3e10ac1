"""Between the wire and the function: check and convert inputs, shape outputs.

``Processor.execute`` is what the job queue runs for a job: it turns the JSON ``data`` list
into the function's arguments (components check each value, file inputs become local paths),
calls the function the uniform way, and turns each value it produces into the JSON outputs
(files become FileData with a URL built from the address the client used).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import Any

from ._app import Endpoint
from ._calling import iterate_call
from ._exceptions import InputError
from ._files import FileStore, file_data
from ._jobs import Job

__all__ = ["Processor", "describe_inputs"]


def describe_inputs(endpoint: Endpoint) -> str:
    """``"text (Textbox)"``, for messages that say what an endpoint expects."""
    parts = [
        f"{name} ({component.display_name})"
        for name, component in zip(endpoint.parameter_names, endpoint.inputs)
    ]
    return ", ".join(parts) or "nothing"


class Processor:
    def __init__(self, files: FileStore) -> None:
        self.files = files

    async def execute(
        self, job: Job, executor: Executor, on_start: Callable[[], None] | None
    ) -> AsyncIterator[list[Any]]:
        """Run ``job``'s function (sync code in ``executor``) and yield its shaped outputs."""
        endpoint = job.endpoint
        prepared = job.context.pop("prepared", None)
        if isinstance(prepared, BaseException):
            raise prepared
        args = prepared if prepared is not None else await self.prepare_inputs(endpoint, job.inputs)
        kwargs: dict[str, Any] = {}
        if endpoint.session_parameter is not None:
            kwargs[endpoint.session_parameter] = job.session
        async for value in iterate_call(endpoint.fn, args, kwargs, executor, on_start):
            yield self.shape_outputs(endpoint, value, job.context["file_base_url"])

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
        return args

    def shape_outputs(self, endpoint: Endpoint, value: Any, base_url: str) -> list[Any]:
        outputs = endpoint.shape_outputs(value)
        shaped = []
        for component, output in zip(endpoint.outputs, outputs):
            if component.is_file and output is not None:
                shaped.append(self._file_output(output, base_url))
                continue
            try:
                shaped.append(component.postprocess(output))
            except InputError as error:
                # The function's mistake, not the caller's: reported like any exception.
                raise TypeError(f"/{endpoint.api_name} returned a bad value: {error}") from None
        return shaped

    def _file_output(self, output: Any, base_url: str) -> Any:
        if isinstance(output, dict) and "path" in output:
            output = output["path"]
        if isinstance(output, str) and output.startswith(("http://", "https://")):
            return {**file_data(output, base_url), "url": output}
        if not isinstance(output, (str, os.PathLike)):
            raise TypeError(f"a file output must be a path, not {type(output).__name__}")
        return file_data(self.files.adopt(output), base_url)
