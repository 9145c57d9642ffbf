"""A treatment-like closed loop on sim:// through the real bridge, the gate and the monitor."""

from __future__ import annotations

from dataclasses import dataclass

from controller.app.composition import open_link
from controller.core.control_loop import ControlLoop, LoopResult, Proposal
from controller.core.preparation import prepare
from firmware_bridge import TableLink
from firmware_bridge.icd import Status
from firmware_bridge.values import Telemetry
from safety.limits import Region, SafetyLimits, load_limits
from safety.supervisor import SafetySupervisor
from sim.board import SimBoard

BOARD = {"variant": "reference"}  # which board the rigs are built on (test_closed_loop sets it)
GAIN_M_S_PER_N = 0.0002
# the board stops releasing once both channels read below RELEASE_FORCE; the tissue then
# recovers a little at the fixed carriage position, and the reading has noise
SETTLE_MARGIN_N = 2.5


@dataclass
class Rig:
    link: TableLink
    board: SimBoard
    limits: SafetyLimits
    force_limit_n: float
    supervisor: SafetySupervisor
    loop: ControlLoop


def rig(
    patient: str = "lumbar-average",
    *,
    region: Region = "lumbar",
    weight_kg: float = 75.0,
    seed: int = 1,
    stiffness: float = 1.0,
    limits: SafetyLimits | None = None,
) -> Rig:
    opened = open_link(f"sim://?patient={patient}&seed={seed}&variant={BOARD['variant']}")
    assert opened.board is not None
    if stiffness != 1.0:
        phys = opened.board.firmware.physics
        phys.set_profile(phys.profile.scaled(stiffness))
    link = opened.link
    limits = limits or load_limits()
    ready = prepare(link, limits, limits.force_limit_n(region, weight_kg))
    sup = ready.supervisor
    sup.start_treatment()
    return Rig(link, opened.board, ready.limits, ready.force_limit_n, sup, ControlLoop(link, sup))


RAMP_N_S = 40.0
SLACK_N = 15.0
SLACK_SPEED_M_S = 0.004


class hold_at:
    """A treatment-like policy: take up the slack, ramp the setpoint, hold it (P loop).

    While the harness is slack there is no setpoint to track (the monitor is told so); once
    taut, the setpoint ramps from the measured force toward the target at RAMP_N_S.
    """

    def __init__(self, target_n: float) -> None:
        self.target_n = target_n
        self.setpoint: float | None = None
        self.last_t: float | None = None

    def __call__(self, t: float, tel: Telemetry) -> Proposal:
        dt = 0.0 if self.last_t is None else t - self.last_t
        self.last_t = t
        if self.setpoint is None:
            if tel.force_n < SLACK_N:
                return Proposal(SLACK_SPEED_M_S, target_force_n=None)
            self.setpoint = tel.force_n
        step = RAMP_N_S * dt
        delta = self.target_n - self.setpoint
        self.setpoint += max(-step, min(step, delta))
        return Proposal(
            GAIN_M_S_PER_N * (self.setpoint - tel.force_n), target_force_n=self.setpoint
        )


def settle(r: Rig, target_n: float, seconds: float = 25.0) -> LoopResult:
    result = r.loop.run(hold_at(target_n), seconds)
    assert not r.supervisor.tripped, [t.describe() for t in r.supervisor.trips]
    return result


def run_until_safe(r: Rig, policy, timeout_s: float = 40.0) -> LoopResult:  # type: ignore[no-untyped-def]
    """Keep cycling after a trip until the board has reached its safe state."""
    return r.loop.run(policy, timeout_s, until=lambda rec: safe_state(r, rec.telemetry))


def safe_state(r: Rig, tel: Telemetry | None) -> bool:
    """Tripped, and the board braked: released below RELEASE_FORCE, at home, or stopped."""
    if tel is None or not r.supervisor.tripped:
        return False
    if tel.has(Status.ESTOP) or tel.has(Status.DRIVE_ENABLED) or tel.has(Status.RELEASING):
        return tel.has(Status.ESTOP) and tel.has(Status.BRAKE_ENGAGED)
    released = tel.force_n < r.limits.board.release_force_n + SETTLE_MARGIN_N
    return tel.has(Status.BRAKE_ENGAGED) and (
        released or tel.has(Status.AT_HOME) or (tel.fault.name == "DRIVE")
    )
