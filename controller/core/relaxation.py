"""Relaxation without electrodes: creep and stiffness from the force and the carriage.

Why: the table already measures force and position every cycle. In a hold at constant force,
the carriage must keep moving out as the tissue lengthens (creep); during each ramp, the
slope of force against position is the patient's stiffness, which falls as the muscles stop
guarding. Both come from every session, EMG connected or not.

Per hold (a run of cycles whose hold clock ran at a steady setpoint, rests excluded):
- creep: the carriage's travel during the hold, mm, and its time constant, fitted to the
  standard linear solid's creep at constant load x(t) = x0 + A (1 - exp(-t / tau))
  (Toosizadeh 2012 fits trunk relaxation this way) with scipy.optimize.curve_fit;
- stiffness: the least-squares slope of force on position over the ramp into the hold, N/mm;
- relaxation index: the creep as a share of the ramp's travel, % (how much further the body
  gave at constant force than it did to reach it).
Per session: the holds' mean index, the total creep, and the stiffness of the last ramp
against the first (a relaxing patient's falls).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np

from controller.core.treatment import Sample

MIN_HOLD_S = 5.0  # shorter holds say nothing of creep
MIN_FIT_S = 10.0  # a creep time constant is fitted over at least this
MIN_RAMP_SAMPLES = 20
MIN_RAMP_TRAVEL_MM = 1.0
TAU_BOUNDS_S = (1.0, 600.0)
FIT_POINTS = 500
REST_PHASE = "rest"
STEADY_N = 1e-6  # a hold's setpoint moves by less than this from cycle to cycle


@dataclass(frozen=True, slots=True)
class HoldRelaxation:
    start_s: float
    seconds: float
    force_n: float
    creep_mm: float
    creep_tau_s: float | None
    stiffness_n_mm: float | None
    ramp_travel_mm: float | None
    index_pct: float | None


@dataclass(frozen=True, slots=True)
class Relaxation:
    holds: tuple[HoldRelaxation, ...]
    mean_index_pct: float | None
    total_creep_mm: float
    stiffness_first_n_mm: float | None
    stiffness_last_n_mm: float | None

    @property
    def stiffness_change_pct(self) -> float | None:
        first, last = self.stiffness_first_n_mm, self.stiffness_last_n_mm
        if first is None or last is None or first <= 0:
            return None
        return 100.0 * (last - first) / first

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["stiffness_change_pct"] = self.stiffness_change_pct
        return out


def hold_runs(samples: list[Sample]) -> list[tuple[list[Sample], list[Sample]]]:
    """Each hold's samples with the ramp's samples just before it (rests are not holds)."""
    runs: list[tuple[list[Sample], list[Sample]]] = []
    ramp: list[Sample] = []
    hold: list[Sample] = []
    last_target = math.nan
    for s in samples:
        # a hold whose setpoint still rises (the EMG gate letting the pull up) is a ramp yet
        steady = abs(s.target_n - last_target) <= STEADY_N
        last_target = s.target_n
        is_hold = s.holding and steady and not s.phase.endswith(REST_PHASE)
        if is_hold:
            hold.append(s)
            continue
        if hold:
            runs.append((hold, ramp))
            hold, ramp = [], []
        if s.holding and s.phase.endswith(REST_PHASE):  # the next ramp starts after a rest
            ramp = []
        else:
            ramp.append(s)
    if hold:
        runs.append((hold, ramp))
    return runs


def relaxation(samples: list[Sample]) -> Relaxation:
    found = [_hold(h, r) for h, r in hold_runs(samples) if h[-1].time_s - h[0].time_s >= MIN_HOLD_S]
    holds = [h for h in found if h is not None]
    indices = [h.index_pct for h in holds if h.index_pct is not None]
    stiff = [h.stiffness_n_mm for h in holds if h.stiffness_n_mm is not None]
    return Relaxation(
        holds=tuple(holds),
        mean_index_pct=sum(indices) / len(indices) if indices else None,
        total_creep_mm=sum(h.creep_mm for h in holds),
        stiffness_first_n_mm=stiff[0] if stiff else None,
        stiffness_last_n_mm=stiff[-1] if len(stiff) > 1 else None,
    )


def _hold(hold: list[Sample], ramp: list[Sample]) -> HoldRelaxation | None:
    t = np.array([s.time_s for s in hold])
    x = np.array([s.position_m for s in hold]) * 1e3
    if not np.all(np.isfinite(x)):
        return None
    creep = float(x[-1] - x[0])
    force = float(np.mean([s.force_n for s in hold]))
    stiffness, travel = _ramp_stiffness(ramp)
    index = None
    if travel is not None and travel >= MIN_RAMP_TRAVEL_MM:
        index = 100.0 * creep / travel
    return HoldRelaxation(
        start_s=float(t[0]),
        seconds=float(t[-1] - t[0]),
        force_n=force,
        creep_mm=creep,
        creep_tau_s=_creep_tau(t - t[0], x - x[0]),
        stiffness_n_mm=stiffness,
        ramp_travel_mm=travel,
        index_pct=index,
    )


def _ramp_stiffness(ramp: list[Sample]) -> tuple[float | None, float | None]:
    rising = [s for s in ramp if math.isfinite(s.position_m)]
    if len(rising) < MIN_RAMP_SAMPLES:
        return None, None
    x = np.array([s.position_m for s in rising]) * 1e3
    f = np.array([s.force_n for s in rising])
    travel = float(x[-1] - x[0])
    if travel < MIN_RAMP_TRAVEL_MM:
        return None, travel
    slope = float(np.polyfit(x, f, 1)[0])
    return (slope if slope > 0 else None), travel


def _creep_tau(t: np.ndarray, x: np.ndarray) -> float | None:
    if t[-1] < MIN_FIT_S or abs(x[-1]) < 1e-3:
        return None
    every = max(1, len(t) // FIT_POINTS)  # a smooth curve: a few hundred points fit it as well
    t, x = t[::every], x[::every]

    from scipy.optimize import OptimizeWarning, curve_fit  # here: scipy is slow to import

    def model(tt: np.ndarray, a: float, tau: float) -> np.ndarray:
        return np.asarray(a * (1.0 - np.exp(-tt / tau)))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            (_, tau), _ = curve_fit(
                model,
                t,
                x,
                p0=(float(x[-1]), max(TAU_BOUNDS_S[0], float(t[-1]) / 3)),
                bounds=([-np.inf, TAU_BOUNDS_S[0]], [np.inf, TAU_BOUNDS_S[1]]),
                maxfev=2000,
            )
    except (RuntimeError, ValueError):
        return None
    return float(tau) if math.isfinite(tau) else None
