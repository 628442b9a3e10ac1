"""Shared fixtures. The plugin (server/pytest_plugin.py) gives ``gradio_mock``: the demos on a
real loopback server, reset for each test. ``start_server`` starts extra servers for tests
that need their own app or settings; each is stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from server import App, Settings
from server.pytest_plugin import MockServer

StartServer = Callable[..., MockServer]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    servers: list[MockServer] = []

    def start(app: App | None = None, **settings: Any) -> MockServer:
        if app is None:
            from demos import app as demos_app

            app = demos_app
        server = MockServer(app, Settings(port=0, **settings)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        server.check_errors()
