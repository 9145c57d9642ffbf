"""The force loop: force error and planned rate -> carriage velocity.

The carriage's velocity changes the force at the patient's stiffness k (dF/dt = k * v), so
the loop is written in force units and divided by an online estimate of k: feed-forward of
the planned rate, PI on the error, v = (rate_ff + wc * e + wi * integral(e)) / k. The closed
loop then behaves the same on a patient ten times stiffer or softer, without retuning. The
integrator absorbs creep (the force relaxes at constant position) and table friction; it runs
only in holds (ramps are carried by the feed-forward; integrating their lag overshot the next
hold), is frozen whenever the gate limited the command (anti-windup), and is cleared when a
phase starts from a measured force (after slack take-up, a pause, a reset).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoopTuning:
    bandwidth_per_s: float = 8.0  # wc: error decays with this rate
    integral_per_s2: float = 10.0  # wi
    integral_limit_n: float = 60.0  # anti-windup bound on wi * integral(e) / wc, in N
    stiffness_initial_n_m: float = 30000.0
    stiffness_min_n_m: float = 2000.0
    stiffness_max_n_m: float = 400000.0
    stiffness_step_m: float = 0.002  # learn after this much travel ...
    stiffness_step_n: float = 2.0  # ... or this much force change, whichever comes first
    stiffness_weight: float = 0.3
    slack_speed_m_s: float = 0.004
    max_speed_m_s: float = 0.02


class StiffnessTracker:
    """dF/dx from the carriage's own motion while taut: the controller's own patient model."""

    def __init__(self, tuning: LoopTuning) -> None:
        self.t = tuning
        self.k_n_m = tuning.stiffness_initial_n_m
        self._anchor: tuple[float, float] | None = None

    def update(self, position_m: float, force_n: float, taut: bool) -> None:
        if not taut:
            self._anchor = None
            return
        if self._anchor is None:
            self._anchor = (position_m, force_n)
            return
        x0, f0 = self._anchor
        dx = position_m - x0
        if abs(dx) < self.t.stiffness_step_m and abs(force_n - f0) < self.t.stiffness_step_n:
            return
        if dx == 0.0:
            return
        k = (force_n - f0) / dx
        if k > 0:
            k = min(self.t.stiffness_max_n_m, max(self.t.stiffness_min_n_m, k))
            w = self.t.stiffness_weight
            self.k_n_m = (1 - w) * self.k_n_m + w * k
        self._anchor = (position_m, force_n)


class ForceLoop:
    def __init__(self, tuning: LoopTuning | None = None) -> None:
        self.tuning = tuning or LoopTuning()
        self.stiffness = StiffnessTracker(self.tuning)
        self.integral_n_s = 0.0

    def reset_integral(self) -> None:
        self.integral_n_s = 0.0

    def velocity(
        self,
        *,
        target_n: float,
        planned_rate_n_s: float,
        force_n: float,
        position_m: float,
        dt: float,
        limited: bool,
    ) -> float:
        """The carriage velocity that brings the force to target_n (m/s, positive pulls)."""
        t = self.tuning
        self.stiffness.update(position_m, force_n, taut=force_n > 0.5 * max(target_n, 1.0))
        error = target_n - force_n
        if not limited and planned_rate_n_s == 0.0:  # holds only: ramps are fed forward
            self.integral_n_s += error * dt
            bound = t.integral_limit_n * t.bandwidth_per_s / t.integral_per_s2
            self.integral_n_s = max(-bound, min(bound, self.integral_n_s))
        rate = planned_rate_n_s + t.bandwidth_per_s * error + t.integral_per_s2 * self.integral_n_s
        v = rate / self.stiffness.k_n_m
        return max(-t.max_speed_m_s, min(t.max_speed_m_s, v))
