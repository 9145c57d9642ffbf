"""Relaxation by EMG: what the envelope did against the resting baseline, per hold and session.

From the cycles a treatment kept (their envelope where the signal was reliable) and the
baseline taken before the pull:
- per hold: its mean envelope, as uV and as a multiple of the baseline; the time after the
  ramp for the envelope to come back within the return band of the baseline (baseline +
  max(RETURN_SHARE x baseline, RETURN_MIN_UV));
- per session: the reduction of the mean envelope from the first hold to the last, %;
  guarding episodes (the envelope at or over the gate's threshold, ended below its release
  band): count, mean length, the force at each onset; and the cycles in which the setpoint
  rose while the gate held (the gated mode's promise: always 0).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

from controller.core.relaxation import hold_runs
from controller.core.treatment import Sample
from controller.muscles.gate import HELD_NAMES, RELEASE_SHARE

RETURN_SHARE = 0.2
RETURN_MIN_UV = 1.0


@dataclass(frozen=True, slots=True)
class HoldEmg:
    start_s: float
    mean_uv: float
    over_baseline: float | None
    return_s: float | None  # None: not back within the band during the hold


@dataclass(frozen=True, slots=True)
class EmgFigures:
    baseline_uv: float | None
    threshold_uv: float
    holds: tuple[HoldEmg, ...]
    reduction_pct: float | None
    guarding_episodes: int
    guarding_mean_s: float
    guarding_onset_n: tuple[float, ...]
    raised_while_held: int  # cycles with a higher setpoint than the last while the gate held
    reliable_share: float  # share of the treatment's cycles with a reliable signal
    mean_hold_uv: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def emg_figures(
    samples: list[Sample], baseline_uv: float | None, threshold_uv: float
) -> EmgFigures:
    holds = []
    for hold, _ramp in hold_runs(samples):
        values = [s.emg_uv for s in hold if s.emg_uv is not None]
        if not values:
            continue
        mean = sum(values) / len(values)
        holds.append(
            HoldEmg(
                hold[0].time_s,
                mean,
                mean / baseline_uv if baseline_uv else None,
                _return_s(hold, baseline_uv),
            )
        )
    episodes = _episodes(samples, threshold_uv)
    reliable = sum(1 for s in samples if s.emg_uv is not None)
    all_hold = [h.mean_uv for h in holds]
    return EmgFigures(
        baseline_uv=baseline_uv,
        threshold_uv=threshold_uv,
        holds=tuple(holds),
        reduction_pct=(
            100.0 * (1.0 - holds[-1].mean_uv / holds[0].mean_uv)
            if len(holds) > 1 and holds[0].mean_uv > 0
            else None
        ),
        guarding_episodes=len(episodes),
        guarding_mean_s=sum(e[1] for e in episodes) / len(episodes) if episodes else 0.0,
        guarding_onset_n=tuple(round(e[2], 1) for e in episodes),
        raised_while_held=raised_while_held(samples),
        reliable_share=reliable / len(samples) if samples else 0.0,
        mean_hold_uv=sum(all_hold) / len(all_hold) if all_hold else None,
    )


def raised_while_held(samples: list[Sample]) -> int:
    """Cycles whose setpoint was above the previous one while the gate was holding."""
    count = 0
    for before, now in itertools.pairwise(samples):
        if now.gate in HELD_NAMES and now.target_n > before.target_n + 1e-9:
            count += 1
    return count


def _return_s(hold: list[Sample], baseline_uv: float | None) -> float | None:
    if not baseline_uv:
        return None
    band = baseline_uv + max(RETURN_SHARE * baseline_uv, RETURN_MIN_UV)
    for s in hold:
        if s.emg_uv is not None and s.emg_uv <= band:
            return s.time_s - hold[0].time_s
    return None


def _episodes(samples: list[Sample], threshold_uv: float) -> list[tuple[float, float, float]]:
    """(start, length, force at onset) of each time the envelope guarded."""
    out: list[tuple[float, float, float]] = []
    start: Sample | None = None
    last_t = math.nan
    for s in samples:
        if s.emg_uv is None:
            continue
        last_t = s.time_s
        if start is None and s.emg_uv >= threshold_uv:
            start = s
        elif start is not None and s.emg_uv < RELEASE_SHARE * threshold_uv:
            out.append((start.time_s, s.time_s - start.time_s, start.force_n))
            start = None
    if start is not None:
        out.append((start.time_s, last_t - start.time_s, start.force_n))
    return out
