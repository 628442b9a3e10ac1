"""Take the README's screenshot of the page (``docs/page.png``) with the tooling of the page
tests: the demos on a loopback server, headless Chromium driven by Playwright.

    python tools/screenshot.py [--out docs/page.png] [--dark]
    python tools/screenshot.py --journal --out docs/journal.png   # the live journal

Needs the test extra (``pip install -e '.[test]'``) and Debian's ``chromium`` (or
``GRADIO_MOCK_CHROMIUM`` pointing at a Chromium binary).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from demos import app
from server import BackgroundServer, Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/page.png", help="where to write the PNG")
    parser.add_argument("--dark", action="store_true", help="prefers-color-scheme: dark")
    parser.add_argument(
        "--journal",
        action="store_true",
        help="the live journal instead, after a stubbed call, a call and an unmatched one",
    )
    options = parser.parse_args()
    chromium = os.environ.get("GRADIO_MOCK_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        sys.exit("No chromium found: apt-get install -y chromium (or set GRADIO_MOCK_CHROMIUM).")
    try:  # the README's port, so the snippets look as they will for a reader
        server = BackgroundServer(app, Settings(port=7860))
    except OSError:
        server = BackgroundServer(app, Settings(port=0))
    with server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(
            viewport={"width": 1100, "height": 900},
            color_scheme="dark" if options.dark else "light",
        )
        page.goto(server.url + "/")
        if options.journal:
            journal_shot(page, server.url, options.out)
            browser.close()
            print(f"wrote {options.out}")
            return
        hello = page.get_by_role("region", name="/hello", exact=True)
        hello.get_by_label("name").fill("Ann")
        hello.get_by_label("is_morning").check()
        hello.get_by_label("temperature").fill("68")
        hello.get_by_role("button", name="Run").click()
        expect(hello.locator(".call-status")).to_contain_text("Done", timeout=10_000)
        # From the top of the page to the end of /hello and its result.
        page.evaluate("window.scrollTo(0, 0)")  # the box is measured from the viewport
        box = hello.bounding_box()
        assert box is not None
        height = box["y"] + box["height"] + 16
        page.screenshot(
            path=options.out, full_page=True, clip={"x": 0, "y": 0, "width": 1100, "height": height}
        )
        browser.close()
    print(f"wrote {options.out}")


def journal_shot(page: Page, url: str, out: str) -> None:
    journal = page.get_by_role("region", name="Live journal", exact=True)
    expect(journal.get_by_role("status")).to_contain_text("Live", timeout=10_000)
    with httpx.Client(timeout=10) as client:
        stub = {"api_name": "/predict", "times": 1, "response": {"fault": "zerogpu_quota"}}
        client.post(url + "/__mock/stubs", json=stub)
        for text in ("Hello", "Hello again"):
            client.post(url + "/gradio_api/call/predict", json={"data": [text]})
        client.post(url + "/gradio_api/call/helo", json={"data": ["Ann", True]})
    expect(journal.locator("#journal-unmatched")).to_contain_text("near miss", timeout=10_000)
    expect(journal.locator("#journal-stubs")).to_contain_text("1 hit", timeout=10_000)
    journal.scroll_into_view_if_needed()
    journal.screenshot(path=out)


if __name__ == "__main__":
    main()
