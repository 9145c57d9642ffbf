"""The compiled simulator kernel gives bit for bit what its Python source gives.

`make` compiles sim/kernel.py with mypyc and the import prefers the compiled module; the
source stays the reference (and runs where nothing could be compiled). Same IEEE doubles,
same operations in the same order: the results must be equal, not merely close.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim import kernel
from sim.firmware import TICK_S
from sim.physics import THERMAL_STEP_S, DriveModel
from sim.profiles import load_profile

pytestmark = pytest.mark.requirement("SR-038")
SOURCE = Path(sim.__file__).with_name("kernel.py")
COMPILED = kernel.__spec__ is not None and not str(kernel.__spec__.origin).endswith(".py")


def reference() -> ModuleType:
    """sim/kernel.py as Python, whatever the import would prefer."""
    spec = importlib.util.spec_from_file_location("sim_kernel_reference", SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = reference()
DRIVE = DriveModel()
PROFILE = load_profile("lumbar-average")
MECHANICS = (
    1.0 / DRIVE.velocity_tau_s,
    DRIVE.accel_max_m_s2,
    DRIVE.force_capacity_n,
    DRIVE.hard_stop_m,
    PROFILE.cable_k1_n_m,
    PROFILE.cable_k2_n_m2,
    PROFILE.spine_k_n_m,
    PROFILE.creep_k_n_m,
    1.0 / (PROFILE.creep_k_n_m * PROFILE.creep_tau_s),
    PROFILE.slack_m,
)
THERMAL = (
    DRIVE.idle_current_a,
    DRIVE.current_per_newton_a,
    DRIVE.ambient_c,
    DRIVE.heating_c_per_a2,
    DRIVE.thermal_tau_s,
    THERMAL_STEP_S,
)
floats = st.floats


@pytest.mark.skipif(not COMPILED, reason="sim/kernel.py is not compiled here (make builds it)")
@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(1, 60),
    v_target=floats(-0.03, 0.03),
    held=st.booleans(),
    detached=st.booleans(),
    v=floats(-0.03, 0.03),
    x=floats(-0.01, 0.31),
    y=floats(-0.01, 0.05),
    c=floats(-0.01, 0.05),
    tension=floats(0.0, 1500.0),
    temp=floats(20.0, 90.0),
    thermal=floats(0.0, 0.1),
    disturbance=floats(-60.0, 60.0),
    reference_n=floats(0.0, 400.0),
)
def test_the_compiled_kernel_is_its_source_bit_for_bit(
    *,
    n: int,
    v_target: float,
    held: bool,
    detached: bool,
    v: float,
    x: float,
    y: float,
    c: float,
    tension: float,
    temp: float,
    thermal: float,
    disturbance: float,
    reference_n: float,
) -> None:
    args = (
        n,
        TICK_S,
        v_target,
        held,
        detached,
        (v, x, y, c, 0.0, tension, temp, thermal),
        MECHANICS,
        (PROFILE.friction_coulomb_n, PROFILE.friction_viscous_n_s_m, disturbance, reference_n),
        THERMAL,
    )
    assert kernel.advance(*args) == REFERENCE.advance(*args)
