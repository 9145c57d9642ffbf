"""The procedures and the gate as a technician meets them: `traction calibrate`, `daily-check`,
`maintenance` and a refused `run`, real processes on a fresh records store (issue 13)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.test_cli import traction

PROTOCOL = "cervical-intermittent"
RUN = ("run", PROTOCOL, "--weight", "70", "--device", "sim://?patient=cervical")
CALIBRATE = ("calibrate", "--weights", "SET-7 cert 2026-114", "--loads", "10,20,35")

pytestmark = pytest.mark.requirement("SR-030")


def sessions(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])


def test_no_treatment_before_the_procedures_and_the_refusal_names_them(tmp_path: Path) -> None:
    db = tmp_path / "records.sqlite3"
    refused = traction(*RUN, "--records", str(db))
    assert refused.returncode == 1, refused.stderr
    assert "the table is not ready" in refused.stderr
    assert "run `traction calibrate`" in refused.stderr
    assert "`traction daily-check`" in refused.stderr
    assert sessions(db) == 0  # refused before its record began: nothing was sent

    calibrated = traction(*CALIBRATE, "--device", "sim://", "--records", str(db))
    assert calibrated.returncode == 0, calibrated.stdout + calibrated.stderr
    assert "PASSED" in calibrated.stdout and "due by" in calibrated.stdout
    still = traction(*RUN, "--records", str(db))
    assert still.returncode == 1
    assert "today's daily check is missing" in still.stderr
    assert "calibrat" not in still.stderr

    checked = traction("daily-check", "--device", "sim://", "--records", str(db))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("[ok]") == 7
    done = traction(*RUN, "--records", str(db))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sessions(db) == 1

    log = json.loads(traction("maintenance", "--records", str(db), "--json").stdout)
    assert log["ready"] is True
    assert log["sessions"] == 1 and log["daily_checks"] == 1
    assert log["calibrations"][0]["weights"] == "SET-7 cert 2026-114"
    assert log["traction_hours"] > 0


@pytest.mark.requirement("SR-031")
def test_a_common_gain_error_fails_calibration_and_then_no_treatment_starts(
    tmp_path: Path,
) -> None:
    db = tmp_path / "records.sqlite3"
    assert traction("daily-check", "--device", "sim://", "--records", str(db)).returncode == 0
    failed = traction(*CALIBRATE, "--device", "sim://?gain=0.96", "--records", str(db))
    assert failed.returncode == 1
    assert "FAILED: recorded" in failed.stdout
    assert "outside" in failed.stdout and "serviced" in failed.stdout
    refused = traction(*RUN, "--records", str(db))
    assert refused.returncode == 1
    assert "calibration verification of" in refused.stderr and "failed" in refused.stderr
    assert "run `traction calibrate`" in refused.stderr
    log = traction("maintenance", "--records", str(db))
    assert "treatments: REFUSED" in log.stdout
    assert sessions(db) == 0


def test_a_bad_plan_is_refused_before_the_table_is_touched(tmp_path: Path) -> None:
    db = tmp_path / "records.sqlite3"
    bad = traction("calibrate", "--weights", "W", "--loads", "5,10", "--records", str(db))
    assert bad.returncode == 2
    assert "at least 3 needed" in bad.stderr
    assert "not covered" in bad.stderr
    junk = traction("calibrate", "--weights", "W", "--loads", "ten", "--records", str(db))
    assert junk.returncode == 2
    assert "expected kg values" in junk.stderr
