"""The per-cycle monitor: every telemetry snapshot is judged before the controller sees it.

Pure and deterministic: its only inputs are the observations handed to `check` (snapshot or
link failure, the time, what the session is doing), so hypothesis can drive it through any
sequence. The checks themselves are objects of their own (safety/checks/), each with its
condition, its latch and the cause that refuses a reset; the monitor runs them in order and
keeps what several share: the previous snapshot and the recent force.
"""

from __future__ import annotations

from collections import deque

from firmware_bridge.icd import Status
from firmware_bridge.values import Telemetry
from safety.checks.base import (
    Check,
    CycleCheck,
    Observation,
    ResetCondition,
    Snapshot,
    SnapshotCheck,
)
from safety.checks.board import BoardFault, BoardReboot, EStop, PatientStop, ReleaseRunning
from safety.checks.force import (
    ForceCollapse,
    ForceLimit,
    ForceRate,
    ForceWhileIdle,
    Overshoot,
    TrackingError,
)
from safety.checks.liveness import BoardUnreachable, LinkFailure, LoopOverrun
from safety.checks.motion import SpeedLimit, TravelLimit
from safety.checks.sensors import ChannelDisagreement, FrozenChannel, ImplausibleForce, StaleData
from safety.faults import SafetyFault, Trip
from safety.limits import SafetyLimits

__all__ = ["Monitor", "Observation"]


class Monitor:
    def __init__(self, limits: SafetyLimits, force_limit_n: float, hw_force_max_n: float) -> None:
        self.limits = limits
        self.force_limit_n = force_limit_n
        self.hw_force_max_n = hw_force_max_n
        self.stale = StaleData(limits)
        self.cycle_checks: tuple[CycleCheck, ...] = (
            LoopOverrun(limits),
            LinkFailure(limits),
            BoardUnreachable(limits),
        )
        self.snapshot_checks: tuple[SnapshotCheck, ...] = (
            BoardFault(limits),
            PatientStop(limits),
            EStop(limits),
            BoardReboot(limits),
            ImplausibleForce(limits, hw_force_max_n),
            FrozenChannel(limits),
            self.stale,
            ChannelDisagreement(limits),
            ForceLimit(limits),
            ForceRate(limits),
            ForceCollapse(limits),
            Overshoot(limits),
            TrackingError(limits),
            ForceWhileIdle(limits),
            TravelLimit(limits),
            SpeedLimit(limits),
        )
        self.last: Telemetry | None = None
        # the force over the longest look-back of the force checks, while no release runs
        self.recent: deque[tuple[float, float]] = deque()
        self._recent_s = max(limits.rates.window_s, limits.plausibility.collapse_time_s)

    @property
    def checks(self) -> tuple[Check, ...]:
        return (*self.cycle_checks, *self.snapshot_checks)

    @property
    def latched(self) -> frozenset[SafetyFault]:
        """The faults reported and not yet cleared by a reset."""
        return frozenset(check.fault for check in self.checks if check.latched)

    @property
    def same_seq_cycles(self) -> int:
        """Snapshots in a row without a new load-cell sample (the gate holds on them)."""
        return self.stale.same_seq_cycles

    def clear(self) -> None:
        """After a reset: report afresh; liveness counters keep running."""
        for check in self.checks:
            check.clear()

    def check(self, obs: Observation) -> list[Trip]:
        found = [check.latch(obs.time_s, check.judge(obs)) for check in self.cycle_checks]
        tel = obs.telemetry
        if tel is not None:
            releasing = tel.has(Status.RELEASING)
            now = Snapshot(
                obs,
                tel,
                self.last,
                self._remember(obs.time_s, tel.force_n, releasing),
                self.force_limit_n,
                self.hw_force_max_n,
                releasing,
            )
            found += [check.latch(obs.time_s, check.judge(now)) for check in self.snapshot_checks]
            self.last = tel
        return [trip for trip in found if trip is not None]

    def _remember(self, t: float, force_n: float, releasing: bool) -> deque[tuple[float, float]]:
        """The recent force with this snapshot's; forgotten while a release runs (a safe release
        lets go by design: no rate or collapse alarm for it)."""
        if releasing:
            self.recent.clear()
            return self.recent
        self.recent.append((t, force_n))
        while self.recent and t - self.recent[0][0] > self._recent_s:
            self.recent.popleft()
        return self.recent

    def causes_present(self, tel: Telemetry | None) -> list[str]:
        """What still stands in the way of a reset, judged on a fresh snapshot: each check's
        own condition, and a release still running."""
        if tel is None:
            return ["no telemetry: the link is down"]
        conditions: tuple[ResetCondition, ...] = (*self.checks, ReleaseRunning())
        causes = (condition.cause(tel) for condition in conditions)
        return [cause for cause in causes if cause is not None]
