"""A runaway controller (always asks for full speed) on every patient profile and stiffness.

The gate's stop horizon and the monitor must hold the force within the allowance whatever the
patient; this depends on the gate and the monitor, not on the board's open ICD choices, so the
profile matrix runs on the reference board and one case on every board variant.
"""

from __future__ import annotations

import pytest

from controller.core.control_loop import Proposal
from firmware_bridge.values import Telemetry
from safety.limits import Region
from sim.profiles import profile_names
from sim.variants import VARIANTS
from tests.safety.closed_loop import BOARD, rig

PROFILE_CASES = [(p, s) for p in profile_names() for s in (0.3, 1.0, 3.0)]


@pytest.mark.requirement("SR-002", "SR-003")
@pytest.mark.parametrize(
    ("patient", "stiffness"), PROFILE_CASES, ids=[f"{p}-x{s}" for p, s in PROFILE_CASES]
)
def test_runaway_controller_never_exceeds_the_limit(patient: str, stiffness: float) -> None:
    runaway_on(patient, stiffness)


@pytest.mark.requirement("SR-003")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_runaway_controller_on_every_board(variant: str) -> None:
    BOARD["variant"] = variant
    try:
        runaway_on("lumbar-average", 1.0)
    finally:
        BOARD["variant"] = "reference"


def runaway_on(patient: str, stiffness: float) -> None:
    region: Region = "cervical" if patient == "cervical" else "lumbar"
    r = rig(patient, region=region, stiffness=stiffness)

    def runaway(_: float, tel: Telemetry) -> Proposal:
        return Proposal(1.0, target_force_n=None)

    result = r.loop.run(runaway, 60.0)
    limit = r.force_limit_n
    allowed = limit + max(0.02 * limit, 5.0)
    peak = max(t.force_n for t in result.telemetry)
    assert peak <= allowed, f"peak {peak:.1f} N over {allowed:.1f} N"
    over = [
        i
        for i, rec in enumerate(result.records)
        if rec.telemetry is not None and rec.telemetry.force_n > limit
    ]
    if over:  # then the release reached the board within 2 cycles of the first such sample
        first = over[0]
        assert result.records[min(first + 1, len(result.records) - 1)].release_requests >= 1
