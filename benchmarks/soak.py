"""Soak: does the server's memory plateau under a long mixed load? Exits 1 if it does not.

    python benchmarks/soak.py                 # the full soak, about 2.5 minutes
    python benchmarks/soak.py --scale 0.1     # a tenth of every count, for a quick look

It starts ``python -m server benchmarks/soak_app.py`` on a free loopback port with the
default settings (plus ``--no-access-log``), then runs ``--rounds`` rounds (4) of the same
load; each round is a quarter of the totals (with the default 4 rounds), which add up to:

* 100,000 calls: 50,000 ``/call/remember`` with a new ``session_hash`` each (so 50,000
  sessions, five times the default ``--max-sessions``), 40,000 ``/call/echo`` of 1 KB,
  and 10,000 ``/queue/join`` of 10 KB in 800 sessions whose ``/queue/data`` is never read;
* large generators: 20 calls of ``/many`` (20,000 values each, read once, then once again)
  and 8 of ``/grow`` (300 values growing by 1 KB: 45 MB in all each);
* clients dropping mid-stream: 2,000 ``/call/drip`` streams and 400 ``/queue/data`` streams
  closed after their first value.

It prints the server's RSS (``/proc/PID/status``) after each phase. Plateau: the RSS after
the last round is at most ``--tolerance`` (15%) above the RSS after the first round (by
then every cache is full: 2,000 results, 10,000 sessions). Only 127.0.0.1 is used; each
round has a bounded number of requests, and the whole run a time limit (``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from bench import Connection, open_connections

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BANNER = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
CONCURRENCY = 32


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start_server(extra: list[str]) -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "server", str(HERE / "soak_app.py")]
    process = subprocess.Popen(
        [*command, "--port", "0", "--no-access-log", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = BANNER.search(line)
        if match:
            return process, int(match.group(1))
    process.kill()
    raise RuntimeError("the server did not start")


async def pool(count: int, task: Callable[[int], Awaitable[None]]) -> None:
    """Run ``task(0..count-1)``, ``CONCURRENCY`` at a time."""
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            await task(i)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def on_connections(
    connections: list[Connection], count: int, task: Callable[[Connection, int], Awaitable[None]]
) -> None:
    """Run ``task(connection, 0..count-1)``, one at a time on each keep-alive connection
    (``bench.py``'s small HTTP client: httpx costs more CPU than the server on this load)."""
    queue = iter(range(count))

    async def worker(connection: Connection) -> None:
        for i in queue:
            try:
                await task(connection, i)
            except (asyncio.IncompleteReadError, ConnectionError):
                # The server closed the idle keep-alive connection (uvicorn: after 5 s).
                connection.close()
                await task(connection, i)

    await asyncio.gather(*(worker(c) for c in connections))


PREFIX = "/gradio_api"


class Load:
    def __init__(
        self, client: httpx.AsyncClient, connections: list[Connection], scale: float
    ) -> None:
        self.client = client
        self.connections = connections
        self.scale = scale
        self.round = 0
        self.errors = 0

    def n(self, total: int, rounds: int) -> int:
        return max(1, round(total * self.scale / rounds))

    async def call(self, api: str, data: list[Any], **body: Any) -> str:
        """POST then GET to the end; the last frame's event."""
        response = await self.client.post(f"/call/{api}", json={"data": data, **body})
        event_id = response.json()["event_id"]
        last = ""
        async with self.client.stream("GET", f"/call/{api}/{event_id}") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    last = line[7:]
        if last != "complete":
            self.errors += 1
        return event_id

    async def calls(self, rounds: int) -> None:
        sessions, echoes = self.n(50_000, rounds), self.n(40_000, rounds)
        text = "e" * 1024

        async def one(connection: Connection, i: int) -> None:
            if i < sessions:
                api, body = "remember", {"data": ["note"], "session_hash": f"r{self.round}-{i}"}
            else:
                api, body = "echo", {"data": [text]}
            _status, headers = await connection.request(
                "POST", f"{PREFIX}/call/{api}", json.dumps(body).encode()
            )
            event_id = json.loads(await connection.read_body(headers))["event_id"]
            if (await connection.read_result(PREFIX, api, event_id))[0] != "complete":
                self.errors += 1

        await on_connections(self.connections, sessions + echoes, one)

    async def joins(self, rounds: int) -> None:
        text = "j" * 10 * 1024

        async def one(connection: Connection, i: int) -> None:
            body = {"data": [text], "api_name": "echo", "session_hash": f"j{self.round}-{i % 200}"}
            status, headers = await connection.request(
                "POST", f"{PREFIX}/queue/join", json.dumps(body).encode()
            )
            await connection.read_body(headers)
            if status != 200:
                self.errors += 1

        await on_connections(self.connections, self.n(10_000, rounds), one)

    async def generators(self, rounds: int) -> None:
        async def many(i: int) -> None:
            event_id = await self.call("many", [20_000])
            async with self.client.stream("GET", f"/call/many/{event_id}") as again:
                async for _ in again.aiter_bytes():
                    pass

        async def grow(i: int) -> None:
            await self.call("grow", [300, 1024])

        await pool(self.n(20, rounds), many)
        await pool(self.n(8, rounds), grow)

    async def drops(self, rounds: int) -> None:
        async def call_drop(i: int) -> None:
            response = await self.client.post("/call/drip", json={"data": [200]})
            event_id = response.json()["event_id"]
            async with self.client.stream("GET", f"/call/drip/{event_id}") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        break  # hang up mid-stream

        async def session_drop(i: int) -> None:
            session = f"d{self.round}-{i}"
            body = {"data": [100_000], "api_name": "drip", "session_hash": session}
            await self.client.post("/queue/join", json=body)
            params = {"session_hash": session}
            async with self.client.stream("GET", "/queue/data", params=params) as stream:
                async for line in stream.aiter_lines():
                    if "process_generating" in line:
                        break  # hang up: the job is cancelled

        await pool(self.n(2_000, rounds), call_drop)
        await pool(self.n(400, rounds), session_drop)


async def soak(port: int, pid: int, rounds: int, scale: float) -> list[dict[str, float]]:
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}/gradio_api", limits=limits, timeout=120
    ) as client:
        connections = await open_connections(port, CONCURRENCY)
        load = Load(client, connections, scale)
        figures = []
        print(f"start: RSS {rss_mb(pid):.1f} MB", flush=True)
        for number in range(1, rounds + 1):
            load.round = number
            row: dict[str, float] = {}
            for name, phase in (
                ("calls", load.calls),
                ("joins", load.joins),
                ("generators", load.generators),
                ("drops", load.drops),
            ):
                started = time.monotonic()
                await phase(rounds)
                row[name] = rss_mb(pid)
                print(
                    f"round {number} {name:<10} {time.monotonic() - started:6.1f} s  "
                    f"RSS {row[name]:7.1f} MB",
                    flush=True,
                )
            info = (await client.get("/info")).status_code
            if info != 200 or load.errors:
                print(f"  /info {info}, {load.errors} calls did not complete", flush=True)
            figures.append(row)
        for connection in connections:
            connection.close()
        return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    parser.add_argument("--tolerance", type=float, default=0.15, help="plateau margin")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the run")
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="OPTION",
        help="an option for the server (repeatable), e.g. --server-arg=--journal-size=0",
    )
    args = parser.parse_args(argv)
    process, port = start_server(args.server_arg)
    started = time.monotonic()
    try:
        figures = asyncio.run(
            asyncio.wait_for(soak(port, process.pid, args.rounds, args.scale), args.timeout)
        )
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    first, last = figures[0]["drops"], figures[-1]["drops"]
    peak = max(max(row.values()) for row in figures)
    growth = (last - first) / first
    plateau = growth <= args.tolerance
    print(
        json.dumps(
            {
                "seconds": round(time.monotonic() - started, 1),
                "rss_after_first_round_mb": round(first, 1),
                "rss_after_last_round_mb": round(last, 1),
                "peak_mb": round(peak, 1),
                "growth": f"{growth:+.1%}",
                "plateau": plateau,
            }
        )
    )
    if not plateau:
        print(
            f"FAIL: RSS grew {growth:.1%} from the first round to the last "
            f"(more than {args.tolerance:.0%})",
            file=sys.stderr,
        )
    return 0 if plateau else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
