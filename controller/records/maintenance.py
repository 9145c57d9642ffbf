"""The maintenance log in the records store: calibrations, daily checks, and the table's use.

Kept beside the sessions because a session's record must be able to say the table was fit
to treat that day, and a reviewer must see the calibration a treatment relied on. Rows are
only ever added; the gate reads the latest of each.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from controller.maintenance.readiness import Entry, require_ready
from controller.records.store import SessionStore, utc_now


def local_today() -> date:
    """The clinic's day: the daily check is for the day the technician sees on the wall."""
    return datetime.now().astimezone().date()


def record_calibration(
    store: SessionStore,
    *,
    operator: str,
    weights: str,
    passed: bool,
    valid_days: int,
    result: dict[str, Any],
    board_identity: str | None,
    device_url: str,
    today: date | None = None,
) -> Entry:
    day = today or local_today()
    due = day + timedelta(days=valid_days)
    with store.db:
        store.db.execute(
            "INSERT INTO calibrations (at, operator, weights, passed, due, result_json, "
            "board_identity, device_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                utc_now(),
                operator,
                weights,
                int(passed),
                due.isoformat(),
                json.dumps(result, sort_keys=True),
                board_identity,
                device_url,
            ),
        )
    return Entry(day, passed, due)


def record_daily_check(
    store: SessionStore,
    *,
    operator: str,
    passed: bool,
    result: dict[str, Any],
    board_identity: str | None,
    device_url: str,
    today: date | None = None,
) -> Entry:
    day = today or local_today()
    with store.db:
        store.db.execute(
            "INSERT INTO daily_checks (at, day, operator, passed, result_json, board_identity, "
            "device_url) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                utc_now(),
                day.isoformat(),
                operator,
                int(passed),
                json.dumps(result, sort_keys=True),
                board_identity,
                device_url,
            ),
        )
    return Entry(day, passed)


def _failures(result_json: str) -> str:
    """The first failure, and how many more: a refusal message must stay readable."""
    data = json.loads(result_json)
    failed = data.get("problems") or [s["key"] for s in data.get("steps", []) if not s["passed"]]
    if not failed:
        return ""
    return str(failed[0]) + (f", and {len(failed) - 1} more" if len(failed) > 1 else "")


def require_ready_store(store: SessionStore, today: date | None = None) -> None:
    """Raises NotReady (naming the procedure to run) unless a treatment may start today."""
    require_ready(last_calibration(store), last_daily_check(store), today or local_today())


def _restored_at(store: SessionStore) -> str:
    """When the store was restored from a backup ('' if never): a restored log cannot vouch
    for the table since its backup, so only procedures done after the restore count."""
    row = store.db.execute("SELECT value FROM meta WHERE key = 'restored_at'").fetchone()
    return "" if row is None else str(row[0])


def last_calibration(store: SessionStore) -> Entry | None:
    row = store.db.execute(
        "SELECT at, passed, due, result_json FROM calibrations WHERE at > ? "
        "ORDER BY id DESC LIMIT 1",
        (_restored_at(store),),
    ).fetchone()
    if row is None:
        return None
    return Entry(
        _day(row["at"]),
        bool(row["passed"]),
        date.fromisoformat(row["due"]),
        "" if row["passed"] else _failures(row["result_json"]),
    )


def last_daily_check(store: SessionStore) -> Entry | None:
    row = store.db.execute(
        "SELECT day, passed, result_json FROM daily_checks WHERE at > ? ORDER BY id DESC LIMIT 1",
        (_restored_at(store),),
    ).fetchone()
    if row is None:
        return None
    return Entry(
        date.fromisoformat(row["day"]),
        bool(row["passed"]),
        summary="" if row["passed"] else _failures(row["result_json"]),
    )


def _day(utc_iso: str) -> date:
    return datetime.fromisoformat(utc_iso).astimezone().date()


@dataclass(slots=True)
class Usage:
    """The table's use as the maintenance log shows it."""

    sessions: int = 0
    traction_s: float = 0.0  # time with a setpoint above zero
    hold_cycles: int = 0  # holds begun (intermittent, static: one per hold)
    faults: Counter[str] = field(default_factory=Counter)
    calibrations: list[dict[str, Any]] = field(default_factory=list)
    daily_checks: int = 0


def usage(store: SessionStore, period_s: float) -> Usage:
    out = Usage()
    out.sessions = int(store.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
    out.traction_s = period_s * int(
        store.db.execute("SELECT COUNT(*) FROM samples WHERE target_n > 0").fetchone()[0]
    )
    out.hold_cycles = int(
        store.db.execute(
            "SELECT COUNT(*) FROM (SELECT phase, LAG(phase) OVER "
            "(PARTITION BY session_id ORDER BY cycle) AS before FROM samples) "
            "WHERE phase LIKE '%hold' AND (before IS NULL OR before != phase)"
        ).fetchone()[0]
    )
    for row in store.db.execute("SELECT data FROM events WHERE kind = 'fault'"):
        out.faults[str(json.loads(row["data"]).get("fault", "?"))] += 1
    out.calibrations = [
        dict(r)
        for r in store.db.execute(
            "SELECT at, operator, weights, passed, due FROM calibrations ORDER BY id DESC"
        )
    ]
    out.daily_checks = int(store.db.execute("SELECT COUNT(*) FROM daily_checks").fetchone()[0])
    return out


def adopt_latest(source: SessionStore, store: SessionStore) -> int:
    """Copy the source log's latest calibration and daily check into `store` (a HIL run's own
    store on a real table relies on that table's log); returns how many rows were copied."""
    copied = 0
    for table in ("calibrations", "daily_checks"):
        row = source.db.execute(f"SELECT * FROM {table} ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            continue
        names = [k for k in row.keys() if k != "id"]  # noqa: SIM118 - a Row iterates values
        with store.db:
            store.db.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                f"({', '.join('?' for _ in names)})",
                [row[k] for k in names],
            )
        copied += 1
    return copied
