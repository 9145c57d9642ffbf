"""The monitor, one test per fault of its list, on synthetic snapshots (it is pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.icd import FaultCode, Status
from firmware_bridge.values import Telemetry
from safety.faults import Priority, SafetyFault
from safety.limits import load_limits
from safety.monitor import Monitor, Observation
from tests.safety.factory import NORMAL, snapshot

LIMITS = load_limits()
LIMIT_N = 400.0
DT = 0.01


def monitor() -> Monitor:
    return Monitor(LIMITS, LIMIT_N, hw_force_max_n=1000.0)


def feed(
    m: Monitor,
    snaps: Sequence[Telemetry | None],
    *,
    t0: float = 0.0,
    active: bool = True,
    target: float | None = None,
    gap: float = DT,
) -> set[SafetyFault]:
    found: set[SafetyFault] = set()
    for i, tel in enumerate(snaps):
        obs = Observation(
            t0 + i * DT, tel, cycle_gap_s=gap, treatment_active=active, target_force_n=target
        )
        found |= {t.fault for t in m.check(obs)}
    return found


NOISE_N = (0.0, 0.02, -0.01, 0.01)  # a real bridge's reading never stands still


def steady(force: float, n: int, **kw: object) -> list[Telemetry | None]:
    return [snapshot(force + NOISE_N[i % 4], seq=i, **kw) for i in range(n)]  # type: ignore[arg-type]


def test_a_quiet_treatment_trips_nothing() -> None:
    assert feed(monitor(), steady(200.0, 500), target=200.0) == set()


@pytest.mark.requirement("SR-049")
@pytest.mark.parametrize("force", [-31.0, 981.0, math.nan])
def test_implausible_force(force: float) -> None:
    assert SafetyFault.IMPLAUSIBLE_FORCE in feed(monitor(), [snapshot(force)])


@pytest.mark.requirement("SR-009")
def test_stale_data_after_frozen_sample_seq() -> None:
    frozen: list[Telemetry | None] = [snapshot(100.0, seq=7) for _ in range(3)]
    assert feed(monitor(), frozen) == set()
    assert feed(monitor(), [*frozen, snapshot(100.0, seq=7)]) == {SafetyFault.STALE_DATA}


@pytest.mark.requirement("SR-010")
def test_channel_disagreement_needs_its_time() -> None:
    brief = [snapshot(100.0, force_b_n=130.0, seq=i) for i in range(5)]  # 40 ms
    assert feed(monitor(), brief, target=125.0) == set()
    longer = [snapshot(100.0, force_b_n=130.0, seq=i) for i in range(7)]
    assert SafetyFault.CHANNEL_DISAGREEMENT in feed(monitor(), longer, target=115.0)


@pytest.mark.requirement("SR-002")
def test_force_above_the_limit() -> None:
    assert SafetyFault.FORCE_LIMIT in feed(monitor(), [snapshot(LIMIT_N + 0.01)], target=LIMIT_N)


@pytest.mark.requirement("SR-004")
def test_force_rate_above_the_limit() -> None:
    rate = LIMITS.rates.max_force_rate_up_n_s * LIMITS.rates.trip_factor * 1.2
    ramp = [snapshot(100.0 + rate * i * DT, seq=i) for i in range(10)]
    assert SafetyFault.FORCE_RATE in feed(monitor(), ramp, target=200.0)
    gentle = LIMITS.rates.max_force_rate_up_n_s
    ramp = [snapshot(100.0 + gentle * i * DT, seq=i) for i in range(100)]
    assert SafetyFault.FORCE_RATE not in feed(monitor(), ramp, target=200.0)


@pytest.mark.requirement("SR-050")
def test_tracking_error_outside_the_window_too_long() -> None:
    n = round(LIMITS.tracking.time_s / DT)
    assert feed(monitor(), steady(150.0, n), target=200.0) == set()
    assert SafetyFault.TRACKING_ERROR in feed(monitor(), steady(150.0, n + 2), target=200.0)


@pytest.mark.requirement("SR-005")
def test_overshoot() -> None:
    over = 200.0 + LIMITS.tracking.overshoot_n + 1.0
    assert SafetyFault.OVERSHOOT in feed(monitor(), [snapshot(over)], target=200.0)


@pytest.mark.requirement("SR-005")
@settings(max_examples=300, deadline=None)
@given(
    excess=st.floats(0.01, 200.0),
    velocity=st.floats(-0.02, 0.02),
    commanded=st.floats(-0.02, 0.02),
)
def test_overshoot_is_the_drive_pulling_past_the_target_not_the_patient(
    excess: float, velocity: float, commanded: float
) -> None:
    """Above the target by more than overshoot_n trips unless the loop is backing off (a
    patient's movement): the carriage moving home, or commanded home and not pulling. A
    carriage pulling outward always trips, whatever it was commanded (a runaway drive)."""
    force = 200.0 + LIMITS.tracking.overshoot_n + excess
    obs = Observation(
        0.0,
        snapshot(force, velocity_m_s=velocity),
        cycle_gap_s=DT,
        treatment_active=True,
        target_force_n=200.0,
        commanded_m_s=commanded,
    )
    found = {trip.fault for trip in monitor().check(obs)}
    still = LIMITS.tracking.backing_off_m_s
    backing_off = velocity <= -still or (commanded < 0.0 and velocity < still)
    assert (SafetyFault.OVERSHOOT in found) is not backing_off
    if velocity >= still:
        assert SafetyFault.OVERSHOOT in found
    if force > LIMIT_N:  # the session limit binds whatever the carriage does
        assert SafetyFault.FORCE_LIMIT in found


RAMP_DOWN_N_S = 60.0  # a ramp down the presets allow; the loop lags it by a fraction of a second


def ramp_down(lag_s: float, extra_n: float = 0.0) -> set[SafetyFault]:
    """Target falls from 300 N at RAMP_DOWN_N_S; the force follows `lag_s` late (+ extra)."""
    m, found = monitor(), set()
    for i in range(200):
        t = i * DT
        target = 300.0 - RAMP_DOWN_N_S * t
        force = 300.0 - RAMP_DOWN_N_S * max(0.0, t - lag_s) + extra_n
        obs = Observation(
            t, snapshot(force, seq=i), cycle_gap_s=DT, treatment_active=True, target_force_n=target
        )
        found |= {trip.fault for trip in m.check(obs)}
    return found


def test_force_following_a_ramp_down_late_is_not_overshoot() -> None:
    lag = LIMITS.tracking.lag_s * 0.9  # more than overshoot_n behind the falling target
    assert RAMP_DOWN_N_S * lag > LIMITS.tracking.overshoot_n
    assert ramp_down(lag) == set()


@pytest.mark.requirement("SR-005")
def test_force_above_anything_recently_planned_is_overshoot() -> None:
    lag = LIMITS.tracking.lag_s
    over = LIMITS.tracking.overshoot_n + 1.0
    assert SafetyFault.OVERSHOOT in ramp_down(lag + 0.1, extra_n=over - RAMP_DOWN_N_S * 0.1 + 1)
    assert SafetyFault.OVERSHOOT in ramp_down(0.0, extra_n=over)


@settings(max_examples=300, deadline=None)
@given(
    targets=st.lists(st.floats(0.0, 400.0), min_size=1, max_size=60),
    offset=st.floats(-50.0, 50.0),
)
def test_overshoot_is_never_looser_than_the_plan_nor_stricter_than_the_target(
    targets: list[float], offset: float
) -> None:
    """Force within overshoot_n of the present target never trips; force above every target
    of the session by more than overshoot_n always does."""
    over = LIMITS.tracking.overshoot_n
    m = Monitor(LIMITS, 1000.0, hw_force_max_n=1000.0)
    for i, target in enumerate(targets):
        force = max(0.0, target + offset)
        obs = Observation(
            i * DT,
            snapshot(force, seq=i),
            cycle_gap_s=DT,
            treatment_active=True,
            target_force_n=target,
        )
        overshoot = any(trip.fault is SafetyFault.OVERSHOOT for trip in m.check(obs))
        if force <= target + over:
            assert not overshoot
        if force > max(targets[: i + 1]) + over:
            assert overshoot or SafetyFault.OVERSHOOT in m.latched
            return


@pytest.mark.requirement("SR-005")
def test_force_while_no_treatment_runs_but_not_while_releasing() -> None:
    assert SafetyFault.FORCE_WHILE_IDLE in feed(monitor(), [snapshot(50.0)], active=False)
    releasing = snapshot(50.0, status=NORMAL | Status.RELEASING)
    assert feed(monitor(), [releasing], active=False) == set()


@pytest.mark.requirement("SR-006")
def test_sudden_force_collapse_while_pulling() -> None:
    snaps = [*steady(200.0, 10), snapshot(40.0, seq=11)]
    assert SafetyFault.FORCE_COLLAPSE in feed(monitor(), snaps, target=200.0)
    # the same drop asked for by the setpoint is no collapse
    assert SafetyFault.FORCE_COLLAPSE not in feed(monitor(), snaps, target=30.0)


@pytest.mark.requirement("SR-020", "SR-021", "SR-051")
@pytest.mark.parametrize(
    ("status", "fault", "expected"),
    [
        (NORMAL | Status.FAULT, FaultCode.WATCHDOG, SafetyFault.BOARD_FAULT),
        (NORMAL | Status.PATIENT_STOP, FaultCode.NONE, SafetyFault.PATIENT_STOP),
        (NORMAL | Status.ESTOP, FaultCode.NONE, SafetyFault.ESTOP),
    ],
)
def test_board_fault_and_switch_bits(
    status: Status, fault: FaultCode, expected: SafetyFault
) -> None:
    assert expected in feed(monitor(), [snapshot(0.0, status=status, fault=fault)], active=False)


@pytest.mark.requirement("SR-011")
def test_link_failures_in_a_row() -> None:
    n = LIMITS.liveness.link_failures
    assert feed(monitor(), [None] * (n - 1)) == set()
    m = monitor()
    assert feed(m, [None] * (n - 1) + [snapshot(0.0)] + [None] * (n - 1), active=False) == set()
    assert feed(monitor(), [None] * n) == {SafetyFault.LINK_FAILURE}


@pytest.mark.requirement("SR-013")
def test_loop_overrun() -> None:
    gap = LIMITS.liveness.max_cycle_gap_s * 1.01
    assert SafetyFault.LOOP_OVERRUN in feed(monitor(), [snapshot(0.0)], active=False, gap=gap)


@pytest.mark.requirement("SR-015")
def test_board_reboot_mid_session() -> None:
    assert SafetyFault.BOARD_REBOOT in feed(
        monitor(), [snapshot(0.0, uptime_s=100.0), snapshot(0.0, uptime_s=0.5, seq=1)], active=False
    )
    untared = NORMAL & ~Status.TARED
    assert SafetyFault.BOARD_REBOOT in feed(
        monitor(),
        [snapshot(0.0), snapshot(0.0, status=untared, seq=1, uptime_s=10.1)],
        active=False,
    )


@pytest.mark.requirement("SR-022", "SR-025")
def test_travel_and_speed() -> None:
    far = snapshot(0.0, position_m=LIMITS.motion.max_travel_m + 0.001)
    assert SafetyFault.TRAVEL_LIMIT in feed(monitor(), [far], active=False)
    fast = snapshot(0.0, velocity_m_s=LIMITS.motion.max_speed_m_s * 1.3)
    assert SafetyFault.SPEED_LIMIT in feed(monitor(), [fast], active=False)


def test_each_fault_is_reported_once_per_latch_with_evidence() -> None:
    m = monitor()
    first = m.check(Observation(0.0, snapshot(LIMIT_N + 5), treatment_active=True))
    assert [t.fault for t in first] == [SafetyFault.FORCE_LIMIT]
    assert first[0].evidence["force_n"] == LIMIT_N + 5
    assert first[0].priority is Priority.HIGH
    assert "FORCE_LIMIT (104, high)" in first[0].describe()
    assert m.check(Observation(DT, snapshot(LIMIT_N + 6, seq=1), treatment_active=True)) == []
    m.clear()
    assert m.check(Observation(2 * DT, snapshot(LIMIT_N + 6, seq=2), treatment_active=True))


def test_causes_present() -> None:
    m = monitor()
    assert m.causes_present(None) == ["no telemetry: the link is down"]
    assert m.causes_present(snapshot(0.0, status=NORMAL)) == []
    causes = m.causes_present(
        snapshot(30.0, status=NORMAL | Status.PATIENT_STOP | Status.RELEASING)
    )
    assert any("patient switch" in c for c in causes)
    assert any("release" in c for c in causes)
    assert any("force" in c for c in causes)


FROZEN_S = LIMITS.plausibility.channel_frozen_s


def frozen_b(n: int, *, every: int = 0) -> list[Telemetry | None]:
    """Channel A noisy, channel B stuck; every `every`-th reply lost (None) when given."""
    out: list[Telemetry | None] = []
    for i in range(n):
        lost = every and i % every == every - 1
        out.append(None if lost else snapshot(100.0 + NOISE_N[i % 4], force_b_n=100.0, seq=i))
    return out


@pytest.mark.requirement("SR-048")
def test_a_frozen_channel_trips_at_its_bound_not_before() -> None:
    n = round(FROZEN_S / DT)  # readings 0..n-1 span (n - 1) * DT: just short of the bound
    assert feed(monitor(), frozen_b(n), target=100.0) == set()
    assert feed(monitor(), frozen_b(n + 1), target=100.0) == {SafetyFault.CHANNEL_FROZEN}


@pytest.mark.requirement("SR-048")
def test_lost_replies_and_stale_cycles_neither_count_nor_break_the_run() -> None:
    assert SafetyFault.CHANNEL_FROZEN in feed(monitor(), frozen_b(200, every=50), target=100.0)
    stale = [snapshot(100.0, seq=5) for _ in range(round(FROZEN_S / DT) + 5)]  # no new sample
    assert SafetyFault.CHANNEL_FROZEN not in feed(monitor(), stale, target=100.0)


@pytest.mark.requirement("SR-048")
def test_a_channel_not_fitted_is_not_judged_and_a_frozen_one_refuses_a_reset() -> None:
    no_b = NORMAL & ~Status.CHANNEL_B_FITTED
    only_a = [
        snapshot(100.0 + NOISE_N[i % 4], force_b_n=0.0, status=no_b, seq=i) for i in range(200)
    ]
    assert feed(monitor(), only_a, target=100.0) == set()
    m = monitor()
    feed(m, frozen_b(100), target=100.0)
    assert any("channel B frozen" in c for c in m.causes_present(snapshot(0.0, seq=200)))


@pytest.mark.requirement("SR-048")
@settings(max_examples=200, deadline=None)
@given(
    readings=st.lists(st.integers(-3, 3), min_size=2, max_size=300),
)
def test_a_channel_trips_frozen_exactly_when_its_reading_stood_still_long_enough(
    readings: list[int],
) -> None:
    """Any sequence of channel-B readings (in counts of 0.01 N): CHANNEL_FROZEN is reported
    exactly when some unbroken run of equal readings spans the bound."""
    m = monitor()
    tripped = False
    run_start = 0
    expected = False
    for i, count in enumerate(readings):
        if i and count != readings[i - 1]:
            run_start = i
        if i * DT - run_start * DT >= FROZEN_S:  # as the monitor measures it
            expected = True
        tel = snapshot(100.0 + NOISE_N[i % 4], force_b_n=100.0 + count * 0.01, seq=i)
        found = m.check(Observation(i * DT, tel, cycle_gap_s=DT, target_force_n=100.0))
        tripped = tripped or any(t.fault is SafetyFault.CHANNEL_FROZEN for t in found)
    assert tripped == expected
