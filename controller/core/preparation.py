"""Bringing a table to the point where a treatment may start, the same way everywhere.

Connect (identity, ICD version, hardware limits), derive the board's interlocks from the
safety limits for this patient and read them back, tare, and build the safety supervisor
whose release request goes straight to this link. The session self-test of the controller
issue builds on this.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_bridge import BoardIdentity, InterlockConfig, TableLink, Telemetry
from firmware_bridge.icd import Status
from safety.interlocks import configure_board
from safety.limits import SafetyLimits
from safety.supervisor import SafetySupervisor


@dataclass(frozen=True, slots=True)
class Prepared:
    identity: BoardIdentity
    limits: SafetyLimits
    force_limit_n: float
    interlocks: InterlockConfig
    telemetry: Telemetry
    supervisor: SafetySupervisor


class SelfTestError(RuntimeError):
    """The table is not in a state where a treatment may start; the message says why."""


def prepare(link: TableLink, limits: SafetyLimits, force_limit: float) -> Prepared:
    """Connect, write and verify the interlocks for the session's force limit (computed once,
    by the protocol check: `CheckedProtocol.force_limit_n`), self-test and tare."""
    identity = link.connect()
    interlocks = configure_board(link, limits, force_limit)
    _check_before_tare(link.read_telemetry(), limits)
    telemetry = link.tare()
    supervisor = SafetySupervisor(
        limits,
        force_limit_n=force_limit,
        hw_force_max_n=identity.limits.force_max_n,
        request_release=link.release_now,
    )
    return Prepared(identity, limits, force_limit, interlocks, telemetry, supervisor)


def _check_before_tare(tel: Telemetry, limits: SafetyLimits) -> None:
    """Tare only with the carriage at home and nothing pulling; the board must be healthy."""
    problems = []
    if tel.has(Status.FAULT):
        problems.append(f"board fault {tel.fault.name} latched")
    if not tel.has(Status.DRIVE_READY):
        problems.append("drive not ready")
    if not tel.has(Status.PATIENT_SWITCH_CONNECTED):
        problems.append("patient hand switch not connected")
    if not tel.has(Status.AT_HOME):
        problems.append(
            f"carriage not at home ({tel.position_m * 1e3:.1f} mm): `traction home` brings it"
        )
    if tel.has(Status.TARED) and abs(tel.force_n) > limits.plausibility.slack_min_n:
        problems.append(f"load on the harness ({tel.force_n:.1f} N): never tare under load")
    if problems:
        raise SelfTestError("self-test failed: " + "; ".join(problems))
