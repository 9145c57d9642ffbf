"""A session's events in words for the people at the table.

The event stream and the record keep the state machine's names (trigger, from, to) as audit
data; a screen never shows them (IEC 60601-1-8, RespiraWorks: words for people). Every
transition the machine has gets a sentence here; tests/controller/test_event_words.py holds
the two lists together.
"""

from __future__ import annotations

from controller.core.events import SessionEvent

# one sentence per trigger of controller/core/session_states.py; "{by}" is who asked, if anyone
TRANSITION_WORDS: dict[str, str] = {
    "connect": "table connected",
    "begin_self_test": "self-test started",
    "self_test_passed": "self-test passed: ready to treat",
    "self_test_failed": "self-test failed",
    "start": "treatment started",
    "pause": "paused{by}: holding the force",
    "resume": "resumed{by}",
    "patient_stop": "the patient pressed the hand switch: released and held",
    "end": "ended after the patient's stop{by}",
    "stop": "stopping{by}: ramping down to the release",
    "profile_done": "treatment plan done: ramping down to the release",
    "released": "released: treatment complete",
    "released_early": "released: treatment stopped early",
    "acknowledge": "end of treatment acknowledged{by}",
    "fault": "stopped by safety: releasing",
    "reset": "safety fault reset{by}",
    "disconnect": "table disconnected",
}


def words_for(event: SessionEvent) -> str:
    """What a screen says of `event`: a transition in words, anything else as it was said."""
    trigger = event.data.get("trigger")
    if event.kind not in ("state", "operator") or not isinstance(trigger, str):
        return event.text
    words = TRANSITION_WORDS.get(trigger)
    if words is None:
        return event.text
    by = event.data.get("by")
    who = f" by {by}" if event.kind == "operator" and by else ""
    return words.format(by=who)
