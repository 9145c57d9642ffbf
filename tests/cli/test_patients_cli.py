"""A registered patient from the first visit to "repeat last", as the technician types it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import ROOT, TIMEOUT_S, TRACTION, traction
from tests.helpers import ready_records

SETUP = (
    "--angle",
    "10",
    "--position",
    "supine, knees flexed",
    "--harness",
    "lumbar pelvic",
    "--split",
    "released",
)

# the first visit's patient, as the technician registers them
REGISTER = ("add", "P-0042", "--name", "A. Pseudonym", "--weight", "62", "--region", "lumbar")


def typed(answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRACTION, *args],
        input=answer,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.mark.requirement("SR-033")
@pytest.mark.requirement("SR-034")
def test_first_visit_then_repeat_last_with_one_confirmation(tmp_path: Path) -> None:
    db = str(ready_records(tmp_path / "records.sqlite3"))
    rec = ("--records", db)
    added = traction("patients", *rec, *REGISTER)
    assert added.returncode == 0, added.stderr
    first = typed(
        "yes\n", "run", "lumbar-static", "--patient", "P-0042", "--dose", "40%BW", *SETUP,
        "--pain-before", "6", "--device", "sim://", *rec,
    )  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert "force: 40 % BW of 62 kg = 243.2 N" in first.stdout
    assert "none applies and start?" in first.stdout
    assert "target  243.2 N" in first.stdout

    declined = typed("no\n", "run", "--patient", "P-0042", "--repeat-last", *rec)
    assert declined.returncode == 2
    assert "not confirmed: nothing was started" in declined.stderr
    assert "repeating session 1" in declined.stdout

    again = typed(
        "yes\n", "run", "--patient", "P-0042", "--repeat-last", "--device", "sim://", *rec
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "set-up: pull at 10 deg, supine, knees flexed, lumbar pelvic harness" in again.stdout

    shown = json.loads(traction("patients", *rec, "show", "P-0042", "--json").stdout)
    assert [s["id"] for s in shown["sessions"]] == [1, 2]  # the declined one never began
    for s in shown["sessions"]:
        assert s["prescription"]["dose"] == {"value": 40.0, "unit": "%BW"}
        assert s["prescription"]["peak_n"] == pytest.approx(243.2)
        assert s["setup"]["angle_deg"] == 10
        assert s["outcome"] == "complete"


def test_register_refusals_name_the_field(tmp_path: Path) -> None:
    rec = ("--records", str(tmp_path / "records.sqlite3"))
    bad = traction(
        "patients", *rec, "add", "P 1", "--name", "X", "--weight", "62", "--region", "lumbar"
    )
    assert bad.returncode == 2 and "ref" in bad.stderr
    heavy = traction(
        "patients", *rec, "add", "P-1", "--name", "X", "--weight", "999", "--region", "lumbar"
    )
    assert heavy.returncode == 2 and "weight_kg" in heavy.stderr
    unknown = traction("run", "lumbar-static", "--patient", "P-404", *rec)
    assert unknown.returncode == 2
    assert "no patient 'P-404' in the register" in unknown.stderr
