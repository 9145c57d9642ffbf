"""The session owner: one treatment's whole life, from its record begun to its report drawn.

Why one owner: the lifecycle used to be spread over the runner, two CLI helpers, HIL and the
benches; the recorder polled the treatment's events, diffed the supervisor's counters and
stopped treatments itself, and a safety trip reached the state machine only through the
policy -- which ran only when a snapshot decoded, so a board answering garbage left the
session "running" until the loop's overall limit. Here, every cycle, in the control thread:

1. operator requests queued by any client (keys, signals, console) are applied;
2. new trips put the machine in faulted in the cycle the supervisor trips, snapshot or not;
3. the release handshake's transitions are published, and a confirmed release completes a
   stopping session;
4. records that cannot be written stop the treatment (the owner decides, not the recorder);
5. every state has a bound: running or paused past the session's bound stops it, stopping
   has the ramp bound (treatment) and the release bound (supervisor), and a faulted session
   ends once the release is confirmed, timed out, or the board is unreachable; a session held
   after the patient's stop waits for a technician only while one can answer (`attended`).

The end reason (controller/core/end_reason.py) is set here, in the cycle the session ends, and
every front end and the record read it from `Outcome.end`.

Everything that happens goes out once on the event stream (controller/core/events.py); the
recorder, the display, the console and HIL subscribe to it.
"""

from __future__ import annotations

import enum
import queue
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import structlog

from controller.clinic.units import Units
from controller.core.accuracy import Accuracy, accuracy
from controller.core.control_loop import PERIOD_S, ControlLoop, CycleRecord, LoopResult
from controller.core.end_reason import EndReason, SessionEnd
from controller.core.events import EventStream, SessionEvent
from controller.core.preparation import Prepared, SelfTestError, prepare
from controller.core.realtime import control_thread_for
from controller.core.relaxation import Relaxation, relaxation
from controller.core.session_states import State
from controller.core.treatment import ForceChangeRefused, Treatment, is_operator
from controller.muscles.figures import EmgFigures, emg_figures
from controller.muscles.gate import GateMode
from controller.muscles.monitor import MuscleMonitor, MuscleSettings
from controller.muscles.source import MuscleSource
from controller.muscles.watch import MuscleWatch
from controller.protocols.checks import CheckedProtocol, ProtocolError, check_protocol
from controller.protocols.models import MAX_SESSION_S, ProtocolFile
from controller.protocols.retime import Timing
from controller.records.recorder import SessionRecorder
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError, TargetError
from firmware_bridge.link import WallClock
from safety.faults import SafetyFault, Trip
from safety.limits import SafetyLimits
from safety.link_timing import link_timing_problems
from safety.release import ReleaseParams, ReleaseState

log = structlog.get_logger(__name__)

SLACK_ALLOWANCE_S = 120.0  # beyond twice the planned time, for slack take-up and waits
END_ALLOWANCE_S = 10.0  # the loop's last-resort bound beyond every state's own bound
PATIENT_STOP_BOUND_S = 300.0  # held after a patient's stop: resumed within this, or ended
MAX_PATIENT_STOPS = 3  # a fourth press ends the session as a fault would
_ENDED_RELEASE = frozenset({ReleaseState.DONE, ReleaseState.TIMED_OUT, ReleaseState.IDLE})


class Action(enum.StrEnum):
    """What a client may ask of a running session (a string value: the audit data's name)."""

    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    STOP_NOW = "stop_now"  # the board's release at once, no ramp
    FORCE = "force"
    TIMING = "timing"
    ACKNOWLEDGE = "acknowledge"


class Request(NamedTuple):
    """What a client asks of the session; applied in the control thread's next cycle."""

    action: Action
    by: str
    delta_n: float = 0.0  # for "force"
    timing: Timing | None = None  # for "timing"
    cause: EndReason = EndReason.STOPPED_BY_OPERATOR  # for "stop" and "stop_now": why


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    checked: CheckedProtocol
    prepared: Prepared
    treatment: Treatment
    loop: LoopResult
    accuracy: Accuracy
    end: SessionEnd  # set where the session ended; never re-derived from event text
    relaxation: Relaxation  # from force and position: every session, EMG or not
    emg: EmgFigures | None  # from the muscle signal, when one was connected

    @property
    def trips(self) -> list[Trip]:
        return self.prepared.supervisor.trips

    @property
    def label(self) -> str:
        """The outcome as the records name it: who ended the session, and how."""
        return self.end.outcome


def check_link_timing(link: TableLink, limits: SafetyLimits) -> None:
    """Refuse a target whose transaction timeout would defeat the liveness limits."""
    problems = link_timing_problems(limits, timeout_s=link.transport.timeout_s, period_s=PERIOD_S)
    if problems:
        raise TargetError(
            f"{link.url}: transaction timeout {link.transport.timeout_s} s does not fit the "
            f"safety limits: {'; '.join(problems)} (lower ?timeout= in the device URL)"
        )


def ending_bound_s(limits: SafetyLimits) -> float:
    """How long a session may take to end once asked to at once (a signal): the longest
    release bound, or the time to notice a lost board, plus the loop's allowance."""
    longest = ReleaseParams.from_limits(limits).longest_s
    return max(longest, limits.liveness.board_lost_s) + END_ALLOWANCE_S


class TreatmentSession:
    def __init__(
        self,
        link: TableLink,
        entry: ProtocolFile,
        limits: SafetyLimits,
        weight_kg: float,
        *,
        recorder: SessionRecorder | None = None,
        before_start: Callable[[Prepared], None] | None = None,
        attended: Callable[[], bool] | None = None,
        muscles: MuscleSource | None = None,
        muscle_settings: MuscleSettings | None = None,
        mains_hz: float = 50.0,
    ) -> None:
        """`muscles`: a muscle-signal source (not yet opened), watched in monitoring mode,
        or gating the pull when the protocol says so (`emg_gate`). `before_start` runs
        between the self-test and the start, drive still disabled (QA uses it to set a low
        FORCE_TRIP and prove the board's own trip, hil/). `attended` says whether a technician
        can answer now (a terminal, a console page open); without one a session held after
        the patient's stop ends once the release is confirmed."""
        self.link = link
        self.entry = entry
        self.limits = limits
        self.weight_kg = weight_kg
        self.recorder = recorder
        self.before_start = before_start
        self.attended = attended or _always
        self.muscle_source = muscles
        self.muscle_settings = muscle_settings or MuscleSettings()
        self.mains_hz = mains_hz
        self.muscles: MuscleMonitor | None = None
        self.events = EventStream()
        self.requests: queue.SimpleQueue[Request] = queue.SimpleQueue()
        self.treatment: Treatment | None = None
        self.outcome: Outcome | None = None
        self._release_seen = ReleaseState.IDLE
        self._records_stopped = False
        self._bound_s = 0.0
        self._start_s = 0.0
        self._patient_stops = 0
        self._patient_since = 0.0  # when the last patient's stop began
        self._held_s = 0.0  # time held after patient stops: not counted against the bound
        self._patient_ack = ""  # who acknowledged the patient's stop ("": nobody yet)
        self._end_by = ""  # who asked to end a session held after a patient's stop
        self._stop: tuple[EndReason, str] | None = None  # why a stop was asked for, and by whom
        self.end: SessionEnd | None = None  # set in the cycle the session ends
        self._prepared: Prepared | None = None
        if recorder is not None:
            self.events.subscribe(recorder.on_event)

    # --- clients ---------------------------------------------------------------------------
    def ask(
        self,
        action: str,
        by: str,
        delta_n: float = 0.0,
        timing: Timing | None = None,
        *,
        cause: EndReason = EndReason.STOPPED_BY_OPERATOR,
    ) -> None:
        """Thread-safe: queue an operator request for the next control cycle; a stop says
        why (`cause`), which becomes the session's end reason if it ends the session."""
        try:
            asked = Action(action)
        except ValueError:
            known = ", ".join(a.value for a in Action)
            raise ValueError(f"unknown session action {action!r}; one of {known}") from None
        if (asked is Action.TIMING) != (timing is not None):
            raise ValueError("a 'timing' request, and only it, carries the new times")
        self.requests.put(Request(asked, by, delta_n, timing, cause))

    def note(self, now: float, text: str, **data: str | float | None) -> None:
        """Something a client has to tell the others (an acknowledgement, an ending)."""
        self.events.publish(SessionEvent(now, "info", text, dict(data)))

    def refuse(self, now: float, text: str, **data: str | float | None) -> None:
        """A request that could not be done: its own kind of event, which every front end
        shows its asker at once (never recognised from its words)."""
        self.events.publish(SessionEvent(now, "refused", text, dict(data)))

    # --- the lifecycle -------------------------------------------------------------------------
    def run(self, on_cycle: Callable[[Treatment, CycleRecord], None] | None = None) -> Outcome:
        """Check, record, prepare, treat until the session has ended; the caller then finishes
        it (after the completion alarm is acknowledged) with `finish`."""
        link, limits, rec = self.link, self.limits, self.recorder
        checked = check_protocol(self.entry.protocol, limits, self.weight_kg)  # nothing sent yet
        check_link_timing(link, limits)
        if self.entry.emg_gate and self.muscle_source is None:
            raise ProtocolError(
                f"protocol {self.entry.name!r} is EMG-gated: connect the muscle signal "
                "(--emg lsl://?type=EMG, or sim:// on the simulator) or choose another protocol"
            )
        if rec is not None:
            rec.require_ready()  # NotReady: calibration or today's check missing, nothing sent
        self.muscles = self._open_muscles()  # MuscleSourceError: bounded, nothing sent
        if rec is not None:
            rec.begin(self.entry, checked, self.weight_kg, limits, link.clock.now())
        treatment = Treatment(
            checked, events=self.events, release_limits=limits.release, muscles=self.muscles
        )
        treatment.event("connect", link.clock.now())  # each transition when it happens
        treatment.event("begin_self_test", link.clock.now())
        try:
            prepared = prepare(link, limits, checked.force_limit_n)
        except (SelfTestError, LinkError) as exc:
            treatment.event("self_test_failed", link.clock.now())
            self._close_muscles()
            if rec is not None:
                rec.not_started(str(exc), link.clock.now())
            raise
        treatment.event("self_test_passed", link.clock.now(), prepared.telemetry)
        if self.before_start is not None:
            self.before_start(prepared)
        self._prepared = prepared
        now = self._start_s = link.clock.now()
        if rec is not None:
            rec.prepared(prepared, now)
        self.treatment = treatment  # the clients' from its start on
        treatment.event("start", now, prepared.telemetry)
        prepared.supervisor.start_treatment()
        loop = ControlLoop(link, prepared.supervisor)
        self._bound_s = checked.profile.total_s * 2 + SLACK_ALLOWANCE_S
        last_resort = (  # past any bound a time change may set (up to the longest session)
            max(checked.profile.total_s, MAX_SESSION_S) * 2
            + SLACK_ALLOWANCE_S
            + ending_bound_s(limits) * 2
            + END_ALLOWANCE_S
            + MAX_PATIENT_STOPS * (PATIENT_STOP_BOUND_S + ending_bound_s(limits))
        )

        def until(record: CycleRecord) -> bool:
            ended = self._cycle(treatment, prepared, record)
            if rec is not None:
                rec.cycle(treatment, record)
            if on_cycle is not None:
                on_cycle(treatment, record)
            return ended

        realtime = isinstance(link.clock, WallClock)  # never virtual time: it never sleeps
        if realtime and rec is not None:
            rec.writer.serve_realtime()
        try:
            with control_thread_for(link.clock):
                result = loop.run(treatment, last_resort, until=until, feedback=treatment.approved)
        finally:
            self._close_muscles()
        if self.end is None:
            self._overdue(treatment, link.clock.now())
        assert self.end is not None  # set by _overdue at the latest
        if rec is not None:
            rec.ended(self.end.outcome, treatment.states.state)
        self.outcome = Outcome(
            treatment.states.current,
            treatment.checked,  # with any time changes
            prepared,
            treatment,
            result,
            accuracy(treatment.log.samples),
            self.end,
            relaxation(treatment.log.samples),
            self._emg_figures(treatment),
        )
        if rec is not None:
            rec.figures(self.outcome.relaxation, self.outcome.emg)
        return self.outcome

    def _open_muscles(self) -> MuscleMonitor | None:
        source = self.muscle_source
        if source is None:
            return None
        source.open()
        mode = GateMode.GATED if self.entry.emg_gate else GateMode.MONITOR
        settings = MuscleSettings(mode, self.muscle_settings.baseline_s, self.muscle_settings.gate)
        return MuscleMonitor(MuscleWatch(source, self.mains_hz), settings)

    def _close_muscles(self) -> None:
        """The muscle signal's stream closed once the session has no more use for it."""
        if self.muscle_source is not None:
            self.muscle_source.close()

    def _emg_figures(self, treatment: Treatment) -> EmgFigures | None:
        m = self.muscles
        if m is None:
            return None
        return emg_figures(treatment.log.samples, m.baseline_uv, m.threshold_uv)

    def acknowledge(self, now: float, by: str) -> None:
        """The technician acknowledged the end-of-treatment alarm."""
        t = self.treatment
        if t is not None and t.states.can("acknowledge"):
            t.event("acknowledge", now, by=by)
            self.note(now, f"end of session acknowledged by {by}", by=by)

    def finish(
        self, now: float, report: Path | None = None, units: Units | None = None
    ) -> Path | None:
        """Close the record with the outcome, then draw the report (None: not drawn)."""
        rec = self.recorder
        if rec is None:
            return None
        if rec.session_id == 0:  # refused before the session began: nothing to close
            rec.writer.close()
            return None
        out = self.outcome
        if out is not None:
            rec.finish(out.label, out.state.value, now)
        else:
            rec.finish("error: the session did not run to an outcome", "unknown", now)
        if rec.error is not None or report is None:
            return None
        return draw_session_report(rec.path, rec.session_id, report, units)

    def fail(self, now: float, error: BaseException) -> None:
        """Close the record of a session that ended in an error (nothing is drawn)."""
        rec = self.recorder
        if rec is None:
            return
        if rec.session_id == 0:
            rec.writer.close()
            return
        rec.finish(f"error: {type(error).__name__}: {error}", "unknown", now)

    # --- one cycle, in the control thread ------------------------------------------------------
    def _cycle(self, treatment: Treatment, prepared: Prepared, record: CycleRecord) -> bool:
        now, tel = record.time_s, record.telemetry
        self._apply_requests(treatment, record)
        for trip in record.trips:
            self._publish_trip(trip)
        states = treatment.states
        self._judge_trips(treatment, prepared, record)
        if record.release is not self._release_seen:
            self._publish_release(now, prepared, record.release)
            if record.release is ReleaseState.DONE and states.current is State.STOPPING:
                # the cause a request carried; a stop fired on the treatment itself (a
                # policy, QA's scripted operator) is the operator's; else the plan ended
                if self._stop is not None:
                    reason, by = self._stop
                elif treatment.stopped_by:
                    reason, by = EndReason.STOPPED_BY_OPERATOR, treatment.stopped_by
                else:
                    reason, by = EndReason.COMPLETE, ""
                trigger = "released" if reason is EndReason.COMPLETE else "released_early"
                treatment.event(trigger, now, tel)
                self._ended_as(SessionEnd(reason, by, self._patient_stops), now)
        rec = self.recorder
        if rec is not None and rec.error is not None and not self._records_stopped:
            self._records_stopped = True
            log.error("ALARM: session records cannot be written; stopping", error=rec.error)
            self.events.publish(
                SessionEvent(
                    now,
                    "alarm",
                    "records cannot be written: stopping",
                    {"error": rec.error},
                    "high",
                )
            )
            if states.can("stop"):
                self._stop = self._stop or (EndReason.RECORDS_FAILED, "records")
                treatment.event("stop", now, tel, by="records")
        if states.current is State.PATIENT_STOPPED:
            self._held(treatment, prepared, record)
        over = now - self._start_s > self._bound_s + self._held_s
        if states.current in (State.RUNNING, State.PAUSED) and over:
            self.events.publish(
                SessionEvent(
                    now,
                    "alarm",
                    "session over its time bound: stopping",
                    {"bound_s": round(self._bound_s, 1)},
                    "medium",
                )
            )
            self._stop = self._stop or (EndReason.TIME_BOUND, "session time bound")
            treatment.event("stop", now, tel, by="session time bound")
        return self._ended(treatment, prepared, record)

    def _judge_trips(self, treatment: Treatment, prepared: Prepared, record: CycleRecord) -> None:
        """The patient's own press (and nothing else) holds the session, released; any other
        trip, or a press beyond MAX_PATIENT_STOPS, is a fault as ever."""
        trips = prepared.supervisor.trips
        if not trips:
            return
        now, tel, current = record.time_s, record.telemetry, treatment.states.current
        patient_only = _patient_only(trips)
        if current in (State.PATIENT_STOPPED, State.COMPLETE, State.STOPPED) and patient_only:
            return  # judged when it happened: held, then ended released
        if (
            current in (State.RUNNING, State.PAUSED)
            and patient_only
            and self._patient_stops < MAX_PATIENT_STOPS
        ):
            self._patient_stops += 1
            self._patient_since, self._patient_ack, self._end_by = now, "", ""
            treatment.event("patient_stop", now, tel, by="patient")
            self.events.publish(
                SessionEvent(
                    now,
                    "alarm",
                    "stopped by the patient (hand switch): the board releases; ask the "
                    "patient, acknowledge, then resume or stop",
                    {"presses": self._patient_stops, "bound_s": PATIENT_STOP_BOUND_S},
                    "high",
                )
            )
            return
        if treatment.states.can("fault"):
            treatment.event("fault", now, tel, by="safety")
            self._ended_as(SessionEnd(EndReason.FAULTED, "safety", self._patient_stops), now)

    def _held(self, treatment: Treatment, prepared: Prepared, record: CycleRecord) -> None:
        """Held after a patient's stop: ended when asked, past its bound, or at once when no
        technician can answer (a wait for nobody is no wait), once released."""
        now = record.time_s
        if prepared.supervisor.release.state is not ReleaseState.DONE:
            return
        waited = now - self._patient_since
        nobody = not self.attended()
        if self._end_by or waited > PATIENT_STOP_BOUND_S or nobody:
            by = self._end_by or (NOBODY if nobody else "session time bound")
            if not self._end_by and not nobody:
                self.note(now, f"not resumed within {PATIENT_STOP_BOUND_S:g} s: ended", by=by)
            elif not self._end_by:
                self.note(now, "no technician can answer (no terminal or console): ended", by=by)
            self._held_s += waited
            treatment.event("end", now, record.telemetry, by=by)
            self._ended_as(SessionEnd(EndReason.STOPPED_BY_PATIENT, by, self._patient_stops), now)

    def _ended_as(self, end: SessionEnd, now: float) -> None:
        """The one place a session's end is set; its alarm (if any) goes out with it."""
        if self.end is not None:
            return
        self.end = end
        log.info("session ended", end=end.reason.name, by=end.by, outcome=end.outcome)
        alarm = end.alarm
        if alarm is not None:
            text, priority = alarm
            self.events.publish(
                SessionEvent(now, "alarm", text, {"end": end.reason.name, "by": end.by}, priority)
            )

    def _patient_request(
        self, treatment: Treatment, prepared: Prepared, req: Request, now: float
    ) -> None:
        """What a technician may ask while the session is held after a patient's stop."""
        if req.action == "acknowledge":
            self._patient_ack = req.by
            self.note(now, f"patient's stop acknowledged by {req.by}", by=req.by)
        elif req.action in ("stop", "stop_now"):
            self._end_by = req.by
        elif req.action == "resume":
            self._resume(treatment, prepared, req, now)
        else:
            self.refuse(now, f"'{req.action}' not possible after the patient's stop", by=req.by)

    def _resume(self, treatment: Treatment, prepared: Prepared, req: Request, now: float) -> None:
        sup = prepared.supervisor
        why = ""
        if not is_operator(req.by):
            why = "only a technician may resume"
        elif not self._patient_ack:
            why = "acknowledge the patient's stop first"
        elif sup.release.state is not ReleaseState.DONE:
            why = "the board's release has not finished"
        elif req.delta_n > 0:
            why = "the force may be lowered, never raised, after a patient's stop"
        tel = None
        if not why:
            try:
                tel = self.link.fault_reset()  # drive disabled: an overrun here harms nothing
            except LinkError as exc:
                why = f"the board's fault could not be reset: {exc}"
            else:
                reset = sup.reset(tel, acknowledged_by=self._patient_ack)
                why = "; ".join(reset.causes)
        if why or tel is None:
            self.refuse(now, f"refused: resume: {why}", by=req.by)
            return
        sup.start_treatment()
        self._held_s += now - self._patient_since
        treatment.resume_after_patient(now, tel, by=req.by, delta_n=req.delta_n)

    def _apply_requests(self, treatment: Treatment, record: CycleRecord) -> None:
        while True:
            try:
                req = self.requests.get_nowait()
            except queue.Empty:
                return
            now, tel = record.time_s, record.telemetry
            if treatment.states.current is State.PATIENT_STOPPED and self._prepared is not None:
                self._patient_request(treatment, self._prepared, req, now)
                continue
            if req.action == "acknowledge":
                continue  # outside a patient's stop the end alarm is acknowledged by `acknowledge`
            if req.action == "force":
                try:
                    treatment.adjust_force(req.delta_n, now, by=req.by)
                except ForceChangeRefused as exc:
                    self.refuse(now, f"refused: {exc}", by=req.by)
            elif req.action == "timing" and req.timing is not None:
                try:
                    planned = treatment.retime(req.timing, now, by=req.by).profile.total_s
                except ProtocolError as exc:
                    self.refuse(now, f"refused: times: {exc}", by=req.by)
                else:
                    self._bound_s = planned * 2 + SLACK_ALLOWANCE_S
            elif req.action == "stop_now":
                if treatment.states.can("stop"):  # a stop asked for, not the plan's own end
                    self._stop = self._stop or (req.cause, req.by)
                treatment.stop_now(now, tel, by=req.by)
            elif treatment.states.can(req.action):
                if req.action == "stop":
                    self._stop = self._stop or (req.cause, req.by)
                treatment.event(req.action, now, tel, by=req.by)
            else:
                self.refuse(
                    now, f"'{req.action}' not possible while {treatment.states.state}", by=req.by
                )

    def _ended(self, treatment: Treatment, prepared: Prepared, record: CycleRecord) -> bool:
        state = treatment.states.current
        if state in (State.COMPLETE, State.STOPPED):
            if self.end is None:  # `end` fired on the treatment itself (a scripted technician)
                end = SessionEnd(
                    EndReason.STOPPED_BY_PATIENT, treatment.ended_by, self._patient_stops
                )
                self._ended_as(end, record.time_s)
            return True
        if state is not State.FAULTED:
            return False
        lost = any(t.fault is SafetyFault.BOARD_UNREACHABLE for t in prepared.supervisor.trips)
        return lost or record.release in _ENDED_RELEASE

    def _publish_trip(self, trip: Trip) -> None:
        self.events.publish(
            SessionEvent(
                trip.time_s,
                "fault",
                trip.describe(),
                {
                    "fault": trip.fault.name,
                    "code": trip.fault.code,
                    "what_to_do": trip.fault.what_to_do,
                    **trip.evidence,
                },
                trip.priority.value,
            )
        )

    def _publish_release(self, now: float, prepared: Prepared, state: ReleaseState) -> None:
        self._release_seen = state
        h = prepared.supervisor.release
        timed_out = state is ReleaseState.TIMED_OUT
        self.events.publish(
            SessionEvent(
                now,
                "alarm" if timed_out else "release",
                f"board release {state.value}"
                + (f": {SafetyFault.RELEASE_TIMEOUT.what_to_do}" if timed_out else ""),
                {"reason": h.reason, "bound_s": round(h.deadline_s - h.started_s, 2)},
                "high" if timed_out else "none",
            )
        )

    def _overdue(self, treatment: Treatment, now: float) -> None:
        """The loop's last-resort bound passed: never reached in a correct build; loud."""
        log.error("session did not end within its last-resort bound", state=treatment.states.state)
        self.events.publish(
            SessionEvent(
                now,
                "alarm",
                "session did not end within its bound: check the patient",
                {"state": treatment.states.state},
                "high",
            )
        )
        if treatment.states.can("fault"):
            treatment.event("fault", now, by="session bound")
        self._ended_as(SessionEnd(EndReason.FAULTED, "session bound", self._patient_stops), now)


NOBODY = "nobody to answer (no terminal or console)"


def _always() -> bool:
    return True


def _patient_only(trips: list[Trip]) -> bool:
    """The patient pressed the switch (seen pressed), and the board's PATIENT_STOP is all."""
    pressed = any(t.fault is SafetyFault.PATIENT_STOP for t in trips)
    return pressed and all(
        t.fault is SafetyFault.PATIENT_STOP
        or (t.fault is SafetyFault.BOARD_FAULT and t.evidence.get("board_fault") == "PATIENT_STOP")
        for t in trips
    )


def draw_session_report(
    store: Path, session_id: int, path: Path, units: Units | None = None
) -> Path | None:
    """The PNG report; a report that cannot be drawn is a warning, never a lost outcome."""
    from controller.records.report import draw_report  # matplotlib: ~0.4 s, only when drawing
    from controller.records.store import SessionStore

    reader = SessionStore(store, recover=False)
    try:
        draw_report(reader, session_id, path, units)
    except (OSError, ValueError, RuntimeError, sqlite3.Error) as exc:
        log.warning("report not drawn", error=str(exc), session_id=session_id)
        return None
    finally:
        reader.close()
    return path
