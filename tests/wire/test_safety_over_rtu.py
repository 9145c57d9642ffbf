"""The safety loop in real time over the RTU pty: corrupted replies end in the safe state."""

from __future__ import annotations

from controller.app.composition import open_link
from controller.core.control_loop import ControlLoop
from controller.core.preparation import prepare
from firmware_bridge.icd import Status
from safety.faults import SafetyFault
from safety.limits import load_limits
from sim.injection import inject
from sim.server import Endpoints, SimServer
from tests.safety.closed_loop import hold_at

TARGET_N = 30.0


def test_corrupted_crc_replies_trip_the_link_check_and_release(
    served: tuple[SimServer, Endpoints],
) -> None:
    server, ep = served
    link = open_link(ep.rtu_url).link
    limits = load_limits()
    sup = prepare(link, limits, limits.force_limit_n("lumbar", 75.0)).supervisor
    sup.start_treatment()
    loop = ControlLoop(link, sup)
    loop.run(
        hold_at(TARGET_N),
        12.0,
        until=lambda rec: bool(rec.telemetry and rec.telemetry.force_n >= TARGET_N - 5.0),
    )
    assert not sup.tripped, [t.describe() for t in sup.trips]
    server.call(lambda: inject(server.board, "link-crc", {"count": 4}))
    loop.run(
        hold_at(TARGET_N),
        15.0,
        until=lambda rec: bool(
            sup.tripped and rec.telemetry and not rec.telemetry.has(Status.RELEASING)
        ),
    )
    faults = {t.fault for t in sup.trips}
    assert faults & {SafetyFault.LINK_FAILURE, SafetyFault.LOOP_OVERRUN}
    tel = link.read_telemetry()
    assert tel.has(Status.BRAKE_ENGAGED) and not tel.has(Status.DRIVE_ENABLED)
    assert tel.force_n < limits.board.release_force_n + 2.5
    link.close()
