"""A store with a real session (virtual time), and the clinic's FHIR server as a process."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from controller.records.fhir import codes
from controller.records.patients import add_note, add_patient, validated
from controller.records.store import SessionStore
from tests.helpers import ready_records
from tests.records.sessions import prescribed

ROOT = Path(__file__).resolve().parents[2]
NAME = "B. Pseudonym"
PATIENT = {
    "ref": "P-7",
    "name": NAME,
    "weight_kg": 70,
    "weight_date": "2026-12-01",
    "regions": ["lumbar"],
}
PAIN_BEFORE, PAIN_AFTER = 6, 3
CLINIC = "urn:oid:1.2.276.0.76.4.8"  # a clinic's patient identifier system (any URI)
TOKEN = "t0ken-for-the-tests"


def treat(db: Path, patient_ref: str = "P-7", language: str = "en") -> int:
    """One whole prescribed session (virtual time), and the patient's pain after it."""
    sid = prescribed(db, PAIN_BEFORE, patient_ref=patient_ref, language=language)
    store = SessionStore(db)
    add_note(store, sid, "tech-1", "pain_after", {"pain": PAIN_AFTER})
    store.close()
    return sid


@pytest.fixture(scope="module")
def treated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A store with patient P-7 and one ended session of theirs (copied per test)."""
    db = ready_records(tmp_path_factory.mktemp("fhir") / "records.sqlite3")
    store = SessionStore(db)
    add_patient(store, validated(PATIENT))
    store.close()
    return db, treat(db)


@pytest.fixture
def store_file(treated: tuple[Path, int], tmp_path: Path) -> Path:
    copy = tmp_path / "records.sqlite3"
    source = SessionStore(treated[0])
    source.db.execute("VACUUM INTO ?", (str(copy),))
    source.close()
    return copy


@dataclass
class HealthRecord:
    url: str
    proc: subprocess.Popen[str]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/fhir+json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read().decode()
            return (json.loads(text) if text else None), answer.headers

    def created(self) -> dict[str, int]:
        return dict(self.call("GET", "/_test/created")[0]["created"])

    def add_patient(self, ref: str, name: str, system: str = CLINIC) -> str:
        _, headers = self.call(
            "POST",
            "/Patient",
            {
                "resourceType": "Patient",
                "identifier": [{"system": system, "value": ref}],
                "name": [{"text": name}],
            },
        )
        return str(headers["Location"]).strip("/")

    def weigh_and_order(self, ref: str, kg: float = 70.0, region: str = "lumbar") -> None:
        """A body weight and an active traction order for the patient `ref` (registered)."""
        found, _ = self.call("GET", f"/Patient?identifier={CLINIC}|{ref}")
        patient = f"Patient/{found['entry'][0]['resource']['id']}"
        self.weigh(patient, kg)
        self.order(patient, region)

    def weigh(self, patient: str, value: float, unit: str = "kg", when: str = "2026-11-30") -> None:
        """A body weight (LOINC 29463-7) of `patient` ("Patient/ID"), `unit` in UCUM."""
        self.call(
            "POST",
            "/Observation",
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": codes.LOINC, "code": "29463-7"}]},
                "subject": {"reference": patient},
                "effectiveDateTime": when,
                "valueQuantity": {"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
            },
        )

    def order(self, patient: str, region: str) -> None:
        """An active traction order (CPT 97012) for `patient` at the region's body site."""
        self.call(
            "POST",
            "/ServiceRequest",
            {
                "resourceType": "ServiceRequest",
                "status": "active",
                "intent": "order",
                "code": {"coding": [{"system": codes.CPT, "code": "97012"}]},
                "subject": {"reference": patient},
                "bodySite": [
                    {"coding": [{"system": codes.SNOMED, "code": codes.BODY_SITES[region][0]}]}
                ],
            },
        )


@contextmanager
def health_server() -> Iterator[HealthRecord]:
    """The clinic's FHIR server (tests/fhir/health_record.py) in a process of its own."""
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "tests.fhir.health_record", "--token", TOKEN],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    server = HealthRecord(f"http://127.0.0.1:{port}", proc)
    try:
        yield server
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def health_record() -> Iterator[HealthRecord]:
    with health_server() as server:
        yield server
