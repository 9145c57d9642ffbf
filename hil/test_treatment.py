"""Treatments as the technician runs them: every protocol type tracks within the accuracy
targets, pause holds and freezes the timer, stop ramps down and releases, and every session
is recorded and verifiable."""

from __future__ import annotations

from typing import TypedDict

import pytest

from controller.core.accuracy import Accuracy
from controller.core.control_loop import CycleRecord
from controller.core.homing import home
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.protocols.models import (
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    ProtocolFile,
    Regressive,
    Static,
)
from controller.records.store import SessionStore
from firmware_bridge.icd import Status
from hil.measurements import Measurements
from hil.record import RunRecord
from hil.sessions import plot, treat
from hil.table import HilTable
from safety.limits import load_limits

RAMP_UP_N_S, RAMP_DOWN_N_S = 30.0, 30.0  # the presets ramp at 20-30 N/s


class Ramps(TypedDict):
    ramp_up_n_s: float
    ramp_down_n_s: float


RAMPS = Ramps(ramp_up_n_s=RAMP_UP_N_S, ramp_down_n_s=RAMP_DOWN_N_S)
PROTOCOLS: dict[str, Static | Intermittent | Progressive | Regressive | Cyclic | Program] = {
    "static": Static(force_n=80.0, duration_s=4.0, **RAMPS),
    "intermittent": Intermittent(
        hold_force_n=90.0,
        hold_s=3.0,
        rest_force_n=40.0,
        rest_s=2.0,
        cycles=2,
        **RAMPS,
    ),
    "progressive": Progressive(
        start_force_n=40.0,
        end_force_n=90.0,
        steps=3,
        step_s=2.0,
        **RAMPS,
    ),
    "regressive": Regressive(
        start_force_n=90.0,
        end_force_n=40.0,
        steps=3,
        step_s=2.0,
        **RAMPS,
    ),
    "cyclic": Cyclic(
        peak_force_n=90.0,
        base_force_n=40.0,
        rise_s=2.0,
        fall_s=2.0,
        cycles=2,
        **RAMPS,
    ),
    "program": Program(
        steps=[
            Static(force_n=60.0, duration_s=2.0, **RAMPS),
            Intermittent(
                hold_force_n=80.0,
                hold_s=2.0,
                rest_force_n=40.0,
                rest_s=2.0,
                cycles=1,
                **RAMPS,
            ),
        ]
    ),
}
TIME_TOLERANCE_S = 0.5
PAUSE_AT_S, PAUSE_FOR_S, STOP_AFTER_S = 2.0, 2.0, 1.0
PAUSE_DRIFT_N = 3.0  # the force held while paused: the peak hold error's target


def _static(name: str, force_n: float, duration_s: float) -> ProtocolFile:
    return ProtocolFile(name=name, protocol=Static(force_n=force_n, duration_s=duration_s, **RAMPS))


def _accuracy(measure: Measurements, acc: Accuracy) -> None:
    measure("hold samples", acc.hold_samples, low=1)
    measure(
        "hold error mean / max(1 %, 1 N)",
        acc.mean_error_ratio,
        high=1.0,
        doc=f"{acc.mean_error_n:.2f} N",
    )
    measure(
        "hold error peak / max(3 %, 3 N)",
        acc.peak_error_ratio,
        high=1.0,
        doc=f"{acc.peak_error_n:.2f} N",
    )
    measure(
        "overshoot / max(2 %, 2 N)", acc.overshoot_ratio, high=1.0, doc=f"{acc.overshoot_n:.2f} N"
    )


@pytest.mark.requirement(
    "SR-007", "Controller: every protocol type holds its force within the targets"
)
@pytest.mark.parametrize("kind", list(PROTOCOLS))
def test_protocol_tracks_within_the_targets(
    table: HilTable,
    measure: Measurements,
    hil_run: RunRecord,
    request: pytest.FixtureRequest,
    kind: str,
) -> None:
    table.ensure_test_load()
    result = hil_run.result(request.node.nodeid)
    entry = ProtocolFile(name=f"hil-{kind}", protocol=PROTOCOLS[kind])
    treated = treat(table, hil_run, result, entry)
    plot(hil_run, result, treated)
    outcome = treated.outcome
    assert outcome is not None
    measure("session outcome", outcome.label, equals="complete")
    _accuracy(measure, outcome.accuracy)
    # the timer ends where the final ramp reaches the slack force; the board releases the rest
    proto = PROTOCOLS[kind]
    first = proto.steps[0] if isinstance(proto, Program) else proto
    last = proto.steps[-1] if isinstance(proto, Program) else proto
    planned = outcome.checked.profile.total_s - first.slack_take_up_n / last.ramp_down_n_s
    measure(
        "timer ran / planned",
        outcome.treatment.timer_s - planned,
        "s",
        low=-TIME_TOLERANCE_S,
        high=TIME_TOLERANCE_S,
    )
    final = outcome.loop.telemetry[-1]
    measure("released at the end", str(not final.has(Status.RELEASING)), equals="True")


@pytest.mark.requirement(
    "SR-007",
    "Controller: pause holds the force with the timer frozen; stop ramps down and releases",
)
def test_pause_resume_and_stop(
    table: HilTable, measure: Measurements, hil_run: RunRecord, request: pytest.FixtureRequest
) -> None:
    table.ensure_test_load()
    result = hil_run.result(request.node.nodeid)
    entry = _static("hil-pause", 80.0, 30.0)
    marks: dict[str, float] = {}
    paused: list[tuple[float, float, float]] = []  # time, force, timer

    def operator(treatment: Treatment, record: CycleRecord) -> None:
        state, t, tel = treatment.states.current, record.time_s, record.telemetry
        if tel is None:
            return
        if state is State.RUNNING and "pause" not in marks and treatment.timer_s > PAUSE_AT_S:
            marks["pause"] = t
            treatment.event("pause", t, tel, by="operator")
        elif state is State.PAUSED:
            paused.append((t, tel.force_n, treatment.timer_s))
            if t - marks["pause"] > PAUSE_FOR_S:
                marks["resume"] = t
                treatment.event("resume", t, tel, by="operator")
        elif (
            state is State.RUNNING
            and "resume" in marks
            and "stop" not in marks
            and t - marks["resume"] > STOP_AFTER_S
        ):
            marks["stop"] = t
            treatment.event("stop", t, tel, by="operator")

    treated = treat(table, hil_run, result, entry, on_cycle=operator)
    plot(hil_run, result, treated)
    outcome = treated.outcome
    assert outcome is not None and paused
    held = paused[0][1]
    measure(
        "force drift while paused",
        max(abs(f - held) for _, f, _ in paused),
        "N",
        high=PAUSE_DRIFT_N,
    )
    measure("timer while paused", paused[-1][2] - paused[0][2], "s", low=0.0, high=0.0)
    measure("session outcome", outcome.label, equals="stopped early by operator")
    measure("final state", outcome.state.value, equals="stopped")
    final = outcome.loop.telemetry[-1]
    release_force = treated.link.read_interlocks().release_force_n
    measure("force after stop", final.force_n, "N", high=release_force + 2.5)
    measure(
        "stopped before the planned end",
        outcome.treatment.timer_s,
        "s",
        high=outcome.checked.profile.total_s - 10.0,
    )


@pytest.mark.requirement(
    "SR-018", "Records: the session is recorded whole and its audit chain verifies"
)
def test_session_is_recorded_and_verifiable(
    table: HilTable, measure: Measurements, hil_run: RunRecord, request: pytest.FixtureRequest
) -> None:
    table.ensure_test_load()
    result = hil_run.result(request.node.nodeid)
    entry = _static("hil-record", 60.0, 2.0)
    treated = treat(table, hil_run, result, entry)
    plot(hil_run, result, treated)
    assert treated.outcome is not None
    store = SessionStore(treated.store, recover=False)
    try:
        row = store.session(treated.session_id)
        measure("recorded outcome", row["outcome"], equals="complete")
        samples = store.samples(treated.session_id)
        measure(
            "samples recorded - control cycles",
            len(samples) - len(treated.outcome.loop.records),
            low=0,
            high=0,
        )
        measure(
            "limits hash recorded",
            row["limits_sha256"],
            equals=treated.outcome.prepared.limits.fingerprint(),
        )
        measure("verify problems", len(store.verify()), low=0, high=0)
    finally:
        store.close()


@pytest.mark.requirement("Controller: the carriage is brought home between sessions")
def test_homing_after_a_session(
    table: HilTable, measure: Measurements, hil_run: RunRecord, request: pytest.FixtureRequest
) -> None:
    table.ensure_test_load()
    result = hil_run.result(request.node.nodeid)
    entry = _static("hil-home", 60.0, 2.0)
    treated = treat(table, hil_run, result, entry)
    assert treated.outcome is not None
    left_at = treated.link.read_telemetry().position_m
    homed = home(treated.link, load_limits(), weight_kg=table.target.weight_kg)
    measure("carriage after the session", left_at * 1e3, "mm", low=0.0)
    measure("at home after homing", str(homed.telemetry.has(Status.AT_HOME)), equals="True")
    measure(
        "drive enabled after homing", str(homed.telemetry.has(Status.DRIVE_ENABLED)), equals="False"
    )
    measure("homing time", homed.seconds, "s", high=60.0, timing=True)
