"""A time change in a running session on the simulated table (issue 13), on every board
variant, in virtual time: the holds after it take the new length, those before keep theirs,
the time at force is the new total, and a refused change leaves the session as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from controller.app.composition import open_link
from controller.core.control_loop import CycleRecord
from controller.core.session_states import State
from controller.core.treatment import Sample, Treatment
from controller.protocols.models import Intermittent, ProtocolFile
from controller.protocols.retime import Timing
from controller.run.session import Outcome, TreatmentSession
from safety.limits import load_limits
from sim.variants import VARIANTS

pytestmark = pytest.mark.requirement("SR-036")
LIMITS = load_limits()
TECH = "operator tech-3"
PROTOCOL = Intermittent(hold_force_n=120, hold_s=8, rest_force_n=60, rest_s=4, total_s=36)


def run(variant: str, timing: Timing, at: Callable[[Treatment], bool]) -> Outcome:
    opened = open_link(f"sim://?seed=6&variant={variant}")
    session = TreatmentSession(
        opened.link, ProtocolFile(name="times", protocol=PROTOCOL), LIMITS, 75.0
    )
    asked = False

    def script(treatment: Treatment, _record: CycleRecord) -> None:
        nonlocal asked
        if not asked and at(treatment):
            session.ask("timing", TECH, timing=timing)
            asked = True

    return session.run(on_cycle=script)


def runs(samples: list[Sample], phase: str) -> list[float]:
    """The seconds each hold (or rest) ran its clock, in order (cycle times as they came)."""
    out: list[float] = []
    previous, last_t = "", samples[0].time_s
    for s in samples:
        counting = s.phase == phase and s.holding
        if counting and previous != phase:
            out.append(0.0)
        if counting:
            out[-1] += s.time_s - last_t
        previous, last_t = (s.phase if counting else ""), s.time_s
    return out


def in_second_hold(t: Treatment) -> bool:
    seg = t.profile.segments[t.profile.at(t.timer_s).segment]
    return (
        seg.phase == "hold"
        and seg.rep == 1
        and t.timer_s - t.profile.starts[t.profile.segments.index(seg)] > 2
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_shorter_holds_from_the_second_one_and_a_shorter_total(variant: str) -> None:
    outcome = run(variant, Timing(hold_s=5, total_s=27), in_second_hold)
    assert outcome.state is State.COMPLETE
    holds = runs(outcome.treatment.log.samples, "hold")
    rests = runs(outcome.treatment.log.samples, "rest")
    assert holds[0] == pytest.approx(8, abs=0.1)  # before the change: as it ran
    assert all(h == pytest.approx(5, abs=0.1) for h in holds[1:-1])
    assert sum(holds) + sum(rests) == pytest.approx(27, abs=0.3)  # the new total at force
    change = [e for e in outcome.treatment.log.events if e.text.startswith("times:")]
    assert len(change) == 1 and change[0].data["by"] == TECH
    assert change[0].data["hold_s"] == 5 and change[0].data["total_s"] == 27
    proto = outcome.checked.protocol
    assert isinstance(proto, Intermittent) and (proto.hold_s, proto.total_s) == (5, 27)


def test_a_total_below_what_has_run_is_refused_and_the_session_runs_as_planned() -> None:
    outcome = run("reference", Timing(total_s=5), in_second_hold)
    assert outcome.state is State.COMPLETE
    refused = [e.text for e in outcome.treatment.log.events if e.text.startswith("refused: times")]
    assert len(refused) == 1 and "press STOP" in refused[0]
    holds = runs(outcome.treatment.log.samples, "hold")
    rests = runs(outcome.treatment.log.samples, "rest")
    assert sum(holds) + sum(rests) == pytest.approx(36, abs=0.3)
    assert outcome.checked.protocol == PROTOCOL


def test_a_change_is_refused_while_stopping() -> None:
    def stopping(t: Treatment) -> bool:
        return t.states.current is State.STOPPING

    outcome = run("reference", Timing(hold_s=20), stopping)
    assert outcome.state is State.COMPLETE
    refused = [e.text for e in outcome.treatment.log.events if e.text.startswith("refused: times")]
    assert refused and "only while running or paused" in refused[0]


@pytest.mark.requirement("SR-052")
def test_a_refused_change_is_an_event_of_the_refused_kind() -> None:
    """Front ends show refusals by their kind (`traction run`, the console), not their words."""
    outcome = run("reference", Timing(total_s=5), in_second_hold)
    kinds = {e.kind for e in outcome.treatment.log.events if e.text.startswith("refused: times")}
    assert kinds == {"refused"}
