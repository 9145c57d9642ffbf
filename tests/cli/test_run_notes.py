"""What `traction run` shows at once: alarms, faults with what to do, and refusals -- the
refusals by their kind, never by their words."""

from __future__ import annotations

import queue

import pytest

from controller.cli.run_cmd import _note_event
from controller.core.events import SessionEvent


def shown(event: SessionEvent) -> list[str]:
    notes: queue.SimpleQueue[str] = queue.SimpleQueue()
    _note_event(event, notes)
    return [notes.get() for _ in range(notes.qsize())]


@pytest.mark.requirement("SR-052")
def test_a_refusal_is_shown_whatever_its_words() -> None:
    refusal = SessionEvent(1.0, "refused", "force change +10 N refused: the planned peak", {})
    assert shown(refusal) == [refusal.text]
    worded_alike = SessionEvent(1.0, "info", "refused-looking note", {})
    assert shown(worded_alike) == []


def test_a_fault_says_what_to_do() -> None:
    fault = SessionEvent(2.0, "fault", "FORCE_LIMIT", {"what_to_do": "check the patient"}, "high")
    assert shown(fault) == ["\a*** HIGH: FORCE_LIMIT ***", "    what to do: check the patient"]
