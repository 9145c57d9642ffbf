"""Treatments end to end on sim:// through the bridge, the gate and the monitor."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.app.composition import open_link
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import EndReason
from controller.core.preparation import SelfTestError
from controller.core.session_states import State
from controller.core.treatment import ForceChangeRefused, Treatment
from controller.protocols.checks import ProtocolError, check_protocol
from controller.protocols.models import (
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    ProtocolFile,
    Regressive,
    Static,
)
from controller.run.runner import run_treatment
from controller.run.session import Outcome
from safety.limits import load_limits
from safety.release import ReleaseState
from sim.board import SimBoard
from sim.injection import inject
from sim.variants import VARIANTS

LIMITS = load_limits()
SETTLED_N = LIMITS.board.release_force_n + 2.5

AnyProtocol = Static | Intermittent | Progressive | Regressive | Cyclic | Program
SHORT: dict[str, AnyProtocol] = {
    "static": Static(force_n=200.0, duration_s=30.0),
    "intermittent": Intermittent(
        hold_force_n=220.0, hold_s=10.0, rest_force_n=80.0, rest_s=5.0, cycles=2
    ),
    "progressive": Progressive(start_force_n=80.0, end_force_n=200.0, steps=3, step_s=8.0),
    "regressive": Regressive(start_force_n=200.0, end_force_n=80.0, steps=3, step_s=8.0),
    "cyclic": Cyclic(
        peak_force_n=180.0,
        base_force_n=60.0,
        rise_s=6.0,
        fall_s=6.0,
        peak_s=3.0,
        base_s=3.0,
        cycles=2,
    ),
    "program": Program(
        steps=[
            Static(force_n=120.0, duration_s=10.0),
            Intermittent(hold_force_n=200.0, hold_s=8.0, rest_force_n=90.0, rest_s=4.0, cycles=2),
        ]
    ),
    "cervical": Intermittent(
        region="cervical",
        hold_force_n=80.0,
        hold_s=10.0,
        rest_force_n=30.0,
        rest_s=5.0,
        cycles=2,
        ramp_up_n_s=10.0,
        ramp_down_n_s=15.0,
    ),
}


def run(
    protocol: AnyProtocol,
    *,
    patient: str = "lumbar-average",
    on_cycle: Callable[[Treatment, CycleRecord], None] | None = None,
    seed: int = 1,
    variant: str = "reference",
) -> tuple[Outcome, SimBoard]:
    opened = open_link(f"sim://?patient={patient}&seed={seed}&variant={variant}")
    assert opened.board is not None
    entry = ProtocolFile(name="test", protocol=protocol)
    outcome = run_treatment(opened.link, entry, LIMITS, 75.0, on_cycle=on_cycle)
    return outcome, opened.board


def final_force(board: SimBoard) -> float:
    fw = board.firmware
    return max(fw.force_a_n or 0.0, fw.force_b_n or 0.0)


@pytest.mark.requirement("SR-007")
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("kind", sorted(SHORT))
def test_every_protocol_type_completes_accurately(kind: str, variant: str) -> None:
    """On every board the ICD permits (sim/variants.py), not only on our reading of it."""
    patient = "cervical" if kind == "cervical" else "lumbar-average"
    outcome, board = run(SHORT[kind], patient=patient, variant=variant)
    assert outcome.state is State.COMPLETE
    assert not outcome.prepared.supervisor.trips
    assert outcome.accuracy.hold_samples > 0 and outcome.accuracy.meets, outcome.accuracy
    # the timer ends where the final ramp reaches the slack force; the board releases the rest
    proto = SHORT[kind]
    first = proto.steps[0] if isinstance(proto, Program) else proto
    last = proto.steps[-1] if isinstance(proto, Program) else proto
    planned = outcome.checked.profile.total_s - first.slack_take_up_n / last.ramp_down_n_s
    assert outcome.treatment.timer_s == pytest.approx(planned, abs=0.05)
    assert final_force(board) < SETTLED_N
    assert not board.firmware.enabled
    assert board.firmware.release.name == "NONE"  # the release is over, not cut short


def events_at(schedule: dict[float, str]):  # type: ignore[no-untyped-def]
    """An on_cycle hook that fires operator events at treatment-clock times."""
    pending = dict(sorted(schedule.items()))

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        if not pending or record.telemetry is None:
            return
        at = next(iter(pending))
        if treatment.timer_s >= at and treatment.states.can(pending[at]):
            treatment.event(pending.pop(at), record.time_s, record.telemetry)

    return hook


def test_pause_holds_the_force_and_freezes_the_timer() -> None:
    seen: list[tuple[str, float, float, float]] = []
    hook = events_at({12.0: "pause"})

    def watch(treatment: Treatment, record: CycleRecord) -> None:
        hook(treatment, record)
        if record.telemetry is not None:
            seen.append(
                (
                    treatment.states.state,
                    treatment.timer_s,
                    record.telemetry.force_n,
                    treatment.hold_n,
                )
            )
        if (
            treatment.states.current is State.PAUSED
            and len([s for s in seen if s[0] == "paused"]) >= 500
        ):
            treatment.event("resume", record.time_s, record.telemetry)

    outcome, _ = run(SHORT["static"], on_cycle=watch)
    paused = [s for s in seen if s[0] == "paused"]
    assert len(paused) >= 500  # five seconds paused
    assert len({round(s[1], 6) for s in paused}) == 1  # timer frozen
    window = max(LIMITS.tracking.window_n, LIMITS.tracking.window_share * paused[0][3])
    assert all(abs(s[2] - s[3]) <= window for s in paused)
    assert outcome.state is State.COMPLETE


@pytest.mark.requirement("SR-007")
@settings(max_examples=10, deadline=None)
@given(st.floats(0.0, 60.0), st.sampled_from(list(VARIANTS)))
def test_stop_at_any_moment_ends_released(at: float, variant: str) -> None:
    outcome, board = run(SHORT["intermittent"], on_cycle=events_at({at: "stop"}), variant=variant)
    triggers = [e.data.get("trigger") for e in outcome.treatment.log.events]
    stopped = "stop" in triggers  # else the plan had ended before `at`
    assert outcome.state is (State.STOPPED if stopped else State.COMPLETE)
    assert outcome.end.reason is (EndReason.STOPPED_BY_OPERATOR if stopped else EndReason.COMPLETE)
    assert final_force(board) < SETTLED_N
    assert not outcome.prepared.supervisor.trips


@pytest.mark.requirement("SR-007")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_fault_mid_treatment_ends_faulted_and_released(variant: str) -> None:
    def press(treatment: Treatment, record: CycleRecord) -> None:
        if treatment.timer_s > 15.0 and not board_ref[0].firmware.cell_b.faults.dead:
            inject(board_ref[0], "channel-dead", {"channel": "B"})  # SENSOR on the board

    board_ref: list[SimBoard] = []
    opened = open_link(f"sim://?seed=2&variant={variant}")
    assert opened.board is not None
    board_ref.append(opened.board)
    outcome = run_treatment(
        opened.link, ProtocolFile(name="t", protocol=SHORT["static"]), LIMITS, 75.0, on_cycle=press
    )
    assert outcome.state is State.FAULTED
    assert outcome.prepared.supervisor.trips
    # the session ended only once the board's release was seen finished
    assert outcome.prepared.supervisor.release.state is ReleaseState.DONE
    assert final_force(opened.board) < SETTLED_N


@pytest.mark.requirement("SR-016")
def test_invalid_protocol_sends_nothing_to_the_board() -> None:
    opened = open_link("sim://")
    assert opened.board is not None
    with pytest.raises(ProtocolError, match="force_n = 600"):
        run_treatment(
            opened.link,
            ProtocolFile(name="t", protocol=Static(force_n=600.0, duration_s=10)),
            LIMITS,
            75.0,
        )
    fw = opened.board.firmware
    assert fw.cmd_seq == 0 and not fw.tared and fw.control == 0


@pytest.mark.parametrize("injection", ["patient-unplug", "estop-open", "off-home"])
def test_self_test_refuses_an_unready_table(injection: str) -> None:
    opened = open_link("sim://")
    assert opened.board is not None
    if injection == "off-home":
        opened.board.firmware.physics.x = 0.02
    else:
        inject(opened.board, injection)
    with pytest.raises(SelfTestError, match="self-test failed"):
        run_treatment(opened.link, ProtocolFile(name="t", protocol=SHORT["static"]), LIMITS, 75.0)
    assert not opened.board.firmware.tared  # never tared off home or on an unready table
    assert not opened.board.firmware.enabled


def test_force_change_mid_hold_waits_for_the_new_force_and_respects_the_limit() -> None:
    changes: list[str] = []

    def technician(treatment: Treatment, record: CycleRecord) -> None:
        if not changes and treatment.timer_s > 10.0 and record.telemetry is not None:
            treatment.adjust_force(+20.0, record.time_s)
            changes.append("up")
            with pytest.raises(ValueError, match="would pass the limit"):
                treatment.adjust_force(+400.0, record.time_s)
            with pytest.raises(ForceChangeRefused, match="below the slack force"):
                treatment.adjust_force(-300.0, record.time_s)

    outcome, _ = run(SHORT["static"], on_cycle=technician)
    assert changes == ["up"]
    assert outcome.state is State.COMPLETE
    held = [s for s in outcome.treatment.log.samples if s.holding]
    assert max(s.target_n for s in held) == pytest.approx(220.0)
    assert outcome.accuracy.meets, outcome.accuracy
    assert outcome.treatment.log.waited_s > 0.0  # the clock stood still until 220 N was reached


def test_force_change_outside_a_treatment_is_refused() -> None:
    treatment = Treatment(check_protocol(SHORT["static"], LIMITS, 75.0))
    with pytest.raises(ValueError, match="only while running or paused"):
        treatment.adjust_force(10.0, 0.0)


@settings(max_examples=5, deadline=None)
@given(st.floats(0.0, 40.0), st.floats(0.5, 8.0))
def test_pause_at_any_moment_keeps_the_force_within_the_tracking_window(
    at: float, hold_s: float
) -> None:
    paused: list[tuple[float, float]] = []
    started: list[float] = []

    def operator(treatment: Treatment, record: CycleRecord) -> None:
        tel = record.telemetry
        if tel is None:
            return
        state = treatment.states.current
        if not started and treatment.timer_s >= at and state is State.RUNNING:
            treatment.event("pause", record.time_s, tel)
            started.append(record.time_s)
        elif state is State.PAUSED:
            paused.append((tel.force_n, treatment.hold_n))
            if record.time_s - started[0] >= hold_s:
                treatment.event("resume", record.time_s, tel)

    outcome, _ = run(SHORT["intermittent"], on_cycle=operator)
    assert outcome.state is State.COMPLETE
    for force, held in paused:
        assert abs(force - held) <= max(
            LIMITS.tracking.window_n, LIMITS.tracking.window_share * held
        )
