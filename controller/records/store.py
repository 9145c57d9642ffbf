"""The session store: one SQLite file, WAL journal, synchronous=FULL.

A commit returns only once SQLite has the data on disk (FULL syncs the WAL on every
commit), so whatever a commit acknowledged survives a kill -9 or a power cut. Events are
appended under BEGIN IMMEDIATE, which serialises writers, so the one hash chain stays a
chain even with two sessions writing to the same file. Opening a store marks sessions whose
process is gone as interrupted, with their last known state, before anything else reads it.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import structlog

from controller.records.chain import (
    GENESIS,
    ChainedEvent,
    Head,
    canonical,
    event_hash,
    samples_digest,
    verify_chain,
    verify_session,
)
from controller.records.schema import SchemaError, check_version, migrate

log = structlog.get_logger(__name__)

RUNNING = "running"
INTERRUPTED = "interrupted"
BUSY_TIMEOUT_MS = 10_000
# Rows per INSERT statement. executemany would release and retake the GIL for every row;
# while a virtual-time control loop keeps the GIL busy, each retake waits a switch interval
# (5 ms), and the writer fell minutes behind. One multi-row statement is one GIL release,
# and its values are bound as doubles, exactly (13 columns x 500 < SQLite's 32766 variables).
ROWS_PER_INSERT = 500
SEAL_COUNT, SEAL_DIGEST = "samples", "samples_sha256"


@functools.cache
def _insert_samples_sql(rows: int) -> str:
    columns = ("session_id", *SAMPLE_COLUMNS)
    one = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO samples ({', '.join(columns)}) VALUES " + ", ".join([one] * rows)


class RecordsError(RuntimeError):
    """The store cannot be read or written; the message says which file and why."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def process_tag(pid: int | None = None) -> str:
    """host/pid/start-ticks: tells a live session from one whose process died (even if the
    pid was reused since)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{pid}/{_start_ticks(pid)}"


def _start_ticks(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "?"
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: start time in clock ticks


def _process_alive(tag: str) -> bool:
    host, pid_text, ticks = tag.split("/")
    if host != socket.gethostname():
        return True  # another machine's session: not ours to judge
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return ticks == "?" or _start_ticks(pid) == ticks


class SampleRow(NamedTuple):
    cycle: int
    t_s: float
    target_n: float | None
    force_a_n: float | None
    force_b_n: float | None
    position_m: float | None
    velocity_m_s: float | None
    state: str
    phase: str
    status: int | None
    emg_uv: float | None = None  # the muscles' envelope, when reliable (schema 5)
    gate: str | None = None  # the EMG gate's state, when a muscle signal was connected


SAMPLE_COLUMNS: tuple[str, ...] = SampleRow._fields  # the samples table, session_id aside


@dataclass(frozen=True, slots=True)
class NewEvent:
    t_s: float | None
    kind: str  # session | state | operator | alarm | fault | info
    priority: str  # high | medium | low | none
    message: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What identifies a session; written with its first event, which the chain protects."""

    protocol_name: str
    protocol_json: str
    region: str
    patient_ref: str
    weight_kg: float
    operator: str
    limits_sha256: str
    software_version: str
    device_url: str
    patient_id: int | None = None  # the register's patient, when the session names one
    prescription_json: str | None = None  # the force as prescribed (% BW, kg, lb, N)
    setup_json: str | None = None  # angle of pull, position, harness, split table
    checks_json: str | None = None  # contraindications confirmed, pain before (NRS 0-10)
    language: str = "en"  # the words it was run in (en, de, ru): its report's

    def as_data(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


SESSION_FIELDS = SessionInfo.__slots__


class SessionStore:
    """One connection to the store (SQLite connections belong to one thread each)."""

    def __init__(self, path: Path, *, recover: bool = True) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1e3)
            self.db.row_factory = sqlite3.Row
            check_version(self.db)  # before anything is written to a store we cannot read
            mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise RecordsError(f"{path}: cannot use a WAL journal here (got {mode})")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db)
        except (sqlite3.Error, OSError, SchemaError) as exc:
            raise RecordsError(f"{path}: cannot open the records store: {exc}") from exc
        if recover:
            self.mark_interrupted()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction (BEGIN IMMEDIATE): every statement in it is on disk, or none."""
        with self._write() as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- writing ------------------------------------------------------------------------------
    def begin_session(self, info: SessionInfo, t_s: float | None = None) -> int:
        with self._write() as db:
            cur = db.execute(
                f"INSERT INTO sessions (started_at, outcome, host, process, "
                f"{', '.join(SESSION_FIELDS)}) VALUES (?, ?, ?, ?, "
                f"{', '.join('?' for _ in SESSION_FIELDS)})",
                (
                    utc_now(),
                    RUNNING,
                    socket.gethostname(),
                    process_tag(),
                    *(getattr(info, k) for k in SESSION_FIELDS),
                ),
            )
            sid = int(cur.lastrowid or 0)
            self._chain(
                db, sid, [NewEvent(t_s, "session", "none", "session started", info.as_data())]
            )
        return sid

    def append(
        self,
        session_id: int,
        samples: Sequence[SampleRow] = (),
        events: Sequence[NewEvent] = (),
        *,
        board_identity: str | None = None,
        force_limit_n: float | None = None,
        last_state: str | None = None,
        outcome: str | None = None,
        relaxation_json: str | None = None,
        emg_json: str | None = None,
    ) -> None:
        """Samples and events in one transaction: all of it is on disk, or none of it.
        `outcome` is the session's final outcome, written when it ends, before it is sealed."""
        with self._write() as db:
            for start in range(0, len(samples), ROWS_PER_INSERT):
                chunk = samples[start : start + ROWS_PER_INSERT]
                db.execute(
                    _insert_samples_sql(len(chunk)), [v for s in chunk for v in (session_id, *s)]
                )
            if events:
                self._chain(db, session_id, events)
            if board_identity is not None:
                db.execute(
                    "UPDATE sessions SET board_identity = ?, force_limit_n = ? WHERE id = ?",
                    (board_identity, force_limit_n, session_id),
                )
            if last_state is not None:
                db.execute(
                    "UPDATE sessions SET last_state = ? WHERE id = ?", (last_state, session_id)
                )
            if outcome is not None:
                db.execute("UPDATE sessions SET outcome = ? WHERE id = ?", (outcome, session_id))
            if relaxation_json is not None:
                db.execute(
                    "UPDATE sessions SET relaxation_json = ?, emg_json = ? WHERE id = ?",
                    (relaxation_json, emg_json, session_id),
                )

    def end_session(self, session_id: int, outcome: str, last_state: str, t_s: float) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE sessions SET ended_at = ?, outcome = ?, last_state = ? WHERE id = ?",
                (utc_now(), outcome, last_state, session_id),
            )
            seal = self._seal(session_id)
            self._chain(
                db,
                session_id,
                [
                    NewEvent(
                        t_s,
                        "session",
                        "none",
                        f"session ended: {outcome}",
                        {"outcome": outcome, **seal},
                    )
                ],
            )

    def _seal(self, session_id: int) -> dict[str, Any]:
        rows = self.db.execute(
            f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM samples WHERE session_id = ? ORDER BY cycle",
            (session_id,),
        ).fetchall()
        return {SEAL_COUNT: len(rows), SEAL_DIGEST: samples_digest(rows)}

    def _chain(self, db: sqlite3.Connection, session_id: int, events: Iterable[NewEvent]) -> None:
        row = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row["seq"], row["hash"]) if row else (0, GENESIS)
        added = 0
        for e in events:
            seq += 1
            added += 1
            at, data = utc_now(), canonical(e.data)
            digest = event_hash(
                prev, (seq, session_id, at, e.t_s, e.kind, e.priority, e.message, data)
            )
            db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, session_id, at, e.t_s, e.kind, e.priority, e.message, data, prev, digest),
            )
            prev = digest
        db.execute(
            "UPDATE sessions SET event_count = event_count + ?, head_hash = ? WHERE id = ?",
            (added, prev, session_id),
        )
        db.execute("UPDATE meta SET value = ? WHERE key = 'chain_count'", (str(seq),))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('chain_head', ?)", (prev,))

    def mark_interrupted(self) -> list[int]:
        """Sessions left running by a process that is gone: interrupted, last state kept."""
        marked = []
        for row in self.db.execute(
            "SELECT id, process FROM sessions WHERE outcome = ?", (RUNNING,)
        ).fetchall():
            if _process_alive(row["process"]):
                continue
            sid = int(row["id"])
            last = self.db.execute(
                "SELECT t_s, state, phase FROM samples WHERE session_id = ? "
                "ORDER BY cycle DESC LIMIT 1",
                (sid,),
            ).fetchone()
            state = last["state"] if last else "not started"
            evidence = {
                "last_state": state,
                "last_phase": last["phase"] if last else None,
                "last_sample_t_s": last["t_s"] if last else None,
                "process": row["process"],
                **self._seal(sid),
            }
            with self._write() as db:
                still = db.execute(
                    "UPDATE sessions SET outcome = ?, last_state = ?, ended_at = ? "
                    "WHERE id = ? AND outcome = ?",
                    (INTERRUPTED, state, utc_now(), sid, RUNNING),
                ).rowcount
                if not still:  # another process marked it a moment ago
                    continue
                self._chain(
                    db,
                    sid,
                    [
                        NewEvent(
                            last["t_s"] if last else None,
                            "alarm",
                            "medium",
                            f"session interrupted (its process ended without closing it) "
                            f"while {state}",
                            evidence,
                        )
                    ],
                )
            log.warning("session marked interrupted", session_id=sid, **evidence)
            marked.append(sid)
        return marked + self._seal_ended()

    def _seal_ended(self) -> list[int]:
        """Sessions whose end was written but whose process went before sealing them (it was
        waiting for the end alarm's acknowledgement): sealed with the outcome they ended with."""
        sealed = []
        for row in self.db.execute(
            "SELECT id, process, outcome, last_state FROM sessions "
            "WHERE ended_at IS NULL AND outcome NOT IN (?, ?)",
            (RUNNING, INTERRUPTED),
        ).fetchall():
            if _process_alive(row["process"]):
                continue
            last = self.db.execute(
                "SELECT MAX(t_s) AS t FROM samples WHERE session_id = ?", (row["id"],)
            ).fetchone()
            self.end_session(
                int(row["id"]), row["outcome"], row["last_state"] or "", last["t"] or 0.0
            )
            log.warning("ended session sealed after its process", session_id=int(row["id"]))
            sealed.append(int(row["id"]))
        return sealed

    # --- reading ------------------------------------------------------------------------------
    def sessions(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM sessions ORDER BY id").fetchall()

    def session(self, session_id: int) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise RecordsError(f"{self.path}: no session {session_id}")
        return row  # type: ignore[no-any-return]

    def samples(self, session_id: int) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM samples WHERE session_id = ? ORDER BY cycle", (session_id,)
        ).fetchall()

    def events(self, session_id: int | None = None) -> list[ChainedEvent]:
        where, args = (
            ("WHERE session_id = ?", (session_id,)) if session_id is not None else ("", ())
        )
        rows = self.db.execute(f"SELECT * FROM events {where} ORDER BY seq", args).fetchall()
        return [ChainedEvent(**dict(r)) for r in rows]

    def verify(self, session_id: int | None = None) -> list[str]:
        """Chain, heads, and each session's identifying fields against its first event."""
        events = self.events()
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        problems = verify_chain(events, Head(int(meta["chain_count"]), meta.get("chain_head")))
        rows = [self.session(session_id)] if session_id is not None else self.sessions()
        for row in rows:
            sid = int(row["id"])
            problems += verify_session(events, Head(row["event_count"], row["head_hash"]), sid)
            mine = [e for e in events if e.session_id == sid]
            problems += _check_identity(row, mine[0] if mine else None)
            problems += self._check_seal(sid, mine)
        integrity = self.db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"SQLite integrity_check: {integrity}")
        return problems

    def _check_seal(self, session_id: int, events: list[ChainedEvent]) -> list[str]:
        """The samples against the seal in the session's last sealing event, if it has one."""
        seals = [d for d in (json.loads(e.data) for e in events) if SEAL_DIGEST in d]
        if not seals:
            return []  # still running: nothing sealed yet
        sealed, now = seals[-1], self._seal(session_id)
        if now != {SEAL_COUNT: sealed[SEAL_COUNT], SEAL_DIGEST: sealed[SEAL_DIGEST]}:
            return [
                f"session {session_id}: samples differ from those sealed when it ended "
                f"({now[SEAL_COUNT]} rows now, {sealed[SEAL_COUNT]} sealed; edited or deleted)"
            ]
        return []


def _check_identity(row: sqlite3.Row, first: ChainedEvent | None) -> list[str]:
    if first is None or first.message != "session started":
        return [f"session {row['id']}: its 'session started' event is missing"]
    recorded = json.loads(first.data)
    changed = [k for k in SESSION_FIELDS if row[k] != recorded.get(k)]
    if changed:
        return [f"session {row['id']}: {', '.join(changed)} differ from its chained start event"]
    return []
