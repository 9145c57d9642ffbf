"""kill -9 at random moments of running sessions: nothing committed is lost.

Ten real `traction demo` processes (two at a time, writing to the same store, so the one
audit chain is shared by concurrent writers) are killed with SIGKILL at a random moment of
their session. Just before each kill the test reads, as any other reader would, what the
store has committed for that session; after it, the next opening of the store must still
hold all of it, mark the session interrupted with its last state, and verify.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from bench.campaign.kills import (
    MAX_EXTRA_S,
    Snapshot,
    kill_now,
    losses,
    reader,
    snapshot,
    start,
    wait_for_session,
)
from controller.records.store import INTERRUPTED, SessionStore

KILLS = 10
AT_ONCE = 2


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
                sid = wait_for_session(con, proc)
                time.sleep(rng.uniform(0.0, MAX_EXTRA_S))
                taken.append(snapshot(con, sid))
                kill_now(proc)
        finally:
            con.close()
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    store = SessionStore(db)  # the next start: marks the dead sessions
    assert len(taken) == KILLS
    for snap in taken:
        assert losses(store, snap) == [], snap.session_id
        row = store.session(snap.session_id)
        assert row["outcome"] == INTERRUPTED, dict(row)
        assert row["last_state"] in ("running", "stopping", "paused", "complete", "idle")
        assert store.events(snap.session_id)[-1].kind == "alarm"
    assert store.verify() == []
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sum(s.samples for s in taken) > 0
