"""Run one treatment on a link: self-test, start, loop until complete or faulted.

On `sim://` the loop runs in virtual time (a 10-minute protocol in seconds); on hardware
and `traction sim` it runs on the wall clock with absolute deadlines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from controller.accuracy import Accuracy, accuracy
from controller.control_loop import PERIOD_S, ControlLoop, CycleRecord, LoopResult
from controller.preparation import Prepared, SelfTestError, prepare
from controller.protocols.checks import CheckedProtocol, check_protocol
from controller.protocols.models import ProtocolFile
from controller.realtime import realtime_thread
from controller.records.recorder import SessionRecorder
from controller.session_states import State
from controller.treatment import Treatment
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError, TargetError
from firmware_bridge.link import WallClock
from safety.limits import SafetyLimits
from safety.link_timing import link_timing_problems

SLACK_ALLOWANCE_S = 120.0


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    checked: CheckedProtocol
    prepared: Prepared
    treatment: Treatment
    loop: LoopResult
    accuracy: Accuracy

    @property
    def label(self) -> str:
        """The outcome as the records name it: who ended the session, and how."""
        if self.state is State.FAULTED:
            return "faulted"
        stops = [
            e.data.get("by") for e in self.treatment.log.events if e.data.get("trigger") == "stop"
        ]
        if "records" in stops:
            return "stopped: records could not be written"
        if stops:
            return f"stopped early by {stops[0]}"
        return "complete" if self.state in (State.COMPLETE, State.IDLE) else self.state.value


def check_link_timing(link: TableLink, limits: SafetyLimits) -> None:
    """Refuse a target whose transaction timeout would defeat the liveness limits."""
    problems = link_timing_problems(limits, timeout_s=link.transport.timeout_s, period_s=PERIOD_S)
    if problems:
        raise TargetError(
            f"{link.url}: transaction timeout {link.transport.timeout_s} s does not fit the "
            f"safety limits: {'; '.join(problems)} (lower ?timeout= in the device URL)"
        )


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
    """The caller finishes the recorder (after the completion alarm is acknowledged).

    `before_start` runs between the self-test and the start, with the drive still disabled
    (QA uses it to set a low FORCE_TRIP and prove the board's own trip, hil/).
    """
    checked = check_protocol(entry.protocol, limits, weight_kg)  # before anything is sent
    check_link_timing(link, limits)
    if recorder is not None:
        recorder.begin(entry, checked, weight_kg, limits, link.clock.now())
    try:
        prepared = prepare(link, limits, region=entry.protocol.region, weight_kg=weight_kg)
    except (SelfTestError, LinkError) as exc:
        if recorder is not None:
            recorder.not_started(str(exc), link.clock.now())
        raise
    if before_start is not None:
        before_start(prepared)
    treatment = Treatment(checked, prepared.supervisor, request_release=link.release_now)
    now = link.clock.now()
    if recorder is not None:
        recorder.prepared(prepared, now)
    for trigger in ("connect", "begin_self_test", "self_test_passed", "start"):
        treatment.event(trigger, now, prepared.telemetry)
    loop = ControlLoop(link, prepared.supervisor)
    done = {State.COMPLETE, State.FAULTED}

    def until(record: CycleRecord) -> bool:
        if on_cycle is not None:
            on_cycle(treatment, record)
        if recorder is not None:
            recorder.cycle(treatment, record)
        return treatment.states.current in done

    realtime = isinstance(link.clock, WallClock)  # never virtual time: it never sleeps
    with realtime_thread() if realtime else contextlib.nullcontext():
        result = loop.run(
            treatment,
            checked.profile.total_s * 2 + SLACK_ALLOWANCE_S,
            until=until,
            feedback=treatment.approved,
        )
    return Outcome(
        treatment.states.current,
        checked,
        prepared,
        treatment,
        result,
        accuracy(treatment.log.samples),
    )
