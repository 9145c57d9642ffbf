"""The command gate: properties of `allowed_velocity`, and that nothing else can make a command."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.app.composition import open_link
from firmware_bridge import Command
from firmware_bridge.approval import ApprovalKey, ApprovedCommand, claim_approval_key
from firmware_bridge.icd import Control, Status
from safety import gate
from safety.gate import CommandGate, GateParams, StiffnessEstimate, allowed_velocity
from safety.limits import load_limits
from tests.safety.factory import NORMAL, snapshot

LIMITS = load_limits()
PARAMS = GateParams.from_limits(LIMITS)
LIMIT_N = 400.0

proposals = st.one_of(st.floats(-1.0, 1.0), st.sampled_from([math.nan, math.inf, -math.inf]))
forces = st.floats(-30.0, 900.0)
positions = st.floats(0.0, 0.3)
stiffnesses = st.floats(LIMITS.stiffness.min_n_m, LIMITS.stiffness.max_n_m)


@pytest.mark.requirement("SR-003", "SR-004", "SR-022", "SR-025")
@given(proposals, forces, positions, stiffnesses)
def test_gate_properties(p: float, force: float, pos: float, k: float) -> None:
    v = allowed_velocity(
        p, force_n=force, position_m=pos, stiffness_n_m=k, force_limit_n=LIMIT_N, params=PARAMS
    )
    assert math.isfinite(v)
    assert abs(v) <= PARAMS.max_speed_m_s
    if not math.isfinite(p):
        assert v == 0.0
    if v > 0:
        assert p > 0 and v <= p  # never faster than asked, never the other way
        assert force < LIMIT_N and pos < PARAMS.max_travel_m
        # the force cannot reach the limit within the stop horizon at this speed
        assert force + k * v * PARAMS.stop_horizon_s <= LIMIT_N + 1e-9
        if force >= PARAMS.slack_min_n:
            assert k * v <= PARAMS.rate_up_n_s + 1e-9
    if v < 0:
        assert p < 0 and v >= p
        assert -k * v <= PARAMS.rate_down_n_s + 1e-9


@pytest.mark.requirement("SR-023")
def test_gate_releases_only_when_tripped_and_idles_until_started() -> None:
    g = CommandGate(LIMITS, LIMIT_N)
    tel = snapshot(100.0)
    assert g.approve(0.01, tel, tripped=True, armed=True) is gate.RELEASE
    assert g.approve(0.01, tel, tripped=False, armed=False) is gate.IDLE
    untared = snapshot(0.0, status=NORMAL & ~Status.TARED)
    assert g.approve(0.01, untared, tripped=False, armed=True) is gate.IDLE
    pull = g.approve(0.01, tel, tripped=False, armed=True).command
    assert pull.control == Control.ENABLE and 0 < pull.velocity_m_s <= 0.01


def test_stiffness_is_learned_from_motion_while_taut() -> None:
    est = StiffnessEstimate(LIMITS)
    for i in range(40):
        x = 0.03 + i * 0.0005
        est.update(x, 20.0 + 20000.0 * (x - 0.03))
    assert est.learned_n_m == pytest.approx(20000.0, rel=0.05)
    assert est.planning_n_m == pytest.approx(20000.0 * LIMITS.stiffness.safety_factor, rel=0.05)
    est.update(0.0, 0.0)  # slack: nothing learned from it
    assert est.learned_n_m == pytest.approx(20000.0, rel=0.05)


def test_only_the_gate_can_approve() -> None:
    with pytest.raises(PermissionError, match="claimed already"):
        claim_approval_key()
    with pytest.raises(PermissionError, match="only the safety gate"):
        ApprovedCommand(Command(Control.ENABLE, 0.05), ApprovalKey())


def test_the_link_refuses_a_plain_command() -> None:
    link = open_link("sim://").link
    link.connect()
    with pytest.raises(TypeError, match="safety gate"):
        link.cycle(Command(Control.ENABLE, 0.05))  # type: ignore[arg-type]
