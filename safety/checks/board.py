"""What the board itself reports: its latched fault, the patient's switch, the e-stop, a reboot."""

from __future__ import annotations

from firmware_bridge.icd import Status
from firmware_bridge.values import Telemetry
from safety.checks.base import Evidence, Snapshot, SnapshotCheck
from safety.faults import SafetyFault
from safety.limits import SafetyLimits


class BoardFault(SnapshotCheck):
    """The board latched a fault of its own and released (SR-051)."""

    fault = SafetyFault.BOARD_FAULT
    requirement = "SR-051"

    def judge(self, now: Snapshot) -> Evidence | None:
        return {"board_fault": now.tel.fault.name} if now.tel.has(Status.FAULT) else None

    def cause(self, tel: Telemetry) -> str | None:
        return f"board fault {tel.fault.name} latched" if tel.has(Status.FAULT) else None


class PatientStop(SnapshotCheck):
    """The patient's hand switch, pressed or unplugged (SR-020)."""

    fault = SafetyFault.PATIENT_STOP
    requirement = "SR-020"

    def judge(self, now: Snapshot) -> Evidence | None:
        return {} if now.tel.has(Status.PATIENT_STOP) else None

    def cause(self, tel: Telemetry) -> str | None:
        return "patient switch pressed" if tel.has(Status.PATIENT_STOP) else None


class EStop(SnapshotCheck):
    """The e-stop circuit is open (SR-021)."""

    fault = SafetyFault.ESTOP
    requirement = "SR-021"

    def judge(self, now: Snapshot) -> Evidence | None:
        return {} if now.tel.has(Status.ESTOP) else None

    def cause(self, tel: Telemetry) -> str | None:
        return "e-stop open" if tel.has(Status.ESTOP) else None


class BoardReboot(SnapshotCheck):
    """The board's uptime went back, or it lost the tare it had this session (SR-015)."""

    fault = SafetyFault.BOARD_REBOOT
    requirement = "SR-015"

    def __init__(self, limits: SafetyLimits) -> None:
        super().__init__(limits)
        self.uptime_s: float | None = None  # the last uptime seen
        self.tared = False  # tared at some point this session

    def judge(self, now: Snapshot) -> Evidence | None:
        tel = now.tel
        found: Evidence | None = None
        if self.uptime_s is not None:
            rebooted = tel.uptime_s < self.uptime_s
            if rebooted or (self.tared and not tel.has(Status.TARED)):
                found = {
                    "uptime_s": tel.uptime_s,
                    "previous_uptime_s": self.uptime_s,
                    "tared": int(tel.has(Status.TARED)),
                }
        self.uptime_s = tel.uptime_s
        self.tared = self.tared or tel.has(Status.TARED)
        return found

    def cause(self, tel: Telemetry) -> str | None:
        return None if tel.has(Status.TARED) else "load cell not tared (board rebooted?)"


class ReleaseRunning:
    """Not a fault: a reset waits for the board's release to finish (SR-023)."""

    requirement = "SR-023"

    def cause(self, tel: Telemetry) -> str | None:
        return "release still running" if tel.has(Status.RELEASING) else None
