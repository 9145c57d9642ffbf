"""Short recorded sessions on sim:// (virtual time) for the records tests."""

from __future__ import annotations

from pathlib import Path

from controller.app.composition import open_link
from controller.protocols.models import (
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    ProtocolFile,
    Regressive,
    Static,
)
from controller.records.recorder import SessionRecorder
from controller.run.runner import run_treatment
from controller.run.session import Outcome
from safety.limits import load_limits
from tests.helpers import ready_records

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
