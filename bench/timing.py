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
              check: Callable[[P, Any], None] | None = None, before: Callable[[P], None] | None = None
              ) -> list[float]:
    """Milliseconds of ``call(probe)`` for each probe, after ``warmup`` untimed calls on the first probes;
    ``check`` sees every answer (and raises on a wrong one); ``before`` runs before each timed call, off
    the clock as ``check`` is."""
    for p in probes[:warmup]:
        call(p)
    out = []
    for p in probes[warmup:]:
        if before is not None:
            before(p)
        t = time.perf_counter()
        answer = call(p)
        out.append((time.perf_counter() - t) * 1000)
        if check is not None:
            check(p, answer)
    return out


def distinct(probes: Sequence[P]) -> list[P]:
    """The probes without repeats, in their order (a repeated probe may be answered from a cache)."""
    seen: set[str] = set()
    out = []
    for p in probes:
        key = repr(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def split(probes: Sequence[P], runs: int, warmup: int) -> tuple[int, int]:
    """(warmup, runs) over distinct probes only: never a probe twice, so the cold figure never meets a
    response cache; with fewer probes than asked, a fifth of them (at most ``warmup``) warm up."""
    n = len(distinct(probes))
    if n >= warmup + runs:
        return warmup, runs
    w = min(warmup, n // 5)
    return w, n - w


def measure(call: Callable[[P], Any], probes: Sequence[P], *, runs: int, warmup: int,
            check: Callable[[P, Any], None] | None = None, before: Callable[[P], None] | None = None
            ) -> dict[str, dict[str, float | int]]:
    """Cold: ``runs`` distinct probes (after ``warmup`` others), each once — fewer when there are not
    as many distinct probes; warm: the first probe ``runs`` times (`repeated`)."""
    unique = distinct(probes)
    w, n = split(unique, runs, warmup)
    cold = time_each(call, unique[: w + n], w, check, before)
    warm = time_each(call, [unique[0]] * (warmup + runs), warmup, check, before)
    return {"cold": summary(cold), "warm": summary(warm)}
