"""The benchmark's statistics (``benchmarks/bench.py``): what its journal figures rest on."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from bench import median_interval


@pytest.mark.parametrize(
    ("n", "ranks"),
    # The sign test's 95% intervals for the median, as the tables give them (1-based ranks).
    [(6, (1, 6)), (10, (2, 9)), (20, (6, 15)), (40, (14, 27)), (200, (86, 115))],
)
def test_the_interval_of_the_median_is_the_sign_tests(n: int, ranks: tuple[int, int]) -> None:
    values = [float(rank) for rank in range(1, n + 1)]
    random.Random(n).shuffle(values)  # (the order the values came in does not count)
    assert median_interval(values) == ranks


def test_too_few_values_give_their_whole_range() -> None:
    assert median_interval([3.0, 1.0, 2.0]) == (1.0, 3.0)


def test_the_interval_holds_the_median_about_as_often_as_it_claims() -> None:
    rng = random.Random(7)
    trials = 2000
    held = 0
    for _ in range(trials):
        low, high = median_interval([rng.expovariate(1.0) for _ in range(40)])
        held += low <= 0.6931471805599453 <= high  # (the median of Exp(1): ln 2)
    assert 0.94 <= held / trials <= 0.985  # (n = 40 claims 96.2%)


def test_side_by_side_alone_compares_two_servers_in_pairs_of_bursts() -> None:
    """``side_by_side.py --alone``: two real servers, loaded one after the other in pairs of
    bursts, each launch's median and the median of every pair's ratio with its interval."""
    import re
    import subprocess

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "side_by_side.py"
    argv = [sys.executable, str(script), "--alone", "--b-args", "--journal-size 0"]
    argv += ["--launches", "2", "--bursts", "3", "--burst", "20", "--warmup", "40"]
    argv += ["--clients", "2"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    launches = re.search(r"each launch's median: (\S+) (\S+)\n", done.stdout)
    found = re.search(r"median of (\d+) pairs: (\S+) \(95% interval (\S+) to (\S+)\)", done.stdout)
    assert launches is not None and found is not None, done.stdout
    assert found[1] == "6"  # (three pairs in each of two launches)
    low, median, high = float(found[3]), float(found[2]), float(found[4])
    assert 0 < low <= median <= high < 10
    assert all(0 < float(value) < 10 for value in launches.groups())
