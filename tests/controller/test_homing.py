"""Homing between sessions: after a treatment the carriage is not home and the next
self-test refuses; homing brings it home through the gate, and the next session starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.app.composition import open_link
from controller.app.site_config import site_config
from controller.console.service import ConsoleService
from controller.core.homing import HomingError, home
from controller.core.preparation import SelfTestError
from controller.core.session_states import State
from controller.protocols.models import ProtocolFile, Static
from controller.run.runner import run_treatment
from firmware_bridge.icd import Status
from safety.limits import load_limits
from sim.board import SimBoard
from sim.injection import inject
from sim.variants import VARIANTS
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


def _home_with_faults(url: str, plan: list[tuple[float, str]]) -> tuple[object, SimBoard]:
    """A short treatment leaves the carriage away; homing then meets `plan`'s faults, each at
    its moment (s into homing). Returns what `home` returned or raised, and the board."""
    opened = open_link(url)
    link, board = opened.link, opened.board
    assert board is not None
    limits = load_limits()
    assert run_treatment(link, SHORT, limits, 75.0).state is State.COMPLETE
    clock, pending = link.clock, sorted(plan)
    start, sleep_until = clock.now(), clock.sleep_until

    def scheduled(deadline: float) -> None:
        while pending and deadline - start >= pending[0][0]:
            inject(board, pending.pop(0)[1], {})
        sleep_until(deadline)

    clock.sleep_until = scheduled  # type: ignore[method-assign]
    try:
        return home(link, limits), board
    except HomingError as exc:
        return exc, board
    finally:
        clock.sleep_until = sleep_until  # type: ignore[method-assign]


@pytest.mark.requirement("SR-040")
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_runaway_while_homing_ends_with_the_release_confirmed(variant: str) -> None:
    """The campaign's finding: homing gave up three cycles after the trip, 21-35 N still on
    the cable. Now it ends only once the release is seen finished."""
    got, board = _home_with_faults(
        f"sim://?patient=lumbar-average&seed=2&variant={variant}", [(0.5, "runaway")]
    )
    assert isinstance(got, HomingError) and "stopped by safety" in str(got)
    assert got.release_confirmed
    limits = load_limits()
    released_n = limits.board.release_force_n + limits.release.confirm_margin_n
    assert board.firmware.physics.tension_n <= released_n


@pytest.mark.requirement("SR-040")
def test_a_release_that_cannot_finish_while_homing_says_so_loudly(tmp_path: Path) -> None:
    """A runaway, then the carriage blocked before the board has let go: the release cannot
    be confirmed within its bound, and homing says RELEASE_TIMEOUT with what to do; the
    console shows it as the high-priority alarm."""
    got, board = _home_with_faults(
        "sim://?patient=lumbar-average&seed=2", [(0.5, "runaway"), (0.7, "stall")]
    )
    assert isinstance(got, HomingError) and not got.release_confirmed
    assert "RELEASE_TIMEOUT" in str(got) and "manual release" in str(got)
    limits = load_limits()
    assert board.firmware.physics.tension_n > limits.board.release_force_n

    opened = open_link("sim://?patient=lumbar-average&seed=2")
    assert opened.board is not None
    assert run_treatment(opened.link, SHORT, limits, 75.0).state is State.COMPLETE
    site = site_config(cli={"records": str(tmp_path / "r.sqlite3")}, env={})
    service = ConsoleService(opened.link, site, limits, limits_source="default")
    clock, start = opened.link.clock, opened.link.clock.now()
    sleep_until, plan = clock.sleep_until, [(0.7, "stall"), (0.5, "runaway")]

    def scheduled(deadline: float) -> None:
        while plan and deadline - start >= plan[-1][0]:
            inject(opened.board, plan.pop()[1], {})  # type: ignore[arg-type]
        sleep_until(deadline)

    clock.sleep_until = scheduled  # type: ignore[method-assign]
    service.owner.home()
    (alarm,) = service.alarms.unacknowledged
    assert alarm.priority == "high" and "RELEASE_TIMEOUT" in alarm.text
