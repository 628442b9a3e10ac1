"""Files in (uploads, URLs, data: URLs), files out (FileData), and what GET /file= will serve.

URL inputs are served by ``tests/fileserver.py`` on 127.0.0.1, never the internet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from demos import _png
from server import App, File, Json, Settings, Textbox
from server.pytest_plugin import MockServer
from tests.fileserver import FileServer
from tests.sse import read_body

StartServer = Callable[..., MockServer]
#: One client for the whole module: a new httpx client costs ~0.1 s (its SSL context).
HTTP = httpx.Client(timeout=10)

LIMIT = 64 * 1024
FILEDATA = {"_type": "gradio.FileData"}
FILEDATA_KEYS = {"path", "url", "size", "orig_name", "mime_type", "is_stream", "meta"}
PNG = _png.solid(4, 3, (200, 100, 50))
#: What the /image demo's sepia filter makes of (200, 100, 50).
SEPIA = (164, 146, 114)

files_app = App("file tests")


@files_app.api("digest", inputs=[File()], outputs=[Json()])
def digest(path: str) -> dict[str, Any]:
    """What the function received: a local file, described by its bytes."""
    with open(path, "rb") as f:
        data = f.read()
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "name": os.path.basename(path),
        "path": path,
        "is_file": os.path.isfile(path),
    }


@files_app.api("give_back", inputs=[Textbox()], outputs=[File()])
def give_back(path: str) -> str:
    """Return whatever local path it is given, as a file output."""
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frames_of(base: str, api: str, data: list[Any], **headers: str) -> list[tuple[str, Any]]:
    """POST a call, then read its stream: (event, parsed data) for each frame."""
    response = HTTP.post(f"{base}/call/{api}", json={"data": data}, headers=headers)
    assert response.status_code == 200, response.text
    with HTTP.stream("GET", f"{base}/call/{api}/{response.json()['event_id']}") as stream:
        assert stream.status_code == 200
        body = read_body(stream)  # within the test's own deadline
    frames = []
    for block in body.split("\n\n"):
        if block.strip():
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            frames.append((fields.get("event", ""), json.loads(fields["data"])))
    return frames


def outcome(base: str, api: str, data: list[Any], **headers: str) -> tuple[str, Any]:
    """The one final frame of a call (the call must end in one frame: no generator here)."""
    frames = frames_of(base, api, data, **headers)
    assert len(frames) == 1, frames
    return frames[0]


def digest_of(base: str, value: Any) -> dict[str, Any]:
    kind, payload = outcome(base, "digest", [value])
    assert kind == "complete", payload
    result: dict[str, Any] = payload[0]
    return result


def refusal(base: str, value: Any, api: str = "digest") -> str:
    """The message of the error event a call with file input ``value`` ends with."""
    kind, payload = outcome(base, api, [value])
    assert kind == "error", payload
    message = payload["error"]
    assert isinstance(message, str), payload
    return message


def upload(base: str, *files: tuple[str, bytes]) -> httpx.Response:
    return HTTP.post(
        f"{base}/upload",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


def curl(url: str) -> tuple[int, bytes, str]:
    """(status, body, redirect target) of a GET with the path sent exactly as written."""
    result = subprocess.run(
        [
            "curl",
            "-s",
            "--path-as-is",
            "--max-time",
            "10",
            "-w",
            "\n%{http_code} %{redirect_url}",
            url,
        ],
        capture_output=True,
        check=True,
    )
    body, _, trailer = result.stdout.rpartition(b"\n")
    status, _, location = trailer.decode().partition(" ")
    return int(status), body, location.strip()


def files_in(root: str) -> list[str]:
    return [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]


@pytest.fixture(scope="module", autouse=True)
def _close_client() -> Iterator[None]:
    yield
    HTTP.close()


@pytest.fixture
def web() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server


@pytest.fixture
def allowed(start_server: StartServer) -> MockServer:
    """The file app, allowed to fetch from 127.0.0.1 (where ``web`` listens)."""
    return start_server(files_app, allow_url_hosts=("127.0.0.1",), max_file_size=LIMIT)


@pytest.fixture
def strict(start_server: StartServer) -> MockServer:
    """The file app with the default address rules (public addresses only)."""
    return start_server(files_app, max_file_size=LIMIT)


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL the server tries to connect to; the connection itself is never made."""
    attempts: list[str] = []

    async def spy(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> Any:
        attempts.append(str(request.url))
        raise httpx.ConnectError("test spy: no connection allowed", request=request)

    monkeypatch.setattr(httpx.AsyncClient, "send", spy)
    return attempts


# -- files in: uploads -------------------------------------------------------------------


def test_upload_several_files_answers_a_list_of_server_paths(gradio_mock: MockServer) -> None:
    root = gradio_mock.state.files.root
    for prefix in ("", "/gradio_api"):
        response = upload(
            gradio_mock.url + prefix, ("one.txt", b"first"), ("two.bin", b"\x00\x01\x02")
        )
        assert response.status_code == 200, response.text
        paths = response.json()
        assert isinstance(paths, list) and len(paths) == 2
        assert [os.path.basename(p) for p in paths] == ["one.txt", "two.bin"]
        for path, data in zip(paths, (b"first", b"\x00\x01\x02")):
            assert os.path.commonpath([root, path]) == root
            with open(path, "rb") as f:
                assert f.read() == data


def test_uploaded_path_reaches_the_function_with_the_same_bytes(strict: MockServer) -> None:
    data = os.urandom(3000)
    [path] = upload(strict.url, ("blob.bin", data)).json()
    forms = [
        {"path": path},
        {"path": path, "meta": FILEDATA},
        {"path": path, "url": None, "orig_name": "x.bin", "size": None, "meta": FILEDATA},
        path,
    ]
    for value in forms:
        got = digest_of(strict.url, value)
        assert got["is_file"] is True, value
        assert (got["sha256"], got["size"]) == (sha(data), len(data)), value


def test_upload_file_names_cannot_escape_the_store(gradio_mock: MockServer) -> None:
    root = gradio_mock.state.files.root
    names = ["../../escape.txt", "/etc/cron.d/x", "..\\..\\win.txt", "a/../../b.txt", ".."]
    response = upload(gradio_mock.url, *[(name, b"data") for name in names])
    assert response.status_code == 200, response.text
    for path in response.json():
        assert os.path.commonpath([root, os.path.realpath(path)]) == root
        assert os.path.dirname(os.path.dirname(path)) == root  # <root>/<folder>/<name>
        assert ".." not in os.path.basename(path) and "\\" not in path


def test_upload_without_files_field_is_422(gradio_mock: MockServer) -> None:
    response = HTTP.post(
        gradio_mock.url + "/upload", files=[("other", ("a.txt", b"x", "text/plain"))]
    )
    assert response.status_code == 422
    assert "files" in response.json()["detail"]
    response = HTTP.post(gradio_mock.url + "/upload", json={"files": ["a"]})
    assert response.status_code == 422
    assert "multipart" in response.json()["detail"]


def test_upload_over_the_size_limit_is_413_and_leaves_nothing(strict: MockServer) -> None:
    root = strict.state.files.root
    response = upload(strict.url, ("big.bin", b"x" * (LIMIT + 1)))
    assert response.status_code == 413, response.text
    assert str(LIMIT) in response.json()["detail"]
    assert files_in(root) == []


def test_upload_exactly_at_the_size_limit_is_accepted(strict: MockServer) -> None:
    data = os.urandom(LIMIT)
    response = upload(strict.url, ("limit.bin", data))
    assert response.status_code == 200, response.text
    assert digest_of(strict.url, {"path": response.json()[0]})["sha256"] == sha(data)


# -- files in: data: URLs ----------------------------------------------------------------


def test_data_url_reaches_the_function_as_a_file(strict: MockServer) -> None:
    cases = [
        (
            "data:application/octet-stream;base64," + base64.b64encode(b"\x00\xffbin").decode(),
            b"\x00\xffbin",
        ),
        ("data:text/plain,hello%20world%21", b"hello world!"),
        ("data:,plain", b"plain"),
    ]
    for url, expected in cases:
        for value in ({"path": url}, {"path": url, "meta": FILEDATA}, {"url": url}):
            got = digest_of(strict.url, value)
            assert got["sha256"] == sha(expected), value
            assert got["is_file"] is True


def test_bad_data_urls_are_clear_errors(strict: MockServer) -> None:
    assert "base64" in refusal(strict.url, {"path": "data:image/png;base64,@@not base64@@"})
    assert "comma" in refusal(strict.url, {"path": "data:text/plain;base64"})


def test_data_url_exactly_at_the_size_limit_is_accepted(strict: MockServer) -> None:
    data = os.urandom(LIMIT)
    url = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    assert digest_of(strict.url, {"path": url})["sha256"] == sha(data)


def test_data_url_over_the_size_limit_is_refused(strict: MockServer) -> None:
    payload = base64.b64encode(b"x" * (LIMIT + 1)).decode()
    message = refusal(strict.url, {"path": "data:application/octet-stream;base64," + payload})
    assert str(LIMIT) in message


# -- files in: URLs ------------------------------------------------------------------------


def test_url_input_is_fetched_into_a_local_file(allowed: MockServer, web: FileServer) -> None:
    data = os.urandom(5000)
    url = web.add("/dir/blob.bin", data)
    forms = [{"path": url}, {"path": url, "meta": FILEDATA}, {"path": None, "url": url}, url]
    root = allowed.state.files.root
    for value in forms:
        got = digest_of(allowed.url, value)
        assert (got["sha256"], got["size"], got["name"]) == (sha(data), len(data), "blob.bin")
        assert os.path.commonpath([root, got["path"]]) == root
    assert web.paths() == ["/dir/blob.bin"] * len(forms)
    # The connection goes to the address that was checked, with the URL's own Host header.
    assert web.requests[0].headers["Host"] == f"127.0.0.1:{web.port}"


def test_url_input_without_content_length_is_read_to_the_end(
    allowed: MockServer, web: FileServer
) -> None:
    data = os.urandom(20_000)
    url = web.add("/stream.bin", data, content_length=False)
    assert digest_of(allowed.url, {"path": url})["sha256"] == sha(data)


def test_loopback_url_is_refused_without_allow_url_host(
    strict: MockServer, web: FileServer
) -> None:
    url = web.add("/secret.txt", b"internal")
    message = refusal(strict.url, {"path": url, "meta": FILEDATA})
    assert "--allow-url-host" in message
    assert "127.0.0.1" in message
    assert web.paths() == []  # refused before connecting


def test_private_addresses_are_refused_before_connecting(
    allowed: MockServer, no_connections: list[str]
) -> None:
    # Allowing 127.0.0.1 by name allows nothing else, even names that resolve to loopback.
    hosts = [
        "localhost",
        "[::1]",
        "10.0.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "127.1",
        "[::ffff:127.0.0.1]",
        "100.64.0.1",
        "[fd00::1]",
    ]
    for host in hosts:
        message = refusal(allowed.url, {"path": f"http://{host}:8080/latest/meta-data"})
        assert "non-public address" in message, host
        assert "--allow-url-host" in message, host
    assert no_connections == []
    # Control: the spy does see a connection the rules allow (it fails it, so the call fails).
    outcome(allowed.url, "digest", [{"path": "http://127.0.0.1:8080/ok"}])
    allowed.take_errors()
    assert no_connections == ["http://127.0.0.1:8080/ok"]


def test_redirect_to_a_disallowed_address_is_refused(allowed: MockServer, web: FileServer) -> None:
    web.add("/secret", b"internal secret")
    for target in (f"http://localhost:{web.port}/secret", "http://169.254.169.254/latest"):
        url = web.redirect("/start", target)
        message = refusal(allowed.url, {"path": url})
        assert "non-public address" in message, target
    assert "/secret" not in web.paths()


def test_redirect_within_the_allowed_host_is_followed(allowed: MockServer, web: FileServer) -> None:
    web.add("/final.bin", b"fine")
    url = web.redirect("/start", "/final.bin", status=301)
    assert digest_of(allowed.url, {"path": url})["sha256"] == sha(b"fine")
    assert web.paths() == ["/start", "/final.bin"]


def test_redirect_to_a_file_url_is_refused(allowed: MockServer, web: FileServer) -> None:
    url = web.redirect("/start", "file:///etc/passwd")
    message = refusal(allowed.url, {"path": url})
    assert "http(s)" in message
    assert "root:" not in message


def test_at_most_five_redirects_are_followed(allowed: MockServer, web: FileServer) -> None:
    web.add("/end", b"arrived")
    for hops, ok in ((5, True), (6, False)):
        for i in range(hops):
            web.redirect(f"/{hops}/hop{i}", f"/{hops}/hop{i + 1}" if i + 1 < hops else "/end")
        value = {"path": web.url(f"/{hops}/hop0")}
        if ok:
            assert digest_of(allowed.url, value)["sha256"] == sha(b"arrived")
        else:
            before = web.paths().count("/end")
            assert "redirects" in refusal(allowed.url, value)
            assert web.paths().count("/end") == before


def test_non_http_schemes_are_refused(allowed: MockServer) -> None:
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/x"):
        for value in ({"path": url}, {"path": None, "url": url}):
            message = refusal(allowed.url, value)
            assert "root:" not in message
            assert "POST /upload" in message or "http(s)" in message, message


def test_url_over_the_size_limit_is_refused(allowed: MockServer, web: FileServer) -> None:
    for path, declared in (("/declared.bin", True), ("/undeclared.bin", False)):
        url = web.add(path, b"x" * (LIMIT * 4), content_length=declared)
        message = refusal(allowed.url, {"path": url})
        assert str(LIMIT) in message
    assert [f for f in files_in(allowed.state.files.root) if os.path.getsize(f) > LIMIT] == []


def test_url_exactly_at_the_size_limit_is_accepted(allowed: MockServer, web: FileServer) -> None:
    data = os.urandom(LIMIT)
    url = web.add("/limit.bin", data, content_length=False)
    assert digest_of(allowed.url, {"path": url})["sha256"] == sha(data)


def test_url_answering_an_http_error_is_a_clear_error(allowed: MockServer, web: FileServer) -> None:
    message = refusal(allowed.url, {"path": web.url("/missing.png")})
    assert "404" in message
    assert web.url("/missing.png") in message


def test_url_that_cannot_be_connected_to_is_a_clear_error(allowed: MockServer) -> None:
    with FileServer() as gone:  # a port nobody listens on any more
        url = gone.url("/x")
    kind, payload = outcome(allowed.url, "digest", [{"path": url}])
    crashes = allowed.take_errors()
    assert kind == "error"
    assert isinstance(payload["error"], str) and url in payload["error"], payload
    assert crashes == []  # the caller's URL is bad: an input error, not a crash


def test_url_that_answers_too_slowly_is_a_clear_error(
    start_server: StartServer, web: FileServer
) -> None:
    server = start_server(files_app, allow_url_hosts=("127.0.0.1",), url_timeout=0.3)
    url = web.add("/slow.bin", b"late", hold=True)
    kind, payload = outcome(server.url, "digest", [{"path": url}])
    crashes = server.take_errors()
    assert web.holding.is_set()
    assert kind == "error"
    assert isinstance(payload["error"], str) and url in payload["error"], payload
    assert "time" in payload["error"].lower()
    assert crashes == []


def test_a_path_the_server_never_received_is_refused_clearly(strict: MockServer) -> None:
    [uploaded] = upload(strict.url, ("a.txt", b"a")).json()
    paths = [
        "/etc/passwd",
        "../../../../etc/passwd",
        "relative/name.txt",
        f"{strict.state.files.root}/never-written.txt",
        uploaded + "/../../../../../etc/passwd",
    ]
    for path in paths:
        message = refusal(strict.url, {"path": path})
        assert "not one this server received" in message, path
        assert "POST /upload" in message
        assert "root:" not in message


# -- the /image demo -------------------------------------------------------------------


def check_sepia_png(data: bytes, size: tuple[int, int] = (4, 3)) -> None:
    picture = _png.decode(data)
    assert (picture.width, picture.height) == size
    assert tuple(picture.rows[0][:3]) == SEPIA


def test_image_demo_with_an_uploaded_png(gradio_mock: MockServer) -> None:
    [path] = upload(gradio_mock.url, ("in.png", PNG)).json()
    kind, payload = outcome(gradio_mock.url + "/gradio_api", "image", [{"path": path}])
    assert kind == "complete", payload
    check_sepia_png(HTTP.get(payload[0]["url"]).content)


def test_image_demo_with_a_url_png(start_server: StartServer, web: FileServer) -> None:
    server = start_server(allow_url_hosts=("127.0.0.1",))
    url = web.add(
        "/picture.png", _png.solid(7, 5, (200, 100, 50)), headers={"Content-Type": "image/png"}
    )
    kind, payload = outcome(server.url, "image", [{"path": url, "meta": FILEDATA}])
    assert kind == "complete", payload
    check_sepia_png(HTTP.get(payload[0]["url"]).content, (7, 5))


def test_image_demo_with_a_data_url_png(gradio_mock: MockServer) -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    kind, payload = outcome(gradio_mock.url, "image", [{"path": url, "meta": FILEDATA}])
    assert kind == "complete", payload
    check_sepia_png(HTTP.get(payload[0]["url"]).content)


def test_image_output_can_be_sent_back_as_input(gradio_mock: MockServer) -> None:
    [path] = upload(gradio_mock.url, ("in.png", PNG)).json()
    _, first = outcome(gradio_mock.url, "image", [{"path": path}])
    kind, second = outcome(gradio_mock.url, "image", [first[0]])
    assert kind == "complete", second
    twice = _png.decode(HTTP.get(second[0]["url"]).content)
    assert tuple(twice.rows[0][:3]) != SEPIA  # filtered twice


# -- files out: FileData -----------------------------------------------------------------


def image_output(server: MockServer, prefix: str = "/gradio_api", **headers: str) -> Any:
    [path] = upload(server.url, ("in.png", PNG)).json()
    kind, payload = outcome(server.url + prefix, "image", [{"path": path}], **headers)
    assert kind == "complete", payload
    return payload[0]


def test_image_output_is_gradio_filedata(gradio_mock: MockServer) -> None:
    out = image_output(gradio_mock)
    assert set(out) == FILEDATA_KEYS
    assert out["meta"] == FILEDATA
    assert out["is_stream"] is False
    assert out["orig_name"] == os.path.basename(out["path"])
    assert out["orig_name"].endswith(".png")
    root = gradio_mock.state.files.root
    assert os.path.commonpath([root, out["path"]]) == root
    assert out["url"] == f"{gradio_mock.url}/gradio_api/file={out['path']}"


def test_output_url_serves_the_png(gradio_mock: MockServer) -> None:
    for prefix in ("", "/gradio_api"):
        out = image_output(gradio_mock, prefix)
        response = HTTP.get(out["url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        check_sepia_png(response.content)
        # The same file at the other prefix, too.
        other = HTTP.get(f"{gradio_mock.url}/file={out['path']}")
        assert other.content == response.content


def test_output_url_uses_the_host_the_client_used(gradio_mock: MockServer) -> None:
    out = image_output(gradio_mock, Host="mock.example:8443")
    assert out["url"] == f"http://mock.example:8443/gradio_api/file={out['path']}"


def test_output_url_honours_x_forwarded_proto_and_host(gradio_mock: MockServer) -> None:
    out = image_output(
        gradio_mock, **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example"}
    )
    assert out["url"] == f"https://public.example/gradio_api/file={out['path']}"


def test_output_url_ignores_unusable_forwarded_headers(gradio_mock: MockServer) -> None:
    out = image_output(
        gradio_mock,
        **{"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "evil.example/x?y=<z>"},
    )
    assert out["url"] == f"{gradio_mock.url}/gradio_api/file={out['path']}"


def test_a_returned_file_from_elsewhere_is_copied_into_the_store(
    strict: MockServer, tmp_path: Any
) -> None:
    outside = tmp_path / "report.txt"
    outside.write_bytes(b"made by the function")
    kind, payload = outcome(strict.url, "give_back", [str(outside)])
    assert kind == "complete", payload
    out = payload[0]
    root = strict.state.files.root
    assert os.path.commonpath([root, out["path"]]) == root
    assert out["orig_name"] == "report.txt"
    assert HTTP.get(out["url"]).content == b"made by the function"
    # The original stays private.
    assert HTTP.get(f"{strict.url}/file={outside}").status_code == 403


def test_a_returned_path_that_is_not_a_file_fails_the_call(strict: MockServer) -> None:
    kind, payload = outcome(strict.url, "give_back", ["/nonexistent/nothing.txt"])
    assert kind == "error"
    assert payload["error"] is None  # an unexpected exception: hidden without show_error
    errors = strict.take_errors()
    assert len(errors) == 1 and isinstance(errors[0], FileNotFoundError)


# -- GET /file= security ------------------------------------------------------------------

PREFIXES = ("", "/gradio_api")


@pytest.fixture
def served(gradio_mock: MockServer) -> str:
    """A file the server received (so it serves it), with a marker in its bytes."""
    [path] = upload(gradio_mock.url, ("served.txt", b"served-marker")).json()
    assert HTTP.get(f"{gradio_mock.url}/file={path}").content == b"served-marker"
    return str(path)


def refused(server: MockServer, path: str, statuses: tuple[int, ...] = (403, 404)) -> None:
    """GET /file=path (raw, at both prefixes) is refused and serves nothing secret."""
    for prefix in PREFIXES:
        status, body, location = curl(f"{server.url}{prefix}/file={path}")
        assert status in statuses, (prefix, path, status)
        assert location == ""
        for secret in (b"root:", b"served-marker", b"planted-marker"):
            assert secret not in body, (prefix, path)


def test_etc_passwd_is_forbidden(gradio_mock: MockServer) -> None:
    refused(gradio_mock, "/etc/passwd", (403,))


def test_traversal_from_a_served_path_never_serves_the_file(
    gradio_mock: MockServer, served: str
) -> None:
    tails = [
        "/../../../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        "/..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
        "/..;/..;/..;/..;/..;/etc/passwd",
    ]
    for start in (served, os.path.dirname(served)):
        for tail in tails:
            refused(gradio_mock, start + tail)


def test_paths_outside_the_store_are_forbidden(gradio_mock: MockServer) -> None:
    for path in (
        "../../../../etc/passwd",
        "%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/tmp/../etc/passwd",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/proc/self/environ",
    ):
        refused(gradio_mock, path)


def test_a_path_inside_the_store_never_written_is_404(gradio_mock: MockServer, served: str) -> None:
    root = gradio_mock.state.files.root
    for path in (f"{root}/never-written.txt", f"{os.path.dirname(served)}/other.txt"):
        refused(gradio_mock, path, (404,))


def test_a_file_planted_in_the_store_by_someone_else_is_not_served(
    gradio_mock: MockServer, served: str
) -> None:
    root = gradio_mock.state.files.root
    planted = os.path.join(root, f"planted-{uuid.uuid4().hex}.txt")
    with open(planted, "wb") as f:
        f.write(b"planted-marker")
    name = os.path.basename(planted)
    for path in (planted, f"{os.path.dirname(served)}/../{name}", name):
        refused(gradio_mock, path, (404,))


def test_a_symlink_in_the_store_pointing_outside_is_forbidden(gradio_mock: MockServer) -> None:
    root = gradio_mock.state.files.root
    link = os.path.join(root, f"link-{uuid.uuid4().hex}")
    folder = os.path.join(root, f"dir-{uuid.uuid4().hex}")
    os.symlink("/etc/passwd", link)
    os.symlink("/etc", folder)
    for path in (link, f"{folder}/passwd", os.path.basename(link)):
        refused(gradio_mock, path, (403,))


def test_case_tricks_are_not_served(gradio_mock: MockServer, served: str) -> None:
    refused(gradio_mock, served.upper())
    folder, name = os.path.split(served)
    for variant in (name.upper(), name.swapcase(), name.capitalize()):
        refused(gradio_mock, f"{folder}/{variant}", (404,))


def test_file_route_never_redirects_to_a_url(gradio_mock: MockServer) -> None:
    for target in (
        "http://example.com/x",
        "https://example.com/x",
        "//example.com/x",
        "http:%2F%2Fexample.com%2Fx",
    ):
        refused(gradio_mock, target)


def test_the_store_folders_themselves_are_not_served(gradio_mock: MockServer, served: str) -> None:
    root = gradio_mock.state.files.root
    for path in (root, root + "/", os.path.dirname(served), "", "."):
        refused(gradio_mock, path)


def test_a_nul_byte_is_not_served(gradio_mock: MockServer, served: str) -> None:
    refused(gradio_mock, f"{urllib.parse.quote(served)}%00.txt")
    refused(gradio_mock, f"{urllib.parse.quote(served)}%00")


def test_active_content_is_served_as_an_attachment(gradio_mock: MockServer) -> None:
    [page, svg] = upload(
        gradio_mock.url,
        ("page.html", b"<script>alert(1)</script>"),
        ("pic.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>"),
    ).json()
    for path in (page, svg):
        response = HTTP.get(f"{gradio_mock.url}/gradio_api/file={path}")
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"].startswith("attachment")


# -- boundaries and cleanup (issue 7) -------------------------------------------------------


@pytest.mark.parametrize(("length", "kept"), [(200, 200), (201, 200), (300, 200), (199, 199)])
def test_upload_names_are_cut_at_200_characters(strict: MockServer, length: int, kept: int) -> None:
    name = "n" * (length - 4) + ".txt"
    response = upload(strict.url, (name, b"x"))
    assert response.status_code == 200, response.text
    assert len(os.path.basename(response.json()[0])) == kept


def test_a_url_without_a_host_is_refused_before_any_connection(
    strict: MockServer, no_connections: list[str]
) -> None:
    for url in ("http:///x.png", "https://"):
        assert "only http(s) URLs" in refusal(strict.url, {"path": url})
    assert no_connections == []


@pytest.mark.parametrize("token", [None, "secret"])
def test_stopping_the_server_deletes_its_files(token: str | None) -> None:
    server = MockServer(files_app, Settings(port=0, token=token)).start()
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        response = HTTP.post(
            f"{server.url}/upload",
            files=[("files", ("kept.txt", b"data", "text/plain"))],
            headers=headers,
        )
        assert response.status_code == 200, response.text
        root = server.state.files.root
        assert files_in(root) != []
    finally:
        server.stop()
    assert not os.path.exists(root)


def test_a_location_header_only_counts_on_a_redirect(allowed: MockServer, web: FileServer) -> None:
    elsewhere = web.add("/elsewhere.bin", b"elsewhere")
    # A 200 with a Location header is the file; a 302 without one is an error, not a loop.
    url = web.add("/here.bin", b"here", headers={"Location": elsewhere})
    assert digest_of(allowed.url, {"path": url})["sha256"] == sha(b"here")
    lost = web.add("/lost", b"", status=302)
    assert "HTTP 302" in refusal(allowed.url, {"path": lost})
