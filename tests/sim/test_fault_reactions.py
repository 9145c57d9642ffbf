"""One test per row of the ICD's fault table (ICD 4), through the real bridge on sim://.

Each drives the board as a host would (100 Hz FC23 cycles with a heartbeat), provokes the
fault, and checks the board's own reaction: the fault code, safe release (by force, or by
position for SENSOR) or immediate stop with the brake (ESTOP, DRIVE), and that the drive
can no longer be enabled while the fault is latched.
"""

from __future__ import annotations

import pytest

from firmware_bridge import Command, InterlockConfig
from firmware_bridge.icd import Control, FaultCode, Status
from firmware_bridge.values import Telemetry
from tests.helpers import HOLD, PULL, TEST_INTERLOCKS, SimSession, open_sim_session

RELEASE_FORCE_N = TEST_INTERLOCKS.release_force_n
# The board stops once both channels read below RELEASE_FORCE; afterwards sensor noise and the
# tissue's recovery may lift the reading by a fraction of a newton.
SETTLE_MARGIN_N = 1.0


def released_by_force(tel: Telemetry) -> bool:
    return (
        not tel.has(Status.RELEASING)
        and tel.force_a_n < RELEASE_FORCE_N + SETTLE_MARGIN_N
        and tel.force_b_n < RELEASE_FORCE_N + SETTLE_MARGIN_N
        and tel.has(Status.BRAKE_ENGAGED)
        and not tel.has(Status.DRIVE_ENABLED)
    )


def assert_safe_release(s: SimSession, fault: FaultCode) -> Telemetry:
    """The board latched `fault`, releases toward home, and ends braked below RELEASE_FORCE."""
    tel = s.until(lambda t: t.fault is not FaultCode.NONE, HOLD, 2.0)
    assert tel.fault is fault
    assert tel.has(Status.FAULT) and not tel.has(Status.DRIVE_READY)
    start = tel.position_m
    tel = s.until(released_by_force, PULL, 20.0)  # the host keeps asking to pull: ignored
    assert tel.position_m < start
    assert tel.fault is fault
    return tel


@pytest.mark.requirement("SR-013")
def test_watchdog_trips_when_the_heartbeat_stops(session: SimSession) -> None:
    session.pull_to(100.0)
    session.run(HOLD, 1.0)
    assert session.trace[-1].fault is FaultCode.NONE  # a live heartbeat never trips it
    session.wait(TEST_INTERLOCKS.watchdog_s + 0.02)  # host silent, ENABLE still set
    tel = session.link.read_telemetry()
    assert tel.fault is FaultCode.WATCHDOG
    assert tel.has(Status.RELEASING)
    session.wait(10.0)
    assert released_by_force(session.link.read_telemetry())


def test_watchdog_does_not_trip_within_its_period_or_without_enable(session: SimSession) -> None:
    session.run(HOLD, 0.2)
    session.wait(TEST_INTERLOCKS.watchdog_s - 0.02)
    assert session.run(HOLD, 0.05).fault is FaultCode.NONE
    session.run(Command(Control.NONE), 0.05)
    session.wait(5.0)  # silent, but ENABLE is clear
    assert session.link.read_telemetry().fault is FaultCode.NONE


def test_overforce_trips_on_the_first_sample_above_force_trip() -> None:
    trip = 200.0
    s = open_sim_session(interlocks=InterlockConfig(0.1, trip, 0.02, 0.01, RELEASE_FORCE_N))
    tel = s.pull_to(trip + 1000.0)  # returns at the fault
    assert tel.fault is FaultCode.OVERFORCE
    # at 10 mm/s the pull adds a few newtons per 2 ms sample: the trip happened right at it
    assert max(t.force_n for t in s.trace) < trip + 15.0
    assert_safe_release(s, FaultCode.OVERFORCE)


@pytest.mark.requirement("SR-021")
def test_estop_stops_at_once_with_the_brake_and_does_not_release(session: SimSession) -> None:
    session.pull_to(150.0)
    session.inject("estop-open")
    session.run(PULL, 0.01)
    tel = session.run(PULL, 0.01)  # the next cycle: within one firmware tick of the e-stop
    assert tel.fault is FaultCode.ESTOP
    assert tel.has(Status.ESTOP) and tel.has(Status.BRAKE_ENGAGED)
    assert not tel.has(Status.RELEASING)
    position = tel.position_m
    tel = session.run(PULL, 2.0)
    assert tel.velocity_m_s == 0.0
    assert tel.position_m == position  # no motion at all, not even a release
    assert tel.force_n > 100.0  # tension stays: power is cut, nothing moves


@pytest.mark.requirement("SR-020")
def test_patient_switch_press_releases(session: SimSession) -> None:
    session.pull_to(150.0)
    session.inject("patient-press")
    assert session.run(HOLD, 0.01).has(Status.PATIENT_STOP)
    assert_safe_release(session, FaultCode.PATIENT_STOP)


@pytest.mark.requirement("SR-020")
def test_patient_switch_unplugged_while_enabled_releases(session: SimSession) -> None:
    session.pull_to(150.0)
    session.inject("patient-unplug")
    tel = assert_safe_release(session, FaultCode.PATIENT_STOP)
    assert not tel.has(Status.PATIENT_SWITCH_CONNECTED)


def test_patient_switch_unplugged_while_disabled_is_no_fault_but_blocks_enable(
    session: SimSession,
) -> None:
    session.inject("patient-unplug")
    assert session.run(Command(Control.NONE), 0.5).fault is FaultCode.NONE
    # ENABLE now is the unplugged-while-enabled case: fault, and the drive never enabled
    tel = session.run(PULL, 0.02)
    assert not tel.has(Status.DRIVE_ENABLED)
    assert tel.fault is FaultCode.PATIENT_STOP


@pytest.mark.requirement("SR-010")
@pytest.mark.parametrize("channel", ["A", "B"])
def test_dead_load_cell_channel_releases_by_position_to_home(
    session: SimSession, channel: str
) -> None:
    session.pull_to(150.0)
    session.inject("channel-dead", channel=channel)
    tel = session.until(lambda t: t.fault is not FaultCode.NONE, HOLD, 1.0)
    assert tel.fault is FaultCode.SENSOR
    tel = session.until(lambda t: not t.has(Status.RELEASING), PULL, 30.0)
    assert tel.has(Status.AT_HOME)  # by position: forces are not trusted
    assert tel.has(Status.BRAKE_ENGAGED)


def test_channel_disagreement_longer_than_20ms_trips(session: SimSession) -> None:
    session.pull_to(100.0)
    session.inject("channel-disagree", offset_n=40.0)  # > max(20 N, 5 % of ~140 N)
    tel = session.until(lambda t: t.fault is not FaultCode.NONE, HOLD, 0.1)
    assert tel.fault is FaultCode.SENSOR
    assert session.until(lambda t: not t.has(Status.RELEASING), HOLD, 30.0).has(Status.AT_HOME)


def test_channel_disagreement_shorter_than_20ms_or_within_5_percent_does_not_trip(
    session: SimSession,
) -> None:
    session.pull_to(100.0)
    session.inject("channel-disagree", offset_n=40.0)
    session.run(HOLD, 0.01)  # 10 ms of disagreement, then healed
    session.inject("channel-heal", channel="B")
    assert session.run(HOLD, 0.5).fault is FaultCode.NONE
    session.pull_to(500.0)  # 5 % of 500 N is 25 N: a 22 N disagreement is within it
    session.inject("channel-disagree", offset_n=22.0)
    assert session.run(HOLD, 0.5).fault is FaultCode.NONE


@pytest.mark.requirement("SR-022")
def test_end_of_travel_trips_overtravel(session: SimSession) -> None:
    session.inject("harness-slip")  # nothing on the cable: the carriage runs to the switch
    tel = session.until(lambda t: t.fault is not FaultCode.NONE, PULL, 40.0)
    assert tel.fault is FaultCode.OVERTRAVEL
    assert tel.has(Status.END_OF_TRAVEL)
    tel = session.until(lambda t: not t.has(Status.RELEASING), PULL, 5.0)
    assert not tel.has(Status.END_OF_TRAVEL)
    assert tel.has(Status.BRAKE_ENGAGED)


@pytest.mark.parametrize("cause", ["drive-fault", "stall"])
def test_drive_fault_disables_with_the_brake_and_no_motion(session: SimSession, cause: str) -> None:
    session.pull_to(80.0)
    session.inject(cause)
    tel = session.until(lambda t: t.fault is not FaultCode.NONE, PULL, 2.0)
    assert tel.fault is FaultCode.DRIVE
    position = tel.position_m
    tel = session.run(PULL, 1.0)
    assert tel.has(Status.BRAKE_ENGAGED) and not tel.has(Status.RELEASING)
    assert tel.position_m == position


@pytest.mark.requirement("SR-025")
def test_runaway_trips_overspeed_and_releases(session: SimSession) -> None:
    session.pull_to(20.0)
    session.inject("runaway")
    tel = session.until(lambda t: t.fault is not FaultCode.NONE, PULL, 1.0)
    assert tel.fault is FaultCode.OVERSPEED
    assert max(t.velocity_m_s for t in session.trace) > 1.2 * TEST_INTERLOCKS.velocity_limit_m_s
    assert_safe_release(session, FaultCode.OVERSPEED)
