"""The register filled from the clinic's server: a patient registered once is known at every
table.

A patient comes with what the register needs and nothing more: the reference (the clinic's
identifier), the name, the newest body weight with its date (LOINC 29463-7) -- the weight
decides the force limit, so a patient without one is not taken -- and the regions of the
traction orders (ServiceRequest, CPT 97012, by body site), which decide what may be run. A
patient already in the register is left as the register has it: its weight was measured here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from controller.records.fhir import codes
from controller.records.fhir.client import FhirClient
from controller.records.fhir.push import human_name
from controller.records.patients import (
    REF_PATTERN,
    PatientError,
    add_patient,
    get_patient,
    validated,
)
from controller.records.store import SessionStore

KG_PER_UNIT = {"kg": 1.0, "[lb_av]": 0.45359237, "g": 0.001}  # UCUM codes of body weight
REGION_OF = {code: region for region, (code, _) in codes.BODY_SITES.items()}


@dataclass
class Pulled:
    added: list[str] = field(default_factory=list)
    known: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def pull_patients(store: SessionStore, client: FhirClient, system: str) -> Pulled:
    pulled = Pulled()
    for patient in client.search("Patient", identifier=f"{system}|"):
        ref = next(
            (
                i.get("value", "")
                for i in patient.get("identifier", [])
                if i.get("system") == system
            ),
            "",
        )
        if not re.match(REF_PATTERN, ref):
            pulled.skipped.append((ref or "?", "its identifier is not a register reference"))
            continue
        try:
            get_patient(store, ref)
            pulled.known += 1
            continue
        except PatientError:
            pass
        why = _add(store, client, patient, ref)
        if why:
            pulled.skipped.append((ref, why))
        else:
            pulled.added.append(ref)
    return pulled


def _add(store: SessionStore, client: FhirClient, patient: dict[str, Any], ref: str) -> str:
    """Register the patient; '' if done, else why not."""
    subject = f"Patient/{patient['id']}"
    weight = _newest_weight(
        client.search("Observation", subject=subject, code=f"{codes.LOINC}|29463-7")
    )
    if weight is None:
        return "no body weight on the server: weigh the patient and register at the table"
    regions = _ordered_regions(
        client.search(
            "ServiceRequest", subject=subject, code=f"{codes.CPT}|{codes.TRACTION_CPT[0]}"
        )
    )
    if not regions:
        return "no active traction order (ServiceRequest, CPT 97012) with a spine region"
    names = [human_name(n) for n in patient.get("name", [])]
    try:
        add_patient(
            store,
            validated(
                {
                    "ref": ref,
                    "name": names[0] if names else ref,
                    "weight_kg": round(weight[0], 1),
                    "weight_date": weight[1],
                    "regions": regions,
                    "notes": "from the clinic's health record",
                }
            ),
        )
    except PatientError as exc:
        return str(exc)
    return ""


def _newest_weight(observations: list[dict[str, Any]]) -> tuple[float, date] | None:
    best: tuple[str, float] | None = None
    for obs in observations:
        q, when = obs.get("valueQuantity") or {}, str(obs.get("effectiveDateTime", ""))
        factor = KG_PER_UNIT.get(q.get("code", ""))
        if obs.get("status") not in ("final", "amended", "corrected") or factor is None:
            continue
        if not when or "value" not in q:
            continue
        if best is None or when > best[0]:
            best = (when, float(q["value"]) * factor)
    return None if best is None else (best[1], date.fromisoformat(best[0][:10]))


def _ordered_regions(orders: list[dict[str, Any]]) -> list[str]:
    regions: list[str] = []
    for order in orders:
        if order.get("status") != "active":
            continue
        for site in order.get("bodySite", []):
            for coding in site.get("coding", []):
                region = REGION_OF.get(coding.get("code", ""))
                if coding.get("system") == codes.SNOMED and region and region not in regions:
                    regions.append(region)
    return regions
