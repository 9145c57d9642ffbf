"""Run one treatment on a link with nobody at the table and return its outcome.

For tests and benchmarks that need the outcome and nothing else: a refusal is raised, not
kept, and a recorder, when given, is the caller's to finish. Every front end runs a
`TreatmentRun` (controller/run/treatment_run.py) instead. On `sim://` the loop runs in virtual
time (a 10-minute protocol in seconds); on hardware and `traction sim` on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable

from controller.core.control_loop import CycleRecord
from controller.core.preparation import Prepared
from controller.core.treatment import Treatment
from controller.muscles.source import MuscleSource
from controller.protocols.models import ProtocolFile
from controller.records.recorder import SessionRecorder
from controller.run.session import Outcome, TreatmentSession
from firmware_bridge import TableLink
from safety.limits import SafetyLimits


def run_treatment(
    link: TableLink,
    entry: ProtocolFile,
    limits: SafetyLimits,
    weight_kg: float,
    *,
    on_cycle: Callable[[Treatment, CycleRecord], None] | None = None,
    recorder: SessionRecorder | None = None,
    before_start: Callable[[Prepared], None] | None = None,
    muscles: MuscleSource | None = None,
) -> Outcome:
    """The caller finishes the recorder (`recorder.finish`) when it keeps one."""
    session = TreatmentSession(
        link,
        entry,
        limits,
        weight_kg,
        recorder=recorder,
        before_start=before_start,
        muscles=muscles,
    )
    return session.run(on_cycle)
