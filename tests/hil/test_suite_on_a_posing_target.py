"""`pytest hil/` itself, as QA runs it, against the simulator posing as a real table: tests
that need fault injection skip with that reason, operator steps prompt and, with nobody
there, skip saying so; with an operator script standing in for the person the switch tests
run and the answers are in the record. JUnit XML, JSON record and report are written."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from hil.targets import builtin_target

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300


def posing_over_tcp(tmp: Path) -> Path:
    """The built-in posing target with its board on Modbus TCP: what these tests prove (skips,
    prompts, records) does not depend on the wire, and the HIL suite over RTU runs on its own
    (`make hil-rtu`); over TCP it runs beside the other wall-clock tests."""
    text = builtin_target("sim-as-real-table").read_text(encoding="utf-8")
    assert 'wire = "rtu"' in text
    twin = tmp / "sim-as-real-table-tcp.toml"
    twin.write_text(text.replace('wire = "rtu"', 'wire = "tcp"'), encoding="utf-8")
    return twin


def hil(out: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "hil",
            "--target",
            str(posing_over_tcp(out)),
            "--hil-out",
            str(out),
            "-q",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return proc, json.loads((out / "record.json").read_text())


def by_name(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["test"].split("::")[-1]: t for t in record["tests"]}


def test_nobody_at_the_posing_table(tmp_path: Path) -> None:
    proc, record = hil(tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    tests = by_name(record)
    assert record["target"]["kind"] == "builtin-sim" and record["outcome"] == "PASS"
    assert record["board_identity"]["product_code"] == "TT-1"
    for name in (
        "test_a_jerk_past_the_limit_is_caught",
        "test_a_runaway_drive_is_stopped",
        "test_sensor_faults_release_to_home[dead-A]",
    ):
        assert tests[name]["outcome"] == "skipped"
        assert "lacks capability fault_injection" in tests[name]["message"]
    press = tests["test_patient_switch_press_releases"]
    assert press["outcome"] == "skipped" and "no terminal to ask on" in press["message"]
    asked = [p for t in record["tests"] for p in t["operator_prompts"]]
    assert [p["step"] for p in asked] == ["attach-test-load"]  # asked once, for the run
    assert asked[0]["answer"] is None and asked[0]["source"] == "nobody"
    assert tests["test_link_and_identity"]["outcome"] == "passed"
    assert all(m["passed"] for m in tests["test_link_and_identity"]["measurements"])
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    suite = junit if junit.tag == "testsuite" else junit[0]
    assert int(suite.get("tests", 0)) == len(record["tests"])
    assert int(suite.get("skipped", 0)) == record["counts"]["skipped"]
    report = (tmp_path / "report.md").read_text()
    assert "simulator posing as a real table" in report and "lacks capability" in report
    # the traceability rows of this target: what its tests proved, what they could not
    rows = {r["requirement"]: r for r in record["traceability"]}
    assert rows["SR-024"]["result"] == "pass"  # interlocks written and read back
    assert rows["SR-020"]["result"] == "not run"  # the patient switch needs a person
    assert "| SR-024 " in report and "## Safety requirements on this target" in report
    props = [p.get("value") for p in junit.iter("property") if p.get("name") == "requirement"]
    assert "SR-024" in props


def test_an_operator_script_stands_in_for_the_person(tmp_path: Path) -> None:
    script = tmp_path / "answers.toml"
    script.write_text(
        'attach-test-load = "done"\npress-patient-switch = "done"\npress-estop = "no, not today"\n'
    )
    proc, record = hil(
        tmp_path / "out",
        "--operator-script",
        str(script),
        "-k",
        "patient_switch_press or estop or unplug",
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    tests = by_name(record)
    press = tests["test_patient_switch_press_releases"]
    assert press["outcome"] == "passed", press["message"]
    steps = {p["step"]: p for t in record["tests"] for p in t["operator_prompts"]}
    assert steps["press-patient-switch"]["answer"] == "done"
    assert steps["press-patient-switch"]["source"] == "script"
    fault = {m["name"]: m for m in press["measurements"]}["board fault"]
    assert fault["value"] == "PATIENT_STOP" and fault["passed"]
    assert press["plots"] and (tmp_path / "out" / press["plots"][0]).exists()
    estop = tests["test_estop_stops_at_once"]
    assert estop["outcome"] == "skipped" and "'no, not today'" in estop["message"]
    unplug = tests["test_patient_switch_unplug_releases"]  # no answer scripted, no terminal
    assert unplug["outcome"] == "skipped" and "no terminal" in unplug["message"]
