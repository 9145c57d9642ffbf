"""Accuracy figures of a treatment, against the targets of the controller issue.

Hold error is measured only while a hold's clock runs (its force had been reached) and the
EMG gate, when one is connected, is not moving the setpoint itself:
mean within max(1 %, 1 N), peak within max(3 %, 3 N). Ramp overshoot is the force above the
new setpoint in the first OVERSHOOT_WINDOW_S of a hold entered from a rising ramp: within
max(2 %, 2 N). (A patient's push later in a hold is a hold error, bounded by the peak.)
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.core.treatment import Sample
from controller.muscles.gate import HELD_NAMES

OVERSHOOT_WINDOW_S = 3.0


@dataclass(frozen=True, slots=True)
class Accuracy:
    hold_samples: int
    mean_error_n: float
    mean_error_ratio: float  # mean |e| / max(1 %, 1 N): <= 1 meets the target
    peak_error_n: float
    peak_error_ratio: float  # |e| / max(3 %, 3 N), worst sample
    overshoot_n: float
    overshoot_ratio: float  # (F - target) / max(2 %, 2 N), worst sample

    @property
    def meets(self) -> bool:
        return max(self.mean_error_ratio, self.peak_error_ratio, self.overshoot_ratio) <= 1.0


def accuracy(samples: list[Sample]) -> Accuracy:
    # a cycle in which the EMG gate held the setpoint down (a back-off is a step, not a hold's
    # error) is the gate's, not the force loop's to be judged on
    held = [s for s in samples if s.holding and s.gate not in HELD_NAMES]
    if not held:
        return Accuracy(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    errors = [abs(s.force_n - s.target_n) for s in held]
    mean_ratio = sum(e / max(0.01 * s.target_n, 1.0) for e, s in zip(errors, held, strict=True))
    peak = max(zip(errors, held, strict=True), key=lambda p: p[0] / max(0.03 * p[1].target_n, 3.0))
    after_ramps = _after_rising_ramps(samples) or held[:1]
    over = max(after_ramps, key=lambda s: (s.force_n - s.target_n) / max(0.02 * s.target_n, 2.0))
    return Accuracy(
        hold_samples=len(held),
        mean_error_n=sum(errors) / len(errors),
        mean_error_ratio=mean_ratio / len(held),
        peak_error_n=peak[0],
        peak_error_ratio=peak[0] / max(0.03 * peak[1].target_n, 3.0),
        overshoot_n=max(0.0, over.force_n - over.target_n),
        overshoot_ratio=max(0.0, (over.force_n - over.target_n) / max(0.02 * over.target_n, 2.0)),
    )


def _after_rising_ramps(samples: list[Sample]) -> list[Sample]:
    """Hold samples within OVERSHOOT_WINDOW_S of a hold entered from a rising setpoint."""
    out: list[Sample] = []
    start: float | None = None
    previous: Sample | None = None
    for s in samples:
        if s.holding and previous is not None and not previous.holding:
            start = s.time_s if previous.target_n < s.target_n else None
        elif not s.holding:
            start = None
        if start is not None and s.holding and s.time_s - start <= OVERSHOOT_WINDOW_S:
            out.append(s)
        previous = s
    return out
