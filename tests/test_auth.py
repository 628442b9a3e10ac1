"""Token auth (a private Space): with a token set, every route needs it; without, all is open."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import server._auth
from demos import _png
from server._auth import token_matches
from server.pytest_plugin import MockServer

StartServer = Callable[..., MockServer]
#: One client for the whole module: a new httpx client costs ~0.1 s (its SSL context).
HTTP = httpx.Client(timeout=10)

TOKEN = "hf_secret"
GOOD = {"Authorization": f"Bearer {TOKEN}"}
GOOD_HF = {"X-HF-Authorization": f"Bearer {TOKEN}"}
PREFIXES = ("", "/gradio_api")


@pytest.fixture(scope="module", autouse=True)
def _close_client() -> Iterator[None]:
    yield
    HTTP.close()


def send(method: str, url: str, headers: dict[str, str], **kwargs: Any) -> tuple[int, Any]:
    """(status, body) of one request; an event stream is left unread (some never end)."""
    with HTTP.stream(method, url, headers=headers, **kwargs) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, None
        body = response.read()
    try:
        return response.status_code, json.loads(body)
    except ValueError:
        return response.status_code, body


class Routes:
    """One request per route; setup (event ids, uploads, sessions) is done with the token."""

    def __init__(self, server: MockServer) -> None:
        self.url = server.url
        self._events: dict[str, str] = {}
        self._file: str | None = None

    def _event(self, prefix: str) -> str:
        """A finished call's id (its stream can be read again and again)."""
        if prefix not in self._events:
            response = HTTP.post(
                f"{self.url}{prefix}/call/predict", json={"data": ["Hi"]}, headers=GOOD
            )
            assert response.status_code == 200, response.text
            self._events[prefix] = response.json()["event_id"]
        return self._events[prefix]

    def _join(self, prefix: str, session: str) -> str:
        body = {"data": ["Hi"], "fn_index": 0, "session_hash": session}
        response = HTTP.post(f"{self.url}{prefix}/queue/join", json=body, headers=GOOD)
        assert response.status_code == 200, response.text
        event_id: str = response.json()["event_id"]
        return event_id

    def post_call(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        return send("POST", f"{self.url}{prefix}/call/predict", headers, json={"data": ["Hi"]})

    def get_call(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        event_id = self._event(prefix)
        return send("GET", f"{self.url}{prefix}/call/predict/{event_id}", headers)

    def post_call_v2(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        return send("POST", f"{self.url}{prefix}/call/v2/predict", headers, json={"text": "Hi"})

    def upload(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        files = [("files", ("a.txt", b"secret upload", "text/plain"))]
        return send("POST", f"{self.url}{prefix}/upload", headers, files=files)

    def get_file(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        if self._file is None:
            files = [("files", ("a.png", _png.solid(2, 2, (1, 2, 3)), "image/png"))]
            [self._file] = HTTP.post(f"{self.url}/upload", files=files, headers=GOOD).json()
        return send("GET", f"{self.url}{prefix}/file={self._file}", headers)

    def info(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        return send("GET", f"{self.url}{prefix}/info", headers)

    def config(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        return send("GET", f"{self.url}{prefix}/config", headers)

    def queue_join(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        body = {"data": ["Hi"], "fn_index": 0, "session_hash": "auth-join"}
        return send("POST", f"{self.url}{prefix}/queue/join", headers, json=body)

    def queue_data(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        self._join(prefix, "auth-data")
        return send("GET", f"{self.url}{prefix}/queue/data?session_hash=auth-data", headers)

    def heartbeat(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        return send("GET", f"{self.url}{prefix}/heartbeat/auth-session", headers)

    def cancel(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        body = {"event_id": self._event(prefix), "session_hash": "s", "fn_index": 0}
        return send("POST", f"{self.url}{prefix}/cancel", headers, json=body)

    def reset(self, prefix: str, headers: dict[str, str]) -> tuple[int, Any]:
        body = {"event_id": self._event(prefix), "session_hash": "s", "fn_index": 0}
        return send("POST", f"{self.url}{prefix}/reset", headers, json=body)


ROUTES = [
    "post_call",
    "get_call",
    "post_call_v2",
    "upload",
    "get_file",
    "info",
    "config",
    "queue_join",
    "queue_data",
    "heartbeat",
    "cancel",
    "reset",
]


@pytest.fixture
def private(start_server: StartServer) -> MockServer:
    return start_server(token=TOKEN)


@pytest.mark.parametrize("route", ROUTES)
def test_route_needs_the_token(private: MockServer, route: str) -> None:
    request = getattr(Routes(private), route)
    basic = base64.b64encode(f"user:{TOKEN}".encode()).decode()
    refusals = [
        ({}, "Authorization: Bearer"),
        ({"Authorization": f"Basic {basic}"}, "Authorization: Bearer"),
        ({"Authorization": TOKEN}, "Authorization: Bearer"),
        ({"Authorization": "Bearer hf_wrong"}, "does not match"),
        ({"X-HF-Authorization": "Bearer hf_wrong"}, "does not match"),
        ({"Authorization": f"Bearer {TOKEN}x"}, "does not match"),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, "does not match"),
        ({"Authorization": "Bearer"}, "does not match"),
    ]
    for prefix in PREFIXES:
        for headers, says in refusals:
            status, body = request(prefix, headers)
            assert status == 401, (prefix, headers, status, body)
            assert isinstance(body, dict) and says in body["detail"], (prefix, headers, body)
        for headers in (GOOD, GOOD_HF, {"authorization": f"bearer {TOKEN}"}):
            status, body = request(prefix, headers)
            assert status == 200, (prefix, headers, status, body)


def test_401_names_the_scheme_in_www_authenticate(private: MockServer) -> None:
    response = HTTP.get(private.url + "/config")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/json"
    assert TOKEN not in response.text


def test_unknown_routes_answer_401_not_404(private: MockServer) -> None:
    for path in ("/no/such/route", "/gradio_api/nothing", "/call/nosuch"):
        assert HTTP.get(private.url + path).status_code == 401
        assert HTTP.get(private.url + path, headers=GOOD).status_code in (404, 405)


def test_a_full_call_with_the_token(private: MockServer) -> None:
    response = HTTP.post(
        private.url + "/gradio_api/call/predict", json={"data": ["Hello, my friend."]}, headers=GOOD
    )
    event_id = response.json()["event_id"]
    # The stream needs the token as well (an event id alone is no credential).
    url = f"{private.url}/gradio_api/call/predict/{event_id}"
    assert HTTP.get(url).status_code == 401
    body = HTTP.get(url, headers=GOOD_HF).text
    assert body == 'event: complete\ndata: ["Bonjour, mon ami."]\n\n'


def test_without_a_token_everything_is_open(gradio_mock: MockServer) -> None:
    routes = Routes(gradio_mock)
    for route in ROUTES:
        for headers in ({}, {"Authorization": "Bearer anything"}):
            status, body = getattr(routes, route)("/gradio_api", headers)
            assert status == 200, (route, headers, status, body)


def test_the_token_is_compared_in_constant_time(
    private: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = server._auth.hmac.compare_digest
    seen: list[tuple[Any, Any]] = []

    def spy(a: Any, b: Any) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(server._auth.hmac, "compare_digest", spy)
    assert (
        HTTP.get(private.url + "/config", headers={"Authorization": "Bearer hf_guess"}).status_code
        == 401
    )
    assert seen == [(b"hf_guess", TOKEN.encode())]
    seen.clear()
    assert HTTP.get(private.url + "/config", headers=GOOD).status_code == 200
    assert seen == [(TOKEN.encode(), TOKEN.encode())]


def test_token_matches() -> None:
    def h(*pairs: tuple[str, str]) -> list[tuple[bytes, bytes]]:
        return [(k.encode(), v.encode()) for k, v in pairs]

    assert token_matches(TOKEN, h()) is None
    assert token_matches(TOKEN, h(("accept", "*/*"))) is None
    assert token_matches(TOKEN, h(("authorization", f"Basic {TOKEN}"))) is None
    assert token_matches(TOKEN, h(("authorization", f"Bearer {TOKEN}"))) is True
    assert token_matches(TOKEN, h(("x-hf-authorization", f"Bearer {TOKEN}"))) is True
    assert token_matches(TOKEN, h(("authorization", f"Bearer  {TOKEN} "))) is True
    assert token_matches(TOKEN, h(("authorization", "Bearer hf_other"))) is False
    assert token_matches(TOKEN, h(("authorization", f"Bearer {TOKEN.upper()}"))) is False
    # A wrong token in one header, the right one in the other: the right one counts.
    both = h(("authorization", "Bearer hf_other"), ("x-hf-authorization", f"Bearer {TOKEN}"))
    assert token_matches(TOKEN, both) is True
    # Non-ASCII tokens compare as bytes (compare_digest refuses non-ASCII str).
    assert token_matches("hf_é", [(b"authorization", "Bearer hf_é".encode())]) is True


def test_the_token_protects_a_root_path_too(start_server: StartServer) -> None:
    server = start_server(token=TOKEN, root_path="/myapp")
    for path in ("/myapp/config", "/myapp/gradio_api/info", "/config"):
        assert HTTP.get(server.url + path).status_code == 401
        assert HTTP.get(server.url + path, headers=GOOD).status_code == 200


def test_gradio_client_with_token(private: MockServer) -> None:
    from gradio_client import Client

    client = Client(private.url, token=TOKEN, verbose=False)
    try:
        assert client.predict("Hello, my friend.", api_name="/predict") == "Bonjour, mon ami."
    finally:
        client.close()
