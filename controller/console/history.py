"""The History screen's reads of the records store: list, detail, export, report, verify.

Why a module of its own: the web layer stays a router, and these are the same reads as
`traction sessions` (controller/cli/sessions_cmd.py), on the same store, so that the console
and the command line can never tell two stories of one session. Each call opens its own
connection (SQLite connections belong to one thread; the web server's threads vary).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from controller.clinic.units import Units
from controller.core.event_words import words_for
from controller.core.events import SessionEvent
from controller.records.export import export_csv, session_document
from controller.records.signatures import Signature, signed_sessions
from controller.records.store import SessionStore

LISTED = ("id", "started_at", "ended_at", "protocol_name", "patient_ref", "operator", "outcome")


@contextmanager
def opened(path: Path) -> Iterator[SessionStore]:
    store = SessionStore(path)
    try:
        yield store
    finally:
        store.close()


def list_sessions(
    path: Path, patient: str = "", date_from: str = "", date_to: str = ""
) -> list[dict[str, Any]]:
    """Newest first; `patient` matches a part of the reference, dates are YYYY-MM-DD (UTC)."""
    if not path.exists():
        return []
    with opened(path) as store:
        rows = store.sessions()
        signed = signed_sessions(store)
    out = []
    for r in reversed(rows):
        day = str(r["started_at"])[:10]
        if patient and patient.lower() not in str(r["patient_ref"]).lower():
            continue
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        out.append({**{k: r[k] for k in LISTED}, "signed": signed.get(int(r["id"]), [])})
    return out


def session_detail(path: Path, session_id: int) -> dict[str, Any]:
    with opened(path) as store:
        doc = session_document(store, session_id)
    samples = doc.pop("samples")
    doc["samples"] = len(samples)
    for e in doc["events"]:  # a transition in words for people, never the machine's names
        e["words"] = words_for(SessionEvent(e["t_s"] or 0.0, e["kind"], e["message"], e["data"]))
    doc["signatures"] = [Signature(**sig).words() for sig in doc["session"].get("signatures", [])]
    return doc


def session_csv(path: Path, session_id: int) -> str:
    buf = io.StringIO()
    with opened(path) as store:
        export_csv(store, session_id, buf)
    return buf.getvalue()


def session_json(path: Path, session_id: int) -> str:
    with opened(path) as store:
        return json.dumps(session_document(store, session_id), indent=1) + "\n"


def session_fhir(path: Path, session_id: int, patient_system: str | None) -> str:
    """The session as the FHIR R4B transaction bundle `traction sessions export --fhir` writes."""
    from controller.records.fhir.session_bundle import session_bundle  # fhir.resources: 0.15 s

    with opened(path) as store:
        bundle = session_bundle(store, [session_id], patient_system)
    return bundle.model_dump_json(exclude_none=True, indent=1) + "\n"


def report(path: Path, session_id: int, png: Path, units: Units | None = None) -> Path:
    """The session's PNG report, drawn when it is not there yet."""
    if not png.exists():
        from controller.records.report import draw_report  # matplotlib: only when drawing

        with opened(path) as store:
            draw_report(store, session_id, png, units)
    return png


def verify(path: Path, session_id: int | None = None) -> dict[str, Any]:
    with opened(path) as store:
        problems = store.verify(session_id)
        events = len(store.events(session_id))
    return {"ok": not problems, "problems": problems, "events": events, "session_id": session_id}
