"""The second layer's fault codes, each with its alarm priority (IEC 60601-1-8 sense).

High: the patient may be harmed now (force, motion, lost control). Medium: the treatment
cannot go on safely but nothing is harming the patient yet. Low: a condition the operator
should see that on its own does not stop a treatment (none trip today; kept for the
records issue).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Priority(enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SafetyFault(enum.Enum):
    # code, priority
    IMPLAUSIBLE_FORCE = (101, Priority.HIGH)
    STALE_DATA = (102, Priority.HIGH)
    CHANNEL_DISAGREEMENT = (103, Priority.HIGH)
    FORCE_LIMIT = (104, Priority.HIGH)
    FORCE_RATE = (105, Priority.HIGH)
    TRACKING_ERROR = (106, Priority.MEDIUM)
    OVERSHOOT = (107, Priority.HIGH)
    FORCE_WHILE_IDLE = (108, Priority.HIGH)
    FORCE_COLLAPSE = (109, Priority.HIGH)
    BOARD_FAULT = (110, Priority.HIGH)
    PATIENT_STOP = (111, Priority.HIGH)
    ESTOP = (112, Priority.HIGH)
    LINK_FAILURE = (113, Priority.HIGH)
    LOOP_OVERRUN = (114, Priority.MEDIUM)
    BOARD_REBOOT = (115, Priority.HIGH)
    TRAVEL_LIMIT = (116, Priority.HIGH)
    SPEED_LIMIT = (117, Priority.HIGH)
    RELEASE_TIMEOUT = (118, Priority.HIGH)  # the board's release not confirmed within its bound
    BOARD_UNREACHABLE = (119, Priority.HIGH)  # no valid reply for liveness.board_lost_s
    CHANNEL_FROZEN = (120, Priority.HIGH)  # a load-cell reading that stopped changing

    @property
    def what_to_do(self) -> str:
        """The operator's instruction for this alarm (IEC 60601-1-8: say what to do)."""
        return _WHAT_TO_DO.get(self, "check the patient; the session was stopped safely")

    @property
    def code(self) -> int:
        return self.value[0]

    @property
    def priority(self) -> Priority:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class Trip:
    """One detected fault with the evidence that made it."""

    fault: SafetyFault
    time_s: float
    evidence: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def priority(self) -> Priority:
        return self.fault.priority

    def describe(self) -> str:
        details = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        head = f"{self.fault.name} ({self.fault.code}, {self.priority.value})"
        return f"{head} at {self.time_s:.3f} s: {details}"


_CHECK = (
    "check the patient now; if the harness is still under tension, use the table's manual release"
)
_WHAT_TO_DO = {
    SafetyFault.RELEASE_TIMEOUT: f"release not confirmed: {_CHECK}",
    SafetyFault.BOARD_UNREACHABLE: f"board not answering (power, cable): {_CHECK}",
    SafetyFault.LINK_FAILURE: f"link to the board lost: {_CHECK}",
    SafetyFault.ESTOP: f"e-stop pressed, the carriage cannot move: {_CHECK}",
    SafetyFault.CHANNEL_FROZEN: (
        "a load-cell channel stopped changing (sensor fault): the table released the patient "
        "to home; check the patient, and have the load cell serviced before the next treatment"
    ),
}
