"""Where the carriage is and how fast it moves."""

from __future__ import annotations

from safety.checks.base import Evidence, Snapshot, SnapshotCheck
from safety.faults import SafetyFault


class TravelLimit(SnapshotCheck):
    """The carriage beyond its travel (SR-022)."""

    fault = SafetyFault.TRAVEL_LIMIT
    requirement = "SR-022"

    def judge(self, now: Snapshot) -> Evidence | None:
        if now.tel.position_m > self.limits.motion.max_travel_m:
            return {"position_m": now.tel.position_m}
        return None


class SpeedLimit(SnapshotCheck):
    """The carriage faster than the gate allows by the trip factor (SR-025)."""

    fault = SafetyFault.SPEED_LIMIT
    requirement = "SR-025"

    def judge(self, now: Snapshot) -> Evidence | None:
        m, v = self.limits.motion, now.tel.velocity_m_s
        return {"velocity_m_s": v} if abs(v) > m.speed_trip_factor * m.max_speed_m_s else None
