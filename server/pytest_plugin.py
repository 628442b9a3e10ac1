"""gradio-mock's pytest plugin (registered under ``pytest11``, so it loads by itself).

Fixtures, in the manner of pytest-httpserver:

``gradio_mock_app`` (session)
    The ``App`` to serve: the bundled demos. Override it in your ``conftest.py`` to serve
    your own endpoints.
``gradio_mock_settings`` (session)
    The server's ``Settings``: port 0 (any free loopback port), a 1 s heartbeat.
``gradio_mock_server`` (session)
    A real server on a loopback port, started once per test session.
``gradio_mock`` (function)
    The same server, reset before each test (no jobs, results or sessions left from the
    last). After the test, an unexpected exception raised by an endpoint function fails
    the test; call ``gradio_mock.take_errors()`` to look at (and clear) the ones you expect.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._app import App
from ._runner import BackgroundServer
from ._server import Settings

__all__ = ["MockServer"]


class MockServer(BackgroundServer):
    """A ``BackgroundServer`` with the helpers tests want."""

    def reset(self) -> None:
        self.run(self.state.reset())
        self.state.queue.errors.clear()

    def take_errors(self) -> list[BaseException]:
        errors = list(self.state.queue.errors)
        self.state.queue.errors.clear()
        return errors

    def check_errors(self) -> None:
        errors = self.take_errors()
        if errors:
            raise AssertionError(
                f"an endpoint function raised {errors[0]!r} during the test "
                f"({len(errors)} error(s); use gradio_mock.take_errors() if expected)"
            ) from errors[0]


@pytest.fixture(scope="session")
def gradio_mock_app() -> App:
    from demos import app

    return app


@pytest.fixture(scope="session")
def gradio_mock_settings() -> Settings:
    # A 1 s heartbeat (Gradio: 15 s): gradio_client's heartbeat thread notices close() only
    # when a line arrives, so a short one lets each test's clients shut down promptly.
    return Settings(port=0, heartbeat=1.0)


@pytest.fixture(scope="session")
def gradio_mock_server(
    gradio_mock_app: App, gradio_mock_settings: Settings
) -> Iterator[MockServer]:
    server = MockServer(gradio_mock_app, gradio_mock_settings)
    with server:
        yield server


@pytest.fixture
def gradio_mock(gradio_mock_server: MockServer) -> Iterator[MockServer]:
    gradio_mock_server.reset()
    yield gradio_mock_server
    gradio_mock_server.check_errors()
