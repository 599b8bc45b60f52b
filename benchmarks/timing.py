"""Timing shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """The median of `repeats` runs of `fn`, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_cpu_seconds_interleaved(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """The median CPU seconds of `ours` and of `theirs` over `repeats` runs of each, run in turn
    (ours, theirs, ours, ...), so that a change in the machine's load falls on both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, out in zip((ours, theirs), times, strict=True):
            start = time.process_time()
            fn()
            out.append(time.process_time() - start)
    return statistics.median(times[0]), statistics.median(times[1])
