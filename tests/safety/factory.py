"""Telemetry snapshots for the pure safety tests."""

from __future__ import annotations

from firmware_bridge import icd
from firmware_bridge.icd import FaultCode, Status
from firmware_bridge.values import Telemetry

NORMAL = (
    Status.DRIVE_READY
    | Status.DRIVE_ENABLED
    | Status.TARED
    | Status.CHANNEL_B_FITTED
    | Status.PATIENT_SWITCH_CONNECTED
)


def snapshot(
    force_n: float = 0.0,
    *,
    force_b_n: float | None = None,
    status: Status = NORMAL,
    fault: FaultCode = FaultCode.NONE,
    seq: int = 0,
    position_m: float = 0.05,
    velocity_m_s: float = 0.0,
    uptime_s: float = 10.0,
) -> Telemetry:
    return Telemetry(
        icd_version=icd.ICD_VERSION,
        status=status,
        fault=fault,
        sample_seq=seq,
        force_a_n=force_n,
        force_b_n=force_n if force_b_n is None else force_b_n,
        position_m=position_m,
        velocity_m_s=velocity_m_s,
        motor_current_a=0.2,
        drive_temp_c=25.0,
        cmd_seq_echo=0,
        uptime_s=uptime_s,
    )
