"""The HIL suite's own parts, pure: target files, measurements and their verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.measurements import Measurements
from hil.targets import Capability, OperatorStep, TargetError, builtin_target, load_target


@pytest.mark.parametrize("name", ["sim-tcp", "sim-rtu", "sim-as-real-table"])
def test_the_builtin_targets_load(name: str) -> None:
    target = load_target(Path(name))
    assert target.kind == "builtin-sim" and target.patient == "test-spring"


def test_the_documented_real_table_target_is_valid() -> None:
    target = load_target(builtin_target("real-table.example"))
    assert target.kind == "table" and target.device is not None
    assert target.device.startswith("rtu://")
    assert not target.has(Capability.FAULT_INJECTION)
    assert target.needs_operator(OperatorStep.PRESS_PATIENT_SWITCH)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\nkind = "table"\n', "needs device"),
        ('name = "x"\nkind = "table"\ndevice = "sim://"\n', "cannot be sim://"),
        ('name = "x"\nkind = "builtin-sim"\ndevice = "tcp://h:1"\n', "drop device"),
        (
            'name = "x"\nkind = "table"\ndevice = "tcp://h:1"\n'
            'capabilities = ["fault_injection"]\n',
            "control interface",
        ),
        ('name = "x"\nkind = "builtin-sim"\ncapabilities = ["teleport"]\n', "capabilities"),
        ('name = "x"\nkind = "builtin-sim"\nspeed = 3\n', "speed"),
        ('name = "x"\nkind = "builtin-sim"\n[operator]\nsteps = ["dance"]\n', "operator.steps"),
        ("name = \n", "cannot read"),
    ],
)
def test_a_bad_target_file_is_refused_naming_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(TargetError, match=message) as err:
        load_target(path)
    assert str(path) in str(err.value)


def test_measurements_check_their_limits() -> None:
    m = Measurements()
    assert m("in", 1.0, "N", low=0.0, high=2.0).passed
    assert not m("above", 3.0, "N", high=2.0).passed
    assert not m("below", -1.0, "N", low=0.0).passed
    assert not m("nan", float("nan"), "N", high=2.0).passed
    assert m("same", "OVERFORCE", equals="OVERFORCE").passed
    assert not m("other", "NONE", equals="OVERFORCE").passed
    assert m("note", "anything").passed
    assert [x.name for x in m.failed] == ["above", "below", "nan", "other"]


def test_timing_is_recorded_but_not_enforced_where_the_target_says_so() -> None:
    shared = Measurements(enforce_timing=False)
    late = shared("reaction", 0.2, "s", high=0.05, timing=True)
    assert late.passed and not late.within and "not enforced" in late.verdict
    assert not shared("force", 9.0, "N", high=5.0).passed  # only timing is relaxed
    bench = Measurements(enforce_timing=True)
    assert not bench("reaction", 0.2, "s", high=0.05, timing=True).passed
