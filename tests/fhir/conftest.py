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

from controller.app.composition import open_link
from controller.clinic.dose import parse_dose
from controller.clinic.setup import Checks, Setup
from controller.protocols.models import ProtocolFile, Static
from controller.records.fhir import codes
from controller.records.patients import add_note, add_patient, validated
from controller.records.prescribing import plan_session
from controller.records.recorder import SessionRecorder
from controller.records.store import SessionStore
from controller.run.runner import run_treatment
from safety.limits import load_limits
from tests.helpers import ready_records

ROOT = Path(__file__).resolve().parents[2]
NAME = "B. Pseudonym"
PATIENT = {
    "ref": "P-7",
    "name": NAME,
    "weight_kg": 70,
    "weight_date": "2026-12-01",
    "regions": ["lumbar"],
}
SETUP = Setup(angle_deg=15, position="supine", harness="lumbar pelvic", split_table="locked")
PAIN_BEFORE, PAIN_AFTER = 6, 3
HOLD_S = 20.0
CLINIC = "urn:oid:1.2.276.0.76.4.8"  # a clinic's patient identifier system (any URI)
TOKEN = "t0ken-for-the-tests"


def treat(db: Path, patient_ref: str = "P-7", language: str = "en") -> int:
    """One whole session through the real session, recorder and store (virtual time)."""
    store = SessionStore(db)
    limits = load_limits()
    plan = plan_session(
        store,
        ProtocolFile(name="short", protocol=Static(force_n=200.0, duration_s=HOLD_S)),
        limits,
        patient_ref=patient_ref,
        weight_kg=None,
        dose=parse_dose("25%BW"),
        setup=SETUP,
        checks=Checks(contraindications_none=True, pain_before=PAIN_BEFORE),
    )
    store.close()
    url = "sim://?patient=lumbar-average&seed=5"
    link = open_link(url).link
    rec = SessionRecorder(
        db,
        operator="tech-1",
        patient_ref=patient_ref,
        device_url=url,
        clinical=plan.clinical(),
        language=language,
    )
    outcome = run_treatment(link, plan.entry, limits, plan.weight_kg, recorder=rec)
    rec.finish(outcome.label, outcome.treatment.states.state, link.clock.now())
    store = SessionStore(db)
    add_note(store, rec.session_id, "tech-1", "pain_after", {"pain": PAIN_AFTER})
    store.close()
    return rec.session_id


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
        subject = {"reference": f"Patient/{found['entry'][0]['resource']['id']}"}
        self.call(
            "POST",
            "/Observation",
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": codes.LOINC, "code": "29463-7"}]},
                "subject": subject,
                "effectiveDateTime": "2026-11-30",
                "valueQuantity": {"value": kg, "unit": "kg", "system": codes.UCUM, "code": "kg"},
            },
        )
        self.call(
            "POST",
            "/ServiceRequest",
            {
                "resourceType": "ServiceRequest",
                "status": "active",
                "intent": "order",
                "code": {"coding": [{"system": codes.CPT, "code": "97012"}]},
                "subject": subject,
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
