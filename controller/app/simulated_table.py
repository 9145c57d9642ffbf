"""A simulated table made ready to treat: what a clinic's technician does on a real one (the
calibration verification with reference weights, today's check), done by the simulated
technician on the simulated reference weights and recorded as a clinic's would be. For the
demo, the console on `sim://`, HIL and the benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from controller.app.composition import open_link, simulated_technician
from controller.maintenance.policy import CALIBRATION_VALID_DAYS
from controller.maintenance.procedures import daily_check, verify_calibration
from controller.maintenance.readiness import readiness
from controller.maintenance.technician import Technician
from controller.records.maintenance import (
    last_calibration,
    last_daily_check,
    local_today,
    record_calibration,
    record_daily_check,
)
from controller.records.store import SessionStore
from firmware_bridge import TableLink

SIMULATED_WEIGHTS = "simulated reference set"
SIMULATED_LOADS_KG = (10.0, 20.0, 35.0)


def ready_simulated_table(
    records: Path,
    url: str,
    device_max_n: float,
    out: Callable[[str], object],
    *,
    daily: bool = True,
) -> bool:
    """On a simulated table, have the simulated technician do whatever procedure is due
    (the calibration verification, and today's check unless `daily` is False: the console
    leaves that to its technician) and record it; True when ready after."""
    store = SessionStore(records)
    try:
        cal, last_daily = last_calibration(store), last_daily_check(store)
        today = local_today()
        due_cal = cal is None or not cal.passed or (cal.due is not None and cal.due < today)
        fresh = last_daily is not None and last_daily.day == today and last_daily.passed
        due_daily = daily and not fresh
        if due_cal or due_daily:
            opened = open_link(url)
            tech = simulated_technician(opened)
            assert tech is not None, "a simulated technician needs a simulated table"
            try:
                done = simulated_procedures(
                    store,
                    opened.link,
                    tech,
                    operator="simulated technician",
                    device_max_n=device_max_n,
                    calibrate=due_cal,
                    daily=due_daily,
                )
            finally:
                opened.link.close()
            for what, passed in done:
                out(f"{what}: {_word(passed)}\n")
        return not readiness(last_calibration(store), last_daily_check(store), today)
    finally:
        store.close()


def simulated_procedures(
    store: SessionStore,
    link: TableLink,
    tech: Technician,
    *,
    operator: str,
    device_max_n: float,
    calibrate: bool = True,
    daily: bool = True,
) -> list[tuple[str, bool]]:
    """The procedures a simulated technician does (the simulated reference weights), on
    `link`, each recorded as a clinic's would be; what was done and whether it passed."""
    done: list[tuple[str, bool]] = []
    if calibrate:
        verdict = verify_calibration(link, tech, SIMULATED_LOADS_KG, device_max_n)
        record_calibration(
            store,
            operator=operator,
            weights=SIMULATED_WEIGHTS,
            passed=verdict.passed,
            valid_days=CALIBRATION_VALID_DAYS,
            result={**verdict.as_data(), "loads_kg": list(SIMULATED_LOADS_KG)},
            board_identity=None,
            device_url=link.url,
        )
        done.append(("calibration verification (simulated weights)", verdict.passed))
    if daily:
        result = daily_check(link, tech)
        record_daily_check(
            store,
            operator=operator,
            passed=result.passed,
            result=result.as_data(),
            board_identity=None,
            device_url=link.url,
        )
        done.append(("today's daily check (simulated technician)", result.passed))
    return done


def _word(passed: bool) -> str:
    return "passed" if passed else "FAILED"
