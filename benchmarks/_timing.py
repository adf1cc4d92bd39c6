"""Shared timing helpers for the benchmark scripts (medians over repeated batches)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], number: int, repeat: int = 15) -> float:
    """Median over ``repeat`` batches of the mean time of ``number`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def alternating_medians(cases: dict[str, tuple[Callable[[], object], int]], rounds: int = 31) -> dict[str, float]:
    """Median seconds per call of each case, timed in turn: every round runs one batch of each
    (``number`` calls), so a slower or busier stretch of a shared machine falls on all of them
    alike and ratios between cases stay meaningful."""
    for fn, _ in cases.values():
        fn()  # warm: lazy imports, caches of the interpreter
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (fn, number) in cases.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - t0) / number)
    return {name: statistics.median(t) for name, t in times.items()}
