"""Instructions per round trip, counted by valgrind's callgrind: what a change costs, without noise.

CPU time on a shared machine moves by several percent from one minute to the next, so a change
worth 1% takes hundreds of timed bursts to see (``bench.py --journal-pairs``). The number of
instructions the server runs per round trip does not move: here each server runs under
callgrind, is warmed up uncounted, and then counted over ``--requests`` round trips by one
client (one client: the event loop's turns then batch the same way in every run, which with more
clients they do not under valgrind's slowness), with ``PYTHONHASHSEED=0`` (dict layouts alike).

    python benchmarks/instructions.py                        # the journal: on against off
    python benchmarks/instructions.py --a-root ../before --b-args ""   # a change, commit to commit

Two runs of one server agree within about 0.1%. Instructions are not time: code the CPU has
not run for a while runs slower than the average instruction (see the README's Performance
section), so a saving counted here is worth more or less than its share of the time.
Needs ``valgrind`` (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

#: What ``callgrind_annotate`` counts, in its order (the cache columns with ``--cache-sim``).
EVENTS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")


def count(root: str, args: str, requests: int, warmup: int, cache: bool) -> dict[str, float]:
    """The counts per round trip of gradio-mock from the checkout at ``root`` with ``args``."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        argv = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            *(["--cache-sim=yes"] if cache else []),
            sys.executable,
            "-m",
            "server",
            str(bench.BENCH_APP),
            "--port",
            "0",
            "--no-access-log",
            *shlex.split(args),
        ]
        server = bench.ServerProcess("counted", argv, env={"PYTHONHASHSEED": "0"}, cwd=root)
        try:
            server.wait_ready(300)
            done = asyncio.run(_load(server, requests, warmup))
        finally:
            server.stop()
        report = subprocess.run(
            ["callgrind_annotate", str(out)], capture_output=True, text=True, check=True
        ).stdout
    for line in report.splitlines():
        if "PROGRAM TOTALS" in line:
            numbers = [
                int(word.replace(",", ""))
                for word in line.split()[: len(EVENTS)]
                if word.replace(",", "").isdigit()
            ]
            return {event: n / done for event, n in zip(EVENTS, numbers)}
    raise RuntimeError(f"no totals in callgrind's report:\n{report[:2000]}")


async def _load(server: bench.ServerProcess, requests: int, warmup: int) -> int:
    """Round trips uncounted, then ``requests`` counted; how many were."""
    assert server.port is not None
    prefix = (await bench.describe(server.port))[0]
    await bench.run_level(server, prefix, 16, warmup, 3600)
    subprocess.run(
        ["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True
    )
    result = await bench.run_level(server, prefix, 1, requests, 3600)
    subprocess.run(
        ["callgrind_control", "-i", "off", str(server.pid)], check=True, capture_output=True
    )
    if result.errors:
        raise RuntimeError(f"{result.errors} round trips failed: {result.first_error}")
    return result.done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = str(Path(__file__).resolve().parent.parent)
    parser.add_argument("--a-root", default=here, help="the checkout A runs (default: this)")
    parser.add_argument("--b-root", default=here, help="the checkout B runs (default: this)")
    parser.add_argument("--a-args", default="", help="gradio-mock options for A (default none)")
    parser.add_argument(
        "--b-args",
        default="--journal-size 0",
        help="gradio-mock options for B (default: %(default)r, so that A over B is the "
        "journal's cost)",
    )
    parser.add_argument("--requests", type=int, default=1500, help="round trips counted")
    parser.add_argument(
        "--warmup",
        type=int,
        default=6000,
        help="round trips before counting (default %(default)s: the result cache and the "
        "journal full, as a server that has served a while)",
    )
    parser.add_argument(
        "--cache-sim", action="store_true", help="also count cache misses (callgrind's model)"
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("instructions.py needs valgrind: apt-get install valgrind", file=sys.stderr)
        return 2
    figures = []
    for name, root, options in (("A", args.a_root, args.a_args), ("B", args.b_root, args.b_args)):
        print(f"counting {name}: {root} {options}".rstrip(), flush=True)
        figures.append(count(root, options, args.requests, args.warmup, args.cache_sim))
    a, b = figures
    print(f"\n  {'per round trip':<16} {'A':>12} {'B':>12} {'A - B':>10} {'A / B':>7}")
    for event in a:
        print(
            f"  {event:<16} {a[event]:>12,.0f} {b[event]:>12,.0f} {a[event] - b[event]:>+10,.0f} "
            f"{a[event] / b[event] if b[event] else float('nan'):>7.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
