"""The per-cycle monitor: every telemetry snapshot is judged before the controller sees it.

Pure and deterministic: its only inputs are the observations handed to `check` (snapshot or
link failure, the time, what the session is doing), so hypothesis can drive it through any
sequence. Each fault is reported once per latch period, with its evidence; `causes_present`
says which conditions would still refuse a reset.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from firmware_bridge.icd import Status
from firmware_bridge.values import Telemetry
from safety.faults import SafetyFault, Trip
from safety.limits import SafetyLimits

Evidence = dict[str, float | int | str]
Finding = tuple[SafetyFault, Evidence]


@dataclass(frozen=True, slots=True)
class Observation:
    """What one control cycle saw, and what the session was doing."""

    time_s: float
    telemetry: Telemetry | None  # None: this cycle's transaction failed
    cycle_gap_s: float = 0.0  # since the previous cycle started (overrun detection)
    treatment_active: bool = False  # a treatment runs: force is expected
    target_force_n: float | None = None  # the controller's setpoint, when it has one
    link_error: str = ""
    commanded_m_s: float = 0.0  # the velocity command this cycle's transaction carried


class Monitor:
    def __init__(self, limits: SafetyLimits, force_limit_n: float, hw_force_max_n: float) -> None:
        self.limits = limits
        self.force_limit_n = force_limit_n
        self.hw_force_max_n = hw_force_max_n
        self.reported: set[SafetyFault] = set()
        self.last: Telemetry | None = None
        self.link_failures = 0
        self.lost_since: float | None = None  # first cycle of the present run of failures
        self.same_seq_cycles = 0
        self.disagree_since: float | None = None
        self.tracking_since: float | None = None
        self.history: deque[tuple[float, float]] = deque()
        self.targets: deque[tuple[float, float]] = deque()  # (time, target) over tracking.lag_s
        self.session_uptime_s: float | None = None
        self.session_tared = False
        self.changed_at: dict[str, float] = {}  # channel -> when its reading last changed
        self.frozen: set[str] = set()  # channels found frozen and not changed since

    def clear(self) -> None:
        """After a reset: report afresh; liveness counters keep running."""
        self.reported.clear()
        self.disagree_since = self.tracking_since = None
        self.targets.clear()

    def check(self, obs: Observation) -> list[Trip]:
        found: list[Finding] = []
        tel = obs.telemetry
        lim = self.limits
        if obs.cycle_gap_s > lim.liveness.max_cycle_gap_s:
            found.append((SafetyFault.LOOP_OVERRUN, {"gap_s": round(obs.cycle_gap_s, 4)}))
        if tel is None:
            self.link_failures += 1
            if self.lost_since is None:
                self.lost_since = obs.time_s
            if self.link_failures >= lim.liveness.link_failures:
                found.append(
                    (
                        SafetyFault.LINK_FAILURE,
                        {"consecutive": self.link_failures, "error": obs.link_error},
                    )
                )
            lost_s = obs.time_s - self.lost_since
            if lost_s >= lim.liveness.board_lost_s:
                found.append(
                    (
                        SafetyFault.BOARD_UNREACHABLE,
                        {"lost_s": round(lost_s, 3), "error": obs.link_error},
                    )
                )
            return self._report(found, obs.time_s)
        self.link_failures = 0
        self.lost_since = None
        found.extend(self._board(tel))
        found.extend(self._plausibility(tel))
        found.extend(self._frozen(tel, obs.time_s))
        found.extend(self._staleness(tel))
        found.extend(self._forces(tel, obs))
        found.extend(self._motion(tel))
        self.last = tel
        return self._report(found, obs.time_s)

    def _recent_target(self, t: float, target: float) -> float:
        """The highest target of the last tracking.lag_s (the force may still be following it)."""
        targets = self.targets
        while targets and t - targets[0][0] > self.limits.tracking.lag_s:
            targets.popleft()
        targets.append((t, target))
        return max(value for _, value in targets)

    # --- groups of checks ----------------------------------------------------------------
    def _board(self, tel: Telemetry) -> list[Finding]:
        out: list[Finding] = []
        if tel.has(Status.FAULT):
            out.append((SafetyFault.BOARD_FAULT, {"board_fault": tel.fault.name}))
        if tel.has(Status.PATIENT_STOP):
            out.append((SafetyFault.PATIENT_STOP, {}))
        if tel.has(Status.ESTOP):
            out.append((SafetyFault.ESTOP, {}))
        if self.session_uptime_s is not None:
            rebooted = tel.uptime_s < self.session_uptime_s
            if rebooted or (self.session_tared and not tel.has(Status.TARED)):
                out.append(
                    (
                        SafetyFault.BOARD_REBOOT,
                        {
                            "uptime_s": tel.uptime_s,
                            "previous_uptime_s": self.session_uptime_s,
                            "tared": int(tel.has(Status.TARED)),
                        },
                    )
                )
        self.session_uptime_s = tel.uptime_s
        self.session_tared = self.session_tared or tel.has(Status.TARED)
        return out

    def _plausibility(self, tel: Telemetry) -> list[Finding]:
        p = self.limits.plausibility
        ceiling = p.saturation_share * self.hw_force_max_n
        channels = [("A", tel.force_a_n)]
        if tel.has(Status.CHANNEL_B_FITTED):
            channels.append(("B", tel.force_b_n))
        for name, value in channels:
            if not math.isfinite(value) or value < p.min_force_n or value > ceiling:
                return [(SafetyFault.IMPLAUSIBLE_FORCE, {"channel": name, "force_n": value})]
        return []

    def _frozen(self, tel: Telemetry, t: float) -> list[Finding]:
        """A channel that stops changing while the board samples is a latent sensor fault
        (IEC 60601-1: one the host would otherwise meet only when the force moves). Readings
        are compared between snapshots with a new sample; a lost reply or a cycle with no new
        sample (STALE_DATA's) neither counts nor breaks the run, so a trip still needs about
        channel_frozen_s / period fresh readings alike, each about 4 % likely on a healthy
        bridge (docs/safety.md)."""
        last = self.last
        fresh = last is not None and tel.sample_seq != last.sample_seq
        a0, b0 = (None, None) if last is None else (last.force_a_n, last.force_b_n)
        fitted = tel.has(Status.CHANNEL_B_FITTED)
        channels = (("A", tel.force_a_n, a0, True), ("B", tel.force_b_n, b0, fitted))
        out: list[Finding] = []
        for name, value, before, present in channels:
            since = self.changed_at.get(name)
            if present and since is not None and last is not None and not fresh:
                continue  # no new sample to compare
            if not present or since is None or value != before:
                self.changed_at[name] = t
                self.frozen.discard(name)
                continue
            unchanged_s = t - since
            if unchanged_s >= self.limits.plausibility.channel_frozen_s:
                self.frozen.add(name)
                out.append(
                    (
                        SafetyFault.CHANNEL_FROZEN,
                        {"channel": name, "force_n": value, "unchanged_s": round(unchanged_s, 3)},
                    )
                )
        return out

    def _staleness(self, tel: Telemetry) -> list[Finding]:
        last = self.last
        if last is not None and tel.sample_seq == last.sample_seq:
            self.same_seq_cycles += 1
        else:
            self.same_seq_cycles = 0
        if self.same_seq_cycles >= self.limits.liveness.stale_cycles:
            return [
                (
                    SafetyFault.STALE_DATA,
                    {"sample_seq": tel.sample_seq, "cycles": self.same_seq_cycles},
                )
            ]
        return []

    def _forces(self, tel: Telemetry, obs: Observation) -> list[Finding]:
        lim = self.limits
        out: list[Finding] = []
        p = lim.plausibility
        force, t = tel.force_n, obs.time_s
        if tel.has(Status.CHANNEL_B_FITTED):
            a, b = tel.force_a_n, tel.force_b_n
            allowed = max(p.channel_disagree_n, p.channel_disagree_share * max(abs(a), abs(b)))
            if abs(a - b) > allowed:
                self.disagree_since = t if self.disagree_since is None else self.disagree_since
                if t - self.disagree_since >= p.channel_disagree_time_s:
                    out.append((SafetyFault.CHANNEL_DISAGREEMENT, {"force_a_n": a, "force_b_n": b}))
            else:
                self.disagree_since = None
        if force > self.force_limit_n:
            out.append((SafetyFault.FORCE_LIMIT, {"force_n": force, "limit_n": self.force_limit_n}))
        releasing = tel.has(Status.RELEASING)
        if not releasing:  # a safe release lets go by design: no rate or collapse alarm for it
            out.extend(self._rate_and_collapse(force, obs))
        else:
            self.history.clear()
        target = obs.target_force_n
        if obs.treatment_active and target is not None:
            planned = self._recent_target(t, target)
            # the drive's overshoot, not the patient's: a rise while the loop is backing off
            # (the carriage moving home, or commanded home and not pulling) is a patient's
            # movement, not the drive pulling past the target; FORCE_LIMIT and
            # TRACKING_ERROR still bound it
            still = lim.tracking.backing_off_m_s
            v = tel.velocity_m_s
            backing_off = v <= -still or (obs.commanded_m_s < 0.0 and v < still)
            if force > planned + lim.tracking.overshoot_n and not backing_off:
                out.append(
                    (
                        SafetyFault.OVERSHOOT,
                        {"force_n": force, "target_n": target, "recent_target_n": planned},
                    )
                )
            window = max(lim.tracking.window_n, lim.tracking.window_share * target)
            if abs(force - target) > window:
                self.tracking_since = t if self.tracking_since is None else self.tracking_since
                if t - self.tracking_since >= lim.tracking.time_s:
                    out.append(
                        (
                            SafetyFault.TRACKING_ERROR,
                            {"force_n": force, "target_n": target, "window_n": window},
                        )
                    )
            else:
                self.tracking_since = None
        else:
            self.tracking_since = None
            self.targets.clear()
        if not obs.treatment_active and not releasing and force > p.idle_force_n:
            out.append((SafetyFault.FORCE_WHILE_IDLE, {"force_n": force}))
        return out

    def _rate_and_collapse(self, force: float, obs: Observation) -> list[Finding]:
        lim = self.limits
        out: list[Finding] = []
        t, hist = obs.time_s, self.history
        hist.append((t, force))
        horizon = max(lim.rates.window_s, lim.plausibility.collapse_time_s)
        while hist and t - hist[0][0] > horizon:
            hist.popleft()
        older = [(ti, fi) for ti, fi in hist if t - ti >= lim.rates.window_s]
        taut = force >= 2 * lim.plausibility.slack_min_n  # harness contact is a brief, low step
        if older and taut:
            t0, f0 = older[-1]
            rate = (force - f0) / (t - t0)
            up = lim.rates.max_force_rate_up_n_s * lim.rates.trip_factor
            down = lim.rates.max_force_rate_down_n_s * lim.rates.trip_factor
            if rate > up or -rate > down:
                out.append((SafetyFault.FORCE_RATE, {"rate_n_s": round(rate, 1)}))
        p = lim.plausibility
        peak = max(fi for _, fi in hist)
        target = obs.target_force_n
        asked_for_drop = target is not None and target < (1 - p.collapse_share) * peak
        if (
            obs.treatment_active
            and not asked_for_drop
            and peak >= 2 * p.slack_min_n
            and force < (1 - p.collapse_share) * peak
        ):
            out.append((SafetyFault.FORCE_COLLAPSE, {"force_n": force, "recent_peak_n": peak}))
        return out

    def _motion(self, tel: Telemetry) -> list[Finding]:
        m = self.limits.motion
        out: list[Finding] = []
        if tel.position_m > m.max_travel_m:
            out.append((SafetyFault.TRAVEL_LIMIT, {"position_m": tel.position_m}))
        if abs(tel.velocity_m_s) > m.speed_trip_factor * m.max_speed_m_s:
            out.append((SafetyFault.SPEED_LIMIT, {"velocity_m_s": tel.velocity_m_s}))
        return out

    def _report(self, found: list[Finding], t: float) -> list[Trip]:
        trips = []
        for fault, evidence in found:
            if fault not in self.reported:
                self.reported.add(fault)
                trips.append(Trip(fault, t, evidence))
        return trips

    # --- reset --------------------------------------------------------------------------------
    def causes_present(self, tel: Telemetry | None) -> list[str]:
        """What still stands in the way of a reset, judged on a fresh snapshot."""
        if tel is None:
            return ["no telemetry: the link is down"]
        p = self.limits.plausibility
        causes = []
        if tel.has(Status.FAULT):
            causes.append(f"board fault {tel.fault.name} latched")
        if tel.has(Status.PATIENT_STOP):
            causes.append("patient switch pressed")
        if tel.has(Status.ESTOP):
            causes.append("e-stop open")
        if tel.has(Status.RELEASING):
            causes.append("release still running")
        if not tel.has(Status.TARED):
            causes.append("load cell not tared (board rebooted?)")
        if tel.force_n > p.idle_force_n:
            causes.append(f"force {tel.force_n:.1f} N still above {p.idle_force_n} N")
        if self._plausibility(tel):
            causes.append("implausible force reading")
        if self.same_seq_cycles >= self.limits.liveness.stale_cycles:
            causes.append("telemetry stale")
        if self.disagree_since is not None:
            causes.append("load-cell channels disagree")
        if self.frozen:
            causes.append(f"load-cell channel {', '.join(sorted(self.frozen))} frozen")
        return causes
