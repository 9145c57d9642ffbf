"""The simulated firmware's fault checks as objects: every fault the ICD lists has its check,
the disagreement limit is the ICD's, and each check's reset cause stands exactly while its
condition does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge import icd
from firmware_bridge.icd import FaultCode
from sim import fault_checks
from sim.board import SimBoard
from sim.fault_checks import DISAGREE_MIN_N, OverForce, SensorHealth, disagree_limit

SOURCE = ast.parse((Path(__file__).resolve().parents[2] / "sim" / "fault_checks.py").read_text())


def latched_by(check: type) -> set[str]:
    """The faults a check's class names (read from the source: the board may be compiled)."""
    (cls,) = [n for n in SOURCE.body if isinstance(n, ast.ClassDef) and n.name == check.__name__]
    return {
        node.attr
        for node in ast.walk(cls)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "FaultCode"
    }


def test_every_fault_of_the_icd_has_a_check_in_the_firmwares_order() -> None:
    checks = [*fault_checks.input_checks(), *fault_checks.board_checks()]
    latched = set().union(*(latched_by(type(c)) for c in checks))
    assert latched == {f.name for f in FaultCode if f is not FaultCode.NONE}


finite = st.floats(-2000.0, 2000.0)


@pytest.mark.requirement("SR-010")
@given(finite, finite)
def test_the_disagreement_limit_is_the_icds(a: float, b: float) -> None:
    expected = max(DISAGREE_MIN_N, icd.SENSOR_DISAGREE_SHARE * max(abs(a), abs(b)))
    assert disagree_limit(a, b) == expected


def test_a_cause_stands_exactly_while_its_condition_does() -> None:
    fw = SimBoard(seed=1).firmware
    assert fw.causes_present() == []
    trip = fw.config.force_trip_n
    fw.raw_a = fw.tare_a + trip + 1.0
    assert OverForce().cause(fw) == "force above FORCE_TRIP"
    fw.raw_a = None
    assert SensorHealth().cause(fw) == "load cell unhealthy"
    fw.raw_a = fw.tare_a
    assert fw.causes_present() == []
