"""The store: round trips, its journal settings, migrations, interrupted sessions, refusals."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from controller.records.export import session_document
from controller.records.schema import MIGRATIONS, SCHEMA_VERSION, SchemaError, migrate
from controller.records.store import (
    INTERRUPTED,
    SAMPLE_COLUMNS,
    NewEvent,
    RecordsError,
    SampleRow,
    SessionInfo,
    SessionStore,
)
from tests.records.sessions import recorded

ROOT = Path(__file__).resolve().parents[2]
INFO = SessionInfo(
    protocol_name="p",
    protocol_json="{}",
    region="lumbar",
    patient_ref="P-9",
    weight_kg=70.0,
    operator="op",
    limits_sha256="ab" * 32,
    software_version="v",
    device_url="sim://",
)


@pytest.mark.requirement("SR-017", "SR-018")
def test_a_recorded_session_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    outcome, rec = recorded(db)
    store = SessionStore(db)
    row = store.session(rec.session_id)
    assert row["outcome"] == "complete" and row["operator"] == "tester"
    assert row["patient_ref"] == "P-001" and row["region"] == "lumbar"
    assert row["limits_sha256"] == outcome.prepared.limits.fingerprint()
    assert json.loads(row["board_identity"])["product_code"] == "TT-1"
    assert row["force_limit_n"] == pytest.approx(outcome.prepared.force_limit_n)
    samples = store.samples(rec.session_id)
    assert len(samples) == len(outcome.loop.records)  # every control cycle, none lost
    tel = [r.telemetry for r in outcome.loop.records]
    assert [s["force_a_n"] for s in samples] == [t.force_a_n if t else None for t in tel]
    assert {s["phase"] for s in samples} >= {"slack take-up", "ramp up", "hold", "release"}
    assert samples[0]["t_s"] == pytest.approx(0.0, abs=0.05)
    kinds = [e.kind for e in store.events(rec.session_id)]
    assert kinds[0] == "session" and kinds[-1] == "session" and "state" in kinds
    messages = [e.message for e in store.events(rec.session_id)]
    assert "treatment complete: alarm until acknowledged" in messages
    assert store.verify() == []
    doc = session_document(store, rec.session_id)
    assert len(doc["samples"]) == len(samples) and set(doc["samples"][0]) == set(SAMPLE_COLUMNS)
    assert doc["session"]["protocol"]["name"] == "short-static"


def test_the_store_syncs_every_commit_through_a_wal(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "r.sqlite3")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_samples_and_events_commit_together_or_not_at_all(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "r.sqlite3")
    sid = store.begin_session(INFO)
    row = SampleRow(0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, "running", "hold", 0)
    with pytest.raises(sqlite3.IntegrityError):  # the same cycle twice: the batch is refused
        store.append(sid, [row, row], [NewEvent(0.0, "info", "none", "x", {})])
    assert store.samples(sid) == [] and len(store.events(sid)) == 1
    assert store.verify() == []


def test_an_old_store_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    db.execute(
        "INSERT INTO sessions (started_at, outcome, protocol_name, protocol_json, region, "
        "patient_ref, weight_kg, operator, limits_sha256, software_version, device_url, host, "
        "process) VALUES ('t', 'complete', 'p', '{}', 'lumbar', '', 70, 'o', 'h', 'v', 'u', "
        "'h', 'h/1/1')"
    )
    db.execute("INSERT INTO samples VALUES (1, 0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 'running', 'hold')")
    db.close()
    store = SessionStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    (sample,) = store.samples(1)
    assert sample["force_b_n"] == 3.0 and sample["status"] is None


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RecordsError, match="schema version"):
        SessionStore(path)
    with pytest.raises(SchemaError):
        migrate(sqlite3.connect(path))


def test_an_unusable_location_is_refused_with_its_name(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RecordsError, match="file"):
        SessionStore(blocker / "r.sqlite3")


def test_a_session_whose_process_died_is_marked_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    script = (
        "import sys, os\n"
        "from pathlib import Path\n"
        "from controller.records.store import SessionStore, SampleRow\n"
        "from tests.records.test_store import INFO\n"
        "s = SessionStore(Path(sys.argv[1]))\n"
        "sid = s.begin_session(INFO)\n"
        "s.append(sid, [SampleRow(0, 0.0, 50.0, 49.0, 49.5, 0.01, 0.0, 'running', 'hold', 0)],"
        " last_state='running')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db)], cwd=ROOT, check=True)
    store = SessionStore(db)
    (row,) = store.sessions()
    assert row["outcome"] == INTERRUPTED and row["last_state"] == "running"
    last = store.events(row["id"])[-1]
    assert last.kind == "alarm" and json.loads(last.data)["last_phase"] == "hold"
    assert store.verify() == []
    assert SessionStore(db).mark_interrupted() == []  # marked once, not at every open


def test_a_live_session_is_not_marked_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    writer = SessionStore(db)
    sid = writer.begin_session(INFO)
    assert SessionStore(db).mark_interrupted() == []  # this process is alive
    assert writer.session(sid)["outcome"] == "running"
