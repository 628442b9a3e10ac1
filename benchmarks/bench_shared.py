"""The shared store's cost: round trips per second and CPU per round trip for one process in
memory, one process on Redis (``--store``), and ``--workers 2`` on Redis, in one run.

    python benchmarks/bench_shared.py [--levels 1,16,64] [--requests 2000] [--rounds 3]
                                      [--pin-server 0]

It starts its own ``redis-server`` (Debian's package) on a free port, with no persistence.
CPU per round trip is the server's user+sys time (every worker process's, for
``--workers``) over the round trips: steadier than rates on a busy machine. Redis's own
CPU per round trip is shown beside it. The load is the same as ``bench.py``'s: each client
POSTs ``/call/echo`` and GETs its stream until ``event: complete``, on loopback only. The
three configurations run at once (the two on Redis in databases of their own) and each
level loads them one right after the other, ``--rounds`` times, as ``bench.py`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench


class ProcessTree(bench.ServerProcess):
    """A server whose CPU is its own and its children's (the ``--workers``)."""

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in _tree(self.pid):
            with contextlib.suppress(OSError):  # (a worker gone meanwhile)
                total += bench.process_cpu(pid)
        return total


def _tree(pid: int) -> list[int]:
    found = [pid]
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found += _tree(int(child))
        except OSError:
            continue
    return found


class Redis:
    """A ``redis-server`` of its own on a free port; its CPU is read like a server's."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("bench_shared: redis-server is not installed (apt-get install redis-server)")
        self.port = bench.free_port()
        #: Without the database's number: each configuration takes one of its own.
        self.url = f"redis://127.0.0.1:{self.port}/"
        self.folder = tempfile.TemporaryDirectory(prefix="bench-redis-")
        argv = [*bench.PIN, binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--dir", self.folder.name, "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:  # (a benchmark, not a test: waiting for the port is fine here)
            try:
                with __import__("socket").create_connection(("127.0.0.1", self.port), 1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    sys.exit("bench_shared: redis-server did not start")
                time.sleep(0.05)

    def cpu_seconds(self) -> float:
        return bench.process_cpu(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.folder.cleanup()


def start(extra: list[str]) -> bench.ServerProcess:
    argv = [*bench.PIN, sys.executable, "-m", "server", str(bench.BENCH_APP), "--port", "0"]
    server = ProcessTree("gradio-mock", [*argv, "--no-access-log", *extra])
    server.wait_ready(60)
    return server


async def measure(
    configs: dict[str, list[str]], redis: Redis, args: argparse.Namespace
) -> dict[str, list[tuple[bench.LevelResult, float]]]:
    """Every configuration running at once; at each level, ``args.rounds`` rounds loading
    them one right after the other (what else the machine does then weighs on all alike);
    each level's median round (by CPU per round trip), with Redis's CPU per round trip."""
    servers: dict[str, bench.ServerProcess] = {}
    try:
        prefixes = {}
        for name, extra in configs.items():
            server = servers[name] = start(extra)
            prefix, version = await bench.describe(server.port or 0)
            prefixes[name] = prefix
            print(f"\n{name} ({version}): pid {server.pid}")
            await bench.run_level(server, prefix, 16, args.warmup, args.max_seconds)
        width = max(len(name) for name in configs)
        medians: dict[str, list[tuple[bench.LevelResult, float]]] = {name: [] for name in configs}
        for level in args.levels:
            header = bench.LEVEL_HEADER.strip() + f" {'Redis CPU/rt':>13}"
            print(f"\n{' ' * (width + 2)}{header}  (round)")
            rounds: dict[str, list[tuple[bench.LevelResult, float]]] = {n: [] for n in configs}
            for number in range(args.rounds):
                for name, server in servers.items():
                    before = redis.cpu_seconds()
                    result = await bench.run_level(
                        server, prefixes[name], level, args.requests, args.max_seconds
                    )
                    spent = redis.cpu_seconds() - before
                    redis_cpu = spent / result.done if result.done else math.nan
                    line = bench.level_line(result) + f" {redis_cpu * 1e6:>10.0f} µs"
                    print(f"  {name:<{width}}{line}  ({number + 1})", flush=True)
                    if result.first_error:
                        print(f"    first error: {result.first_error}")
                    rounds[name].append((result, redis_cpu))
            for name in configs:
                ordered = sorted(rounds[name], key=lambda pair: pair[0].cpu_per_rt)
                medians[name].append(ordered[len(ordered) // 2])
        return medians
    finally:
        for server in servers.values():
            server.stop()


async def main_async(args: argparse.Namespace) -> None:
    print(f"gradio-mock shared-store benchmark{bench.git_note()}; {bench.load_note()}")
    redis = Redis()
    try:
        # (each shared configuration in a database of its own: two deployments, not one)
        found = await measure(
            {
                "in memory": [],
                "--store": ["--store", redis.url + "0"],
                "--workers 2": ["--store", redis.url + "1", "--workers", "2"],
            },
            redis,
            args,
        )
    finally:
        redis.stop()
    memory, shared, workers = found["in memory"], found["--store"], found["--workers 2"]
    if args.rounds > 1:
        print(f"\n(each level's median of {args.rounds} rounds, by CPU/rt)")
    print("\n== Summary: CPU per round trip (server; Redis beside it), ratio to in memory ==")
    print(f"  {'clients':>7} | {'memory':>18} | {'--store':>26} | {'--store --workers 2':>26}")
    for (m, _), (s, s_redis), (w, w_redis) in zip(memory, shared, workers):
        print(
            f"  {m.concurrency:>7} | {m.rate:>7.0f} rt/s {m.cpu_per_rt * 1e6:>4.0f} µs | "
            f"{s.rate:>7.0f} rt/s {s.cpu_per_rt * 1e6:>4.0f} µs "
            f"({bench.ratio(s.cpu_per_rt, m.cpu_per_rt):.2f}x) +{s_redis * 1e6:.0f} | "
            f"{w.rate:>7.0f} rt/s {w.cpu_per_rt * 1e6:>4.0f} µs "
            f"({bench.ratio(w.cpu_per_rt, m.cpu_per_rt):.2f}x) +{w_redis * 1e6:.0f}"
        )
    print(f"\n({bench.load_note()})")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/bench_shared.py",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--levels", type=bench.parse_levels, default=[1, 16, 64])
    parser.add_argument("--requests", type=bench.positive_int, default=2000)
    parser.add_argument("--max-seconds", type=bench.positive_float, default=10.0)
    parser.add_argument("--warmup", type=bench.positive_int, default=200)
    parser.add_argument(
        "--rounds",
        type=bench.positive_int,
        default=1,
        metavar="N",
        help="rounds at each level, each loading the three one right after the other; the "
        "summary shows each level's median round (default 1)",
    )
    parser.add_argument(
        "--pin-server",
        metavar="CPU",
        help="run the servers and Redis on that one CPU (taskset -c CPU), the load elsewhere",
    )
    args = parser.parse_args()
    if args.pin_server is not None:
        bench.PIN[:] = ["taskset", "-c", args.pin_server]
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
