"""The EMG gate: a ceiling under the setpoint that may hold or lower, never raise."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.muscles.gate import (
    BACK_OFF_AFTER_S,
    BACK_OFF_SHARE,
    GUARDING,
    HELD,
    GateMode,
    GateSettings,
    GateState,
    GateStep,
    MuscleGate,
)

pytestmark = pytest.mark.requirement("SR-053")
DT = 0.01
THRESHOLD = 9.0

cycle = st.tuples(
    st.one_of(st.none(), st.floats(min_value=0.0, max_value=60.0)),  # envelope (None: unreliable)
    st.floats(min_value=0.0, max_value=600.0),  # the profile's setpoint
    st.floats(min_value=0.0, max_value=600.0),  # the measured force
)


def one_cycle(
    gate: MuscleGate, now: float, inputs: tuple[float | None, float, float], ramp: float = 10.0
) -> GateStep:
    """One control cycle of the gate: (envelope, setpoint, measured force)."""
    envelope, setpoint, force = inputs
    return gate.step(
        now,
        DT,
        envelope_uv=envelope,
        threshold_uv=THRESHOLD,
        setpoint_n=setpoint,
        force_n=force,
        ramp_n_s=ramp,
        floor_n=20.0,
    )


@given(st.lists(cycle, min_size=1, max_size=400), st.floats(min_value=0.5, max_value=50.0))
def test_the_setpoint_never_rises_while_held_and_never_passes_the_profile(
    cycles: list[tuple[float | None, float, float]], ramp: float
) -> None:
    gate = MuscleGate(GateMode.GATED)
    previous: float | None = None
    for i, (envelope, setpoint, force) in enumerate(cycles):
        step = one_cycle(gate, i * DT, (envelope, setpoint, force), ramp)
        effective = min(setpoint, step.ceiling_n)
        assert effective <= setpoint + 1e-9  # never above what the profile asks
        if step.state in HELD and previous is not None:
            assert effective <= previous + 1e-9, f"rose while {step.state} at cycle {i}"
        if envelope is not None and envelope >= THRESHOLD:
            assert step.state in GUARDING
        previous = effective


@given(st.lists(cycle, min_size=1, max_size=100))
def test_monitoring_never_caps_anything(cycles: list[tuple[float | None, float, float]]) -> None:
    gate = MuscleGate(GateMode.MONITOR)
    for i, inputs in enumerate(cycles):
        step = one_cycle(gate, i * DT, inputs)
        assert step.state is GateState.MONITORING and math.isinf(step.ceiling_n)


def run(
    gate: MuscleGate,
    seconds: float,
    inputs: tuple[float | None, float, float],  # envelope, setpoint, measured force
    start: float = 0.0,
) -> list[float]:
    return [one_cycle(gate, start + i * DT, inputs).ceiling_n for i in range(round(seconds / DT))]


def test_guarding_holds_at_the_onset_force_then_backs_off_by_a_tenth_every_eight_seconds() -> None:
    gate = MuscleGate(GateMode.GATED)
    run(gate, 1.0, (4.0, 300.0, 150.0))  # relaxed: the ceiling follows the setpoint
    held = run(gate, BACK_OFF_AFTER_S - 0.5, (12.0, 300.0, 150.0), start=1.0)
    assert held[0] == pytest.approx(150.0) and max(held) == pytest.approx(150.0)
    backed = run(gate, 2 * BACK_OFF_AFTER_S, (12.0, 300.0, 150.0), start=1.0 + BACK_OFF_AFTER_S)
    assert min(backed) == pytest.approx(150.0 * (1 - 2 * BACK_OFF_SHARE))
    assert gate.state is GateState.BACKING_OFF


def test_the_back_off_stops_at_the_slack_force() -> None:
    gate = MuscleGate(GateMode.GATED)
    ceilings = run(gate, 200.0, (30.0, 100.0, 40.0))
    assert min(ceilings) == pytest.approx(20.0)


def test_it_reopens_only_below_the_release_band_then_climbs_at_half_the_ramp_rate() -> None:
    settings = GateSettings()
    gate = MuscleGate(GateMode.GATED, settings)
    run(gate, 1.0, (12.0, 300.0, 100.0))
    assert gate.state is GateState.HOLDING
    run(gate, 1.0, (0.9 * THRESHOLD, 300.0, 100.0), start=1.0)  # under the threshold, in the band
    assert gate.state is GateState.HOLDING
    rising = run(gate, 2.0, (0.5 * THRESHOLD, 300.0, 100.0), start=2.0)
    assert str(gate.state) == GateState.OPEN.value  # (mypy narrows the attribute above)
    # half the protocol's ramp rate (10 N/s), no faster
    assert rising[-1] == pytest.approx(100.0 + settings.rise_share * 10.0 * 2.0, abs=0.2)


def test_the_threshold_is_relative_to_the_baseline_with_an_absolute_floor() -> None:
    s = GateSettings()
    assert s.threshold_uv(2.0) == 5.0  # a quiet baseline: the floor
    assert s.threshold_uv(6.0) == pytest.approx(9.0)
    assert s.threshold_uv(None) == 5.0
