"""What the console asks of the records store outside a session: today's readiness, a note
beside a sealed record, a session's protocol saved to the library. Never the link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from controller.console.refused import Refused, operator_name
from controller.maintenance.readiness import readiness
from controller.records.accounts import accounts_exist
from controller.records.backup import last_backup
from controller.records.fhir.outbox import SyncState, sync_state
from controller.records.maintenance import last_calibration, last_daily_check, local_today
from controller.records.patients import add_note
from controller.records.saved_protocols import save_from_session
from controller.records.store import RecordsError, SessionStore

PAIN_MAX = 10  # the numeric rating scale (NRS 0-10)


def readiness_problems(records: Path) -> list[str]:
    """Why no treatment may start today (empty: it may)."""
    try:
        store = SessionStore(records, recover=False)
    except RecordsError as exc:
        return [f"records store unusable: {exc}"]
    try:
        return readiness(last_calibration(store), last_daily_check(store), local_today())
    finally:
        store.close()


def table_facts(
    records: Path, synced: bool = False
) -> tuple[bool, str | None, dict[str, Any] | None]:
    """Whether the table has accounts, when its store was last backed up, and (`synced`: a
    health record is configured) what `traction sync` left; one opening of the store."""
    try:
        store = SessionStore(records, recover=False)
    except RecordsError as exc:
        unusable = {"words": f"health record: records store unusable: {exc}", "trouble": True}
        return True, None, unusable if synced else None
    try:
        backed = last_backup(store)
        state = _sync_words(sync_state(store)) if synced else None
        return accounts_exist(store), None if backed is None else backed[0], state
    finally:
        store.close()


def _sync_words(state: SyncState) -> dict[str, Any]:
    return {"words": state.words(), "trouble": bool(state.given_up or state.last_error)}


def note_after(records: Path, operator: str, session_id: int, pain: Any, comment: str) -> None:
    """Pain after (NRS 0-10) and the patient's words, beside the sealed record."""
    operator = operator_name(operator)
    if pain in (None, "") and not comment.strip():
        raise Refused("give the pain score after, or the patient's comment")
    store = SessionStore(records, recover=False)
    try:
        if pain not in (None, ""):
            score = int(pain)
            if not 0 <= score <= PAIN_MAX:
                raise Refused("pain after: a whole number from 0 to 10 (NRS)")
            add_note(store, session_id, operator, "pain_after", {"pain": score})
        if comment.strip():
            add_note(store, session_id, operator, "comment", {"text": comment.strip()})
    except RecordsError as exc:
        raise Refused(str(exc)) from exc
    finally:
        store.close()


def save_protocol(
    records: Path, operator: str, session_id: int, name: str, description: str
) -> tuple[str, str]:
    """The session's protocol, as run, into the library under a new name: (name, description)."""
    store = SessionStore(records, recover=False)
    try:
        saved = save_from_session(store, session_id, name, operator_name(operator), description)
    except RecordsError as exc:
        raise Refused(str(exc)) from exc
    finally:
        store.close()
    return saved.name, saved.description
