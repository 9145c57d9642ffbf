"""ICD 4 and 5 rules other than the fault rows: latching, reset, enable, tare, configuration.

All through the real bridge on sim://, as a host would meet them.
"""

from __future__ import annotations

import pytest

from firmware_bridge import Command
from firmware_bridge.errors import ModbusExceptionReply, PreconditionError
from firmware_bridge.icd import Control, ExceptionCode, FaultCode, Status
from firmware_bridge.values import InterlockConfig
from tests.helpers import HOLD, IDLE, PULL, TEST_INTERLOCKS, SimSession, open_sim_session


def trip_patient_stop(s: SimSession) -> None:
    s.pull_to(100.0)
    s.inject("patient-press")
    s.until(lambda t: t.fault is FaultCode.PATIENT_STOP and not t.has(Status.RELEASING), IDLE, 30)


def test_power_on_state() -> None:
    s = open_sim_session(tare=False)
    tel = s.link.read_telemetry()
    assert tel.fault is FaultCode.NONE
    assert tel.has(Status.BRAKE_ENGAGED) and tel.has(Status.AT_HOME)
    assert not tel.has(Status.DRIVE_ENABLED) and not tel.has(Status.TARED)
    assert tel.has(Status.DRIVE_READY) and tel.has(Status.PATIENT_SWITCH_CONNECTED)
    fresh = open_sim_session("sim://?seed=9", tare=False)
    fresh.link.transport.open()
    assert (
        InterlockConfig.from_words(fresh.link.transport.read_holding(8, 10)) == TEST_INTERLOCKS
    )  # what the session configured
    assert fresh.board.firmware.config.watchdog_s > 0


def test_reset_while_the_cause_is_present_changes_nothing(session: SimSession) -> None:
    trip_patient_stop(session)
    tel = session.link.fault_reset()  # the switch is still pressed
    assert tel.fault is FaultCode.PATIENT_STOP and tel.has(Status.FAULT)
    session.inject("patient-release")
    tel = session.link.fault_reset()
    assert tel.fault is FaultCode.NONE and not tel.has(Status.FAULT)
    assert tel.has(Status.DRIVE_READY)


def test_reset_waits_for_the_release_to_finish(session: SimSession) -> None:
    session.pull_to(200.0)
    session.inject("patient-press")
    session.run(HOLD, 0.02)
    session.inject("patient-release")
    tel = session.link.fault_reset()
    assert tel.has(Status.RELEASING)
    assert tel.fault is FaultCode.PATIENT_STOP  # refused: release still running
    session.until(lambda t: not t.has(Status.RELEASING), IDLE, 30)
    assert session.link.fault_reset().fault is FaultCode.NONE


def test_first_fault_is_kept_and_every_cause_must_be_gone(session: SimSession) -> None:
    trip_patient_stop(session)
    session.inject("estop-open")
    tel = session.run(IDLE, 0.05)
    assert tel.fault is FaultCode.PATIENT_STOP  # FAULT_CODE keeps the first fault
    assert tel.has(Status.ESTOP)
    session.inject("patient-release")
    assert session.link.fault_reset().fault is FaultCode.PATIENT_STOP  # e-stop still open
    session.inject("estop-close")
    assert session.link.fault_reset().fault is FaultCode.NONE


def test_latched_fault_ignores_enable_and_velocity(session: SimSession) -> None:
    trip_patient_stop(session)
    session.inject("patient-release")
    position = session.trace[-1].position_m
    tel = session.run(Command(Control.ENABLE, 0.02), 1.0)
    assert not tel.has(Status.DRIVE_ENABLED)
    assert tel.position_m == position


@pytest.mark.requirement("SR-023")
def test_reset_never_starts_motion(session: SimSession) -> None:
    trip_patient_stop(session)
    session.inject("patient-release")
    session.run(Command(Control.ENABLE, 0.02), 0.1)  # host still asking to pull
    tel = session.link.fault_reset()  # the bridge resets with ENABLE low
    assert tel.fault is FaultCode.NONE
    assert not tel.has(Status.DRIVE_ENABLED)
    position = tel.position_m
    session.wait(1.0)
    assert session.link.read_telemetry().position_m == position


@pytest.mark.parametrize(
    ("setup", "command"),
    [
        (lambda s: s.board.firmware.power_on(), PULL),
        (lambda s: s.inject("estop-open"), PULL),
        (lambda s: None, Command(Control.ENABLE | Control.RELEASE, 0.01)),
    ],
    ids=["untared", "estop", "release-held"],
)
def test_drive_enables_only_when_every_icd5_condition_holds(
    setup: object, command: Command
) -> None:
    s = open_sim_session()
    assert s.run(PULL, 0.05).has(Status.DRIVE_ENABLED)
    s.run(IDLE, 0.05)
    setup(s)  # type: ignore[operator]
    tel = s.run(command, 0.2)
    assert not tel.has(Status.DRIVE_ENABLED)
    assert tel.velocity_m_s <= 0.0


def test_tare_zeroes_both_channels_only_when_disabled(session: SimSession) -> None:
    session.pull_to(120.0)
    with pytest.raises(PreconditionError, match="drive disabled"):
        session.link.tare()
    session.run(Command(Control.ENABLE | Control.TARE, 0.0), 0.02)  # raw TARE edge while enabled
    assert session.trace[-1].force_n > 100.0  # ignored: not zeroed under load
    session.run(IDLE, 0.05)
    tel = session.link.tare()  # disabled now (brake holds the load): accepted
    assert abs(tel.force_a_n) < 1.0 and abs(tel.force_b_n) < 1.0


def test_tare_refused_while_a_fault_is_latched(session: SimSession) -> None:
    trip_patient_stop(session)
    with pytest.raises(PreconditionError):
        session.link.tare()


def test_configuration_refused_while_enabled(session: SimSession) -> None:
    session.run(PULL, 0.05)
    with pytest.raises(ModbusExceptionReply) as err:
        session.link.configure_interlocks(TEST_INTERLOCKS)
    assert err.value.code == ExceptionCode.ILLEGAL_DATA_VALUE
    session.run(IDLE, 0.05)
    assert session.link.configure_interlocks(TEST_INTERLOCKS) == TEST_INTERLOCKS


def test_host_release_latches_nothing_and_ends_braked(session: SimSession) -> None:
    session.pull_to(200.0)
    session.link.release_now()
    tel = session.link.read_telemetry()
    assert tel.has(Status.RELEASING) and tel.fault is FaultCode.NONE
    session.wait(30.0)  # the host may fall silent: ENABLE was dropped with the request
    tel = session.link.read_telemetry()
    assert not tel.has(Status.RELEASING) and tel.fault is FaultCode.NONE
    assert tel.force_n < TEST_INTERLOCKS.release_force_n + 1.0
    assert tel.has(Status.BRAKE_ENGAGED)
    assert session.run(PULL, 0.05).has(Status.DRIVE_ENABLED)  # usable again, no reset needed


@pytest.mark.parametrize("cause", ["estop-open", "drive-fault"])
def test_host_release_is_ignored_while_the_carriage_cannot_move(
    session: SimSession, cause: str
) -> None:
    session.pull_to(100.0)
    session.inject(cause)
    session.run(IDLE, 0.05)
    before = session.link.read_telemetry()
    session.link.release_now()
    session.wait(1.0)
    tel = session.link.read_telemetry()
    assert not tel.has(Status.RELEASING) and tel.has(Status.BRAKE_ENGAGED)
    assert tel.position_m == pytest.approx(before.position_m, abs=1e-4)


def test_heartbeat_echo_sample_seq_and_uptime(session: SimSession) -> None:
    before = session.run(HOLD, 0.01)
    after = session.run(HOLD, 0.01)
    assert after.cmd_seq_echo == (before.cmd_seq_echo + 1) % 65536  # FC23 writes before reading
    assert (after.sample_seq - before.sample_seq) % 65536 == 5  # 500 Hz samples, 10 ms cycle
    assert after.uptime_s == pytest.approx(before.uptime_s + 0.01)
    moving = session.run(PULL, 0.2)
    assert moving.has(Status.MOVING) and moving.velocity_m_s == pytest.approx(0.01)


def test_sample_seq_wraps_and_freezes_when_sampling_stops(session: SimSession) -> None:
    fw = session.board.firmware
    fw.sample_seq = 65534
    session.run(HOLD, 0.01)
    assert session.run(HOLD, 0.01).sample_seq == 3  # five samples later, wrapped
    session.inject("samples-freeze")
    frozen = session.run(HOLD, 0.05).sample_seq
    assert session.run(HOLD, 0.05).sample_seq == frozen


def test_board_reboot_loses_tare_and_configuration(session: SimSession) -> None:
    session.run(HOLD, 1.0)
    uptime = session.trace[-1].uptime_s
    session.inject("reboot")
    tel = session.link.read_telemetry()
    assert tel.uptime_s < uptime
    assert not tel.has(Status.TARED)
    assert session.link.read_interlocks() == InterlockConfig.power_on()
