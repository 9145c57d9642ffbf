"""The console shows a session's events in words for people, never trigger names."""

from __future__ import annotations

import pytest

from controller.core.event_words import TRANSITION_WORDS, words_for
from controller.core.events import EventData, SessionEvent
from controller.core.session_states import TRANSITIONS


@pytest.mark.requirement("SR-052")
def test_every_transition_has_words_and_no_words_name_a_trigger() -> None:
    triggers = {t["trigger"] for t in TRANSITIONS}
    assert set(TRANSITION_WORDS) == triggers
    for words in TRANSITION_WORDS.values():
        assert "->" not in words and "_" not in words


@pytest.mark.requirement("SR-052")
def test_a_transition_reads_as_words_and_says_who_asked() -> None:
    data: EventData = {"trigger": "pause", "from": "running", "to": "paused", "by": "operator ana"}
    event = SessionEvent(1.0, "operator", "pause: running -> paused", data)
    assert words_for(event) == "paused by operator ana: holding the force"
    machine = SessionEvent(
        2.0,
        "state",
        "released_early: stopping -> stopped",
        {"trigger": "released_early", "by": "controller"},
    )
    assert words_for(machine) == "released: treatment stopped early"


def test_anything_else_is_shown_as_it_was_said() -> None:
    alarm = SessionEvent(3.0, "alarm", "console lost: no console for 5 s", {}, "medium")
    assert words_for(alarm) == alarm.text
