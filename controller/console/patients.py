"""The Patients screen's reads and writes of the register, and "repeat last" for Prepare.

The same register and rules as `traction patients` (controller/records/patients.py); a
refused entry comes back field by field for the form. Each call opens the store for itself:
the web threads never share a SQLite connection with the table-owner thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from controller.console.forms import FormError
from controller.records.patients import PatientError, add_patient, list_patients, validated
from controller.records.prescribing import last_of
from controller.records.store import RecordsError, SessionStore


@contextmanager
def _store(path: Path) -> Iterator[SessionStore]:
    try:
        store = SessionStore(path, recover=False)
    except RecordsError as exc:
        raise FormError({"": f"records store unusable: {exc}"}) from exc
    try:
        yield store
    finally:
        store.close()


def listed(path: Path) -> list[dict[str, Any]]:
    with _store(path) as store:
        return [p.model_dump(mode="json") for p in list_patients(store)]


def add(path: Path, body: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in body.items() if v not in (None, "")}
    data.setdefault("weight_date", date.today().isoformat())
    with _store(path) as store:
        try:
            return add_patient(store, validated(data)).model_dump(mode="json")
        except PatientError as exc:
            head = str(exc).split(":", 1)[0].split(".", 1)[0]
            raise FormError({head if head in data or head == "ref" else "": str(exc)}) from exc


def last(path: Path, ref: str) -> dict[str, Any]:
    """What the Prepare form needs to repeat the patient's last treatment."""
    with _store(path) as store:
        try:
            found = last_of(store, ref)
        except PatientError as exc:
            raise FormError({"patient": str(exc)}) from exc
    return {
        "session_id": found.session_id,
        "started_at": found.started_at,
        "entry_json": found.entry.model_dump(mode="json"),
        "region": found.entry.protocol.region,
        "dose": "" if found.dose is None else f"{found.dose.value:g}{found.dose.unit}",
        "setup": None if found.setup is None else found.setup.model_dump(mode="json"),
    }
