"""What every check is: a condition judged per cycle, a latch, and a cause that refuses a reset."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Protocol

from firmware_bridge.values import Telemetry
from safety.faults import SafetyFault, Trip
from safety.limits import SafetyLimits

Evidence = dict[str, float | int | str]


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


class Snapshot(NamedTuple):
    """A cycle whose reply arrived, as the snapshot checks see it; built once per cycle (a
    NamedTuple: a frozen dataclass's field-by-field init costs more on the control path)."""

    obs: Observation
    tel: Telemetry
    last: Telemetry | None  # the previous snapshot that arrived
    # (time, force) over the longest look-back of the force checks; empty while releasing
    recent: deque[tuple[float, float]]
    force_limit_n: float
    hw_force_max_n: float
    releasing: bool  # STATUS.RELEASING: a safe release lets go by design


class ResetCondition(Protocol):
    def cause(self, tel: Telemetry) -> str | None:
        """What still refuses a reset on a fresh snapshot; None: nothing."""
        ...


class Check(ABC):
    """One fault's check. `trip` reports it once per latch; `clear` (after a reset) re-arms it
    and forgets what a reset forgets; `cause` says whether it still refuses a reset."""

    fault: ClassVar[SafetyFault]
    requirement: ClassVar[str]  # the safety requirement (safety/requirements.toml) it implements

    def __init__(self, limits: SafetyLimits) -> None:
        self.limits = limits
        self.latched = False

    def latch(self, time_s: float, evidence: Evidence | None) -> Trip | None:
        if evidence is None or self.latched:
            return None
        self.latched = True
        return Trip(self.fault, time_s, evidence)

    def cause(self, tel: Telemetry) -> str | None:
        """What of this check's condition still stands on a fresh snapshot; None: nothing."""
        return None

    def clear(self) -> None:
        self.latched = False


class CycleCheck(Check):
    """Judged on every cycle, whether its reply arrived or not (liveness)."""

    @abstractmethod
    def judge(self, obs: Observation) -> Evidence | None:
        """This cycle's finding (its evidence), or None."""


class SnapshotCheck(Check):
    """Judged on every cycle whose reply arrived; a lost reply neither counts nor resets it."""

    @abstractmethod
    def judge(self, now: Snapshot) -> Evidence | None:
        """This snapshot's finding (its evidence), or None."""
