"""Two servers loaded at the same time, both on one CPU: what one costs over the other.

``bench.py`` loads its servers one after the other, and on a shared machine a minute's
difference moves a server's CPU per round trip by more than most changes do. Here both servers
run pinned to the same CPU and the same load generator (on the other CPUs) loads them at once,
so whatever else the machine does weighs on both alike: the ratio of their CPU per round trip,
taken in each round, moves by a percent or two where the servers' own figures move by 20%.
Both share the CPU, so each figure is dearer than alone; the ratio is what this measures.

With ``--alone`` the two are loaded one right after the other instead, each with the CPU to
itself, in pairs of short bursts (``bench.py``'s ``alone`` measure of the journal, for any two
servers): the median of the pairs' ratios, with its 95% interval, and each launch's median
(a process has a cost of its own, its memory's layout, shared by every pair it serves: one
launch's interval leaves it out, so decide on several launches, and on several runs).

    python benchmarks/side_by_side.py --b-args "--journal-size 0"   # the journal's cost
    python benchmarks/side_by_side.py --a floor                     # gradio-mock over the floor
    python benchmarks/side_by_side.py --a-root ../before            # a change, commit to commit
    python benchmarks/side_by_side.py --alone --a-args "--journal-size 0"   # alone: B over A
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench


def start(kind: str, root: str, args: str) -> bench.ServerProcess:
    """The floor, or gradio-mock from the checkout at ``root`` with ``args``."""
    if kind == "floor":
        return bench.start_floor()
    argv = [*bench.PIN, sys.executable, "-m", "server", str(bench.BENCH_APP), "--port", "0"]
    argv += ["--no-access-log", *shlex.split(args)]
    server = bench.ServerProcess(kind, argv, cwd=root)  # (``-m server``: the root's)
    server.wait_ready(60)
    return server


async def warm_up(servers: list[bench.ServerProcess], warmup: int, endpoint: str) -> list[str]:
    """Each server's path prefix, once all are warmed up at once, long enough to fill the
    result cache and the journal (2,000 and 10,000)."""
    prefixes = [(await bench.describe(s.port))[0] for s in servers]
    await asyncio.gather(
        *(bench.run_level(s, p, 16, warmup, 300, endpoint) for s, p in zip(servers, prefixes))
    )
    return prefixes


async def measure(
    servers: list[bench.ServerProcess],
    clients: int,
    requests: int,
    rounds: int,
    warmup: int,
    endpoint: str = "echo",
) -> list[list[float]]:
    """Each server's CPU per round trip (µs) in each round, all loaded at once."""
    pairs = list(zip(servers, await warm_up(servers, warmup, endpoint)))
    figures: list[list[float]] = [[] for _ in servers]
    for _ in range(rounds):
        levels = await asyncio.gather(
            *(bench.run_level(s, p, clients, requests, 300, endpoint) for s, p in pairs)
        )
        for figure, level in zip(figures, levels):
            figure.append(level.cpu_per_rt * 1e6)
    return figures


async def alone(
    servers: list[bench.ServerProcess],
    clients: int,
    bursts: int,
    burst: int,
    warmup: int,
    function: str,
) -> list[float]:
    """B's CPU per round trip over A's in each of ``bursts`` pairs of bursts of ``burst``
    round trips, each server loaded alone, which goes first alternating."""
    a, b = servers
    await warm_up(servers, warmup, "aecho" if function == "async" else "echo")
    options = argparse.Namespace(journal_burst=burst, max_seconds=300.0, function=function)
    return await bench.journal_pairs(b, a, clients, options, bursts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", default="mock", choices=["mock", "floor"], help="server A")
    parser.add_argument("--b", default="mock", choices=["mock", "floor"], help="server B")
    parser.add_argument("--a-args", default="", help="gradio-mock options for A")
    parser.add_argument("--b-args", default="", help="gradio-mock options for B")
    here = str(Path(__file__).resolve().parent.parent)
    parser.add_argument("--a-root", default=here, help="the checkout A runs (default: this)")
    parser.add_argument("--b-root", default=here, help="the checkout B runs (default: this)")
    parser.add_argument("--clients", type=int, default=64, help="clients each (default 64)")
    parser.add_argument("--requests", type=int, default=6000, help="round trips a round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds a launch (default 4)")
    parser.add_argument("--launches", type=int, default=2, help="fresh starts (default 2)")
    parser.add_argument("--warmup", type=int, default=12000, help="round trips first")
    parser.add_argument(
        "--function",
        default="sync",
        choices=["sync", "async"],
        help="the echo function called: a plain def, run in a thread, or an async def, run on "
        "the event loop (default sync)",
    )
    parser.add_argument("--cpu", default="0", help="the CPU both servers run on (default 0)")
    parser.add_argument(
        "--alone",
        action="store_true",
        help="load the two one right after the other, each alone, in --bursts pairs of "
        "bursts a launch, instead of together in --rounds rounds",
    )
    parser.add_argument("--bursts", type=int, default=50, help="--alone: pairs a launch")
    parser.add_argument("--burst", type=int, default=1000, help="--alone: round trips a burst")
    args = parser.parse_args()
    bench.PIN[:] = ["taskset", "-c", args.cpu]
    others = sorted(set(os.sched_getaffinity(0)) - {int(args.cpu)})
    if others:  # (the load generator on the other CPUs)
        os.sched_setaffinity(0, others)
    a_figures: list[float] = []
    b_figures: list[float] = []
    launches: list[list[float]] = []
    for _ in range(args.launches):
        servers = [start(args.a, args.a_root, args.a_args), start(args.b, args.b_root, args.b_args)]
        try:
            if args.alone:
                launches.append(
                    asyncio.run(
                        alone(
                            servers,
                            args.clients,
                            args.bursts,
                            args.burst,
                            args.warmup,
                            args.function,
                        )
                    )
                )
                continue
            a, b = asyncio.run(
                measure(
                    servers,
                    args.clients,
                    args.requests,
                    args.rounds,
                    args.warmup,
                    "aecho" if args.function == "async" else "echo",
                )
            )
        finally:
            for server in servers:
                server.stop()
        a_figures += a
        b_figures += b
    if args.alone:
        print_alone(args, launches)
        return
    ratios = [b / a for a, b in zip(a_figures, b_figures)]
    print(f"A: {args.a} {args.a_args} ({args.a_root})")
    print(f"B: {args.b} {args.b_args} ({args.b_root})")
    print(
        f"{args.clients} clients each, {args.requests} round trips a round, CPU {args.cpu}, "
        f"{args.function} echo"
    )
    print("A CPU/rt µs:", " ".join(f"{v:.0f}" for v in a_figures))
    print("B CPU/rt µs:", " ".join(f"{v:.0f}" for v in b_figures))
    print("B over A:   ", " ".join(f"{r:.3f}" for r in ratios))
    print(f"B over A, median of {len(ratios)} rounds: {statistics.median(ratios):.3f}")


def print_alone(args: argparse.Namespace, launches: list[list[float]]) -> None:
    ratios = [r for launch in launches for r in launch]
    low, high = bench.median_interval(ratios)
    print(f"A: {args.a} {args.a_args} ({args.a_root})")
    print(f"B: {args.b} {args.b_args} ({args.b_root})")
    print(
        f"{args.clients} clients, alone, {args.bursts} pairs of bursts of {args.burst} round "
        f"trips a launch, CPU {args.cpu}, {args.function} echo"
    )
    print(
        "B over A, each launch's median:", " ".join(f"{statistics.median(r):.3f}" for r in launches)
    )
    print(
        f"B over A, median of {len(ratios)} pairs: {statistics.median(ratios):.3f} "
        f"(95% interval {low:.3f} to {high:.3f})"
    )


if __name__ == "__main__":
    main()
