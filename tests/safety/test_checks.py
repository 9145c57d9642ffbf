"""The monitor's checks as objects: one per fault, each traced to the requirement that states
it, each latching on its own, and each the one judge of whether its cause refuses a reset."""

from __future__ import annotations

import math
import tomllib
from collections import deque
from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.icd import FaultCode, Status
from safety.checks.base import Observation, Snapshot, SnapshotCheck
from safety.checks.force import ForceWhileIdle
from safety.checks.sensors import ChannelDisagreement, ImplausibleForce
from safety.faults import SafetyFault
from safety.limits import load_limits
from safety.monitor import Monitor
from tests.safety.factory import NORMAL, snapshot

LIMITS = load_limits()
HW_MAX_N = 1000.0
REQUIREMENTS = {
    r["id"]: r["statement"]
    for r in tomllib.loads(files("safety").joinpath("requirements.toml").read_text())["requirement"]
}
# judged by the release handshake (safety/release.py), not per snapshot
NOT_THE_MONITORS = {SafetyFault.RELEASE_TIMEOUT}


def monitor() -> Monitor:
    return Monitor(LIMITS, 400.0, HW_MAX_N)


def test_every_fault_of_the_monitor_has_exactly_one_check() -> None:
    faults = [check.fault for check in monitor().checks]
    assert len(faults) == len(set(faults))
    assert set(faults) == set(SafetyFault) - NOT_THE_MONITORS


@pytest.mark.parametrize("check", monitor().checks, ids=lambda c: type(c).__name__)
def test_each_check_names_the_requirement_that_states_its_fault(check: object) -> None:
    fault, requirement = check.fault, check.requirement  # type: ignore[attr-defined]
    assert fault.name in REQUIREMENTS[requirement]


def now(force_n: float, **kw: object) -> Snapshot:
    """A first snapshot, no treatment running, as a check sees it."""
    tel = snapshot(force_n, **kw)  # type: ignore[arg-type]
    releasing = tel.has(Status.RELEASING)
    return Snapshot(Observation(0.0, tel), tel, None, deque(), 400.0, HW_MAX_N, releasing)


@pytest.mark.requirement("SR-023", "SR-049")
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-100.0, 1100.0)))
def test_a_reset_is_refused_exactly_while_a_reading_is_implausible(force: float) -> None:
    check = ImplausibleForce(LIMITS, HW_MAX_N)
    found = check.judge(now(force))
    implausible = not math.isfinite(force) or force < -30.0 or force > 0.98 * HW_MAX_N
    assert (found is not None) is implausible
    assert (check.cause(snapshot(force)) is not None) is implausible


@pytest.mark.requirement("SR-023", "SR-005")
@given(st.floats(0.0, 100.0))
def test_a_reset_is_refused_exactly_while_force_stays_above_idle(force: float) -> None:
    check = ForceWhileIdle(LIMITS)
    above = force > LIMITS.plausibility.idle_force_n
    assert (check.judge(now(force)) is not None) is above
    assert (check.cause(snapshot(force)) is not None) is above


def test_each_check_latches_alone_and_a_clear_rearms_it() -> None:
    """Two faults at once: each reported once, each re-armed by the reset's clear."""
    m = monitor()
    tel = snapshot(0.0, status=NORMAL | Status.FAULT | Status.ESTOP, fault=FaultCode.WATCHDOG)
    first = {t.fault for t in m.check(Observation(0.0, tel))}
    assert first == {SafetyFault.BOARD_FAULT, SafetyFault.ESTOP}
    assert (
        m.check(Observation(0.01, snapshot(0.0, status=tel.status, seq=1, fault=tel.fault))) == []
    )
    latched = {type(c).__name__ for c in m.checks if c.latched}
    assert latched == {"BoardFault", "EStop"}
    m.clear()
    assert not any(c.latched for c in m.checks)


@pytest.mark.requirement("SR-010", "SR-023")
def test_a_disagreement_refuses_a_reset_until_the_channels_agree_again() -> None:
    check = ChannelDisagreement(LIMITS)
    assert check.judge(now(100.0, force_b_n=140.0)) is None  # not for long enough yet
    assert check.cause(snapshot(100.0)) == "load-cell channels disagree"
    assert check.judge(now(100.0, force_b_n=101.0)) is None
    assert check.cause(snapshot(100.0)) is None


def test_every_snapshot_check_judges_a_quiet_snapshot_as_nothing() -> None:
    for check in monitor().snapshot_checks:
        assert isinstance(check, SnapshotCheck)
        assert check.judge(now(0.0)) is None, type(check).__name__
