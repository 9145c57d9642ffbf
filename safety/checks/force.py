"""The force on the patient: its limit, its rate, a sudden collapse, the loop's tracking of its
target, and force where no treatment asks for any."""

from __future__ import annotations

from collections import deque

from firmware_bridge.values import Telemetry
from safety.checks.base import Evidence, Snapshot, SnapshotCheck
from safety.faults import SafetyFault
from safety.limits import SafetyLimits


class ForceLimit(SnapshotCheck):
    """Force above the session's limit, on the snapshot that shows it (SR-002)."""

    fault = SafetyFault.FORCE_LIMIT
    requirement = "SR-002"

    def judge(self, now: Snapshot) -> Evidence | None:
        if now.tel.force_n > now.force_limit_n:
            return {"force_n": now.tel.force_n, "limit_n": now.force_limit_n}
        return None


class ForceRate(SnapshotCheck):
    """The force rising or falling faster than the gate allows by the trip factor, once the
    harness is taut (harness contact is a brief, low step); never during a release, which lets
    go by design (SR-004)."""

    fault = SafetyFault.FORCE_RATE
    requirement = "SR-004"

    def judge(self, now: Snapshot) -> Evidence | None:
        lim, t, force = self.limits, now.obs.time_s, now.tel.force_n
        if now.releasing:
            return None
        older = [(ti, fi) for ti, fi in now.recent if t - ti >= lim.rates.window_s]
        if not older or force < 2 * lim.plausibility.slack_min_n:
            return None
        t0, f0 = older[-1]
        rate = (force - f0) / (t - t0)
        up = lim.rates.max_force_rate_up_n_s * lim.rates.trip_factor
        down = lim.rates.max_force_rate_down_n_s * lim.rates.trip_factor
        return {"rate_n_s": round(rate, 1)} if rate > up or -rate > down else None


class ForceCollapse(SnapshotCheck):
    """While pulling, the force falling below a share of its recent peak that the setpoint did
    not ask for: a harness slipping, a cord breaking (SR-006)."""

    fault = SafetyFault.FORCE_COLLAPSE
    requirement = "SR-006"

    def judge(self, now: Snapshot) -> Evidence | None:
        p, obs, force = self.limits.plausibility, now.obs, now.tel.force_n
        if now.releasing or not obs.treatment_active or not now.recent:
            return None
        peak = max(fi for _, fi in now.recent)
        floor = (1 - p.collapse_share) * peak
        asked_for_drop = obs.target_force_n is not None and obs.target_force_n < floor
        if not asked_for_drop and peak >= 2 * p.slack_min_n and force < floor:
            return {"force_n": force, "recent_peak_n": peak}
        return None


class Overshoot(SnapshotCheck):
    """Force above the highest target of the last tracking.lag_s plus a margin: the drive
    pulling past what was planned. A rise while the loop is backing off (the carriage moving
    home, or commanded home and not pulling) is the patient's movement, which FORCE_LIMIT and
    TRACKING_ERROR still bound (SR-005)."""

    fault = SafetyFault.OVERSHOOT
    requirement = "SR-005"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.targets: deque[tuple[float, float]] = deque()  # (time, target) over lag_s

    def _recent_target(self, t: float, target: float) -> float:
        """The highest target of the last lag_s (the force may still be following it)."""
        while self.targets and t - self.targets[0][0] > self.limits.tracking.lag_s:
            self.targets.popleft()
        self.targets.append((t, target))
        return max(value for _, value in self.targets)

    def judge(self, now: Snapshot) -> Evidence | None:
        obs, tel, tracking = now.obs, now.tel, self.limits.tracking
        target = obs.target_force_n
        if not obs.treatment_active or target is None:
            self.targets.clear()
            return None
        planned = self._recent_target(obs.time_s, target)
        still, v = tracking.backing_off_m_s, tel.velocity_m_s
        backing_off = v <= -still or (obs.commanded_m_s < 0.0 and v < still)
        if tel.force_n > planned + tracking.overshoot_n and not backing_off:
            return {"force_n": tel.force_n, "target_n": target, "recent_target_n": planned}
        return None

    def clear(self) -> None:
        super().clear()
        self.targets.clear()


class TrackingError(SnapshotCheck):
    """The force outside its window around the target for longer than the loop needs to
    bring it back (SR-050)."""

    fault = SafetyFault.TRACKING_ERROR
    requirement = "SR-050"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.since: float | None = None  # when the force left its window

    def judge(self, now: Snapshot) -> Evidence | None:
        obs, tracking, force = now.obs, self.limits.tracking, now.tel.force_n
        target = obs.target_force_n
        if not obs.treatment_active or target is None:
            self.since = None
            return None
        window = max(tracking.window_n, tracking.window_share * target)
        if abs(force - target) <= window:
            self.since = None
            return None
        self.since = obs.time_s if self.since is None else self.since
        if obs.time_s - self.since >= tracking.time_s:
            return {"force_n": force, "target_n": target, "window_n": window}
        return None

    def clear(self) -> None:
        super().clear()
        self.since = None


class ForceWhileIdle(SnapshotCheck):
    """Force on the patient while no treatment and no release runs (SR-005)."""

    fault = SafetyFault.FORCE_WHILE_IDLE
    requirement = "SR-005"

    def judge(self, now: Snapshot) -> Evidence | None:
        idle_n = self.limits.plausibility.idle_force_n
        if not now.obs.treatment_active and not now.releasing and now.tel.force_n > idle_n:
            return {"force_n": now.tel.force_n}
        return None

    def cause(self, tel: Telemetry) -> str | None:
        idle_n = self.limits.plausibility.idle_force_n
        return f"force {tel.force_n:.1f} N still above {idle_n} N" if tel.force_n > idle_n else None
