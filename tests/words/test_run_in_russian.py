"""`traction run` at a Russian site in kgf (issue 26): the technician's confirmation, the status
lines, the end and the record's words in Russian, each number with a decimal comma; nothing
left in English but the names, references and paths typed in (tests/words/latin.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import ROOT, TIMEOUT_S, TRACTION, traction
from tests.cli.test_patients_cli import SETUP
from tests.helpers import ready_records
from tests.words.latin import untranslated

RUSSIAN = {"TRACTION_LANGUAGE": "ru", "TRACTION_FORCE_UNIT": "kgf"}


@pytest.mark.requirement("SR-066", "SR-067")
def test_a_treatment_run_from_the_terminal_in_russian(tmp_path: Path) -> None:
    db = str(ready_records(tmp_path / "records.sqlite3"))
    rec = ("--records", db)
    added = traction(
        "patients", *rec, "add", "P-0042", "--name", "A. Pseudonym", "--weight", "62",
        "--region", "lumbar",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    run = subprocess.run(
        [
            *TRACTION, "run", "lumbar-static", "--patient", "P-0042", "--dose", "25кгс", *SETUP,
            "--pain-before", "6", "--device", "sim://", *rec,
        ],
        input="да\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIMEOUT_S,
        check=False,
        env={**os.environ, **RUSSIAN},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    said = run.stdout
    assert "сила: 25 кгс = 245,2 Н (шаблон поясничная, постоянная" in said, said
    assert "ни одного нет, начать? введите да" in said
    assert "заданная   25,0 кгс" in said, said
    assert "сеанс: завершено; ошибка удержания средняя" in said and "запись: сеанс 1 в " in said
    # typed in, and the alarm's markers that scripts read ("*** LOW: ", "what to do: ")
    data = ["P-0042", "A. Pseudonym", "tech", "lumbar-static", "LOW", "HIGH", "what to do"]
    assert not untranslated(said.splitlines(), data), untranslated(said.splitlines(), data)
