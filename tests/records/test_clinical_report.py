"""The clinical record and its report: prescription, set-up, checks, pain, delivered dose, PDF,
and the patient's progress over sessions (issue 13), recorded through the real session."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.records.delivered import delivered, stiffness_n_mm
from controller.records.patients import add_note, add_patient, get_patient, notes_of, validated
from controller.records.progress import draw_progress
from controller.records.report import draw_report
from controller.records.store import SessionStore
from tests.helpers import ready_records
from tests.records.sessions import PRESCRIBED_HOLD_S, prescribed

pytestmark = pytest.mark.requirement("SR-033")
HOLD_S = PRESCRIBED_HOLD_S


def treat(db: Path, pain_before: int) -> int:
    return prescribed(db, pain_before)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = ready_records(tmp_path / "records.sqlite3")
    store = SessionStore(path)
    add_patient(
        store,
        validated(
            {
                "ref": "P-7",
                "name": "B. Pseudonym",
                "weight_kg": 70,
                "weight_date": "2026-12-01",
                "regions": ["lumbar"],
            }
        ),
    )
    store.close()
    return path


def test_the_record_says_the_dose_as_written_and_in_newtons_and_the_report_shows_it(
    db: Path, tmp_path: Path
) -> None:
    sid = treat(db, pain_before=7)
    store = SessionStore(db)
    row = store.session(sid)
    assert (
        '"unit":"%BW"' in row["prescription_json"] and '"peak_n":171.6' in row["prescription_json"]
    )
    assert '"angle_deg":15.0' in row["setup_json"]
    assert '"pain_before":7' in row["checks_json"]
    assert store.verify(sid) == []  # the clinical fields are part of the chained start
    add_note(store, sid, "tech-1", "pain_after", {"pain": 4})
    add_note(store, sid, "tech-1", "comment", {"text": "less tingling"})
    assert [n["kind"] for n in notes_of(store, sid)] == ["pain_after", "comment"]
    assert store.verify(sid) == []  # notes sit beside the sealed record, never in it

    dose = delivered(store.samples(sid))
    assert dose.time_at_force_s == pytest.approx(HOLD_S, abs=1.0)
    assert dose.hold_error_mean_n is not None and dose.hold_error_mean_n < 2.0
    assert dose.force_time_n_s > 171.6 * HOLD_S
    assert dose.peak_n == pytest.approx(171.6, abs=3.0)
    assert stiffness_n_mm(store.samples(sid)) is not None

    report = draw_report(store, sid, tmp_path / "report.png")
    assert report.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report.path.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    store.close()


def test_a_tampered_prescription_is_found_by_verify(db: Path) -> None:
    sid = treat(db, pain_before=5)
    store = SessionStore(db)
    store.db.execute(
        "UPDATE sessions SET prescription_json = replace(prescription_json, '25.0', '20.0') "
        "WHERE id = ?",
        (sid,),
    )
    assert any("prescription_json" in p for p in store.verify(sid))
    store.close()


def test_progress_shows_each_visit_with_its_pain_and_stiffness(db: Path, tmp_path: Path) -> None:
    first, second = treat(db, pain_before=7), treat(db, pain_before=5)
    store = SessionStore(db)
    add_note(store, first, "tech-1", "pain_after", {"pain": 5})
    seen = draw_progress(store, get_patient(store, "P-7"), tmp_path / "progress.png")
    assert [v.session_id for v in seen] == [first, second]
    assert [v.pain_before for v in seen] == [7, 5]
    assert [v.pain_after for v in seen] == [5, None]
    assert all(v.prescribed_n == pytest.approx(171.6) for v in seen)
    assert all(v.stiffness_n_mm is not None and v.stiffness_n_mm > 0 for v in seen)
    assert (tmp_path / "progress.pdf").read_bytes()[:5] == b"%PDF-"
    store.close()


def test_every_visit_has_its_relaxation_index_and_the_myotonometry_is_kept_beside_the_pain(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from controller.cli.main import main

    first = treat(db, pain_before=6)
    monkeypatch.setenv("TRACTION_RECORDS", str(db))
    monkeypatch.setenv("TRACTION_CONFIG", str(tmp_path / "none"))
    note = ["sessions", "note", str(first), "--by", "tech-1"]
    assert main([*note, "--myo-before", "15.2,310", "--myo-after", "13.9Hz,270N/m"]) == 0
    with pytest.raises(SystemExit) as refused:
        main([*note, "--myo-before", "150,310"])  # no muscle rings at 150 Hz
    assert refused.value.code == 2
    assert "frequency_hz" in capsys.readouterr().err
    store = SessionStore(db)
    kept = {n["kind"]: n for n in notes_of(store, first)}
    assert kept["myotonometry_before"]["frequency_hz"] == 15.2
    assert kept["myotonometry_after"]["stiffness_n_m"] == 270.0
    seen = draw_progress(store, get_patient(store, "P-7"), tmp_path / "progress.png")
    assert seen[0].relaxation_index_pct is not None and seen[0].relaxation_index_pct > 0
    report = draw_report(store, first, tmp_path / "report.png")
    assert report.path.exists()
    store.close()
