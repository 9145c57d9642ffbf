"""SIGKILL of a recording `traction demo` at a moment of its session: nothing committed lost.

Just before the kill, what the store has committed for the session is read as any other
reader would read it; after it, the next opening of the store must still hold all of it, mark
the session interrupted, and verify (audit chain and database). Shared with
tests/records/test_crash.py, which runs twenty of these in every test run.
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.campaign.matrix import Cell
from bench.campaign.sessions import Result
from controller.records.store import INTERRUPTED, SessionStore

ROOT = Path(__file__).resolve().parents[2]
# An hour of treatment: the 12-minute preset once ended before its kill on a fast simulator
# (the kill then proved nothing and the harness reported it "not interrupted").
KILL_SESSION = Path(__file__).with_name("kill_session.toml")
MAX_EXTRA_S = 2.5  # after the session's first committed sample
START_TIMEOUT_S = 60.0
POLL_S = 0.02


@dataclass
class Snapshot:
    session_id: int
    samples: int
    events: list[tuple[int, str]]


def demo_command(db: Path) -> list[str]:
    """`traction demo` of KILL_SESSION recording into `db`."""
    return [
        sys.executable,
        "-m",
        "controller.cli.main",
        "demo",
        str(KILL_SESSION),
        "--records",
        str(db),
        "--emg",
        "none",  # what is killed is the recording; the muscles would only slow each run
    ]


def start(db: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        demo_command(db), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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


def wait_for_session(con: sqlite3.Connection, proc: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    while (sid := session_of(con, proc.pid)) is None:
        if proc.poll() is not None:
            raise RuntimeError(f"the demo ended: {proc.communicate()[1]!r}")
        if time.monotonic() > deadline:
            raise RuntimeError("no session started")
        time.sleep(POLL_S)
    return sid


def kill_now(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL mid-session; a process already ended is the harness's error, not a pass."""
    if proc.poll() is not None:
        raise RuntimeError(
            f"the demo ended before its kill (exit {proc.returncode}): the kill moments must "
            f"fall inside the session ({KILL_SESSION.name})"
        )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()  # reaped: its pid is gone, as after a crash


def losses(store: SessionStore, snap: Snapshot) -> list[str]:
    """What the next opening lost or failed to mark (empty: nothing)."""
    out = []
    row = store.session(snap.session_id)
    if row["outcome"] != INTERRUPTED:
        out.append(f"outcome {row['outcome']!r}, not {INTERRUPTED}")
    kept = len(store.samples(snap.session_id))
    if kept < snap.samples:
        out.append(f"{snap.samples - kept} committed samples lost")
    now = {(e.seq, e.hash) for e in store.events(snap.session_id)}
    missing = set(snap.events) - now
    if missing:
        out.append(f"{len(missing)} committed events lost")
    return out


def run_kill(cell: Cell) -> Result:
    with tempfile.TemporaryDirectory(prefix="campaign-kill-") as tmp:
        db = Path(tmp) / "records.sqlite3"
        SessionStore(db).close()  # the schema exists before the reader looks
        proc = start(db)
        con = reader(db)
        try:
            sid = wait_for_session(con, proc)
            time.sleep(cell.kill_at * MAX_EXTRA_S)
            snap = snapshot(con, sid)
            kill_now(proc)
        finally:
            con.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        store = SessionStore(db)  # the next start
        try:
            problems = losses(store, snap) + store.verify()
            if store.db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                problems.append("integrity_check failed")
        finally:
            store.close()
    return Result(
        cell.key,
        "kill",
        "SIGKILL",
        f"{cell.kill_at:.2f}",
        "lumbar-average",
        "reference",
        cell.seed,
        INTERRUPTED if not problems else "; ".join(problems),
        not problems,
        True,
        0.0,
        0.0,
        0.0,
        math.nan,
        math.nan,
        False,
        f"{snap.samples} samples and {len(snap.events)} events committed before the kill, all kept"
        if not problems
        else "; ".join(problems),
    )
