"""The page at ``/``, driven in a real browser: headless Chromium (Debian's ``chromium``)
through Playwright for Python, against real servers on loopback ports.

Every wait is Playwright's auto-waiting ``expect`` with a timeout; generators and slow calls
are held by ``Gate``s, so nothing depends on timing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright

from demos import _png
from server import App, Dropdown, Error, File, Json, Number
from server.pytest_plugin import MockServer
from tests.apps import Gate
from tests.conftest import StartServer

TOKEN = "hf_page_secret"
#: Playwright's own browser download is out of reach here: it drives the system Chromium.
CHROMIUM = os.environ.get("GRADIO_MOCK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"No Chromium at {CHROMIUM}: the page tests drive a real browser. Install Debian's "
            "(`apt-get install -y chromium`, as .ci/run does) or point GRADIO_MOCK_CHROMIUM "
            "at a Chromium binary."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage) that fails the test on a JavaScript error."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[Any] = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def endpoint(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


def outputs(section: Locator) -> Locator:
    return section.locator(".outputs pre.value")


@dataclass
class Gates:
    first: Gate = field(default_factory=Gate)
    second: Gate = field(default_factory=Gate)
    slow: Gate = field(default_factory=Gate)

    def open_all(self) -> None:
        for gate in (self.first, self.second, self.slow):
            gate.open()


@pytest.fixture
def gated(start_server: StartServer) -> Iterator[tuple[MockServer, Gates]]:
    """A server whose generator and slow function advance only when the test says so."""
    gates = Gates()
    app = App("gated")

    @app.api("stream")
    def stream(text: str) -> Iterator[str]:
        yield text[:1]
        gates.first.pass_through()
        yield text[:2]
        gates.second.pass_through()
        yield text

    @app.api("slow")
    def slow(text: str) -> str:
        gates.slow.pass_through()
        return text

    @app.api("boom")
    def boom(text: str) -> str:
        raise Error(f"cannot greet {text!r}: expected a name without digits")

    @app.api(
        "echo",
        inputs=[Dropdown(["red", "green"], value="green"), Number(value=2), Json(), File()],
        outputs=[Json()],
    )
    def echo(colour: str, count: float, extra: Any, upload: str | None) -> Any:
        content = None
        if upload is not None:
            with open(upload, encoding="utf-8") as f:
                content = f.read()
        return {"colour": colour, "count": count, "extra": extra, "file": content}

    server = start_server(app)
    try:
        yield server, gates
    finally:
        gates.open_all()  # no function is left waiting for a gate when the server stops


def test_the_page_shows_every_endpoint(gradio_mock: MockServer, page: Page) -> None:
    page.goto(gradio_mock.url + "/")
    for name in ("/predict", "/hello", "/stream", "/image", "/chat"):
        expect(endpoint(page, name)).to_be_visible()
        expect(page.get_by_role("navigation").get_by_role("link", name=name)).to_be_visible()
    hello = endpoint(page, "/hello")
    params = hello.locator("table.parameters tbody tr")
    expect(params).to_have_count(3)
    expect(params.nth(0)).to_contain_text("name")
    expect(params.nth(0)).to_contain_text("required")
    expect(params.nth(2)).to_contain_text("numeric value between 0 and 100")
    expect(hello.locator("table.returns tbody tr")).to_have_count(2)
    # The snippets are /info's, for the address the browser used.
    expect(hello.locator("code[id$='-bash']")).to_contain_text(
        f"curl -X POST {gradio_mock.url}/gradio_api/call/v2/hello"
    )
    expect(hello.locator("code[id$='-python']")).to_contain_text(f'Client("{gradio_mock.url}")')
    slider = hello.get_by_label("temperature")
    expect(slider).to_have_attribute("type", "range")
    expect(slider).to_have_attribute("min", "0")
    expect(slider).to_have_attribute("max", "100")


def test_hello_from_its_form_with_the_keyboard(gradio_mock: MockServer, page: Page) -> None:
    page.goto(gradio_mock.url + "/gradio_api/")
    hello = endpoint(page, "/hello")
    hello.get_by_label("name").fill("Ann")
    hello.get_by_label("is_morning").press("Space")
    slider = hello.get_by_label("temperature")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(hello.locator("output")).to_have_text("5")
    hello.get_by_role("button", name="Run").press("Enter")
    expect(outputs(hello)).to_have_text(["Good morning Ann. It is 5 degrees today", "-15"])
    expect(hello.locator(".call-status")).to_contain_text("Done")


def test_a_stream_grows_event_by_event(gated: tuple[MockServer, Gates], page: Page) -> None:
    server, gates = gated
    page.goto(server.url + "/")
    stream = endpoint(page, "/stream")
    stream.get_by_label("text").fill("Hello")
    stream.get_by_role("button", name="Run").click()
    expect(outputs(stream)).to_have_text(["H"])
    expect(stream.locator(".call-status")).to_contain_text("Generating")
    gates.first.open()
    expect(outputs(stream)).to_have_text(["He"])
    gates.second.open()
    expect(outputs(stream)).to_have_text(["Hello"])
    expect(stream.locator(".call-status")).to_contain_text("Done")
    expect(stream.locator(".events li")).to_have_text(
        ['generating: ["H"]', 'generating: ["He"]', 'generating: ["Hello"]', 'complete: ["Hello"]']
    )


def test_an_error_shows_its_message(gated: tuple[MockServer, Gates], page: Page) -> None:
    server, _ = gated
    page.goto(server.url + "/")
    boom = endpoint(page, "/boom")
    boom.get_by_label("text").fill("R2D2")
    boom.get_by_role("button", name="Run").click()
    expect(boom.locator(".call-status")).to_have_text(
        "Error: cannot greet 'R2D2': expected a name without digits"
    )
    expect(outputs(boom)).to_have_count(0)


def test_cancel_stops_a_running_call(gated: tuple[MockServer, Gates], page: Page) -> None:
    server, gates = gated
    page.goto(server.url + "/")
    slow = endpoint(page, "/slow")
    cancel = slow.get_by_role("button", name="Cancel")
    expect(cancel).to_be_disabled()
    slow.get_by_role("button", name="Run").click()
    gates.slow.wait_entered()
    expect(slow.locator(".call-status")).to_contain_text("Running")
    cancel.click()
    expect(slow.locator(".call-status")).to_have_text("Error: Cancelled.")
    expect(slow.get_by_role("button", name="Run")).to_be_enabled()


def test_each_component_gets_its_control(gated: tuple[MockServer, Gates], page: Page) -> None:
    server, _ = gated
    page.goto(server.url + "/")
    echo = endpoint(page, "/echo")
    colour = echo.get_by_label("colour")
    expect(colour).to_have_value("green")
    colour.select_option("red")
    expect(echo.get_by_label("count")).to_have_attribute("type", "number")
    echo.get_by_label("count").fill("7")
    echo.get_by_label("extra").fill('{"a": [1, 2]}')
    echo.get_by_label("upload").set_input_files(
        {"name": "note.txt", "mimeType": "text/plain", "buffer": b"uploaded text"}
    )
    expect(echo.locator(".preview")).to_contain_text("note.txt (13 bytes)")
    echo.get_by_role("button", name="Run").click()
    expect(echo.locator(".call-status")).to_contain_text("Done")
    expect(outputs(echo)).to_have_text(
        '{ "colour": "red", "count": 7, "extra": { "a": [ 1, 2 ] }, "file": "uploaded text" }',
        use_inner_text=False,
    )


def test_an_image_goes_up_and_comes_back(gradio_mock: MockServer, page: Page) -> None:
    page.goto(gradio_mock.url + "/")
    image = endpoint(page, "/image")
    png = _png.solid(4, 3, (200, 40, 40))
    image.get_by_label("image").set_input_files(
        {"name": "red.png", "mimeType": "image/png", "buffer": png}
    )
    expect(image.get_by_role("img", name="Preview of red.png")).to_have_js_property(
        "naturalWidth", 4
    )
    image.get_by_role("button", name="Run").click()
    result = image.locator(".outputs img")
    expect(result).to_have_js_property("naturalWidth", 4)
    expect(result).to_have_js_property("naturalHeight", 3)
    link = image.locator(".outputs a")
    file_url = re.escape(gradio_mock.url + "/gradio_api/file=")
    expect(link).to_have_attribute("href", re.compile(rf"^{file_url}.*\.png$"))


def test_the_page_under_a_root_path(start_server: StartServer, page: Page) -> None:
    server = start_server(root_path="/myapp")
    for address in (server.url + "/myapp", server.url + "/myapp/gradio_api/"):
        page.goto(address)
        predict = endpoint(page, "/predict")
        expect(predict.locator("code[id$='-bash']")).to_contain_text(
            f"{server.url}/myapp/gradio_api/call/v2/predict"
        )
        predict.get_by_label("text").fill("Hello, my friend.")
        predict.get_by_role("button", name="Run").click()
        expect(outputs(predict)).to_have_text(["Bonjour, mon ami."])


def test_the_page_behind_a_proxy_with_a_prefix(gradio_mock: MockServer, page: Page) -> None:
    """A proxy serves the app under /proxy, strips it and says so in X-Forwarded-Prefix:
    every request of the page must go through /proxy (the others are refused here)."""
    url = gradio_mock.url

    def forward(route: Route) -> None:
        target = url + (route.request.url[len(url + "/proxy") :] or "/")
        if target.startswith(url + "/__mock/requests/stream"):
            # route.fetch reads a whole body, and the journal's stream never ends: its
            # path (through /proxy) is what this test checks.
            route.fulfill(status=200, content_type="text/event-stream", body="")
            return
        headers = {**route.request.headers, "x-forwarded-prefix": "/proxy"}
        route.fulfill(response=route.fetch(url=target, headers=headers))

    page.route(re.compile(rf"^{re.escape(url)}/(?!proxy(/|$))"), lambda route: route.abort())
    page.route(re.compile(rf"^{re.escape(url)}/proxy(/|$)"), forward)
    page.goto(url + "/proxy")
    predict = endpoint(page, "/predict")
    expect(predict.locator("code[id$='-bash']")).to_contain_text(
        f"{url}/proxy/gradio_api/call/v2/predict"
    )
    predict.get_by_label("text").fill("Hello, my friend.")
    predict.get_by_role("button", name="Run").click()
    expect(outputs(predict)).to_have_text(["Bonjour, mon ami."])


def test_the_page_with_a_token(start_server: StartServer, page: Page) -> None:
    server = start_server(token=TOKEN)
    page.goto(server.url + "/")
    token = page.get_by_label("Token")
    expect(token).to_be_focused()
    token.fill("hf_wrong")
    token.press("Enter")
    expect(page.locator("#token-message")).to_contain_text("does not match")
    token.fill(TOKEN)
    page.get_by_role("button", name="Use this token").click()
    predict = endpoint(page, "/predict")
    predict.get_by_label("text").fill("Hello, my friend.")
    predict.get_by_label("text").press("Control+Enter")  # runs from the textarea
    expect(outputs(predict)).to_have_text(["Bonjour, mon ami."])
    # Uploads and files go with the token too (an <img> cannot send it: the page fetches).
    image = endpoint(page, "/image")
    image.get_by_label("image").set_input_files(
        {"name": "red.png", "mimeType": "image/png", "buffer": _png.solid(4, 3, (200, 40, 40))}
    )
    image.get_by_role("button", name="Run").click()
    expect(image.locator(".outputs img")).to_have_js_property("naturalWidth", 4)
    # Asked once: a reload in the same tab keeps the token.
    page.reload()
    expect(endpoint(page, "/predict")).to_be_visible()
    expect(page.locator("#token-form")).to_be_hidden()


def test_only_the_page_is_open_without_the_token(
    start_server: StartServer, http: httpx.Client
) -> None:
    server = start_server(token=TOKEN)
    for path in ("/", "/gradio_api/", "/__mock/page/page.js", "/__mock/page/page.css"):
        response = http.get(server.url + path)
        assert response.status_code == 200, path
        assert TOKEN not in response.text
    assert http.head(server.url + "/").status_code == 200
    for method, path in (
        ("GET", "/info"),
        ("GET", "/gradio_api/info"),
        ("GET", "/config"),
        ("POST", "/gradio_api/call/predict"),
        ("POST", "/"),
        ("GET", "/__mock/page/nothing.js"),
        ("GET", "/__mock/other"),
    ):
        response = http.request(method, server.url + path, json={"data": ["Hi"]})
        assert response.status_code == 401, (method, path)


def test_the_page_assets(gradio_mock: MockServer, http: httpx.Client) -> None:
    page = http.get(gradio_mock.url + "/")
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<meta name="gradio-mock-api" content="/gradio_api">' in page.text
    script = http.get(gradio_mock.url + "/__mock/page/page.js")
    assert script.headers["content-type"].startswith("text/javascript")
    missing = http.get(gradio_mock.url + "/__mock/page/_routes.py")
    assert missing.status_code == 404
    assert "page.css, page.js" in missing.text


def test_the_page_of_a_gradio_4_server(start_server: StartServer, page: Page) -> None:
    server = start_server(gradio_version=4)
    page.goto(server.url + "/")
    predict = endpoint(page, "/predict")
    expect(predict.locator(".snippets")).to_contain_text("has no snippets")
    predict.get_by_label("text").fill("Hello, my friend.")
    predict.get_by_role("button", name="Run").click()
    expect(outputs(predict)).to_have_text(["Bonjour, mon ami."])


# -- the live journal ------------------------------------------------------------------------


def journal(page: Page) -> Locator:
    return page.get_by_role("region", name="Live journal", exact=True)


def test_a_request_from_curl_appears_without_a_reload(gradio_mock: MockServer, page: Page) -> None:
    page.goto(gradio_mock.url + "/")
    live = journal(page)
    expect(live.get_by_role("status")).to_have_text("Live: requests appear as they arrive.")
    curl = shutil.which("curl")
    assert curl is not None
    import subprocess

    posted = subprocess.run(
        [curl, "-s", "-X", "POST", gradio_mock.url + "/gradio_api/call/predict",
         "-H", "Content-Type: application/json", "-d", '{"data": ["from curl"]}'],
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    assert "event_id" in posted.stdout
    row = live.locator("#journal-requests tbody tr", has_text="/gradio_api/call/predict").first
    expect(row).to_contain_text('["from curl"]')
    expect(row).to_contain_text("/predict")
    expect(row).to_contain_text("complete")  # the outcome arrives as the job ends
    expect(row).to_contain_text("200")


def test_the_journal_filters_by_endpoint_and_shows_stubs_and_misses(
    gradio_mock: MockServer, page: Page, http: httpx.Client
) -> None:
    stub = gradio_mock.stub("/hello", outputs=["stubbed", 1.0])
    page.goto(gradio_mock.url + "/")
    live = journal(page)
    expect(live.get_by_role("status")).to_have_text("Live: requests appear as they arrive.")
    assert http.post(gradio_mock.url + "/call/hello", json={"data": ["Ann", True, 5]}).is_success
    assert http.post(gradio_mock.url + "/call/predict", json={"data": ["Hi"]}).is_success
    assert http.post(gradio_mock.url + "/call/helo", json={"data": ["Ann"]}).status_code == 404
    expect(live.locator("#journal-stubs")).to_contain_text(f"{stub.id} /hello")
    expect(live.locator("#journal-stubs")).to_contain_text("1 hit")
    misses = live.locator("#journal-unmatched")
    expect(misses).to_contain_text("POST /call/helo")
    expect(misses).to_contain_text("near miss /hello: api_name: sent /helo")
    rows = live.locator("#journal-requests tbody tr:visible")
    expect(rows.filter(has_text="/call/predict")).to_have_count(1)
    live.get_by_label("Show requests for").select_option("/hello")
    expect(rows.filter(has_text="/call/predict")).to_have_count(0)
    expect(rows.filter(has_text="/call/hello")).to_have_count(1)
    expect(rows.filter(has_text="/call/hello")).to_contain_text(f"stub {stub.id}")
    gradio_mock.take_unmatched()
