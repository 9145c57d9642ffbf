"""The patient register in the records store: who is treated, their weight with its date.

The weight decides the force limit and a % BW dose, so it is never taken on trust from a
session form: it comes from the register, with the date it was measured; an edit keeps the
patient's previous entry (patient_changes) with who changed it, so nothing is lost. A
session links to its patient; "repeat last" reads the patient's last session that ran.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controller.records.store import SessionStore, utc_now
from safety.limits import Region

REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"


class PatientError(ValueError):
    """No such patient, a duplicate reference, or a field refused; the message names it."""


class PatientData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    ref: str = Field(pattern=REF_PATTERN)
    name: str = Field(min_length=1, max_length=80, description="name or pseudonym")
    weight_kg: float = Field(gt=10, le=300)
    weight_date: date
    height_cm: float | None = Field(default=None, gt=40, le=250)
    regions: tuple[Region, ...] = Field(min_length=1)
    notes: str = Field(default="", max_length=2000)


class Patient(PatientData):
    id: int
    created_at: str
    updated_at: str


def validated(data: dict[str, Any]) -> PatientData:
    try:
        return PatientData.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'patient'}: {e['msg']}" for e in exc.errors()
        )
        raise PatientError(problems) from exc


def _patient(row: sqlite3.Row) -> Patient:
    data = dict(row)
    data["regions"] = tuple(json.loads(data["regions"]))
    return Patient.model_validate(data)


def add_patient(store: SessionStore, data: PatientData) -> Patient:
    now = utc_now()
    try:
        with store.db:
            store.db.execute(
                "INSERT INTO patients (ref, name, weight_kg, weight_date, height_cm, regions, "
                "notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    data.ref,
                    data.name,
                    data.weight_kg,
                    data.weight_date.isoformat(),
                    data.height_cm,
                    json.dumps(list(data.regions)),
                    data.notes,
                    now,
                    now,
                ),
            )
    except sqlite3.IntegrityError as exc:
        raise PatientError(
            f"ref: {data.ref!r} is already registered (`traction patients show {data.ref}`)"
        ) from exc
    return get_patient(store, data.ref)


def get_patient(store: SessionStore, ref: str) -> Patient:
    row = store.db.execute("SELECT * FROM patients WHERE ref = ?", (ref,)).fetchone()
    if row is None:
        raise PatientError(
            f"no patient {ref!r} in the register: add them first (`traction patients add`)"
        )
    return _patient(row)


def list_patients(store: SessionStore) -> list[Patient]:
    return [_patient(r) for r in store.db.execute("SELECT * FROM patients ORDER BY ref")]


def edit_patient(store: SessionStore, ref: str, changes: dict[str, Any], by: str) -> Patient:
    """Apply `changes`; a new weight without a date is dated today. The entry before the
    edit is kept in patient_changes."""
    before = get_patient(store, ref)
    unknown = sorted(set(changes) - set(PatientData.model_fields) - {"ref"})
    if unknown or "ref" in changes:
        raise PatientError(
            f"cannot edit {', '.join(unknown) or 'ref'}: editable are "
            f"{', '.join(k for k in PatientData.model_fields if k != 'ref')}"
        )
    merged = before.model_dump(include=set(PatientData.model_fields)) | changes
    if "weight_kg" in changes and "weight_date" not in changes:
        merged["weight_date"] = date.today()
    after = validated(merged)
    with store.db:
        store.db.execute(
            "INSERT INTO patient_changes (patient_id, at, by, before_json) VALUES (?, ?, ?, ?)",
            (before.id, utc_now(), by, before.model_dump_json()),
        )
        store.db.execute(
            "UPDATE patients SET name = ?, weight_kg = ?, weight_date = ?, height_cm = ?, "
            "regions = ?, notes = ?, updated_at = ? WHERE id = ?",
            (
                after.name,
                after.weight_kg,
                after.weight_date.isoformat(),
                after.height_cm,
                json.dumps(list(after.regions)),
                after.notes,
                utc_now(),
                before.id,
            ),
        )
    return get_patient(store, ref)


def changes_of(store: SessionStore, patient_id: int) -> list[sqlite3.Row]:
    return list(
        store.db.execute(
            "SELECT at, by, before_json FROM patient_changes WHERE patient_id = ? ORDER BY id",
            (patient_id,),
        )
    )


def sessions_of(store: SessionStore, patient_id: int) -> list[sqlite3.Row]:
    return list(
        store.db.execute("SELECT * FROM sessions WHERE patient_id = ? ORDER BY id", (patient_id,))
    )


def last_treatment(store: SessionStore, patient_id: int) -> sqlite3.Row | None:
    """The patient's last session that ran (not one refused before it started)."""
    row: sqlite3.Row | None = store.db.execute(
        "SELECT * FROM sessions WHERE patient_id = ? AND outcome != 'not started' "
        "AND prescription_json IS NOT NULL ORDER BY id DESC LIMIT 1",
        (patient_id,),
    ).fetchone()
    return row


def add_note(
    store: SessionStore, session_id: int, by: str, kind: str, data: dict[str, Any]
) -> None:
    """After the record is sealed (pain after, the patient's comments): added, never edited."""
    store.session(session_id)  # raises for an unknown session
    with store.db:
        store.db.execute(
            "INSERT INTO session_notes (session_id, at, by, kind, data_json) "
            "VALUES (?, ?, ?, ?, ?)",
            (session_id, utc_now(), by, kind, json.dumps(data, sort_keys=True)),
        )


def notes_of(store: SessionStore, session_id: int) -> list[dict[str, Any]]:
    return [
        {"at": r["at"], "by": r["by"], "kind": r["kind"], **json.loads(r["data_json"])}
        for r in store.db.execute(
            "SELECT * FROM session_notes WHERE session_id = ? ORDER BY id", (session_id,)
        )
    ]
