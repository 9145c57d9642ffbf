"""Ended sessions as one FHIR R4B transaction bundle, validated with `fhir.resources`.

Per session: the Procedure (CPT 97012), an Observation per figure the record holds (the
prescribed and delivered dose, time at force, hold error, pain before and after, the
relaxation figures where recorded), and the table as a Device with its force calibration as
a DeviceMetric, as the HL7 Point-of-Care Device guide maps a device's data. The patient is
named by the register's reference alone, as an identifier: never more personal data than the
register holds. Every entry is a conditional create on its identifier (unique across tables,
table_identity.py), so the bundle can be sent any number of times and creates each once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fhir.resources.R4B.bundle import Bundle

from controller.clinic.dose import Prescription
from controller.records.delivered import delivered
from controller.records.fhir import codes
from controller.records.fhir.codes import Figure
from controller.records.fhir.table_identity import entry_url, system
from controller.records.patients import notes_of
from controller.records.store import RecordsError, SessionStore

FHIR_VERSION = "4.3.0"  # R4B
DEVICE_NAME = "motorized spinal traction table"
COMPLETE = "complete"  # the record's last state of a whole treatment (core/session_states.py)


@dataclass(frozen=True, slots=True)
class Systems:
    """The identifier systems of one store: its sessions, figures, table and patients."""

    sessions: str
    observations: str
    device: str
    patients: str  # the clinic's, when the site names one; else the table's register's

    @classmethod
    def of(cls, store: SessionStore, patient_system: str | None = None) -> Systems:
        return cls(
            system(store, "sessions"),
            system(store, "observations"),
            system(store, "device"),
            patient_system or system(store, "patients"),
        )


def session_bundle(
    store: SessionStore, session_ids: Iterable[int], patient_system: str | None = None
) -> Bundle:
    """One transaction bundle of the ended sessions `session_ids`; RecordsError names a
    session that has not ended (it is exported once closed)."""
    systems = Systems.of(store, patient_system)
    entries: dict[str, dict[str, Any]] = {}  # by fullUrl: the table's Device appears once
    for session_id in session_ids:
        for entry in _session_entries(store, session_id, systems):
            entries.setdefault(entry["fullUrl"], entry)
    return Bundle.model_validate(
        {"resourceType": "Bundle", "type": "transaction", "entry": list(entries.values())}
    )


def sessions_between(
    store: SessionStore,
    patient_ref: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[int]:
    """The ended sessions of one patient, or begun within [since, until] (UTC dates)."""
    out = []
    for row in store.sessions():
        day = date.fromisoformat(str(row["started_at"])[:10])
        if row["ended_at"] is None or (patient_ref and row["patient_ref"] != patient_ref):
            continue
        if (since and day < since) or (until and day > until):
            continue
        out.append(int(row["id"]))
    return out


def _entry(kind: str, resource: dict[str, Any], ident_system: str, value: str) -> dict[str, Any]:
    resource = {"resourceType": kind, "identifier": [{"system": ident_system, "value": value}]} | (
        resource
    )
    return {
        "fullUrl": entry_url(ident_system, value),
        "resource": resource,
        "request": {
            "method": "POST",
            "url": kind,
            "ifNoneExist": urlencode({"identifier": f"{ident_system}|{value}"}),
        },
    }


def _session_entries(
    store: SessionStore, session_id: int, systems: Systems
) -> list[dict[str, Any]]:
    row = store.session(session_id)
    if row["ended_at"] is None:
        raise RecordsError(f"session {session_id} has not ended: it is exported once closed")
    device = _device(row, systems)
    metric = _calibration(store, row, systems, device["fullUrl"])
    procedure = _procedure(row, systems, device["fullUrl"])
    context = {
        "status": "final",
        "subject": procedure["resource"]["subject"],
        "partOf": [{"reference": procedure["fullUrl"]}],
        "device": {"reference": device["fullUrl"]},
    }
    observations = [
        _observation(systems, f"{session_id}/{key}", context | shown)
        for key, shown in _figures(store, row)
    ]
    return [device, *([metric] if metric else []), procedure, *observations]


def _device(row: sqlite3.Row, systems: Systems) -> dict[str, Any]:
    board = json.loads(row["board_identity"]) if row["board_identity"] else None
    versions = [{"type": {"text": "host software"}, "value": str(row["software_version"])}]
    resource: dict[str, Any] = {
        "status": "active",
        "deviceName": [{"name": DEVICE_NAME, "type": "user-friendly-name"}],
        "type": {"text": DEVICE_NAME},
        "version": versions,
    }
    if board is None:
        value = "table/unidentified-board"
    else:
        value = f"table/{board['vendor']}/{board['product_code']}/{board['revision']}"
        resource |= {"manufacturer": board["vendor"], "modelNumber": board["product_code"]}
        versions += [
            {"type": {"text": "controller board"}, "value": str(board["revision"])},
            {"type": {"text": "board interface (ICD)"}, "value": str(board["icd_version"])},
        ]
    return _entry("Device", resource, systems.device, value)


def _calibration(
    store: SessionStore, row: sqlite3.Row, systems: Systems, device_url: str
) -> dict[str, Any] | None:
    """The force calibration in force when the session began, as a DeviceMetric."""
    cal = store.db.execute(
        "SELECT id, at, passed, due FROM calibrations WHERE at <= ? ORDER BY id DESC LIMIT 1",
        (row["started_at"],),
    ).fetchone()
    if cal is None:
        return None
    valid = bool(cal["passed"]) and str(row["started_at"])[:10] <= str(cal["due"])
    resource = {
        "type": {"text": "traction force (load cell)"},
        "unit": {"coding": [{"system": codes.UCUM, "code": "N"}]},
        "source": {"reference": device_url},
        "category": "measurement",
        "calibration": [
            {
                "type": "gain",
                "state": "calibrated" if valid else "calibration-required",
                "time": _instant(str(cal["at"])),
            }
        ],
    }
    return _entry("DeviceMetric", resource, systems.device, f"calibration/{cal['id']}")


def _procedure(row: sqlite3.Row, systems: Systems, device_url: str) -> dict[str, Any]:
    site_code, site_display = codes.BODY_SITES[str(row["region"])]
    complete = row["last_state"] == COMPLETE
    resource: dict[str, Any] = {
        "status": "completed" if complete else "stopped",
        "code": {
            "coding": [{"system": codes.CPT, "code": codes.TRACTION_CPT[0]}],
            "text": f"mechanical traction, protocol {row['protocol_name']}",
        },
        "subject": {"identifier": {"system": systems.patients, "value": str(row["patient_ref"])}},
        "performedPeriod": {
            "start": _instant(str(row["started_at"])),
            "end": _instant(str(row["ended_at"])),
        },
        "performer": [{"actor": {"display": str(row["operator"])}}],
        "bodySite": [
            {"coding": [{"system": codes.SNOMED, "code": site_code, "display": site_display}]}
        ],
        "usedReference": [{"reference": device_url}],
    }
    if not complete:
        resource["statusReason"] = {"text": str(row["outcome"])}
    return _entry("Procedure", resource, systems.sessions, str(row["id"]))


def _observation(systems: Systems, value: str, resource: dict[str, Any]) -> dict[str, Any]:
    return _entry("Observation", resource, systems.observations, value)


def _figures(store: SessionStore, row: sqlite3.Row) -> list[tuple[str, dict[str, Any]]]:
    """(identifier suffix, the Observation's own elements) for each figure recorded."""
    ended = _instant(str(row["ended_at"]))
    out: list[tuple[str, dict[str, Any]]] = [
        (
            "body-weight",
            {
                "category": [_category("vital-signs")],
                "code": _loinc(codes.BODY_WEIGHT_LOINC),
                "effectiveDateTime": _instant(str(row["started_at"])),
                "valueQuantity": _quantity(float(row["weight_kg"]), "kg"),
            },
        )
    ]
    samples = store.samples(int(row["id"]))
    figures: list[tuple[Figure, float | None]] = []
    if row["prescription_json"]:
        rx = Prescription.model_validate_json(row["prescription_json"])
        figures.append((codes.PRESCRIBED_PEAK, rx.peak_n))
    if samples:
        dose = delivered(samples)
        figures += [
            (codes.DELIVERED_PEAK, dose.peak_n),
            (codes.TIME_AT_FORCE, dose.time_at_force_s),
            (codes.FORCE_TIME, dose.force_time_n_s),
            (codes.HOLD_ERROR, dose.hold_error_mean_n),
        ]
    relaxed = json.loads(row["relaxation_json"]) if row["relaxation_json"] else {}
    emg = json.loads(row["emg_json"]) if row["emg_json"] else {}
    figures += [
        (codes.RELAXATION_INDEX, relaxed.get("mean_index_pct")),
        (codes.STIFFNESS_CHANGE, relaxed.get("stiffness_change_pct")),
        (codes.EMG_REDUCTION, emg.get("reduction_pct")),
    ]
    for figure, value in figures:
        if value is not None:
            out.append((figure.code, _figure(figure, float(value), ended)))
    checks = json.loads(row["checks_json"]) if row["checks_json"] else {}
    if checks.get("pain_before") is not None:
        out.append(("pain-before", _pain(int(checks["pain_before"]), row["started_at"], "before")))
    after = [n for n in notes_of(store, int(row["id"])) if n["kind"] == "pain_after"]
    if after:
        out.append(("pain-after", _pain(int(after[-1]["pain"]), after[-1]["at"], "after")))
    return out


def _figure(figure: Figure, value: float, at: str) -> dict[str, Any]:
    return {
        "category": [_category("procedure")],
        "code": {
            "coding": [{"system": codes.TABLE_CODES, "code": figure.code}],
            "text": figure.display,
        },
        "effectiveDateTime": at,
        "valueQuantity": _quantity(value, figure.unit),
    }


def _pain(score: int, at: str, when: str) -> dict[str, Any]:
    return {
        "category": [_category("survey")],
        "code": _loinc(codes.PAIN_NRS_LOINC) | {"text": f"pain (NRS 0-10) {when} the session"},
        "effectiveDateTime": _instant(str(at)),
        "valueInteger": score,
    }


def _category(code: str) -> dict[str, Any]:
    return {"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": code}]}


def _loinc(code: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": codes.LOINC, "code": code[0], "display": code[1]}]}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": unit, "system": codes.UCUM, "code": unit}


def _instant(utc_iso: str) -> str:
    """The store's UTC time (ISO 8601, +00:00) as FHIR writes it."""
    return utc_iso.replace("+00:00", "Z")
