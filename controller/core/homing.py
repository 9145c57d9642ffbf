"""Bringing the carriage home between sessions, through the same safety layers as a treatment.

After a treatment the board's release stops once the force is below RELEASE_FORCE, not at
home; the next session's self-test tares only at home. Homing moves the carriage toward home
(only ever toward it: every command passes the gate, which holds the speed to its limits and
the force-rate-down limit) until the board reports AT_HOME, then leaves the drive disabled.
It needs the load cells tared (the board enables the drive only then, ICD 5); after a
power-on away from home, the carriage has to be brought home by hand.

A trip while homing (a runaway, a board fault) ends it as a trip ends a treatment: RELEASE is
held until the board's release is seen finished, within the handshake's bound, and only then
is homing declared failed. A release not confirmed within that bound says so
(`HomingError.release_confirmed` False, RELEASE_TIMEOUT in the message) so that whoever
shows it raises the high-priority alarm: homing never ends with tension left silently.
On the wall clock its loop runs as the real-time control thread, as a treatment's does: the
same overrun limit applies, and at ordinary priority a busy host tripped it.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.core.control_loop import ControlLoop, CycleRecord, Proposal
from controller.core.realtime import control_thread_for
from firmware_bridge import TableLink, Telemetry
from firmware_bridge.icd import Status
from safety.faults import SafetyFault
from safety.interlocks import configure_board
from safety.limits import Region, SafetyLimits
from safety.release import ReleaseState
from safety.supervisor import SafetySupervisor

HOMING_TIMEOUT_S = 120.0
_IDLE_CYCLES = 3  # cycles of an idle command before homing reports


class HomingError(RuntimeError):
    """The carriage could not be brought home; the message says why.

    `release_confirmed` False: a release was wanted and not seen finished within its bound,
    so tension may be left on the patient (the high-priority RELEASE_TIMEOUT alarm)."""

    def __init__(self, message: str, *, release_confirmed: bool = True) -> None:
        super().__init__(message)
        self.release_confirmed = release_confirmed


@dataclass(frozen=True, slots=True)
class Homed:
    moved_m: float
    seconds: float
    telemetry: Telemetry


def home(
    link: TableLink, limits: SafetyLimits, *, region: Region = "lumbar", weight_kg: float = 75.0
) -> Homed:
    identity = link.connect()
    force_limit = limits.force_limit_n(region, weight_kg)
    configure_board(link, limits, force_limit)
    tel = link.read_telemetry()
    if tel.has(Status.AT_HOME):
        return Homed(0.0, 0.0, tel)
    if tel.has(Status.FAULT):
        raise HomingError(f"board fault {tel.fault.name} latched: reset it first")
    if not tel.has(Status.TARED):
        raise HomingError(
            f"carriage at {tel.position_m * 1e3:.1f} mm and the load cells are not tared "
            "(power-on away from home): detach the harness and bring the carriage home by hand"
        )
    supervisor = SafetySupervisor(
        limits,
        force_limit_n=force_limit,
        hw_force_max_n=identity.limits.force_max_n,
        request_release=link.release_now,
    )
    supervisor.start_treatment()
    speed = limits.board.release_speed_m_s
    loop = ControlLoop(link, supervisor)

    def toward_home(_: float, tel: Telemetry) -> Proposal:
        return Proposal(-speed, None, treatment_active=True)

    def arrived(record: CycleRecord) -> bool:
        t = record.telemetry
        return supervisor.tripped or (t is not None and t.has(Status.AT_HOME))

    start = link.clock.now()
    with control_thread_for(link.clock):  # the carriage moves: the same deadlines as a treatment
        loop.run(toward_home, HOMING_TIMEOUT_S, until=arrived)
        supervisor.stop_treatment()
        _settle(loop, supervisor)
    final = link.read_telemetry()
    if supervisor.release.state is ReleaseState.TIMED_OUT:
        fault = SafetyFault.RELEASE_TIMEOUT
        raise HomingError(
            f"{fault.name}: {fault.what_to_do} (homing stopped by safety: "
            + "; ".join(t.describe() for t in supervisor.trips if t.fault is not fault)
            + f"; {final.force_n:.0f} N measured)",
            release_confirmed=False,
        )
    if supervisor.tripped:
        raise HomingError(
            "homing stopped by safety: " + "; ".join(t.describe() for t in supervisor.trips)
        )
    if not final.has(Status.AT_HOME):
        raise HomingError(
            f"carriage not home after {HOMING_TIMEOUT_S:g} s ({final.position_m * 1e3:.1f} mm)"
        )
    return Homed(tel.position_m - final.position_m, link.clock.now() - start, final)


def _settle(loop: ControlLoop, supervisor: SafetySupervisor) -> None:
    """Idle cycles until a release in progress is confirmed or its bound passes (the
    handshake times out by itself at its deadline), then a few more so that the board sees
    the drive idle. Bounded: the longest release plus those few cycles."""
    idle = Proposal(0.0, None, treatment_active=False)

    def settled(_: CycleRecord) -> bool:
        return supervisor.release.state not in (ReleaseState.REQUESTED, ReleaseState.RELEASING)

    bound_s = supervisor.release.params.longest_s + loop.period_s * _IDLE_CYCLES
    loop.run(lambda _t, _tel: idle, bound_s, until=settled)
    loop.run(lambda _t, _tel: idle, loop.period_s * _IDLE_CYCLES)
