"""Small summaries of timing samples."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_us(samples_s: list[float]) -> str:
    us = [s * 1e6 for s in samples_s]
    return (
        f"mean {statistics.fmean(us):7.1f} us  p50 {percentile(us, 50):7.1f} us  "
        f"p99 {percentile(us, 99):7.1f} us  max {max(us):8.1f} us"
    )
