"""The technician's commands at a Russian site in kgf (issue 26): `traction calibrate` and
`daily-check`, then `traction run` (its confirmation, status lines, end and record) in Russian,
each number with a decimal comma; nothing left in English but the names, references and paths
typed in, the board's flag names and the markers scripts read (tests/words/latin.py)."""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_patients_cli import REGISTER, SETUP
from tests.cli.test_people_cli import cmd
from tests.helpers import ready_records
from tests.words.latin import untranslated

RUSSIAN = {"TRACTION_LANGUAGE": "ru", "TRACTION_FORCE_UNIT": "kgf"}


def _russian(*args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    return cmd({**os.environ, **RUSSIAN}, *args, typed=answer)


@pytest.mark.requirement("SR-068")
def test_calibration_and_the_daily_check_from_the_terminal_in_russian(tmp_path: Path) -> None:
    rec = ("--records", str(tmp_path / "records.sqlite3"), "--device", "sim://")
    calibrated = _russian("calibrate", "--weights", "SET-7", "--loads", "10,20,35", *rec)
    assert calibrated.returncode == 0, calibrated.stdout + calibrated.stderr
    assert "10 кг = 98,07 Н: A 97,94 Н" in calibrated.stdout, calibrated.stdout
    assert "ПРОЙДЕНО: записано; следующая проверка до " in calibrated.stdout
    checked = _russian("daily-check", *rec)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("[ok]") == 7  # the markers, as scripts read them
    assert "[ok] трос осмотрен: подтверждено техником" in checked.stdout, checked.stdout
    said = (calibrated.stdout + checked.stdout).splitlines()
    data = ["SET-7", "A", "B", "PATIENT_STOP", "ESTOP", "ok"]  # typed in; the channels; flags
    assert not untranslated(said, data), untranslated(said, data)


@pytest.mark.requirement("SR-066", "SR-068")
def test_a_treatment_run_from_the_terminal_in_russian(tmp_path: Path) -> None:
    db = str(ready_records(tmp_path / "records.sqlite3"))
    rec = ("--records", db)
    added = _russian("patients", *rec, *REGISTER)
    assert added.returncode == 0, added.stderr
    assert "зарегистрирован: P-0042" in added.stdout and "62,0 кг (измерено " in added.stdout
    run = _russian(
        "run", "lumbar-static", "--patient", "P-0042", "--dose", "25кгс", *SETUP,
        "--pain-before", "6", "--device", "sim://", *rec, answer="да\n",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    shown = _russian("patients", *rec, "show", "P-0042")
    unknown = _russian("patients", *rec, "show", "P-404")
    assert "  сеанс 1  " in shown.stdout and "завершено" in shown.stdout, shown.stdout
    assert unknown.returncode == 2 and "пациента 'P-404' нет в реестре" in unknown.stderr
    listed = _russian("sessions", *rec, "list")
    verified = _russian("sessions", *rec, "verify")
    assert "пациент P-0042     оператор " in listed.stdout, listed.stdout
    assert verified.stdout.startswith("проверено: все сеансы (1) в "), verified.stdout
    said = "".join(r.stdout for r in (added, run, shown, listed, verified)) + unknown.stderr
    assert "сила: 25 кгс = 245,2 Н (шаблон поясничная, постоянная" in said, said
    assert "ни одного нет, начать? введите да" in said
    assert "заданная   25,0 кгс" in said, said
    assert "сеанс: завершено; ошибка удержания средняя" in said and "запись: сеанс 1 в " in said
    # typed in, and the alarm's markers that scripts read ("*** LOW: ", "what to do: ")
    data = ["P-0042", "P-404", "A. Pseudonym", "tech", "lumbar-static", "LOW", "HIGH", "what to do"]
    data += ["traction", "patients", "integrity_check", "ok"]  # a command's and SQLite's names
    data.append(getpass.getuser())  # the operator, as the commands name them without accounts
    assert not untranslated(said.splitlines(), data), untranslated(said.splitlines(), data)
