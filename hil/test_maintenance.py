"""The table fit to treat (issue 13): the gate refuses an unchecked table, the daily check and
the calibration verification run against the table under test, and a common gain error of
both load-cell channels -- which the channels' agreement cannot see -- fails the calibration.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controller.app.simulated_table import SIMULATED_LOADS_KG
from controller.core.end_reason import EXIT_TABLE
from controller.maintenance.procedures import daily_check, verify_calibration
from controller.maintenance.readiness import NotReady
from controller.maintenance.simulated_technician import SimulatedTechnician
from controller.protocols.models import ProtocolFile, Static
from controller.run.treatment_run import TreatmentRun
from hil.measurements import Measurements
from hil.table import HilTable
from hil.targets import Capability
from safety.limits import load_limits

HOLD = ProtocolFile(name="hil-gate", protocol=Static(force_n=60.0, duration_s=5.0))


def _hands(table: HilTable) -> SimulatedTechnician:
    if not table.target.has(Capability.FAULT_INJECTION):
        pytest.skip(f"target '{table.target.name}' cannot hang simulated reference weights")
    return SimulatedTechnician(lambda name, params: table.inject(name, **params))


@pytest.mark.requirement("SR-030")
def test_an_unchecked_table_refuses_the_treatment_before_anything_is_sent(
    table: HilTable, tmp_path: Path
) -> None:
    link = table.open_link()
    store = tmp_path / "fresh.sqlite3"
    run = TreatmentRun(
        link, HOLD, load_limits(), table.target.weight_kg, records=store, operator="hil"
    )
    assert not run.treat()
    ran = run.close()
    assert isinstance(ran.error, NotReady)
    assert re.search(r"traction calibrate.*daily check", str(ran.error))
    assert ran.words.startswith("refused: the table is not ready")
    assert ran.exit_code == EXIT_TABLE
    assert ran.session_id == 0  # no record began: nothing was sent
    assert link.identity is None  # the board was never even connected


@pytest.mark.requirement("SR-031", "SR-032")
def test_the_procedures_on_the_table_and_a_common_gain_error_caught(
    table: HilTable, measure: Measurements
) -> None:
    hands = _hands(table)
    link = table.open_link()
    limits = load_limits()
    daily = daily_check(link, hands)
    measure("daily_check_steps_passed", sum(s.passed for s in daily.steps), low=len(daily.steps))
    good = verify_calibration(link, hands, SIMULATED_LOADS_KG, limits.device_max_force_n)
    worst = max(abs(p.worst_error_n) / p.tolerance_n for p in good.points)
    measure("calibration_worst_error_share", worst, high=1.0, doc="of max(1 %, 1 N)")
    table.inject("gain-error", factor=0.97)
    bad = verify_calibration(link, hands, SIMULATED_LOADS_KG, limits.device_max_force_n)
    table.inject("gain-error", factor=1.0)
    assert good.passed, good.problems
    assert not bad.passed and len(bad.problems) == len(SIMULATED_LOADS_KG)
    assert daily.passed, daily.failures
