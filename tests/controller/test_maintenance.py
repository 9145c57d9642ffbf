"""Calibration verification, the daily check and the readiness gate (issue 13), on sim://."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.app.composition import open_link, simulated_technician
from controller.maintenance.calibration import Reading, judge, newtons, plan_problems, tolerance_n
from controller.maintenance.procedures import ProcedureError, daily_check, verify_calibration
from controller.maintenance.readiness import Entry, NotReady, readiness
from controller.maintenance.simulated_technician import SimulatedTechnician
from controller.maintenance.technician import Act, Action
from controller.records.maintenance import (
    last_calibration,
    last_daily_check,
    record_calibration,
    record_daily_check,
    require_ready_store,
    usage,
)
from controller.records.store import SessionStore
from sim.injection import inject

DEVICE_MAX_N = 890.0
LOADS_KG = (10.0, 20.0, 35.0)
TODAY = date(2026, 12, 3)

pytestmark = pytest.mark.requirement("SR-031")


# --- judging (pure) --------------------------------------------------------------------------
@given(st.floats(min_value=0.9, max_value=1.1), st.booleans())
def test_a_common_gain_error_passes_exactly_when_every_point_is_within_tolerance(
    gain: float, fitted: bool
) -> None:
    readings = [
        Reading(kg, newtons(kg) * gain, newtons(kg) * gain if fitted else None) for kg in LOADS_KG
    ]
    verdict = judge(readings, Reading(0.0, 0.0, 0.0 if fitted else None), DEVICE_MAX_N)
    within = all(abs(newtons(kg) * (gain - 1)) <= tolerance_n(newtons(kg)) for kg in LOADS_KG)
    assert verdict.passed is within
    assert len(verdict.points) == len(LOADS_KG)


@given(st.floats(min_value=-30.0, max_value=30.0))
def test_one_channel_off_fails_the_point_whatever_the_other_reads(error_n: float) -> None:
    readings = [Reading(kg, newtons(kg), newtons(kg) + error_n) for kg in LOADS_KG]
    verdict = judge(readings, Reading(0.0, 0.0, 0.0), DEVICE_MAX_N)
    assert verdict.passed is all(abs(error_n) <= tolerance_n(newtons(kg)) for kg in LOADS_KG)


def test_a_plan_that_cannot_see_a_gain_error_is_refused_before_anything_is_hung() -> None:
    assert plan_problems(LOADS_KG, DEVICE_MAX_N) == []
    assert "at least 3" in plan_problems([10, 35], DEVICE_MAX_N)[0]
    assert "not covered" in " ".join(plan_problems([5, 8, 10], DEVICE_MAX_N))
    assert "spread" in " ".join(plan_problems([30, 32, 35], DEVICE_MAX_N))
    assert "above 0" in plan_problems([0, 10, 35], DEVICE_MAX_N)[0]


def test_a_cell_that_does_not_return_to_zero_fails() -> None:
    readings = [Reading(kg, newtons(kg), newtons(kg)) for kg in LOADS_KG]
    verdict = judge(readings, Reading(0.0, 3.5, 0.1), DEVICE_MAX_N)
    assert not verdict.passed
    assert "hysteresis or creep" in verdict.problems[0]


# --- the procedures on the simulated table ---------------------------------------------------
def _table(url: str = "sim://") -> tuple[object, SimulatedTechnician, object]:
    opened = open_link(url)
    tech = simulated_technician(opened)
    assert tech is not None
    return opened.link, tech, opened.board


def test_a_healthy_load_cell_passes_on_both_channels() -> None:
    link, tech, _ = _table()
    verdict = verify_calibration(link, tech, LOADS_KG, DEVICE_MAX_N)  # type: ignore[arg-type]
    assert verdict.passed, verdict.problems
    for point in verdict.points:
        assert point.force_b_n is not None
        assert abs(point.force_a_n - point.reference_n) <= point.tolerance_n
        assert abs(point.force_b_n - point.reference_n) <= point.tolerance_n


@pytest.mark.parametrize("gain", [0.97, 1.03])
def test_a_common_gain_error_that_the_channel_check_cannot_see_fails_the_calibration(
    gain: float,
) -> None:
    link, tech, _ = _table(f"sim://?gain={gain}")
    verdict = verify_calibration(link, tech, LOADS_KG, DEVICE_MAX_N)  # type: ignore[arg-type]
    assert not verdict.passed
    heaviest = verdict.points[-1]
    assert heaviest.force_b_n is not None
    # the channels agree with each other (no SENSOR fault possible) yet both are off
    assert abs(heaviest.force_a_n - heaviest.force_b_n) < 0.01 * heaviest.reference_n
    assert abs(heaviest.force_a_n / heaviest.reference_n - gain) < 0.005
    assert len(verdict.problems) == len(LOADS_KG)


def test_a_weight_not_confirmed_in_time_stops_the_procedure_unrecorded() -> None:
    link, _, board = _table()

    class Absent(SimulatedTechnician):
        def confirm(self, action: Action, timeout_s: float) -> bool:
            return action.act is not Act.HANG

    absent = Absent(lambda name, params: inject(board, name, params))  # type: ignore[arg-type]
    with pytest.raises(ProcedureError, match="not confirmed within 120 s: Hang"):
        verify_calibration(link, absent, LOADS_KG, DEVICE_MAX_N)  # type: ignore[arg-type]


@pytest.mark.requirement("SR-032")
def test_the_daily_check_proves_switch_and_estop_on_the_board_and_resets_their_faults() -> None:
    link, tech, _ = _table()
    result = daily_check(link, tech)  # type: ignore[arg-type]
    assert result.passed, result.failures
    keys = [s.key for s in result.steps]
    assert keys[:4] == [
        "patient switch pressed",
        "patient switch released",
        "e-stop opened",
        "e-stop closed",
    ]
    assert keys[-1] == "faults reset"


@pytest.mark.requirement("SR-032")
def test_an_estop_the_board_never_sees_fails_that_step_in_bounded_time_and_the_rest_still_run() -> (
    None
):
    link, _, board = _table()

    def dead_estop(name: str, params: object) -> None:
        if not name.startswith("estop"):
            inject(board, name, params)  # type: ignore[arg-type]

    result = daily_check(link, SimulatedTechnician(dead_estop))  # type: ignore[arg-type]
    assert not result.passed
    failed = {s.key: s.detail for s in result.steps if not s.passed}
    assert set(failed) == {"e-stop opened"}  # "closed" is what the board shows anyway
    assert "within 120 s" in failed["e-stop opened"]
    assert [s.key for s in result.steps][-1] == "faults reset"


@pytest.mark.requirement("SR-032")
def test_an_unplugged_hand_switch_fails_the_daily_check_at_once() -> None:
    link, tech, board = _table()
    inject(board, "patient-unplug")  # type: ignore[arg-type]
    result = daily_check(link, tech)  # type: ignore[arg-type]
    assert not result.passed
    assert result.failures == ["patient switch connected: plug the patient's hand switch in"]


# --- readiness (pure) and the log ------------------------------------------------------------
GOOD_CAL = Entry(TODAY - timedelta(days=30), True, TODAY + timedelta(days=335))
GOOD_DAILY = Entry(TODAY, True)


@pytest.mark.requirement("SR-030")
@pytest.mark.parametrize(
    ("cal", "daily", "expected"),
    [
        (GOOD_CAL, GOOD_DAILY, []),
        (None, GOOD_DAILY, ["no calibration verification on record: run `traction calibrate`"]),
        (
            Entry(TODAY, False, TODAY + timedelta(days=365), "10 kg: A -5 N"),
            GOOD_DAILY,
            ["calibration verification of 2026-12-03 failed (10 kg: A -5 N)"],
        ),
        (
            Entry(TODAY - timedelta(days=400), True, TODAY - timedelta(days=35)),
            GOOD_DAILY,
            ["calibration overdue since 2026-10-29: run `traction calibrate`"],
        ),
        (GOOD_CAL, None, ["today's daily check is missing: run the daily check"]),
        (
            GOOD_CAL,
            Entry(TODAY - timedelta(days=1), True),
            ["today's daily check is missing: run the daily check"],
        ),
        (
            GOOD_CAL,
            Entry(TODAY, False, summary="e-stop opened"),
            ["today's daily check failed (e-stop opened)"],
        ),
    ],
)
def test_readiness_names_what_is_wrong_and_the_procedure_to_run(
    cal: Entry | None, daily: Entry | None, expected: list[str]
) -> None:
    problems = readiness(cal, daily, TODAY)
    assert len(problems) == len(expected)
    for got, want in zip(problems, expected, strict=True):
        assert want in got


@pytest.mark.requirement("SR-030")
def test_the_log_keeps_every_result_and_the_gate_reads_the_latest(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "r.sqlite3")
    with pytest.raises(NotReady, match="no calibration"):
        require_ready_store(store, TODAY)
    common: dict[str, Any] = {"board_identity": None, "device_url": "sim://", "today": TODAY}
    record_calibration(
        store, operator="svc", weights="W-1", passed=True, valid_days=365, result={}, **common
    )
    record_daily_check(store, operator="tech", passed=True, result={}, **common)
    require_ready_store(store, TODAY)
    with pytest.raises(NotReady, match="today's daily check is missing"):
        require_ready_store(store, TODAY + timedelta(days=1))
    with pytest.raises(NotReady, match="overdue since 2027-12-03"):
        require_ready_store(store, TODAY + timedelta(days=366))
    record_calibration(
        store,
        operator="svc",
        weights="W-1",
        passed=False,
        valid_days=365,
        result={"problems": ["10 kg: A -5 N", "20 kg: A -10 N"]},
        **common,
    )
    with pytest.raises(NotReady, match=r"failed \(10 kg: A -5 N, and 1 more\)"):
        require_ready_store(store, TODAY)
    cal, daily = last_calibration(store), last_daily_check(store)
    assert cal is not None and not cal.passed
    assert daily == Entry(TODAY, True)
    used = usage(store, 0.01)
    assert [c["passed"] for c in used.calibrations] == [0, 1]
    assert used.daily_checks == 1
    store.close()
