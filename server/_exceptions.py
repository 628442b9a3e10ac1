"""Every exception gradio-mock defines, documented in one place.

``Error``
    Raised by *your endpoint function* to fail a call with a message the client sees, like
    ``gr.Error``. It becomes ``{"error": msg, "duration": ..., "visible": ..., "title": ...}``.
    Any other exception a function raises is hidden (``{"error": null}``) unless the server
    runs with ``--show-error``.

``GradioMockError``
    The base of the errors gradio-mock itself raises:

    ``DefinitionError``
        An endpoint could not be registered: unknown component name, an ``api_name`` used
        twice, inputs that do not match the function's signature.
    ``TargetError``
        The CLI's TARGET (a ``.py`` file or ``module:attribute``) could not be loaded.
    ``InputError``
        A call's inputs do not fit the endpoint (wrong count, wrong type, a file that
        cannot be fetched). It ends the job with an ``error`` event whose message says
        what was expected; it is never hidden, since it describes the caller's mistake.
    ``OutputError``
        A value the function returned cannot be sent (a set, NaN, bytes, an object JSON
        cannot carry). It ends the job with an ``error`` event naming the output and what
        was wrong, and counts as the function's unexpected exception.

    ``StoreUnavailable``
        The shared store (``--store redis://...``) cannot be reached. Requests that need it
        are answered ``503`` with this message; the server reconnects by itself.
    ``UnstorableValue``
        With ``--store``, a session value that JSON cannot hold (so other processes could
        not read it): raised at once by ``session[key] = value``, naming the key and the
        type. Also a ``TypeError``.

``FunctionRaised``
    Internal: carries an exception the function raised that must not travel as itself
    (``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit``, ``StopIteration``,
    ``StopAsyncIteration``, a ``CancelledError`` of its own), since asyncio would stop the
    event loop or hang on it. The job queue unwraps it and reports the original.
"""

from __future__ import annotations

__all__ = [
    "DefinitionError",
    "Error",
    "FunctionRaised",
    "GradioMockError",
    "InputError",
    "OutputError",
    "StoreUnavailable",
    "TargetError",
    "UnstorableValue",
]


class Error(Exception):
    """Fail the current call with a message shown to the client (Gradio's ``gr.Error``)."""

    def __init__(
        self,
        message: str = "Error raised.",
        duration: float | None = 10,
        visible: bool = True,
        title: str = "Error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.duration = duration
        self.visible = visible
        self.title = title


class GradioMockError(Exception):
    """Base class of the errors raised by gradio-mock itself."""


class DefinitionError(GradioMockError):
    """An app or endpoint definition is invalid."""


class TargetError(GradioMockError):
    """The app to serve could not be loaded."""


class InputError(GradioMockError):
    """The inputs of a call do not fit the endpoint."""


class OutputError(GradioMockError):
    """A value the function returned cannot be sent to a client."""


class StoreUnavailable(GradioMockError):
    """The shared store cannot be reached (requests that need it get a 503)."""


class UnstorableValue(GradioMockError, TypeError):
    """A session value the shared store cannot keep (it must be JSON)."""


class FunctionRaised(Exception):
    """An exception from the function that cannot travel through asyncio as itself."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"{type(original).__name__}: {original}")
        self.original = original
