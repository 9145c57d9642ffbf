"""Run one treatment on a link with nobody at the table: the session owner, run and returned.

For tests, benchmarks and QA scripts that need the outcome and nothing else; the operator's
commands build a `TreatmentSession` (controller/session.py) themselves, to ask it for pauses
and stops and to finish its record. On `sim://` the loop runs in virtual time (a 10-minute
protocol in seconds); on hardware and `traction sim` it runs on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable

from controller.control_loop import CycleRecord
from controller.preparation import Prepared
from controller.protocols.models import ProtocolFile
from controller.records.recorder import SessionRecorder
from controller.session import (
    SLACK_ALLOWANCE_S,
    Outcome,
    TreatmentSession,
    check_link_timing,
)
from controller.treatment import Treatment
from firmware_bridge import TableLink
from safety.limits import SafetyLimits

__all__ = ["SLACK_ALLOWANCE_S", "Outcome", "check_link_timing", "run_treatment"]


def run_treatment(
    link: TableLink,
    entry: ProtocolFile,
    limits: SafetyLimits,
    weight_kg: float,
    *,
    on_cycle: Callable[[Treatment, CycleRecord], None] | None = None,
    recorder: SessionRecorder | None = None,
    before_start: Callable[[Prepared], None] | None = None,
) -> Outcome:
    """The caller finishes the recorder (`recorder.finish`) when it keeps one."""
    session = TreatmentSession(
        link, entry, limits, weight_kg, recorder=recorder, before_start=before_start
    )
    return session.run(on_cycle)
