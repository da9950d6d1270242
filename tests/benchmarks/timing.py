"""Timing for the benchmarks: medians, because this machine is shared and noisy."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

RUNS = 5


def median_seconds(fn: Callable[[], object], runs: int = RUNS,
                   clock: Callable[[], float] = time.perf_counter) -> float:
    """Median of `runs` timings of fn() by `clock` (wall time unless told otherwise)."""
    times = []
    for _ in range(runs):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)
