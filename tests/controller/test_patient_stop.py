"""The patient in the loop (issue 13): a hand-switch press releases and holds the session;
after the technician acknowledges, it resumes in the same record with a fresh ramp, at no
higher force, for the remaining time -- on every board variant, in virtual time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from controller.app.composition import open_link
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import EndReason, SessionEnd
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.protocols.models import ProtocolFile, Static
from controller.run.session import (
    MAX_PATIENT_STOPS,
    NOBODY,
    PATIENT_STOP_BOUND_S,
    Outcome,
    TreatmentSession,
)
from safety.limits import load_limits
from safety.release import ReleaseState
from sim.board import SimBoard
from sim.injection import inject
from sim.variants import VARIANTS

pytestmark = pytest.mark.requirement("SR-035")
LIMITS = load_limits()
FORCE_N = 120.0
HOLD_S = 40.0
PRESS_AT_S = 15.0  # of hold time
TECH = "operator tech-2"
SETTLED_N = 15.0


@dataclass
class Script:
    """Acts on the table and the session at moments of the session, as people would."""

    board: SimBoard
    session: TreatmentSession | None = None
    steps: list[tuple[Callable[[Treatment, CycleRecord], bool], Callable[[], None]]] = field(
        default_factory=list
    )
    held_timer_s: float | None = None
    resumed_at: float | None = None
    ramp: list[float] = field(default_factory=list)  # setpoints after the resume, to the hold
    ramp_t: list[float] = field(default_factory=list)

    def __call__(self, treatment: Treatment, record: CycleRecord) -> None:
        if treatment.states.current is State.PATIENT_STOPPED and self.held_timer_s is None:
            self.held_timer_s = treatment.timer_s
        resumed = self.resumed_at is not None and treatment.phase == "ramp up"
        if resumed and treatment.target_n is not None:
            self.ramp.append(treatment.target_n)
            self.ramp_t.append(record.time_s)
        while self.steps and self.steps[0][0](treatment, record):
            self.steps.pop(0)[1]()


def run(
    variant: str,
    steps: Callable[[Script], list[tuple]],  # type: ignore[type-arg]
    protocol: Static | None = None,
    *,
    attended: Callable[[], bool] | None = None,
) -> tuple[Outcome, Script, SimBoard]:
    opened = open_link(f"sim://?seed=4&variant={variant}")
    assert opened.board is not None
    entry = ProtocolFile(
        name="held", protocol=protocol or Static(force_n=FORCE_N, duration_s=HOLD_S)
    )
    session = TreatmentSession(opened.link, entry, LIMITS, 75.0, attended=attended)
    script = Script(opened.board, session)
    script.steps = steps(script)
    outcome = session.run(on_cycle=script)
    return outcome, script, opened.board


def at_hold(seconds: float) -> Callable[[Treatment, CycleRecord], bool]:
    return lambda t, _r: t.phase == "hold" and t.timer_s >= seconds


def held_and_released(t: Treatment, r: CycleRecord) -> bool:
    return t.states.current is State.PATIENT_STOPPED and r.release is ReleaseState.DONE


def always(_t: Treatment, _r: CycleRecord) -> bool:
    return True


def press_ack_resume(s: Script, delta_n: float = 0.0) -> list[tuple]:  # type: ignore[type-arg]
    assert s.session is not None
    session = s.session

    def resume() -> None:
        session.ask("resume", TECH, delta_n)
        s.resumed_at = 0.0

    return [
        (at_hold(PRESS_AT_S), lambda: inject(s.board, "patient-press")),
        (held_and_released, lambda: inject(s.board, "patient-release")),
        (always, lambda: session.ask("acknowledge", TECH)),
        (always, resume),
    ]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_press_mid_hold_then_acknowledged_resume_completes_in_one_record(variant: str) -> None:
    outcome, script, board = run(variant, press_ack_resume)
    assert outcome.state is State.COMPLETE
    assert outcome.label == "complete after 1 patient stop(s), resumed"
    assert script.held_timer_s == pytest.approx(PRESS_AT_S, abs=0.05)
    # the remaining time was kept: the timer ran as far as in a session nobody stopped
    plain, _, _ = run(variant, lambda _s: [])
    assert outcome.treatment.timer_s == pytest.approx(plain.treatment.timer_s, abs=0.05)

    def at_force(o: Outcome) -> int:
        return sum(1 for x in o.treatment.log.samples if x.holding)

    assert at_force(outcome) == pytest.approx(at_force(plain), abs=5)  # in two parts, as long
    triggers = [e.data.get("trigger") for e in outcome.treatment.log.events]
    assert triggers.count("patient_stop") == 1 and triggers.count("resume") == 1
    # a fresh ramp at the protocol's rate, never above the hold force
    assert script.ramp and max(script.ramp) <= FORCE_N
    rate = Static(force_n=1, duration_s=1).ramp_up_n_s
    span_n, span_s = script.ramp[-1] - script.ramp[0], script.ramp_t[-1] - script.ramp_t[0]
    assert span_n / span_s <= rate * 1.05  # no faster than the protocol's ramp up
    steps = [b - a for a, b in zip(script.ramp, script.ramp[1:], strict=False)]
    assert max(steps) < 1.0  # and no jump (a late reply's cycle carries its own time)
    assert not outcome.prepared.supervisor.trips  # cleared by the acknowledged reset
    assert board.firmware.physics.tension_n < SETTLED_N


def test_resume_is_refused_without_acknowledgement_or_with_the_switch_held() -> None:
    def steps(s: Script) -> list[tuple]:  # type: ignore[type-arg]
        assert s.session is not None
        session = s.session
        return [
            (at_hold(PRESS_AT_S), lambda: inject(s.board, "patient-press")),
            (held_and_released, lambda: session.ask("resume", TECH)),  # not acknowledged
            (always, lambda: session.ask("acknowledge", TECH)),
            (always, lambda: session.ask("resume", TECH)),  # the switch is still pressed
            (always, lambda: session.ask("resume", TECH, 10.0)),  # a higher force
            (always, lambda: session.ask("resume", "system (SIGTERM)")),  # not a technician
            (always, lambda: session.ask("stop", TECH)),
        ]

    outcome, _, board = run("reference", steps)
    refusals = [e.text for e in outcome.treatment.log.events if e.text.startswith("refused")]
    assert any("acknowledge the patient's stop first" in r for r in refusals)
    assert any("patient switch pressed" in r for r in refusals)
    assert any("lowered, never raised" in r for r in refusals)
    assert any("only a technician" in r for r in refusals)
    assert outcome.state is State.STOPPED and outcome.label == "stopped by patient"
    assert outcome.end == SessionEnd(EndReason.STOPPED_BY_PATIENT, TECH, 1)
    assert board.firmware.physics.tension_n < SETTLED_N


def test_a_lower_force_after_the_stop_holds_there_for_the_rest() -> None:
    outcome, script, _ = run("reference", lambda s: press_ack_resume(s, -20.0))
    assert outcome.state is State.COMPLETE
    holds = [x for x in outcome.treatment.log.samples if x.holding and x.time_s > 0]
    assert holds[-1].target_n == pytest.approx(FORCE_N - 20.0)
    assert max(script.ramp) <= FORCE_N - 20.0


def test_not_resumed_within_the_bound_ends_released() -> None:
    outcome, _, board = run(
        "reference", lambda s: [(at_hold(PRESS_AT_S), lambda: inject(s.board, "patient-press"))]
    )
    assert outcome.state is State.STOPPED and outcome.label == "stopped by patient"
    assert outcome.end.exit_code == 3
    assert any(
        f"not resumed within {PATIENT_STOP_BOUND_S:g} s" in e.text
        for e in outcome.treatment.log.events
    )
    assert board.firmware.physics.tension_n < SETTLED_N
    assert outcome.prepared.supervisor.release.state is ReleaseState.DONE


@pytest.mark.parametrize("injection", ["patient-unplug", "estop-open"])
def test_anything_but_the_patients_press_is_a_fault_as_ever(injection: str) -> None:
    outcome, _, _ = run(
        "reference", lambda s: [(at_hold(PRESS_AT_S), lambda: inject(s.board, injection))]
    )
    assert outcome.state is State.FAULTED and outcome.label == "faulted"


def test_a_press_beyond_the_allowed_count_ends_faulted() -> None:
    def steps(s: Script) -> list[tuple]:  # type: ignore[type-arg]
        out = []
        for n in range(MAX_PATIENT_STOPS + 1):
            out += [
                (at_hold(PRESS_AT_S + n), lambda: inject(s.board, "patient-press")),
                *press_ack_resume(s)[1:],
            ]
        return out

    outcome, _, _ = run("reference", steps)
    triggers = [e.data.get("trigger") for e in outcome.treatment.log.events]
    assert triggers.count("patient_stop") == MAX_PATIENT_STOPS
    assert outcome.state is State.FAULTED


@pytest.mark.requirement("SR-045")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_with_nobody_to_answer_a_patient_stop_ends_once_released(variant: str) -> None:
    """No terminal and no console: nobody can acknowledge or resume, so the session ends as
    soon as the board's release is confirmed -- stopped by the patient, never complete."""
    pressed: list[float] = []

    def steps(s: Script) -> list[tuple]:  # type: ignore[type-arg]
        def press() -> None:
            inject(s.board, "patient-press")
            pressed.append(s.board.firmware.time_s)

        return [(at_hold(PRESS_AT_S), press)]

    outcome, _, board = run(variant, steps, attended=lambda: False)
    assert outcome.state is State.STOPPED
    assert outcome.end == SessionEnd(EndReason.STOPPED_BY_PATIENT, NOBODY, 1)
    assert outcome.end.exit_code == 3 and "stopped by the patient" in outcome.end.words
    ended = next(e for e in outcome.treatment.log.events if e.data.get("trigger") == "end")
    released = outcome.prepared.supervisor.release
    assert released.state is ReleaseState.DONE
    # ended in the cycle the release was seen done, long before the 300 s bound
    assert ended.time_s - pressed[0] < released.deadline_s - released.started_s + 1.0
    assert board.firmware.physics.tension_n < SETTLED_N


@pytest.mark.requirement("SR-045")
def test_a_signal_while_held_ends_it_stopped_by_the_patient() -> None:
    def steps(s: Script) -> list[tuple]:  # type: ignore[type-arg]
        assert s.session is not None
        session = s.session
        return [
            (at_hold(PRESS_AT_S), lambda: inject(s.board, "patient-press")),
            (
                held_and_released,
                lambda: session.ask(
                    "stop_now", "system (SIGTERM)", cause=EndReason.STOPPED_BY_SYSTEM
                ),
            ),
        ]

    outcome, _, _ = run("reference", steps)
    assert outcome.state is State.STOPPED
    assert outcome.end == SessionEnd(EndReason.STOPPED_BY_PATIENT, "system (SIGTERM)", 1)
    assert outcome.end.exit_code == 3
