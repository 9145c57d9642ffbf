"""Is the host's loop alive, and does the board answer? Judged on every cycle."""

from __future__ import annotations

from safety.checks.base import CycleCheck, Evidence, Observation
from safety.faults import SafetyFault
from safety.limits import SafetyLimits


class LoopOverrun(CycleCheck):
    """A gap between cycles the board's watchdog would see first if it grew (SR-013)."""

    fault = SafetyFault.LOOP_OVERRUN
    requirement = "SR-013"

    def judge(self, obs: Observation) -> Evidence | None:
        if obs.cycle_gap_s > self.limits.liveness.max_cycle_gap_s:
            return {"gap_s": round(obs.cycle_gap_s, 4)}
        return None


class LinkFailure(CycleCheck):
    """Replies lost in a row: one or two are tolerated, the next is a fault (SR-011)."""

    fault = SafetyFault.LINK_FAILURE
    requirement = "SR-011"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.failures = 0

    def judge(self, obs: Observation) -> Evidence | None:
        if obs.telemetry is not None:
            self.failures = 0
            return None
        self.failures += 1
        if self.failures >= self.limits.liveness.link_failures:
            return {"consecutive": self.failures, "error": obs.link_error}
        return None


class BoardUnreachable(CycleCheck):
    """No valid reply for liveness.board_lost_s: the board itself is gone (SR-012)."""

    fault = SafetyFault.BOARD_UNREACHABLE
    requirement = "SR-012"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.lost_since: float | None = None  # the first cycle of the present run of failures

    def judge(self, obs: Observation) -> Evidence | None:
        if obs.telemetry is not None:
            self.lost_since = None
            return None
        if self.lost_since is None:
            self.lost_since = obs.time_s
        lost_s = obs.time_s - self.lost_since
        if lost_s >= self.limits.liveness.board_lost_s:
            return {"lost_s": round(lost_s, 3), "error": obs.link_error}
        return None
