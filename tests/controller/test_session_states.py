"""The session state machine, driven by hypothesis through random operator and safety events.

Invariants: nothing reaches running except by `start` from ready (or `resume` from paused or
a patient's stop); from faulted the only way
back to running is reset, a new self-test and a new start; every trigger that is not allowed
raises and leaves the state unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from controller.app.composition import open_link
from controller.core.preparation import SelfTestError
from controller.core.session_states import TRANSITIONS, MachineError, SessionStates, State, mermaid
from controller.protocols.models import ProtocolFile, Static
from controller.run.session import TreatmentSession
from safety.limits import load_limits

TRIGGERS = sorted({t["trigger"] for t in TRANSITIONS})


class StatesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s = SessionStates()
        self.faulted_since_reset = False
        self.self_test_since_reset = True

    @rule(trigger=st.sampled_from(TRIGGERS))
    def fire(self, trigger: str) -> None:
        before = self.s.current
        allowed = self.s.can(trigger)
        try:
            after = self.s.fire(trigger)
        except MachineError:
            assert not allowed
            assert self.s.current == before
            return
        assert allowed
        if after is State.RUNNING and before not in (State.PAUSED, State.PATIENT_STOPPED):
            assert trigger == "start" and before is State.READY
            assert not self.faulted_since_reset or self.self_test_since_reset
        if after is State.FAULTED:
            self.faulted_since_reset = True
            self.self_test_since_reset = False
        if trigger == "reset":
            self.faulted_since_reset = False
        if after is State.SELF_TEST:
            self.self_test_since_reset = True

    @invariant()
    def never_running_straight_from_faulted(self) -> None:
        if self.s.current is State.RUNNING and self.s.history:
            before, _, _ = self.s.history[-1]
            assert before != State.FAULTED.value


TestStates = StatesMachine.TestCase


def test_diagram_is_generated_from_the_transitions() -> None:
    diagram = mermaid()
    for t in TRANSITIONS:
        assert f": {t['trigger']}" in diagram
    doc_path = Path(__file__).resolve().parents[2] / "docs" / "session-states.md"
    with doc_path.open(encoding="utf-8") as doc:
        assert diagram in doc.read(), "docs/session-states.md is stale: regenerate it"


def test_the_self_test_is_told_when_it_happens_and_how_it_ended() -> None:
    """Each transition is fired when it happens, not replayed after the self-test: a failed
    self-test reads `self_test_failed`, a passed one comes before the start."""
    link = open_link("sim://").link
    entry = ProtocolFile(name="short", protocol=Static(force_n=80.0, duration_s=2.0))
    first = TreatmentSession(link, entry, load_limits(), 75.0)
    first.run()
    triggers = [e.data["trigger"] for e in first.events.history if "trigger" in e.data]
    assert triggers[:4] == ["connect", "begin_self_test", "self_test_passed", "start"]
    times = [e.time_s for e in first.events.history]
    assert times == sorted(times)
    second = TreatmentSession(link, entry, load_limits(), 75.0)  # the carriage is not home
    with pytest.raises(SelfTestError):
        second.run()
    triggers = [e.data["trigger"] for e in second.events.history if "trigger" in e.data]
    assert triggers == ["connect", "begin_self_test", "self_test_failed"]
