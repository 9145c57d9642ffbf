"""Homing between sessions: after a treatment the carriage is not home and the next
self-test refuses; homing brings it home through the gate, and the next session starts."""

from __future__ import annotations

import pytest

from controller.composition import open_link
from controller.homing import HomingError, home
from controller.preparation import SelfTestError
from controller.protocols.models import ProtocolFile, Static
from controller.runner import run_treatment
from controller.session_states import State
from firmware_bridge.icd import Status
from safety.limits import load_limits
from tests.helpers import open_sim_session

SHORT = ProtocolFile(name="short", protocol=Static(force_n=100.0, duration_s=4.0))


def test_a_second_session_needs_the_carriage_home_and_homing_brings_it() -> None:
    link = open_link("sim://?patient=lumbar-average&seed=2").link
    limits = load_limits()
    assert run_treatment(link, SHORT, limits, 75.0).state is State.COMPLETE
    after = link.read_telemetry()
    assert not after.has(Status.AT_HOME) and after.position_m > 0.01
    with pytest.raises(SelfTestError, match="traction home"):
        run_treatment(link, SHORT, limits, 75.0)
    homed = home(link, limits)
    assert homed.telemetry.has(Status.AT_HOME)
    assert homed.moved_m == pytest.approx(after.position_m - homed.telemetry.position_m)
    assert not homed.telemetry.has(Status.DRIVE_ENABLED)  # left disabled
    assert run_treatment(link, SHORT, limits, 75.0).state is State.COMPLETE
    assert home(link, limits).moved_m > 0.0
    assert home(link, limits).moved_m == 0.0  # already home: nothing moves


def test_homing_refuses_a_latched_fault_and_an_untared_board() -> None:
    s = open_sim_session()
    s.pull_to(100.0)
    s.inject("patient-press")
    s.wait(5.0)
    with pytest.raises(HomingError, match="PATIENT_STOP latched"):
        home(s.link, load_limits())
    s.inject("patient-release")
    s.link.fault_reset()
    s.inject("reboot")  # power-on away from home: tare lost
    with pytest.raises(HomingError, match="by hand"):
        home(s.link, load_limits())
