"""`traction sessions verify` finds any edited, deleted or reordered event row.

Exhaustive over a store of two sessions: every row deleted in turn, every field of every row
changed in turn (each edit is a real change, never a no-op)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from controller.cli.main import main
from controller.records.store import SessionStore
from tests.records.sessions import SHORT, recorded

EDITS = {
    "message": "message || ' (edited)'",
    "kind": "CASE kind WHEN 'info' THEN 'fault' ELSE 'info' END",
    "priority": "CASE priority WHEN 'low' THEN 'high' ELSE 'low' END",
    "data": "CASE data WHEN '{}' THEN '{\"x\":1}' ELSE '{}' END",
    "at": "'2020-01-01T00:00:00+00:00'",
    "t_s": "coalesce(t_s, 0) + 1",
    "session_id": "3 - session_id",
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("records") / "r.sqlite3"
    recorded(db, SHORT["static"])
    recorded(db, SHORT["intermittent"], operator="second")
    return db


def copy(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def tamper(src: Path, tmp: Path, *sql: str) -> Path:
    db = copy(src, tmp / "tampered.sqlite3")
    con = sqlite3.connect(db)
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()
    return db


def verify(db: Path) -> list[str]:
    store = SessionStore(db)
    try:
        return store.verify()
    finally:
        store.close()


def event_count(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM events").fetchone()[0])


@pytest.mark.requirement("SR-018")
def test_the_untouched_store_verifies(pristine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "--records", str(pristine), "verify"]) == 0
    assert "verified: all 2 sessions" in capsys.readouterr().out


@pytest.mark.requirement("SR-018")
def test_deleting_any_event_row_is_found(pristine: Path, tmp_path: Path) -> None:
    for seq in range(1, event_count(pristine) + 1):
        db = tamper(pristine, tmp_path, f"DELETE FROM events WHERE seq = {seq}")
        assert verify(db), f"deleting event {seq} went unnoticed"


@pytest.mark.requirement("SR-018")
def test_editing_any_field_of_any_event_row_is_found(pristine: Path, tmp_path: Path) -> None:
    for seq in range(1, event_count(pristine) + 1):
        for column, value in EDITS.items():
            db = tamper(
                pristine, tmp_path, f"UPDATE events SET {column} = {value} WHERE seq = {seq}"
            )
            assert verify(db), f"editing {column} of event {seq} went unnoticed"


@pytest.mark.requirement("SR-018")
def test_reordering_two_events_is_found(pristine: Path, tmp_path: Path) -> None:
    db = tamper(
        pristine,
        tmp_path,
        "UPDATE events SET seq = -1 WHERE seq = 3",
        "UPDATE events SET seq = 3 WHERE seq = 4",
        "UPDATE events SET seq = 4 WHERE seq = -1",
    )
    assert any("does not follow" in p for p in verify(db))


@pytest.mark.requirement("SR-018")
def test_deleting_a_whole_session_is_found(pristine: Path, tmp_path: Path) -> None:
    db = tamper(
        pristine,
        tmp_path,
        "DELETE FROM events WHERE session_id = 2",
        "DELETE FROM samples WHERE session_id = 2",
        "DELETE FROM sessions WHERE id = 2",
    )
    assert any("head records" in p for p in verify(db))


@pytest.mark.requirement("SR-018")
def test_an_edited_session_record_is_found(pristine: Path, tmp_path: Path) -> None:
    db = tamper(pristine, tmp_path, "UPDATE sessions SET operator = 'someone else' WHERE id = 1")
    assert any("operator differ" in p for p in verify(db))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE samples SET force_a_n = force_a_n + 0.1 WHERE session_id = 1 AND cycle = 50",
        "UPDATE samples SET phase = 'hold' WHERE session_id = 2 AND cycle = 0",
        "DELETE FROM samples WHERE session_id = 2 AND cycle = 10",
        "DELETE FROM samples WHERE session_id = 1 AND cycle = "
        "(SELECT MAX(cycle) FROM samples WHERE session_id = 1)",
    ],
    ids=["force-edited", "phase-edited", "row-deleted", "last-row-deleted"],
)
@pytest.mark.requirement("SR-018")
def test_edited_or_deleted_samples_are_found(pristine: Path, tmp_path: Path, sql: str) -> None:
    """Samples are sealed (count and SHA-256) into the chain when the session ends."""
    problems = verify(tamper(pristine, tmp_path, sql))
    assert any("samples differ" in p for p in problems), problems


@pytest.mark.requirement("SR-018")
def test_the_cli_reports_tampering_and_fails(
    pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tamper(pristine, tmp_path, "UPDATE events SET message = 'nothing happened' WHERE seq = 5")
    assert main(["sessions", "--records", str(db), "verify"]) == 1
    out = capsys.readouterr().out
    assert "VERIFY FAILED" in out and "event seq 5" in out and "edited" in out
    assert main(["sessions", "--records", str(db), "verify", "2"]) == 1  # one chain for all
