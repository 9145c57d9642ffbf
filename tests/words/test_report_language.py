"""A session's report in the language it was run in (issue 26): recorded with the session,
its words from the catalogue, its numbers and names as recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.clinic.units import Units
from controller.records.delivered import delivered
from controller.records.patients import add_patient, notes_of, validated
from controller.records.report import clinical_lines, draw_report
from controller.records.store import SessionStore
from tests.fhir.conftest import PATIENT, treat
from tests.helpers import ready_records
from tests.words.latin import untranslated

pytestmark = pytest.mark.requirement("SR-067")
EXPECTED = {
    "de": ("VERORDNET", "ABGEGEBEN", "Schmerz vorher: 6/10 (NRS)", "durchgeführt von tech-1"),
    "ru": ("НАЗНАЧЕНО", "ВЫПОЛНЕНО", "боль до: 6/10 (ЧРШ)", "провёл(а) tech-1"),
    "en": ("PRESCRIBED", "DELIVERED", "pain before: 6/10 (NRS)", "run by tech-1"),
}


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = ready_records(tmp_path_factory.mktemp("report") / "records.sqlite3")
    store = SessionStore(db)
    add_patient(store, validated(PATIENT))
    store.close()
    return db


@pytest.mark.parametrize("language", ["de", "ru", "en"])
def test_the_report_is_in_the_sessions_language(
    language: str, store_file: Path, tmp_path: Path
) -> None:
    sid = treat(store_file, language=language)
    store = SessionStore(store_file)
    try:
        row = store.session(sid)
        assert row["language"] == language
        assert store.verify(sid) == []  # the language is part of the chained start
        left, right = clinical_lines(
            row,
            store.events(sid),
            delivered(store.samples(sid)),
            notes_of(store, sid),
            units=Units("kgf"),
            language=row["language"],
        )
        said = "\n".join(left + right)
        for words in EXPECTED[language]:
            assert words in said, (words, said)
        unit = {"ru": "кгс", "de": "kgf", "en": "kgf"}[language]
        assert f"{unit} (" in said  # the site's unit, with the record's newtons beside it
        if language == "ru":  # nothing left in English but names and references
            assert not untranslated(left + right, ["tech-1", "short"]), untranslated(left + right)
        drawn = draw_report(store, sid, tmp_path / "report.png", Units("kgf"))
        assert drawn.path.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    finally:
        store.close()
