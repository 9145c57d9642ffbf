"""Backups taken while the table writes, verified; a restore that refuses what does not verify."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from controller.maintenance.readiness import readiness
from controller.records.backup import backup, backups_in, check_backup, last_backup, restore
from controller.records.maintenance import last_calibration, last_daily_check, local_today
from controller.records.store import NewEvent, RecordsError, SampleRow, SessionStore
from tests.records.sessions import recorded
from tests.records.test_store import INFO

pytestmark = pytest.mark.requirement("SR-061")
WRITE_EVERY_S = 0.005
BACKUP_BOUND_S = 120.0
LONG_SAMPLES = 200_000


@pytest.fixture
def live(tmp_path: Path) -> Path:
    db = tmp_path / "table" / "records.sqlite3"
    db.parent.mkdir()
    recorded(db)
    return db


def _write_while(db: Path, stop: threading.Event) -> None:
    """Another session's writer, committing every 5 ms meanwhile (a table's commits
    once a second; a writer that never pauses starves every other writer of SQLite's lock)."""
    store = SessionStore(db, recover=False)
    try:
        while not stop.wait(WRITE_EVERY_S):
            store.append(1, events=[NewEvent(None, "info", "none", "busy", {"n": 1})])
    finally:
        store.close()


def test_a_backup_while_sessions_are_written_verifies(live: Path, tmp_path: Path) -> None:
    stop = threading.Event()
    writer = threading.Thread(target=_write_while, args=(live, stop))
    writer.start()
    try:
        made = backup(live, tmp_path / "backups", by="Ada")
    finally:
        stop.set()
        writer.join()
    assert check_backup(made.path) == (made.sessions, made.chain_count)
    assert made.recorded
    store = SessionStore(live, recover=False)
    try:
        backed = last_backup(store)
        assert backed is not None and backed[1] == str(made.path)
    finally:
        store.close()


def test_backups_are_rotated(live: Path, tmp_path: Path) -> None:
    for _ in range(4):
        made = backup(live, tmp_path / "b", by="Ada", keep=2)
    assert backups_in(tmp_path / "b") == sorted([*backups_in(tmp_path / "b")])
    assert len(backups_in(tmp_path / "b")) == 2 and made.path in backups_in(tmp_path / "b")


def test_a_tampered_or_cut_backup_is_refused(live: Path, tmp_path: Path) -> None:
    made = backup(live, tmp_path / "b", by="Ada")
    data = bytearray(made.path.read_bytes())
    data[-100] ^= 0xFF
    made.path.write_bytes(bytes(data))
    with pytest.raises(RecordsError, match="differ from those recorded"):
        restore(made.path, tmp_path / "fresh" / "records.sqlite3", by="Ada")
    assert not (tmp_path / "fresh" / "records.sqlite3").exists()


def test_a_backup_whose_chain_was_edited_and_rehashed_as_a_file_is_refused(
    live: Path, tmp_path: Path
) -> None:
    made = backup(live, tmp_path / "b", by="Ada")
    db = sqlite3.connect(made.path)
    db.execute("UPDATE events SET message = 'nothing happened' WHERE seq = 2")
    db.commit()
    db.close()
    digest = hashlib.sha256(made.path.read_bytes()).hexdigest()
    made.path.with_name(made.path.name + ".sha256").write_text(f"{digest}  x\n")
    with pytest.raises(RecordsError, match="does not verify"):
        check_backup(made.path)


@pytest.mark.requirement("SR-062")
def test_a_restore_on_a_fresh_machine_asks_for_calibration_again(
    live: Path, tmp_path: Path
) -> None:
    made = backup(live, tmp_path / "b", by="Ada")
    fresh = tmp_path / "fresh" / "records.sqlite3"
    assert restore(made.path, fresh, by="Ada") is None
    store = SessionStore(fresh)
    try:
        assert store.verify() == []
        assert len(store.sessions()) == made.sessions
        why = readiness(last_calibration(store), last_daily_check(store), local_today())
        assert why and any("calibration" in w for w in why)
    finally:
        store.close()


def test_a_restore_over_a_newer_store_or_a_running_session_is_refused(
    live: Path, tmp_path: Path
) -> None:
    made = backup(live, tmp_path / "b", by="Ada")
    recorded(live)  # the table went on treating after the backup
    with pytest.raises(RecordsError, match="would lose the newer records"):
        restore(made.path, live, by="Ada")
    kept = restore(made.path, live, by="Ada", replace_newer=True)
    assert kept is not None and kept.exists()  # the replaced store is kept beside it
    assert len(SessionStore(kept, recover=False).sessions()) == 2


def test_a_store_larger_than_a_step_is_backed_up_while_it_is_written(
    live: Path, tmp_path: Path
) -> None:
    """Copied in steps, each commit between two steps restarted the copy: beside a writer a
    store of many steps was never backed up (bench.people, 35 MB). One step is one snapshot."""
    store = SessionStore(live, recover=False)
    try:  # a long session still running: some 15 MB of samples, quickly
        sid = store.begin_session(replace(INFO, protocol_name="long-static", operator="Tess"))
        for start in range(0, LONG_SAMPLES, 10_000):
            store.append(sid, [_sample(c) for c in range(start, start + 10_000)])
    finally:
        store.close()
    stop, made = threading.Event(), []
    writer = threading.Thread(target=_write_while, args=(live, stop))
    writer.start()
    backing = threading.Thread(target=lambda: made.append(backup(live, tmp_path / "b", by="Ada")))
    try:
        backing.start()
        backing.join(timeout=BACKUP_BOUND_S)  # a bound on a hang, not a speed target
        ended_beside_the_writer = not backing.is_alive()
    finally:
        stop.set()
        writer.join()
        backing.join()
    assert ended_beside_the_writer, f"the backup did not end within {BACKUP_BOUND_S} s"
    assert made
    assert live.stat().st_size > 10 * 256 * 4096  # ten steps of 256 pages and made[0].sessions == 2


def _sample(cycle: int) -> SampleRow:
    return SampleRow(cycle, cycle * 0.01, 200.0, 199.5, 199.7, 0.05, 0.0, "running", "hold", 0)
