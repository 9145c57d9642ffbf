"""One telemetry snapshot as a line a person can read at a glance."""

from __future__ import annotations

from firmware_bridge.icd import Status
from firmware_bridge.values import Telemetry

_SHORT = {
    Status.DRIVE_READY: "RDY",
    Status.DRIVE_ENABLED: "EN",
    Status.MOVING: "MOV",
    Status.FAULT: "FLT",
    Status.ESTOP: "ESTOP",
    Status.PATIENT_STOP: "PSTOP",
    Status.BRAKE_ENGAGED: "BRK",
    Status.AT_HOME: "HOME",
    Status.END_OF_TRAVEL: "EOT",
    Status.RELEASING: "REL",
    Status.TARED: "TARE",
    Status.CHANNEL_B_FITTED: "B",
    Status.PATIENT_SWITCH_CONNECTED: "SW",
}

HEADER = (
    f"{'t[s]':>7} {'force A[N]':>10} {'force B[N]':>10} {'pos[mm]':>8} {'vel[mm/s]':>9} "
    f"{'fault':<12} status"
)


def line(t: float, tel: Telemetry) -> str:
    flags = " ".join(label for flag, label in _SHORT.items() if tel.status & flag)
    return (
        f"{t:7.2f} {tel.force_a_n:10.2f} {tel.force_b_n:10.2f} {tel.position_m * 1e3:8.2f} "
        f"{tel.velocity_m_s * 1e3:9.2f} {tel.fault.name:<12} {flags}"
    )
