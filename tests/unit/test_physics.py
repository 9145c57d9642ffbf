"""Model sanity: the simulated patient behaves like one (rise, creep, hysteresis, stiffness)."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.loadcell import LoadCell
from sim.physics import TablePhysics
from sim.profiles import load_profile, profile_names

DT = 0.002


def pull(phys: TablePhysics, speed: float, seconds: float) -> list[tuple[float, float]]:
    trace = []
    for _ in range(round(seconds / DT)):
        phys.step(DT, speed, brake=False)
        trace.append((phys.x, phys.tension_n))
    return trace


def hold(phys: TablePhysics, seconds: float) -> list[float]:
    out = []
    for _ in range(round(seconds / DT)):
        phys.step(DT, 0.0, brake=True)
        out.append(phys.tension_n)
    return out


@pytest.mark.parametrize("name", profile_names())
def test_force_rises_with_pull(name: str) -> None:
    phys = TablePhysics(load_profile(name))
    trace = pull(phys, 0.005, 14.0)
    forces = [f for _, f in trace]
    assert forces[0] == 0.0  # slack first
    assert max(forces) > 100.0
    # after slack is taken up, tension never falls while the carriage advances
    taut = [f for f in forces if f > 1.0]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(taut))


@pytest.mark.parametrize("name", profile_names())
def test_creep_relaxes_at_constant_position(name: str) -> None:
    phys = TablePhysics(load_profile(name))
    pull(phys, 0.005, 14.0)
    start, x_start = phys.tension_n, phys.x
    held = hold(phys, 60.0)
    assert phys.x == x_start > 0.0
    assert held[-1] < start * 0.97  # relaxed by several percent
    assert held[-1] > start * 0.5  # but the patient does not go slack
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(held))


def hysteresis_gap(name: str) -> float:
    """Tension while pulling minus tension while releasing, at the same carriage position."""
    phys = TablePhysics(load_profile(name))
    up = pull(phys, 0.005, 14.0)
    down = pull(phys, -0.005, 14.0)
    x_mid = up[-1][0] * 0.75
    f_up = min(up, key=lambda p: abs(p[0] - x_mid))[1]
    f_down = min(down, key=lambda p: abs(p[0] - x_mid))[1]
    return f_up - f_down


def test_friction_makes_hysteresis_and_a_plain_table_more_of_it() -> None:
    split = hysteresis_gap("lumbar-average")
    plain = hysteresis_gap("lumbar-plain-table")
    assert split > 0.0
    assert plain > split + 100.0


def test_stiffer_patient_pulls_harder_at_the_same_stretch() -> None:
    soft = TablePhysics(load_profile("lumbar-average").scaled(0.3))
    stiff = TablePhysics(load_profile("lumbar-average").scaled(3.0))
    pull(soft, 0.005, 10.0)
    pull(stiff, 0.005, 10.0)
    assert stiff.tension_n > 3 * soft.tension_n


def test_brake_holds_and_home_and_hard_stop_bound_travel() -> None:
    phys = TablePhysics(load_profile("cervical"))
    pull(phys, -0.01, 1.0)
    assert phys.x == 0.0
    hold(phys, 1.0)
    assert phys.v == 0.0
    phys.x = phys.drive.hard_stop_m - 0.0001
    pull(phys, 0.01, 1.0)
    assert phys.x == phys.drive.hard_stop_m


@given(st.floats(-0.05, 0.05), st.floats(-0.05, 0.05))
def test_velocity_loop_respects_acceleration_limit(v0: float, target: float) -> None:
    phys = TablePhysics(load_profile("lumbar-average"))
    phys.x, phys.v = 0.1, v0
    phys.step(DT, target, brake=False)
    assert abs(phys.v - v0) <= phys.drive.accel_max_m_s2 * DT + 1e-12


def test_profiles_load_and_unknown_is_named() -> None:
    assert {"lumbar-light", "lumbar-average", "lumbar-heavy", "cervical"} <= set(profile_names())
    with pytest.raises(KeyError, match="lumbar-average"):
        load_profile("nobody")


def test_load_cell_noise_quantisation_and_saturation() -> None:
    cell = LoadCell(random.Random(1), offset_n=5.0, noise_n=0.5, lsb_n=0.02, full_scale_n=100.0)
    samples = [cell.sample(50.0, DT) for _ in range(5000)]
    values = [s for s in samples if s is not None]
    assert len(values) == len(samples)
    assert statistics.mean(values) == pytest.approx(55.0, abs=0.05)
    assert statistics.stdev(values) == pytest.approx(0.5, rel=0.1)
    assert all(abs(v / 0.02 - round(v / 0.02)) < 1e-6 for v in values)
    assert cell.sample(200.0, DT) is None  # a saturated ADC is an error, not a number


def test_load_cell_faults() -> None:
    cell = LoadCell(random.Random(2), offset_n=0.0, noise_n=0.0)
    first = cell.sample(10.0, DT)
    cell.stick()
    assert cell.sample(500.0, DT) == first
    cell.heal()
    cell.drift(10.0)
    for _ in range(500):
        value = cell.sample(10.0, DT)
    assert value == pytest.approx(20.0, abs=0.05)
    cell.heal()
    cell.kill()
    assert cell.sample(10.0, DT) is None
    cell.heal()
    cell.bias(30.0)
    assert cell.sample(10.0, DT) == pytest.approx(40.0)


def test_same_seed_same_world() -> None:
    def trace(seed: int) -> list[float | None]:
        cell = LoadCell(random.Random(seed), offset_n=1.0)
        return [cell.sample(10.0, DT) for _ in range(100)]

    assert trace(3) == trace(3)
    assert trace(3) != trace(4)
