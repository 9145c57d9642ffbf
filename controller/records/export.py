"""A session out of the store, whole: CSV (samples, for a spreadsheet) or JSON (everything)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from controller.records.signatures import signatures
from controller.records.store import SAMPLE_COLUMNS, SessionStore


def export_csv(store: SessionStore, session_id: int, out: IO[str]) -> int:
    store.session(session_id)  # refuses an unknown id before writing a header
    writer = csv.writer(out)
    writer.writerow(SAMPLE_COLUMNS)
    rows = store.samples(session_id)
    for r in rows:
        writer.writerow([r[c] for c in SAMPLE_COLUMNS])
    return len(rows)


def session_document(store: SessionStore, session_id: int) -> dict[str, Any]:
    session = dict(store.session(session_id))
    session["protocol"] = json.loads(session.pop("protocol_json"))
    identity = session.pop("board_identity")
    session["board_identity"] = json.loads(identity) if identity else None
    for key in ("relaxation", "emg"):  # the relaxation figures, as recorded
        text = session.pop(f"{key}_json", None)
        session[key] = json.loads(text) if text else None
    session["signatures"] = [asdict(sig) for sig in signatures(store, session_id)]
    return {
        "session": session,
        "events": [
            {**{k: getattr(e, k) for k in e.__slots__ if k != "data"}, "data": json.loads(e.data)}
            for e in store.events(session_id)
        ],
        "samples": [{c: r[c] for c in SAMPLE_COLUMNS} for r in store.samples(session_id)],
    }


def export_json(store: SessionStore, session_id: int, out: IO[str]) -> int:
    doc = session_document(store, session_id)
    json.dump(doc, out, indent=1)
    out.write("\n")
    return len(doc["samples"])


def forget_report(png: Path) -> None:
    """A drawn report (PNG and PDF) that no longer shows the whole record (it was signed
    since): removed, so that the next request draws it again."""
    png.unlink(missing_ok=True)
    png.with_suffix(".pdf").unlink(missing_ok=True)
