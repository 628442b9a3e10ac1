"""Memory freed by large results goes back to the operating system (``server/_memory.py``).

glibc's malloc keeps the memory of large values freed by a job's log (compacted once read,
or evicted) and RSS stays up by as much: the soak benchmark's steps of 33 MB and more. The
server hands it back with ``malloc_trim`` once enough result bytes have been let go.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from server._memory import MemoryReleaser, malloc_trim
from tests.sse import get_stream

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0

GROW_APP = textwrap.dedent(
    """
    from collections.abc import Iterator

    from server import App, Session

    app = App("memory")


    @app.api("grow", concurrency_limit=None)
    def grow(n: int, step: int) -> Iterator[str]:
        for i in range(1, int(n) + 1):
            yield "g" * (i * int(step))


    @app.api("remember", concurrency_limit=None)
    async def remember(note: str, session: Session) -> int:
        session["note"] = note
        return 1
    """
)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m server`` in a process of its own: its RSS is the server's alone."""
    app = tmp_path / "grow_app.py"
    app.write_text(GROW_APP)
    command = [sys.executable, "-m", "server", str(app), "--port", "0", "--no-access-log"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIO_", "PYTHON"))}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:  # reads the output to its end, so the server never blocks on it
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump)
    reader.start()
    try:
        seen: list[str] = []
        url = None
        while url is None:
            line = lines.get(timeout=WAIT)
            assert line is not None, f"the server did not start: {''.join(seen)}"
            seen.append(line)
            match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
            url = match.group(1) if match else None
        yield process, f"{url}/gradio_api"
    finally:
        process.terminate()
        try:
            process.wait(WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(WAIT)
        reader.join(WAIT)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.skipif(malloc_trim is None, reason="needs glibc's malloc_trim (Linux)")
def test_memory_of_large_results_read_goes_back_to_the_system(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    """Two generators at a time of 300 values growing by 1 KB (45 MB each), read to the end,
    with 200 new sessions in between, three times: without handing memory back the server
    kept 90 to 125 MB more than it started with; with it, about 6 MB."""
    process, base = served
    with httpx.Client(base_url=base, timeout=WAIT) as client:

        def call(api: str, data: list[object], **body: object) -> None:
            response = client.post(f"/call/{api}", json={"data": data, **body})
            assert response.status_code == 200, response.text
            event_id = response.json()["event_id"]
            status, text = get_stream(client, f"{base}/call/{api}/{event_id}")
            assert status == 200
            assert "event: complete" in text, text[-300:]

        call("remember", ["warm up"], session_hash="warm")
        start = rss_mb(process.pid)
        with ThreadPoolExecutor(2) as pool:
            for r in range(3):
                grows = [pool.submit(call, "grow", [300, 1024]) for _ in range(2)]
                for i in range(200):  # small objects that outlive the large ones
                    call("remember", ["note"], session_hash=f"s{r}-{i}")
                for grow in grows:
                    grow.result(WAIT)
        # The trim runs in a worker thread of the server: wait for it (or fail at a deadline).
        deadline = time.monotonic() + 10
        while (grown := rss_mb(process.pid) - start) > 30 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert grown <= 30, f"RSS grew by {grown:.1f} MB and stayed there"


def test_bytes_let_go_during_a_trim_get_a_trim_of_their_own() -> None:
    """A trim runs in a worker thread, one at a time; bytes let go while it runs (they may
    be freed after it has passed them) start another as it ends."""
    gates = [threading.Event(), threading.Event()]  # one for each trim
    threads: list[threading.Thread] = []
    calls = threading.Semaphore(0)

    def trim(pad: int) -> int:
        threads.append(threading.current_thread())
        calls.release()
        assert gates[len(threads) - 1].wait(WAIT)
        return 1

    async def scenario() -> None:
        releaser = MemoryReleaser(threshold=100, trim=trim)
        releaser.released(60)
        assert releaser.running is None  # below the threshold: nothing yet
        releaser.released(60)
        assert releaser.running is not None
        assert await asyncio.to_thread(calls.acquire, True, WAIT)
        releaser.released(150)  # while the first trim runs: no second one at once
        assert len(threads) == 1
        gates[0].set()
        assert await asyncio.to_thread(calls.acquire, True, WAIT)  # then the second
        assert releaser.running is not None
        gates[1].set()
        await asyncio.wait_for(releaser.running, WAIT)
        assert releaser.trims == 2
        assert releaser.pending == 0
        assert threading.current_thread() not in threads

    asyncio.run(scenario())
