"""The simulator's batch path (sim/firmware.py) against its tick-by-tick path on the same
seed: the same trips, the same latched faults, and the same forces (within 0.1 N; in fact
float for float), through whole sessions with every fault of the campaign injected."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.campaign.matrix import FAULTS
from controller.app.composition import open_link
from controller.core.control_loop import CycleRecord
from controller.core.treatment import Treatment
from controller.protocols.models import Intermittent, ProtocolFile
from controller.run.session import TreatmentSession
from safety.limits import load_limits
from sim.injection import inject
from sim.loadcell import LoadCell
from sim.variants import VARIANTS

ENTRY = ProtocolFile(
    name="equivalence",
    protocol=Intermittent(hold_force_n=180, hold_s=3, rest_force_n=90, rest_s=2, cycles=2),
)
_PARAMS = {label: (name, params) for label, name, params in FAULTS}
_IN_A_RAMP = ("runaway", "stall", "channel-drift B", "harness-slip", "patient-press", "")


def trace(batching: bool, fault: str, phase: str, variant: str = "reference") -> tuple:  # type: ignore[type-arg]
    opened = open_link(f"sim://?seed=11&variant={variant}&patient=lumbar-heavy")
    board = opened.board
    assert board is not None
    board.firmware.batching = batching
    session = TreatmentSession(opened.link, ENTRY, load_limits(), 75.0)
    rows: list[tuple[float, float | None, float | None, str, int]] = []
    fired = not fault

    def hook(t: Treatment, r: CycleRecord) -> None:
        nonlocal fired
        if not fired and t.phase == phase:
            fired = True
            inject(board, *_PARAMS[fault])
        tel = r.telemetry
        if tel is None:
            rows.append((r.time_s, None, None, "-", -1))
        else:
            rows.append((r.time_s, tel.force_a_n, tel.force_b_n, tel.fault.name, tel.status.value))

    outcome = session.run(on_cycle=hook)
    trips = [(trip.fault.name, round(trip.time_s, 6)) for trip in outcome.trips]
    fw = board.firmware
    return outcome.label, trips, fw.fault.name, rows, fw.physics.tension_n


def same(fast: tuple, slow: tuple) -> None:  # type: ignore[type-arg]
    assert fast[0] == slow[0]  # the outcome
    assert fast[1] == slow[1]  # the trips, at the same cycles
    assert fast[2] == slow[2]  # the board's latched fault
    assert len(fast[3]) == len(slow[3])
    for a, b in zip(fast[3], slow[3], strict=True):
        assert a[0] == b[0] and a[3:] == b[3:]
        for x, y in ((a[1], b[1]), (a[2], b[2])):
            assert (x is None) == (y is None)
            if x is not None and y is not None:
                assert abs(x - y) <= 0.1
    assert fast[4] == pytest.approx(slow[4], abs=0.1)


@pytest.mark.requirement("SR-038")
@pytest.mark.parametrize("fault", ["", *_PARAMS])
def test_batches_and_ticks_give_the_same_session(fault: str) -> None:
    """Each fault met in a hold, and (the faults that act on motion or force as it changes)
    in a ramp."""
    same(trace(True, fault, "hold"), trace(False, fault, "hold"))
    if fault in _IN_A_RAMP:
        same(trace(True, fault, "ramp up"), trace(False, fault, "ramp up"))


@pytest.mark.requirement("SR-038")
@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "reference"])
def test_on_every_other_board_variant_too(variant: str) -> None:
    for fault in ("", "patient-press"):
        same(trace(True, fault, "hold", variant), trace(False, fault, "hold", variant))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 9_000))
def test_skipped_samples_walk_the_noise_as_taken_ones(seed: int, n: int) -> None:
    taken, skipped = (
        LoadCell(random.Random(seed), offset_n=5.0),
        LoadCell(random.Random(seed), offset_n=5.0),
    )
    for _ in range(n):
        taken.sample(100.0, 0.002)
    skipped.skip(n)
    assert [taken.sample(100.0, 0.002) for _ in range(5)] == [
        skipped.sample(100.0, 0.002) for _ in range(5)
    ]
