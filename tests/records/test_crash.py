"""kill -9 at random moments of running sessions: nothing committed is lost.

Twenty real `traction demo` processes (two at a time, writing to the same store, so the one
audit chain is shared by concurrent writers) are killed with SIGKILL at a random moment of
their session. Just before each kill the test reads, as any other reader would, what the
store has committed for that session; after it, the next opening of the store must still
hold all of it, mark the session interrupted with its last state, and verify.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller.records.store import INTERRUPTED, SessionStore
from tests.records.sessions import demo_command

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
AT_ONCE = 2
MAX_EXTRA_S = 2.5  # after the session's first committed sample
START_TIMEOUT_S = 60.0
POLL_S = 0.02


@dataclass
class Snapshot:
    session_id: int
    samples: int
    events: list[tuple[int, str]]


def start(db: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        demo_command(db),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def reader(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)


def session_of(con: sqlite3.Connection, pid: int) -> int | None:
    row = con.execute(
        "SELECT s.id FROM sessions s WHERE s.process LIKE ? AND EXISTS "
        "(SELECT 1 FROM samples WHERE session_id = s.id)",
        (f"%/{pid}/%",),
    ).fetchone()
    return None if row is None else int(row[0])


def snapshot(con: sqlite3.Connection, sid: int) -> Snapshot:
    con.execute("BEGIN")  # one consistent view of what is committed
    samples = con.execute("SELECT COUNT(*) FROM samples WHERE session_id = ?", (sid,)).fetchone()
    events = con.execute(
        "SELECT seq, hash FROM events WHERE session_id = ? ORDER BY seq", (sid,)
    ).fetchall()
    con.execute("COMMIT")
    return Snapshot(sid, int(samples[0]), [(int(s), str(h)) for s, h in events])


@pytest.mark.requirement("SR-018")
def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "records.sqlite3"
    SessionStore(db).close()  # the schema exists before the first reader looks
    rng = random.Random(20261127)
    taken: list[Snapshot] = []
    for _ in range(KILLS // AT_ONCE):
        procs = [start(db) for _ in range(AT_ONCE)]
        con = reader(db)
        try:
            for proc in procs:
                deadline = time.monotonic() + START_TIMEOUT_S
                while (sid := session_of(con, proc.pid)) is None:
                    if proc.poll() is not None:
                        raise AssertionError(f"the demo ended: {proc.communicate()[1]!r}")
                    assert time.monotonic() < deadline, "no session started"
                    time.sleep(POLL_S)
                time.sleep(rng.uniform(0.0, MAX_EXTRA_S))
                taken.append(snapshot(con, sid))
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()  # reaped: its pid is gone, as after a crash
        finally:
            con.close()
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    store = SessionStore(db)  # the next start: marks the dead sessions
    assert len(taken) == KILLS
    for snap in taken:
        row = store.session(snap.session_id)
        assert row["outcome"] == INTERRUPTED, dict(row)
        assert row["last_state"] in ("running", "stopping", "paused", "complete", "idle")
        assert len(store.samples(snap.session_id)) >= snap.samples
        now = {(e.seq, e.hash) for e in store.events(snap.session_id)}
        assert set(snap.events) <= now, f"session {snap.session_id} lost committed events"
        assert store.events(snap.session_id)[-1].kind == "alarm"
    assert store.verify() == []
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sum(s.samples for s in taken) > 0
