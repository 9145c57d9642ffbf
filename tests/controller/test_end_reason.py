"""A session's end is one fact: each reason, what each front end says of it, and the table.

Each row of docs/controller.md's table is proved end to end elsewhere (listed beside it):
the wall-clock tests run `traction run` and the console as people do; here, the mapping itself
and the one end no other test reaches on purpose (the session's time bound).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.app.composition import open_link
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import EndReason, SessionEnd, markdown
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.protocols.models import ProtocolFile, Static
from controller.run.session import TreatmentSession
from safety.limits import load_limits

pytestmark = pytest.mark.requirement("SR-045")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "controller.md"


def test_the_docs_table_is_the_code_s() -> None:
    assert markdown() in DOCS.read_text(encoding="utf-8"), (
        "docs/controller.md's end table is stale: `python -m controller.core.end_reason`"
    )


@pytest.mark.parametrize("reason", list(EndReason))
def test_only_a_whole_treatment_reads_complete_anywhere(reason: EndReason) -> None:
    end = SessionEnd(reason, "someone", 2)
    whole = reason is EndReason.COMPLETE
    assert (end.exit_code == 0) is whole
    assert (reason.last_state is State.COMPLETE) is whole
    assert ("complete" in end.words) is whole
    assert ("complete" in end.outcome) is whole
    alarm = end.alarm
    assert alarm is None or ("complete" in alarm[0]) is whole
    assert (alarm is None) is (reason is EndReason.FAULTED)


def test_paused_past_the_session_bound_ends_stopped_with_its_own_reason() -> None:
    opened = open_link("sim://?seed=2")
    entry = ProtocolFile(name="short", protocol=Static(force_n=60.0, duration_s=5))
    session = TreatmentSession(opened.link, entry, load_limits(), 75.0)
    asked: list[bool] = []

    def pause_once(treatment: Treatment, _record: CycleRecord) -> None:
        if not asked and treatment.phase == "hold":
            asked.append(True)
            session.ask("pause", "operator tech-3")  # and never resumed

    outcome = session.run(on_cycle=pause_once)
    assert outcome.end == SessionEnd(EndReason.TIME_BOUND, "session time bound", 0)
    assert outcome.state is State.STOPPED and outcome.end.exit_code == 3
    assert any("over its time bound" in e.text for e in outcome.treatment.log.events)
