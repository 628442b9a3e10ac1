"""gradio-mock's benchmark: round trips per second, latency, memory and idle-stream CPU.

    python benchmarks/bench.py                                   # gradio-mock alone
    python benchmarks/bench.py --gradio-python /tmp/gradio-venv/bin/python   # and real Gradio

Every server runs as a subprocess of its own, so the load generator (asyncio with a small
hand-written HTTP/1.1 client over keep-alive connections) never shares its time slice.
Only 127.0.0.1 is used; every phase has a bounded number of requests and a time limit.

Phases:

1. throughput and latency: ``POST {prefix}/call/echo`` → ``event_id``, then
   ``GET {prefix}/call/echo/{event_id}`` read until ``event: complete``, by 1, 16 and 64
   concurrent clients, after a warm-up; against gradio-mock and, when a Python with
   ``gradio`` is at hand, against a real Gradio app with the same function in the same run.
2. memory: RSS of a fresh server before and after 2,000 calls whose results are 10 KB
   strings (all of them then sit in the result cache, 2,000 by default).
3. idle streams: CPU used by the server while 1,000 GET streams wait on one blocked job,
   with the default heartbeat (15 s) and with ``--heartbeat 1``.

It prints figures and the pass/fail of two bars: at concurrency 16 at least 20 times real
Gradio's round trips per second, and a median round trip under 3 ms at concurrency 1.
Real Gradio is never a dependency of this project: install it in a scratch venv::

    python3 -m venv /tmp/gradio-venv && /tmp/gradio-venv/bin/pip install gradio
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import os
import pstats
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH_APP = HERE / "bench_app.py"
FLOOR_APP = HERE / "floor_app.py"
GRADIO_APP = HERE / "gradio_app.py"
HOST = "127.0.0.1"
ECHO_TEXT = "Hello, my friend."
BLOB_SIZE = 10_000  # must match bench_app.BLOB_SIZE
BLOB_BYTES = sys.getsizeof("." * BLOB_SIZE)  # what one such str takes in CPython
CLK_TCK = os.sysconf("SC_CLK_TCK")
BANNER = re.compile(r"Running on (?:local URL:\s*)?http://127\.0\.0\.1:(\d+)")
BAR_RATIO = 20.0
BAR_P50_MS = 3.0


# -- a small HTTP/1.1 client -----------------------------------------------------------


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened when the server closes it."""

    __slots__ = ("_host_line", "port", "reader", "writer")

    def __init__(self, port: int) -> None:
        self.port = port
        self._host_line = f"Host: {HOST}:{port}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes | None = None
    ) -> tuple[int, dict[str, str]]:
        """Send a request and read the response's head: (status, lower-cased headers)."""
        if self.writer is None or self.writer.is_closing():
            await self.open()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\n{self._host_line}"
        if body is None:
            self.writer.write(f"{head}\r\n".encode())
        else:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            self.writer.write(head.encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        return int(parts[1]), headers

    async def chunks(self, headers: dict[str, str]) -> AsyncIterator[bytes]:
        """The body, piece by piece as it arrives (chunked, sized, or up to the close)."""
        assert self.reader is not None
        reader = self.reader
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size = int((await reader.readline()).split(b";", 1)[0], 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                data = await reader.readexactly(size + 2)
                yield data[:-2]
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if length:
                yield await reader.readexactly(length)
        else:
            while data := await reader.read(65536):
                yield data
            self.close()
            return
        if headers.get("connection", "").lower() == "close":
            self.close()

    async def read_body(self, headers: dict[str, str]) -> bytes:
        return b"".join([chunk async for chunk in self.chunks(headers)])

    async def get_json(self, path: str) -> Any:
        status, headers = await self.request("GET", path)
        body = await self.read_body(headers)
        if status != 200:
            raise HttpError(f"GET {path}: {status} {body[:200]!r}")
        return json.loads(body)

    async def start_call(self, prefix: str, api_name: str, data: list[Any]) -> str:
        body = json.dumps({"data": data}).encode()
        status, headers = await self.request("POST", f"{prefix}/call/{api_name}", body)
        answer = await self.read_body(headers)
        if status != 200:
            raise HttpError(f"POST /call/{api_name}: {status} {answer[:200]!r}")
        event_id: str = json.loads(answer)["event_id"]
        return event_id

    async def read_result(self, prefix: str, api_name: str, event_id: str) -> tuple[str, bytes]:
        """Read the call's stream to its end: (``complete`` or ``error``, the last data)."""
        status, headers = await self.request("GET", f"{prefix}/call/{api_name}/{event_id}")
        body = await self.read_body(headers)
        if status != 200:
            raise HttpError(f"GET /call/{api_name}/{event_id}: {status} {body[:200]!r}")
        return ending_of(body)


def ending_of(body: bytes) -> tuple[str, bytes]:
    """The final ``complete`` or ``error`` event of an SSE body, and its data."""
    for kind in (b"complete", b"error"):
        start = body.rfind(b"event: " + kind)
        if start >= 0:
            _, _, rest = body[start:].partition(b"data: ")
            return kind.decode(), rest.split(b"\n", 1)[0]
    raise HttpError(f"the stream ended without complete or error: {body[-200:]!r}")


async def open_connections(port: int, count: int) -> list[Connection]:
    connections = [Connection(port) for _ in range(count)]
    gate = asyncio.Semaphore(64)

    async def open_one(connection: Connection) -> None:
        async with gate:
            await connection.open()

    await asyncio.gather(*(open_one(c) for c in connections))
    return connections


# -- server subprocesses ---------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads): from its CPU clock,
    to the nanosecond (Linux numbers another process's clock from its pid, as
    ``clock_getcpuclockid`` would), else from /proc, in ticks of 10 ms (2% of a level of
    4,000 round trips at 130 µs). ``OSError`` if there is no such process."""
    with contextlib.suppress(OSError):
        return time.clock_gettime((~pid << 3) | 2)  # (2: CPUCLOCK_SCHED)
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class ServerProcess:
    """A server in a subprocess; its output is drained (and kept) by a thread."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: str | Path = ROOT,
    ):
        self.name = name
        self.argv = list(argv)
        self.lines: list[str] = []
        self.port: int | None = None
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            self.argv,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if len(self.lines) < 500:
                self.lines.append(line.rstrip("\n"))
            match = BANNER.search(line)
            if match and self.port is None:
                self.port = int(match.group(1))
                self._ready.set()
        self._ready.set()  # it exited: stop waiting

    def wait_ready(self, timeout: float) -> int:
        if not self._ready.wait(timeout) or self.port is None:
            output = "\n    ".join(self.lines[-20:]) or "(no output)"
            self.stop()
            raise RuntimeError(f"{self.name} did not start within {timeout:.0f} s:\n    {output}")
        return self.port

    def cpu_seconds(self) -> float:
        return process_cpu(self.pid)

    def rss_bytes(self, key: str = "VmRSS") -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {key} in /proc/{self.pid}/status")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._thread.join(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


#: ``taskset -c N`` before each server's command line when ``--pin-server N`` is given.
PIN: list[str] = []


def start_mock(
    extra: Sequence[str] = (), timeout: float = 60.0, profile: str | None = None
) -> ServerProcess:
    argv = [*PIN, sys.executable]
    if profile:
        argv += ["-m", "cProfile", "-o", profile]
    argv += ["-m", "server", str(BENCH_APP), "--port", "0", "--no-access-log", *extra]
    server = ServerProcess("gradio-mock", argv)
    server.wait_ready(timeout)
    return server


def start_floor(timeout: float = 60.0) -> ServerProcess:
    server = ServerProcess("floor", [*PIN, sys.executable, str(FLOOR_APP)])
    server.wait_ready(timeout)
    return server


def start_gradio(python: str, timeout: float = 180.0) -> ServerProcess:
    port = free_port()
    env = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    server = ServerProcess("Gradio", [*PIN, python, str(GRADIO_APP), str(port)], env)
    server.wait_ready(timeout)
    return server


def gradio_version(python: str) -> str | None:
    """gradio's version under ``python``, or None when it cannot import gradio."""
    try:
        result = subprocess.run(
            [python, "-c", "import gradio; print(gradio.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.strip().splitlines()
    return lines[-1] if result.returncode == 0 and lines else None


async def describe(port: int) -> tuple[str, str]:
    """(API prefix, version) from ``/config``: ``/gradio_api`` on Gradio 5+, root on 4.x."""
    connection = Connection(port)
    try:
        config = await connection.get_json("/config")
    finally:
        connection.close()
    return str(config.get("api_prefix") or ""), str(config.get("version", "?"))


# -- phase 1: throughput and latency -----------------------------------------------------


@dataclass
class LevelResult:
    concurrency: int
    done: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_per_rt(self) -> float:
        """Seconds of server CPU per round trip."""
        return self.server_cpu / self.done if self.done else math.nan

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


async def run_level(
    server: ServerProcess,
    prefix: str,
    concurrency: int,
    requests: int,
    max_seconds: float,
    endpoint: str = "echo",
) -> LevelResult:
    """``requests`` round trips by ``concurrency`` clients (fewer if time runs out)."""
    assert server.port is not None
    result = LevelResult(concurrency)
    connections = await open_connections(server.port, concurrency)
    payload = json.dumps({"data": [ECHO_TEXT]}).encode()
    post_path = f"{prefix}/call/{endpoint}"
    get_path = f"{prefix}/call/{endpoint}/"
    started = 0
    perf_counter = time.perf_counter

    async def client(connection: Connection, deadline: float) -> None:
        nonlocal started
        while started < requests and perf_counter() < deadline:
            started += 1
            begin = perf_counter()
            try:
                status, headers = await connection.request("POST", post_path, payload)
                body = await connection.read_body(headers)
                if status != 200:
                    raise HttpError(f"POST {post_path}: {status} {body[:200]!r}")
                event_id = json.loads(body)["event_id"]
                status, headers = await connection.request("GET", get_path + event_id)
                body = await connection.read_body(headers)
                if status != 200:
                    raise HttpError(f"GET {get_path}{event_id}: {status} {body[:200]!r}")
                kind, data = ending_of(body)
                if kind != "complete" or json.loads(data) != [ECHO_TEXT]:
                    raise HttpError(f"{kind}: {data[:200]!r}")
            except (OSError, HttpError, ValueError, KeyError, asyncio.IncompleteReadError) as e:
                result.errors += 1
                result.first_error = result.first_error or f"{type(e).__name__}: {e}"
                connection.close()
                continue
            result.latencies.append(perf_counter() - begin)

    cpu_before = server.cpu_seconds()
    client_before = time.process_time()
    begin = time.perf_counter()
    deadline = begin + max_seconds
    try:
        await asyncio.wait_for(
            asyncio.gather(*(client(c, deadline) for c in connections)), max_seconds + 60
        )
    except asyncio.TimeoutError:
        result.errors += concurrency
        result.first_error = f"round trips still unanswered {max_seconds + 60:g} s in"
    finally:
        result.elapsed = time.perf_counter() - begin
        result.server_cpu = server.cpu_seconds() - cpu_before
        result.client_cpu = time.process_time() - client_before
        for connection in connections:
            connection.close()
    result.done = len(result.latencies)
    return result


LEVEL_HEADER = (
    f"  {'clients':>7} {'round trips':>11} {'rt/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'errors':>6} {'server CPU/rt':>13} {'server CPU':>10} {'client CPU':>10}"
)


def level_line(r: LevelResult) -> str:
    per_rt = r.cpu_per_rt * 1e6
    return (
        f"  {r.concurrency:>7} {r.done:>11} {r.rate:>9.1f} {r.percentile(0.5):>8.2f} "
        f"{r.percentile(0.99):>8.2f} {r.errors:>6} {per_rt:>10.0f} µs "
        f"{r.server_cpu / r.elapsed * 100:>9.0f}% {r.client_cpu / r.elapsed * 100:>9.0f}%"
    )


async def measure_server(
    server: ServerProcess, name: str, args: argparse.Namespace
) -> list[LevelResult]:
    assert server.port is not None
    prefix, version = await describe(server.port)
    endpoint = "aecho" if args.function == "async" else "echo"
    print(
        f"\n{name} {version}: pid {server.pid}, http://{HOST}:{server.port}{prefix}/call/{endpoint}"
    )
    warm = await run_level(server, prefix, 16, args.warmup, args.max_seconds, endpoint)
    print(f"  warm-up: {warm.done} round trips, {warm.errors} errors")
    print(LEVEL_HEADER)
    results = []
    for level in args.levels:
        result = await run_level(server, prefix, level, args.requests, args.max_seconds, endpoint)
        print(level_line(result), flush=True)
        if result.first_error:
            print(f"    first error: {result.first_error}")
        results.append(result)
    return results


# -- phase 2: memory held by cached results ----------------------------------------------


@dataclass
class MemoryResult:
    calls: int
    before: int
    after: int
    peak: int
    first_still_cached: bool

    @property
    def held(self) -> int:
        return self.after - self.before

    @property
    def per_result(self) -> float:
        return self.held / self.calls


async def measure_memory(args: argparse.Namespace) -> MemoryResult:
    calls = args.cache_results
    server = start_mock(["--cache-size", str(max(calls, 1))])
    try:
        assert server.port is not None
        prefix, _ = await describe(server.port)
        # Warm the code paths on a few small results (they leave the cache as blobs come).
        await run_level(server, prefix, 4, 20, 30)
        before = server.rss_bytes()
        connections = await open_connections(server.port, 16)
        ids: list[str] = []
        counter = iter(range(calls))

        async def client(connection: Connection) -> None:
            for n in counter:
                event_id = await connection.start_call(prefix, "blob", [f"{n:08d}"])
                kind, data = await connection.read_result(prefix, "blob", event_id)
                if kind != "complete" or len(data) < BLOB_SIZE:
                    raise HttpError(f"/blob {n}: {kind} {data[:200]!r}")
                ids.append(event_id)

        await asyncio.wait_for(asyncio.gather(*(client(c) for c in connections)), 120)
        after = server.rss_bytes()
        # The first result must still be there: the cache holds every one of them.
        kind, data = await connections[0].read_result(prefix, "blob", ids[0])
        for connection in connections:
            connection.close()
        first_ok = kind == "complete" and len(data) >= BLOB_SIZE
        return MemoryResult(calls, before, after, server.rss_bytes("VmHWM"), first_ok)
    finally:
        server.stop()


# -- phase 3: CPU of idle streams ----------------------------------------------------------


@dataclass
class IdleResult:
    heartbeat: float
    streams: int
    window: float
    cpu: float
    heartbeats: int
    open_seconds: float
    open_cpu: float
    completed: int

    @property
    def percent(self) -> float:
        return self.cpu / self.window * 100


async def measure_idle(heartbeat: float | None, args: argparse.Namespace) -> IdleResult:
    extra = ["--heartbeat", f"{heartbeat:g}"] if heartbeat is not None else []
    # The streams and the control connection, within the server's connection cap.
    extra += ["--max-connections", str(args.streams + 16)]
    server = start_mock(extra)
    streams: list[Connection] = []
    readers: list[asyncio.Task[None]] = []
    counts = {"heartbeats": 0, "completed": 0}
    try:
        assert server.port is not None
        prefix, _ = await describe(server.port)
        control = Connection(server.port)
        event_id = await control.start_call(prefix, "hold", ["gate"])
        path = f"{prefix}/call/hold/{event_id}"

        async def follow(connection: Connection, headers: dict[str, str]) -> None:
            async for chunk in connection.chunks(headers):
                counts["heartbeats"] += chunk.count(b"event: heartbeat")
                if b"event: complete" in chunk:
                    counts["completed"] += 1
            connection.close()

        gate = asyncio.Semaphore(64)

        async def open_stream() -> None:
            connection = Connection(server.port or 0)
            streams.append(connection)
            async with gate:
                status, headers = await connection.request("GET", path)
            if status != 200:
                raise HttpError(f"GET {path}: {status}")
            readers.append(asyncio.create_task(follow(connection, headers)))

        cpu_start = server.cpu_seconds()
        begin = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(open_stream() for _ in range(args.streams))), 120)
        open_seconds = time.perf_counter() - begin
        open_cpu = server.cpu_seconds() - cpu_start

        beats_before = counts["heartbeats"]
        cpu_before = server.cpu_seconds()
        await asyncio.sleep(args.idle_window)
        cpu = server.cpu_seconds() - cpu_before
        beats = counts["heartbeats"] - beats_before

        control.close()  # idle all this time: the server may have closed it
        control = Connection(server.port)
        release_id = await control.start_call(prefix, "release", ["gate"])
        await control.read_result(prefix, "release", release_id)
        control.close()
        await asyncio.wait_for(asyncio.gather(*readers, return_exceptions=True), 60)
        return IdleResult(
            heartbeat or 15.0,
            len(readers),
            args.idle_window,
            cpu,
            beats,
            open_seconds,
            open_cpu,
            counts["completed"],
        )
    finally:
        for task in readers:
            task.cancel()
        for connection in streams:
            connection.close()
        server.stop()


def raise_fd_limit(needed: int) -> int:
    """Raise the soft limit on open files to ``needed`` if the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return int(soft)


# -- the run ---------------------------------------------------------------------------


def parse_levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, not {text!r}"
        ) from None
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("each level must be at least 1")
    return levels


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench.py",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Phases: throughput/latency (POST /call/echo then GET its stream), memory of "
        "cached 10 KB results, CPU of idle streams. Bars: at concurrency 16 at least "
        f"{BAR_RATIO:g}x real Gradio's round trips per second; p50 under {BAR_P50_MS:g} ms "
        "at concurrency 1. Real Gradio, if wanted, lives in a scratch venv: python3 -m venv "
        "/tmp/gradio-venv && /tmp/gradio-venv/bin/pip install gradio",
    )
    parser.add_argument(
        "--requests",
        type=positive_int,
        default=2000,
        metavar="N",
        help="round trips per concurrency level (default %(default)s)",
    )
    parser.add_argument(
        "--levels",
        type=parse_levels,
        default=[1, 16, 64],
        metavar="C1,C2,...",
        help="concurrency levels: clients sending round trips at once (default 1,16,64)",
    )
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=1,
        metavar="N",
        help="load gradio-mock, gradio-mock without the journal and the floor N times at "
        "each level, the three one right after the other in each round (each round starting "
        "with the next), and report each level's median round (by CPU per round trip): on "
        "a shared machine a single round can catch a busy moment (default 1)",
    )
    parser.add_argument(
        "--journal-rounds",
        type=int,
        default=8,
        metavar="N",
        help="after the rounds, load gradio-mock and gradio-mock without the journal at the "
        "same time (both on the one CPU of --pin-server, if given), N times at each level, "
        "and report the journal's cost as the median of the N ratios of their CPU per round "
        "trip, with a 95%% confidence interval of that median: loaded together, the two "
        "meet the same moments of a shared machine, which rounds one after the other do "
        "not; 0 leaves them out "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--journal-pairs",
        type=int,
        default=200,
        metavar="N",
        help="and then load the two N times each at each level alone, in short bursts "
        "(--journal-burst round trips) one right after the other, which goes first "
        "alternating, and report the median of the N ratios and its 95%% confidence "
        "interval: the journal's cost when a server has the CPU to itself, which loading "
        "together cannot show. A pair's ratio scatters by about 7%% on a shared machine, "
        "so the median of 40 pairs is good to about 2.5%%, of 200 to about 1%%; 0 leaves "
        "them out (default %(default)s)",
    )
    parser.add_argument(
        "--journal-launches",
        type=positive_int,
        default=4,
        metavar="K",
        help="spread the --journal-pairs over K pairs of server processes, each pair but the "
        "first started afresh and warmed up (6,000 round trips: the cache and the journal "
        "full): each process has a cost of its own (its memory's layout), shared by every "
        "pair it serves, which one pair of processes would leave out of the interval "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--journal-burst",
        type=positive_int,
        default=1000,
        metavar="N",
        help="round trips in each burst of --journal-pairs (default %(default)s)",
    )
    parser.add_argument(
        "--max-seconds",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="stop a level after S seconds even if N round trips are not done: slow "
        "servers are measured on fewer (default %(default)s)",
    )
    parser.add_argument(
        "--warmup",
        type=positive_int,
        default=200,
        metavar="N",
        help="round trips (16 clients) before measuring each server (default %(default)s)",
    )
    parser.add_argument(
        "--gradio-python",
        default=os.environ.get("GRADIO_PYTHON"),
        metavar="PATH",
        help="a Python that can import gradio, to compare with real Gradio in the same run "
        "(env GRADIO_PYTHON; default: this Python if it has gradio, else no comparison)",
    )
    parser.add_argument("--no-gradio", action="store_true", help="do not compare with real Gradio")
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="do not measure the floor (benchmarks/floor_app.py: a bare Starlette app on the "
        "same uvicorn stack, answering the POST from a dict and the GET with one frame)",
    )
    parser.add_argument(
        "--pin-server",
        type=int,
        metavar="CPU",
        help="run each server on that one CPU (taskset -c CPU) and the load generator on the "
        "others, so CPU per round trip is measured without the two competing for a core",
    )
    parser.add_argument(
        "--function",
        choices=["sync", "async"],
        default="sync",
        help="the echo function on both servers: a plain def, run in a thread pool, or an "
        "async def, run on the event loop (default %(default)s)",
    )
    parser.add_argument(
        "--cache-results",
        type=positive_int,
        default=2000,
        metavar="N",
        help="results of 10 KB to hold in the cache for the memory figure (default %(default)s)",
    )
    parser.add_argument(
        "--streams",
        type=positive_int,
        default=1000,
        metavar="N",
        help="idle streams to hold open for the CPU figure (default %(default)s)",
    )
    parser.add_argument(
        "--idle-window",
        type=positive_float,
        default=15.0,
        metavar="S",
        help="seconds over which idle-stream CPU is measured; the default, one heartbeat "
        "interval, lets each stream get its one default heartbeat (default %(default)s)",
    )
    parser.add_argument(
        "--skip",
        default="",
        metavar="PHASES",
        help="phases to leave out, comma-separated: throughput, memory, idle",
    )
    parser.add_argument(
        "--profile-server",
        metavar="FILE",
        help="run gradio-mock under cProfile during the throughput phase, save the stats to "
        "FILE and print where its time went (the figures are then slower than real)",
    )
    parser.add_argument(
        "--no-uvloop",
        action="store_true",
        help="run the load generator on asyncio's own loop rather than uvloop",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a bar is missed (default: always 0 once measured)",
    )
    return parser


def find_gradio(args: argparse.Namespace) -> tuple[str | None, str]:
    """(a Python with gradio, why not) for the comparison."""
    if args.no_gradio:
        return None, "--no-gradio"
    python = args.gradio_python
    if python is None:
        if importlib.util.find_spec("gradio") is None:
            return None, "no gradio here; pass --gradio-python PATH"
        python = sys.executable
    return python, ""


def print_profile(path: str) -> None:
    print(f"\ncProfile of the gradio-mock server during the throughput phase ({path}):")
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(25)


@dataclass
class Report:
    mock: list[LevelResult] = field(default_factory=list)
    no_journal: list[LevelResult] = field(default_factory=list)
    floor: list[LevelResult] = field(default_factory=list)
    gradio: list[LevelResult] = field(default_factory=list)
    gradio_name: str = ""
    gradio_note: str = ""
    memory: MemoryResult | None = None
    idle: list[IdleResult] = field(default_factory=list)
    #: Per level: the median over rounds of gradio-mock's CPU per round trip over the floor's
    #: and over the journal-off server's, each taken within one round (``paired_ratio``).
    paired_floor: dict[int, float] = field(default_factory=dict)
    paired_journal: dict[int, float] = field(default_factory=dict)
    #: Per level: gradio-mock's CPU per round trip over the journal-off server's, loaded
    #: together, in each of ``--journal-rounds`` (``journal_together``).
    journal_together: dict[int, list[float]] = field(default_factory=dict)
    #: Per level: the same ratio in each of ``--journal-pairs`` pairs of bursts, each
    #: server alone (``journal_pairs``).
    journal_alone: dict[int, list[float]] = field(default_factory=dict)


def git_note() -> str:
    """``at 1a2b3c4`` (``+ changes`` when the work tree differs), or nothing outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "server"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return ""
    if head.returncode != 0:
        return ""
    changes = " + changes to server/" if dirty.stdout.strip() else ""
    return f" at {head.stdout.strip()}{changes}"


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


async def main_async(args: argparse.Namespace) -> int:
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    unknown = skip - {"throughput", "memory", "idle"}
    if unknown:
        print(f"bench: unknown phase(s) in --skip: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    loop_name = type(asyncio.get_running_loop()).__module__.split(".")[0]
    print(
        f"gradio-mock benchmark{git_note()}: Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load generator on {loop_name}; {load_note()}"
    )
    if os.getloadavg()[0] > (os.cpu_count() or 1) / 2:
        print("(other work is running on this machine: expect noisy figures)")
    report = Report()
    if "throughput" not in skip:
        await throughput_phase(args, report)
    if "memory" not in skip:
        await memory_phase(args, report)
    if "idle" not in skip:
        await idle_phase(args, report)
    failed = print_summary(report)
    print(f"\n(total {time.perf_counter() - started:.0f} s; {load_note()})")
    return 1 if failed and args.check else 0


def median_round(results: list[LevelResult]) -> LevelResult:
    """The round whose CPU per round trip is the median of all rounds' at one level."""
    return sorted(results, key=lambda r: r.cpu_per_rt)[len(results) // 2]


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """A ``confidence`` interval of the median of the distribution ``values`` were drawn from,
    from their order statistics alone (the sign test's: no assumption about the shape of the
    distribution, which on a shared machine has long tails): the narrowest ``[x(j), x(n+1-j)]``
    whose chance of holding the median is at least ``confidence``. The whole range when there
    are too few values for that (fewer than 6 at 95%)."""
    ordered = sorted(values)
    n = len(ordered)
    # P(x(j) <= median <= x(n+1-j)) = 1 - 2 P(Binomial(n, 1/2) < j)
    below, j = 0.0, 0
    while j + 1 <= n // 2:
        below_next = below + math.comb(n, j) / 2**n  # P(B < j + 1)
        if 1 - 2 * below_next < confidence:
            break
        below, j = below_next, j + 1
    if j == 0:
        return ordered[0], ordered[-1]
    return ordered[j - 1], ordered[n - j]


def paired_ratio(tops: list[LevelResult], bottoms: list[LevelResult]) -> float:
    """The median, over rounds, of one server's CPU per round trip over another's in the same
    round: loaded one right after the other, the two meet the same moment of the machine,
    which a ratio of medians taken from different rounds does not ensure."""
    ratios = [ratio(t.cpu_per_rt, b.cpu_per_rt) for t, b in zip(tops, bottoms)]
    return statistics.median(ratios) if ratios else math.nan


async def journal_together(
    mock: ServerProcess, off: ServerProcess, level: int, args: argparse.Namespace
) -> list[float]:
    """``args.journal_rounds`` ratios of gradio-mock's CPU per round trip over the
    journal-off server's, the two loaded at the same time by ``level`` clients each
    (``args.requests`` round trips each a round)."""
    endpoint = "aecho" if args.function == "async" else "echo"
    assert mock.port is not None and off.port is not None
    servers = [(mock, (await describe(mock.port))[0]), (off, (await describe(off.port))[0])]
    ratios = []
    for _ in range(args.journal_rounds):
        on, without = await asyncio.gather(
            *(
                run_level(server, prefix, level, args.requests, args.max_seconds, endpoint)
                for server, prefix in servers
            )
        )
        ratios.append(ratio(on.cpu_per_rt, without.cpu_per_rt))
    return ratios


async def journal_pairs(
    mock: ServerProcess, off: ServerProcess, level: int, args: argparse.Namespace, pairs: int
) -> list[float]:
    """``pairs`` ratios of gradio-mock's CPU per round trip over the journal-off server's,
    each from a burst of ``args.journal_burst`` round trips on each, one right after the
    other (which goes first alternates)."""
    endpoint = "aecho" if args.function == "async" else "echo"
    assert mock.port is not None and off.port is not None
    prefixes = {mock: (await describe(mock.port))[0], off: (await describe(off.port))[0]}
    ratios = []
    for number in range(pairs):
        cpu = {}
        for server in (mock, off) if number % 2 == 0 else (off, mock):
            result = await run_level(
                server, prefixes[server], level, args.journal_burst, args.max_seconds, endpoint
            )
            cpu[server] = result.cpu_per_rt
        ratios.append(ratio(cpu[mock], cpu[off]))
    return ratios


async def journal_alone(
    mock: ServerProcess, off: ServerProcess, args: argparse.Namespace
) -> dict[int, list[float]]:
    """``args.journal_pairs`` ratios a level (``journal_pairs``), spread over
    ``args.journal_launches`` pairs of processes: these two first, then fresh ones."""
    endpoint = "aecho" if args.function == "async" else "echo"
    ratios: dict[int, list[float]] = {level: [] for level in args.levels}
    launches = min(args.journal_launches, args.journal_pairs)
    for launch in range(launches):
        fresh = launch > 0
        if fresh:
            mock, off = start_mock(), start_mock(["--journal-size", "0"])
        try:
            if fresh:
                for server in (mock, off):
                    assert server.port is not None
                    prefix = (await describe(server.port))[0]
                    await run_level(server, prefix, 16, 6000, args.max_seconds * 6, endpoint)
            # (the pairs shared out: the first launches take one more when they do not divide)
            pairs = args.journal_pairs // launches + (launch < args.journal_pairs % launches)
            for level in args.levels:
                ratios[level] += await journal_pairs(mock, off, level, args, pairs)
        finally:
            if fresh:
                mock.stop()
                off.stop()
    return ratios


async def interleaved(
    servers: dict[str, tuple[str, ServerProcess]], args: argparse.Namespace
) -> dict[int, dict[str, list[LevelResult]]]:
    """Each level ``args.rounds`` times, each round loading every server in turn (starting
    with the next one each round); every round of each level, by server."""
    prefixes: dict[str, str] = {}
    endpoint = "aecho" if args.function == "async" else "echo"
    for key, (name, server) in servers.items():
        assert server.port is not None
        prefix, version = await describe(server.port)
        prefixes[key] = prefix
        print(f"\n{name} {version}: pid {server.pid}, http://{HOST}:{server.port}{prefix}")
        warm = await run_level(server, prefix, 16, args.warmup, args.max_seconds, endpoint)
        print(f"  warm-up: {warm.done} round trips, {warm.errors} errors")
    every: dict[int, dict[str, list[LevelResult]]] = {}
    width = max(len(name) for name, _ in servers.values())
    for level in args.levels:
        print(f"\n{' ' * (width + 2)}{LEVEL_HEADER.strip()}  (round)")
        results: dict[str, list[LevelResult]] = {key: [] for key in servers}
        every[level] = results
        for number in range(args.rounds):
            # Each round starts with the next server: a server's place in the round weighs
            # on its figure (measured: 5% between two identical servers in fixed places).
            order = list(servers.items())
            turn = number % len(order)
            for key, (name, server) in order[turn:] + order[:turn]:
                result = await run_level(
                    server, prefixes[key], level, args.requests, args.max_seconds, endpoint
                )
                print(f"  {name:<{width}}{level_line(result)}  ({number + 1})", flush=True)
                if result.first_error:
                    print(f"    first error: {result.first_error}")
                results[key].append(result)
    return every


async def throughput_phase(args: argparse.Namespace, report: Report) -> None:
    print("\n== Throughput and latency: POST /call/echo, then GET until event: complete ==")
    print(f"   up to {args.requests} round trips or {args.max_seconds:g} s per level and round")
    # All three run at once (idle but for the one being loaded), and each round loads them
    # one right after the other at one level: what else the machine does at that moment
    # weighs on the three alike, and the ratios between them are what is reported.
    servers: dict[str, tuple[str, ServerProcess]] = {}
    try:
        servers["mock"] = (
            "gradio-mock",
            start_mock(profile=args.profile_server),
        )
        servers["no_journal"] = ("journal off", start_mock(["--journal-size", "0"]))
        if not args.no_floor:
            servers["floor"] = ("floor", start_floor())
        every = await interleaved(servers, args)
        # The journal's cost, measured twice more: the two loaded together, and each alone.
        mock, off = servers["mock"][1], servers["no_journal"][1]
        heading = "\nthe journal's cost, {}: gradio-mock's CPU/rt over the journal-off's"
        if args.journal_rounds > 0:
            print(heading.format(f"{args.journal_rounds} rounds of both loaded together"))
            for level in args.levels:
                ratios = await journal_together(mock, off, level, args)
                report.journal_together[level] = ratios
                print(f"  {level:>3} clients: " + " ".join(f"{r:.3f}" for r in ratios))
        if args.journal_pairs > 0:
            launches = min(args.journal_launches, args.journal_pairs)
            how = (
                f"{args.journal_pairs} pairs of bursts of {args.journal_burst} round trips, "
                f"each server alone, over {launches} pairs of processes"
            )
            print(heading.format(how))
            report.journal_alone.update(await journal_alone(mock, off, args))
            for level, ratios in report.journal_alone.items():
                print(f"  {level:>3} clients: " + " ".join(f"{r:.3f}" for r in ratios))
    finally:
        for _, server in servers.values():
            server.stop()
    if args.profile_server:
        print_profile(args.profile_server)
    for level, results in every.items():  # each level's median round, and paired ratios
        report.mock.append(median_round(results["mock"]))
        report.no_journal.append(median_round(results["no_journal"]))
        report.paired_journal[level] = paired_ratio(results["mock"], results["no_journal"])
        if "floor" in results:
            report.floor.append(median_round(results["floor"]))
            report.paired_floor[level] = paired_ratio(results["mock"], results["floor"])
    if args.rounds > 1:
        print(f"\n(the summary shows each level's median of {args.rounds} rounds, by CPU/rt)")

    python, report.gradio_note = find_gradio(args)
    version = gradio_version(python) if python else None
    if python and version is None:
        report.gradio_note = f"{python} cannot import gradio"
    if python is None or version is None:
        print(f"\n(no comparison with real Gradio: {report.gradio_note})")
        return
    report.gradio_name = f"Gradio {version}"
    print(f"\n(starting real Gradio with {python}: it takes a few seconds)")
    try:
        gradio = start_gradio(python)
    except RuntimeError as error:
        report.gradio_note = str(error).splitlines()[0]
        print(f"  {error}")
        return
    try:
        report.gradio = await measure_server(gradio, "Gradio", args)
    finally:
        gradio.stop()


async def memory_phase(args: argparse.Namespace, report: Report) -> None:
    print(f"\n== Memory: {args.cache_results} cached results of {BLOB_SIZE:,} bytes ==")
    memory = report.memory = await measure_memory(args)
    print(
        f"  RSS {memory.before / 2**20:.1f} MB before, {memory.after / 2**20:.1f} MB after "
        f"(peak {memory.peak / 2**20:.1f} MB): {memory.held / 2**20:.1f} MB for "
        f"{memory.calls} results, {memory.per_result:,.0f} bytes per result "
        f"({memory.per_result - BLOB_BYTES:,.0f} beyond the {BLOB_BYTES:,}-byte str itself)"
    )
    print(f"  the first result is still readable at the end: {memory.first_still_cached}")


async def idle_phase(args: argparse.Namespace, report: Report) -> None:
    limit = raise_fd_limit(args.streams + 256)
    if limit < args.streams + 64:
        args.streams = max(1, limit - 64)
        print(f"\n(open-files limit {limit}: holding {args.streams} streams only)")
    print(
        f"\n== Idle streams: {args.streams} GET streams on one blocked job, "
        f"server CPU over {args.idle_window:g} s =="
    )
    for heartbeat in (None, 1.0):
        result = await measure_idle(heartbeat, args)
        report.idle.append(result)
        per_beat = result.cpu / result.heartbeats * 1e6 if result.heartbeats else math.nan
        print(
            f"  heartbeat {result.heartbeat:>4g} s: {result.percent:5.2f}% of one core "
            f"({result.cpu * 1000:.0f} ms CPU in {result.window:g} s; {result.heartbeats} "
            f"heartbeats received, {per_beat:.0f} µs of CPU each)"
        )
        print(
            f"    opening the streams took {result.open_seconds:.2f} s and "
            f"{result.open_cpu * 1000:.0f} ms of server CPU; {result.completed}/"
            f"{result.streams} streams got the result once released"
        )


def print_summary(report: Report) -> bool:
    """Print the table and the bars; True if a bar was missed."""
    print("\n== Summary ==")
    mock, gradio = report.mock, report.gradio
    by_level = {r.concurrency: r for r in gradio}
    if mock:
        name = report.gradio_name
        head = (
            f"  {'clients':>7} | {'gradio-mock rt/s':>16} {'p50 ms':>7} {'p99 ms':>7} {'CPU/rt':>8}"
        )
        if gradio:
            head += f" | {name + ' rt/s':>18} {'p50 ms':>7} {'p99 ms':>7} {'CPU/rt':>8}"
            head += f" | {'rt/s ratio':>10} {'CPU ratio':>9}"
        print(head)
        for r in mock:
            line = (
                f"  {r.concurrency:>7} | {r.rate:>16.1f} {r.percentile(0.5):>7.2f} "
                f"{r.percentile(0.99):>7.2f} {r.cpu_per_rt * 1e6:>5.0f} µs"
            )
            g = by_level.get(r.concurrency)
            if g is not None:
                line += (
                    f" | {g.rate:>18.1f} {g.percentile(0.5):>7.2f} {g.percentile(0.99):>7.2f} "
                    f"{g.cpu_per_rt * 1e6:>5.0f} µs | {ratio(r.rate, g.rate):>9.1f}x "
                    f"{ratio(g.cpu_per_rt, r.cpu_per_rt):>8.1f}x"
                )
            print(line)
        if gradio:
            print(
                "  (rt/s ratio: gradio-mock's round trips per second over Gradio's; CPU ratio: "
                "Gradio's server CPU per round trip over gradio-mock's)"
            )
    off = {r.concurrency: r for r in report.no_journal}
    if mock and off:
        print(
            f"\n  {'clients':>7} | {'journal off rt/s':>16} {'CPU/rt':>8} | {'journal cost':>12}"
            f" | {'paired':>8} | {'together':>8} {'95% interval':>17} | {'alone':>8} "
            f"{'95% interval':>17}"
        )
        for r in mock:
            o = off.get(r.concurrency)
            if o is not None:
                cost = (ratio(r.cpu_per_rt, o.cpu_per_rt) - 1) * 100
                paired = (report.paired_journal.get(r.concurrency, math.nan) - 1) * 100
                line = (
                    f"  {r.concurrency:>7} | {o.rate:>16.1f} {o.cpu_per_rt * 1e6:>5.0f} µs | "
                    f"{cost:>+10.1f} % | {paired:>+6.1f} %"
                )
                for measured in (
                    report.journal_together.get(r.concurrency),
                    report.journal_alone.get(r.concurrency),
                ):
                    if measured and len(measured) >= 2:
                        low, high = median_interval(measured)
                        median = (statistics.median(measured) - 1) * 100
                        line += (
                            f" | {median:>+6.1f} % {(low - 1) * 100:>+7.1f} to "
                            f"{(high - 1) * 100:>+5.1f} %"
                        )
                    else:  # (not measured: the column stays empty)
                        line += f" | {'':>27}"
                print(line)
        print(
            "  (journal cost: the ratio of the two servers' median rounds; paired: the median "
            "of the rounds' ratios; together: the median of the ratios of --journal-rounds "
            "rounds that loaded both at once, and a 95% confidence interval of that median; "
            "alone: the same of --journal-pairs pairs of short bursts, each server alone)"
        )
    floor = {r.concurrency: r for r in report.floor}
    if mock and floor:
        print(
            f"\n  {'clients':>7} | {'floor rt/s':>10} {'CPU/rt':>8} | "
            f"{'gradio-mock CPU/rt over floor':>29} {'paired':>7} "
            f"{'floor rt/s over gradio-mock':>27}"
        )
        for r in mock:
            f = floor.get(r.concurrency)
            if f is not None:
                paired = report.paired_floor.get(r.concurrency, math.nan)
                print(
                    f"  {r.concurrency:>7} | {f.rate:>10.1f} {f.cpu_per_rt * 1e6:>5.0f} µs | "
                    f"{ratio(r.cpu_per_rt, f.cpu_per_rt):>28.2f}x {paired:>6.2f}x "
                    f"{ratio(f.rate, r.rate):>26.2f}x"
                )
        print(
            "  (paired: the median over rounds of the ratio within each round, where the two "
            "servers were loaded one right after the other)"
        )
    if report.memory is not None:
        memory = report.memory
        print(
            f"  memory: {memory.held / 2**20:.1f} MB for {memory.calls} cached 10 KB results, "
            f"{memory.per_result:,.0f} bytes each"
        )
    for idle in report.idle:
        print(
            f"  {idle.streams} idle streams, heartbeat {idle.heartbeat:g} s: "
            f"{idle.percent:.2f}% of one core"
        )

    failed = False
    if not mock:
        return failed
    print("\nBars:")
    m16, g16 = next((r for r in mock if r.concurrency == 16), None), by_level.get(16)
    if m16 is None:
        print("  [SKIP] rt/s at concurrency 16: level 16 not in --levels")
    elif g16 is None or not g16.rate:
        why = report.gradio_note or "Gradio gave no result"
        print(f"  [SKIP] rt/s at concurrency 16 vs real Gradio: {why}")
    else:
        times = ratio(m16.rate, g16.rate)
        ok = times >= BAR_RATIO and m16.errors == 0
        failed |= not ok
        print(
            f"  [{'PASS' if ok else 'FAIL'}] concurrency 16: {m16.rate:.0f} rt/s is {times:.1f}x "
            f"{report.gradio_name}'s {g16.rate:.0f} rt/s (bar: at least {BAR_RATIO:g}x)"
        )
    m1 = next((r for r in mock if r.concurrency == 1), None)
    if m1 is None:
        print("  [SKIP] p50 at concurrency 1: level 1 not in --levels")
    else:
        ok = m1.percentile(0.5) < BAR_P50_MS and m1.errors == 0
        failed |= not ok
        print(
            f"  [{'PASS' if ok else 'FAIL'}] concurrency 1: p50 {m1.percentile(0.5):.2f} ms "
            f"(bar: under {BAR_P50_MS:g} ms)"
        )
    errors = sum(r.errors for r in mock)
    if errors:
        print(f"  [FAIL] gradio-mock answered {errors} round trips with errors")
        failed = True
    return failed


def ratio(a: float, b: float) -> float:
    return a / b if b else math.inf


def run(coroutine_factory: Callable[[], Any], use_uvloop: bool) -> int:
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            result: int = uvloop.run(coroutine_factory())
            return result
    result = asyncio.run(coroutine_factory())
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if importlib.util.find_spec("server") is None:
        print("bench: cannot import gradio-mock's `server`; run from its venv", file=sys.stderr)
        return 2
    if args.profile_server:
        args.profile_server = str(Path(args.profile_server).resolve())
    if args.pin_server is not None:
        cpus = os.sched_getaffinity(0)
        if args.pin_server not in cpus:
            print(f"bench: no CPU {args.pin_server} here (CPUs: {sorted(cpus)})", file=sys.stderr)
            return 2
        PIN[:] = ["taskset", "-c", str(args.pin_server)]
        if len(cpus) > 1:
            os.sched_setaffinity(0, cpus - {args.pin_server})
    with contextlib.suppress(KeyboardInterrupt):
        return run(lambda: main_async(args), not args.no_uvloop)
    return 130


if __name__ == "__main__":
    sys.exit(main())
