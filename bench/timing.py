"""Percentiles, and timing a call over a list of probes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

P = TypeVar("P")


def percentile(sorted_ms: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not sorted_ms:
        return math.nan
    pos = (len(sorted_ms) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (pos - lo)


def summary(samples_ms: Sequence[float]) -> dict[str, float | int]:
    s = sorted(samples_ms)
    return {"p50": round(percentile(s, 50), 3), "p95": round(percentile(s, 95), 3),
            "mean": round(sum(s) / len(s), 3) if s else math.nan, "min": round(s[0], 3) if s else math.nan,
            "max": round(s[-1], 3) if s else math.nan, "n": len(s)}


def cycle(probes: Sequence[P], count: int, start: int = 0) -> list[P]:
    """``count`` probes from ``start``, round and round: distinct as long as there are enough."""
    if not probes:
        raise ValueError("no probes to measure with")
    return [probes[(start + i) % len(probes)] for i in range(count)]


def time_each(call: Callable[[P], Any], probes: Sequence[P], warmup: int = 0,
              check: Callable[[P, Any], None] | None = None) -> list[float]:
    """Milliseconds of ``call(probe)`` for each probe, after ``warmup`` untimed calls on the first probes;
    ``check`` sees every answer (and raises on a wrong one)."""
    for p in probes[:warmup]:
        call(p)
    out = []
    for p in probes[warmup:]:
        t = time.perf_counter()
        answer = call(p)
        out.append((time.perf_counter() - t) * 1000)
        if check is not None:
            check(p, answer)
    return out


def measure(call: Callable[[P], Any], probes: Sequence[P], *, runs: int, warmup: int,
            check: Callable[[P, Any], None] | None = None) -> dict[str, dict[str, float | int]]:
    """Cold: ``runs`` distinct probes (after ``warmup`` others); warm: the first probe ``runs`` times."""
    cold = time_each(call, cycle(probes, warmup + runs), warmup, check)
    warm = time_each(call, [probes[0]] * (warmup + runs), warmup, check)
    return {"cold": summary(cold), "warm": summary(warm)}
