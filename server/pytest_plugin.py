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
    The same server, reset before each test (no jobs, results, sessions or journal left from
    the last). After the test, an unexpected exception raised by an endpoint function fails
    the test; call ``gradio_mock.take_errors()`` to look at (and clear) the ones you expect.
    So does a request that matched no endpoint (or whose inputs did not fit it), with its
    near misses, unless the test took them with ``gradio_mock.take_unmatched()`` or is
    marked ``@pytest.mark.gradio_mock(allow_unmatched=True)``.

What the client sent: ``gradio_mock.requests(api_name=None)``, ``gradio_mock.unmatched()``,
``gradio_mock.assert_called(api_name, times=None, data=None)``. What it gets back:
``gradio_mock.stub(api_name, outputs=... | error=... | events=... | fault=..., data=None,
times=None)``, a handle with the stub's ``id`` and live ``hits``. A stub the test never used
fails it at teardown, unless made with ``optional=True`` (or the test is marked
``@pytest.mark.gradio_mock(allow_unused_stubs=True)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ._app import App
from ._runner import BackgroundServer
from ._server import Settings

__all__ = ["MockServer", "StubHandle"]


class MockServer(BackgroundServer):
    """A ``BackgroundServer`` with the helpers tests want."""

    _taken_unmatched = 0
    _optional_stubs: frozenset[str] = frozenset()

    def reset(self) -> None:
        self.run(self.state.reset())
        self.state.queue.errors.clear()
        self._taken_unmatched = 0
        self._optional_stubs = frozenset()

    def take_errors(self) -> list[BaseException]:
        errors = list(self.state.queue.errors)
        self.state.queue.errors.clear()
        return errors

    def requests(
        self, api_name: str | None = None, *, unmatched: bool | None = None
    ) -> list[dict[str, Any]]:
        """The journal's entries (``GET /__mock/requests``), oldest first."""

        async def read() -> list[dict[str, Any]]:
            entries = self.state.journal.entries(api_name=api_name, unmatched=unmatched)
            return [entry.to_json() for entry in entries]

        result: list[dict[str, Any]] = self.run(read())
        return result

    def unmatched(self) -> list[dict[str, Any]]:
        """Requests that matched no endpoint, or whose inputs did not fit it."""
        return self.requests(unmatched=True)

    def take_unmatched(self) -> list[dict[str, Any]]:
        """The unmatched requests, which then no longer fail the test."""
        taken = self.unmatched()
        self._taken_unmatched = max([self._taken_unmatched, *(e["id"] for e in taken)])
        return taken

    def assert_called(
        self, api_name: str, times: int | None = None, data: Any = None
    ) -> list[dict[str, Any]]:
        """The calls of ``api_name`` (with inputs ``data``, when given: the same list, or a
        dict of named inputs that must all match); fails unless there were ``times`` of them
        (or at least one, without ``times``). A call a stub turned away (queue full, a status
        fault) counts: the client sent it; one that matched no endpoint does not."""
        endpoint = self.state.app.endpoint(api_name)
        if endpoint is None:
            known = ", ".join(f"/{e.api_name}" for e in self.state.app.endpoints)
            raise AssertionError(f"there is no endpoint {api_name}; the app has {known}")
        calls = [e for e in self.requests(api_name) if e["data"] is not None and e["matched"]]
        calls = [e for e in calls if e["method"] == "POST"]
        matching = [e for e in calls if data is None or _inputs_match(endpoint, e["data"], data)]
        if (times is None and not matching) or (times is not None and len(matching) != times):
            wanted = "at least once" if times is None else f"{times} time(s)"
            sent = "\n".join(f"  {e['data']!r}" for e in calls) or "  (no calls at all)"
            with_data = "" if data is None else f" with {data!r}"
            raise AssertionError(
                f"expected {api_name} to be called {wanted}{with_data}, "
                f"got {len(matching)}; its calls sent:\n{sent}"
            )
        return matching

    def stub(
        self,
        api_name: str,
        *,
        data: Any = None,
        times: int | None = None,
        optional: bool = False,
        **response: Any,
    ) -> StubHandle:
        """Make ``api_name`` answer ``response`` (``outputs=[...]``, ``error="..."``,
        ``events=[...]`` or ``fault="..."`` with its fields) instead of its function, for the
        calls whose inputs match ``data`` (all of them without it), ``times`` times (for ever
        without it). The newest matching stub answers: stack them for a sequence."""
        definition: dict[str, Any] = {"api_name": api_name, "response": response}
        if data is not None:
            definition["data"] = data
        if times is not None:
            definition["times"] = times

        async def add() -> str:
            return self.state.stubs.add(self.state.app, definition).id

        stub_id: str = self.run(add())
        if optional:
            self._optional_stubs = self._optional_stubs | {stub_id}
        return StubHandle(self, stub_id)

    def check_stubs(self) -> None:
        async def unused() -> list[dict[str, Any]]:
            return [s.to_json() for s in self.state.stubs.all() if s.hits == 0]

        left = [s for s in self.run(unused()) if s["id"] not in self._optional_stubs]
        if left:
            lines = "\n".join(
                f"  {s['id']}: {s.get('api_name') or s.get('path')} {s['response']}" for s in left
            )
            raise AssertionError(
                f"{len(left)} stub(s) were never used during the test (make them with "
                "optional=True, or mark the test @pytest.mark.gradio_mock("
                f"allow_unused_stubs=True), if expected):\n{lines}"
            )

    def check_unmatched(self) -> None:
        left = [e for e in self.unmatched() if e["id"] > self._taken_unmatched]
        if left:
            lines = []
            for entry in left:
                lines.append(f"  {entry['method']} {entry['path']}: {entry['unmatched']}")
                for miss in entry["near_misses"]:
                    differences = "; ".join(miss["differences"]) or "no difference"
                    lines.append(f"    near miss {miss['api_name']}: {differences}")
            raise AssertionError(
                f"{len(left)} request(s) matched no endpoint during the test (use "
                "gradio_mock.take_unmatched() or @pytest.mark.gradio_mock(allow_unmatched="
                "True) if expected):\n" + "\n".join(lines)
            )

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


class StubHandle:
    """A stub made by ``MockServer.stub``: its ``id``, and its ``hits`` as they are now."""

    def __init__(self, server: MockServer, stub_id: str) -> None:
        self.server = server
        self.id = stub_id

    @property
    def hits(self) -> int:
        async def read() -> int:
            stub = self.server.state.stubs.get(self.id)
            return -1 if stub is None else stub.hits

        hits: int = self.server.run(read())
        return hits

    def remove(self) -> None:
        async def remove() -> bool:
            return self.server.state.stubs.remove(self.id)

        self.server.run(remove())

    def __repr__(self) -> str:
        return f"StubHandle({self.id!r}, hits={self.hits})"


def _inputs_match(endpoint: Any, sent: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        if isinstance(sent, dict):  # /call/v2: named already
            named = sent
        elif isinstance(sent, list):
            named = dict(zip(endpoint.parameter_names, sent))
        else:
            return False
        return all(key in named and named[key] == value for key, value in wanted.items())
    return bool(sent == wanted)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "gradio_mock(allow_unmatched=False, allow_unused_stubs=False): how the gradio_mock "
        "fixture judges the test at teardown",
    )


@pytest.fixture
def gradio_mock(
    gradio_mock_server: MockServer, request: pytest.FixtureRequest
) -> Iterator[MockServer]:
    marker = request.node.get_closest_marker("gradio_mock")
    allow_unmatched = bool(marker and marker.kwargs.get("allow_unmatched"))
    allow_unused = bool(marker and marker.kwargs.get("allow_unused_stubs"))
    gradio_mock_server.reset()
    yield gradio_mock_server
    gradio_mock_server.check_errors()
    if not allow_unmatched:
        gradio_mock_server.check_unmatched()
    if not allow_unused:
        gradio_mock_server.check_stubs()
