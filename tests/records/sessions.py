"""Short recorded sessions on sim:// (virtual time) for the records tests."""

from __future__ import annotations

from pathlib import Path

from controller.app.composition import open_link
from controller.clinic.dose import parse_dose
from controller.clinic.setup import Checks, Setup
from controller.protocols.models import (
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    ProtocolFile,
    Regressive,
    Static,
)
from controller.records.prescribing import plan_session
from controller.records.recorder import SessionRecorder
from controller.records.store import SessionStore
from controller.run.runner import run_treatment
from controller.run.session import Outcome
from safety.limits import load_limits
from tests.helpers import ready_records

PRESCRIBED_HOLD_S = 20.0
SETUP = Setup(angle_deg=15, position="supine", harness="lumbar pelvic", split_table="locked")
SHORT: dict[str, ProtocolFile] = {
    "static": ProtocolFile(name="short-static", protocol=Static(force_n=80.0, duration_s=8.0)),
    "intermittent": ProtocolFile(
        name="short-intermittent",
        protocol=Intermittent(
            hold_force_n=90.0, hold_s=4.0, rest_force_n=40.0, rest_s=3.0, cycles=2
        ),
    ),
    "progressive": ProtocolFile(
        name="short-progressive",
        protocol=Progressive(start_force_n=40.0, end_force_n=90.0, steps=3, step_s=3.0),
    ),
    "regressive": ProtocolFile(
        name="short-regressive",
        protocol=Regressive(start_force_n=90.0, end_force_n=40.0, steps=3, step_s=3.0),
    ),
    "cyclic": ProtocolFile(
        name="short-cyclic",
        protocol=Cyclic(peak_force_n=90.0, base_force_n=40.0, rise_s=3.0, fall_s=3.0, cycles=2),
    ),
    "program": ProtocolFile(
        name="short-program",
        protocol=Program(
            steps=[
                Static(force_n=60.0, duration_s=4.0),
                Intermittent(
                    hold_force_n=80.0, hold_s=3.0, rest_force_n=40.0, rest_s=2.0, cycles=1
                ),
            ]
        ),
    ),
}


def recorded(
    store: Path,
    entry: ProtocolFile = SHORT["static"],
    *,
    patient: str = "lumbar-average",
    operator: str = "tester",
) -> tuple[Outcome, SessionRecorder]:
    url = f"sim://?patient={patient}&seed=3"
    link = open_link(url).link
    ready_records(store)
    recorder = SessionRecorder(store, operator=operator, patient_ref="P-001", device_url=url)
    outcome = run_treatment(link, entry, load_limits(), 75.0, recorder=recorder)
    recorder.finish(outcome.label, outcome.treatment.states.state, link.clock.now())
    return outcome, recorder


def prescribed(
    db: Path, pain_before: int, *, patient_ref: str = "P-7", language: str = "en"
) -> int:
    """A whole session prescribed at 25 % of the registered patient's body weight, with its
    set-up and checklist, through the real session, recorder and store: its id."""
    store = SessionStore(db)
    limits = load_limits()
    plan = plan_session(
        store,
        ProtocolFile(name="short", protocol=Static(force_n=200.0, duration_s=PRESCRIBED_HOLD_S)),
        limits,
        patient_ref=patient_ref,
        weight_kg=None,
        dose=parse_dose("25%BW"),
        setup=SETUP,
        checks=Checks(contraindications_none=True, pain_before=pain_before),
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
    assert outcome.state.value == "complete"
    return rec.session_id
