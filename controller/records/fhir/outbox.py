"""Which ended sessions still wait for the clinic's server, kept in the store across restarts.

Each `traction sync` (the timer runs it every 5 minutes) tries each waiting session once;
after MAX_TRIES failures a session is given up, shown as such on the Table screen and by
`traction sync`, and waits for `traction sync --retry` -- a failure that tries forever
without a person hearing of it is no bound at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.records.store import SessionStore, utc_now

MAX_TRIES = 10  # at the timer's 5 minutes: 45 minutes and more of trying, then given up
RUN_S = 120.0  # one `traction sync` tries no new session after this; the rest wait for the next


@dataclass(frozen=True, slots=True)
class SyncState:
    sent: int
    waiting: int
    given_up: int
    last_error: str | None  # the newest failure's words, while any session waits

    def words(self) -> str:
        if not (self.waiting or self.given_up):
            return f"health record: {self.sent} session(s) sent, none waiting"
        said = f"health record: {self.waiting} session(s) waiting"
        if self.given_up:
            said += f", {self.given_up} given up after {MAX_TRIES} tries (traction sync --retry)"
        return said + (f"; last: {self.last_error}" if self.last_error else "")


def queue_ended(store: SessionStore, server: str) -> int:
    """Every ended session not yet queued, queued for `server`; how many were added."""
    with store.writing() as db:
        added = db.execute(
            "INSERT INTO fhir_pushes (session_id, server) SELECT id, ? FROM sessions "
            "WHERE ended_at IS NOT NULL AND id NOT IN (SELECT session_id FROM fhir_pushes)",
            (server,),
        ).rowcount
    return int(added)


def due(store: SessionStore) -> list[int]:
    rows = store.db.execute(
        "SELECT session_id FROM fhir_pushes WHERE sent_at IS NULL AND tries < ? "
        "ORDER BY session_id",
        (MAX_TRIES,),
    )
    return [int(r[0]) for r in rows]


def mark_sent(store: SessionStore, session_id: int, procedure: str) -> None:
    with store.writing() as db:
        db.execute(
            "UPDATE fhir_pushes SET sent_at = ?, procedure = ?, last_error = NULL, "
            "tries = tries + 1, last_try_at = ? WHERE session_id = ?",
            (utc_now(), procedure, utc_now(), session_id),
        )


def mark_failed(store: SessionStore, session_id: int, error: str) -> int:
    """The failure kept with the session; the tries so far."""
    with store.writing() as db:
        db.execute(
            "UPDATE fhir_pushes SET tries = tries + 1, last_try_at = ?, last_error = ? "
            "WHERE session_id = ?",
            (utc_now(), error, session_id),
        )
        row = db.execute(
            "SELECT tries FROM fhir_pushes WHERE session_id = ?", (session_id,)
        ).fetchone()
    return int(row[0])


def retry(store: SessionStore) -> int:
    """The given-up sessions tried again from the start; how many."""
    with store.writing() as db:
        count = db.execute(
            "UPDATE fhir_pushes SET tries = 0 WHERE sent_at IS NULL AND tries >= ?", (MAX_TRIES,)
        ).rowcount
    return int(count)


def sync_state(store: SessionStore) -> SyncState:
    row = store.db.execute(
        "SELECT SUM(sent_at IS NOT NULL), SUM(sent_at IS NULL AND tries < ?), "
        "SUM(sent_at IS NULL AND tries >= ?) FROM fhir_pushes",
        (MAX_TRIES, MAX_TRIES),
    ).fetchone()
    last = store.db.execute(
        "SELECT last_error FROM fhir_pushes WHERE sent_at IS NULL AND last_error IS NOT NULL "
        "ORDER BY last_try_at DESC LIMIT 1"
    ).fetchone()
    return SyncState(
        int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), None if last is None else last[0]
    )
