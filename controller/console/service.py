"""The console's one owner of the table link: table status, homing and sessions, in one thread.

Why one thread: a Modbus link has one master. Between sessions the owner reads the board's
status twice a second for the Table screen; a session (controller/session.py) runs in the
same thread, which becomes the real-time control thread for its length, so nothing else
touches the link while a patient is under traction. The web layer (controller/console/web.py)
never touches the link: it asks this service, which checks what a technician may ask and
queues it, and reads snapshots. Every wait here has a bound:

- a session ends by its own bounds (controller/session.py);
- its end alarm waits for acknowledgement at most ACK_BOUND_S, then the record closes
  saying so (the alarm stays on the screen until acknowledged);
- every console client gone for GRACE_S (controller/console/presence.py) stops a treatment
  with the controlled ramp and release, recorded as "console lost";
- `close` (a signal, the server shutting down) asks for the board's release at once and
  waits at most the session's ending bound plus END_MARGIN_S.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from controller.console.alarms import PRIORITIES, AlarmBoard, Priority
from controller.console.checks import ConsoleTechnician
from controller.console.forms import FormError, profile_points
from controller.console.forms import Prepared as PreparedForm
from controller.console.live import LiveView
from controller.console.presence import Presence
from controller.control_loop import CycleRecord
from controller.end_reason import ACK_BOUND_S, EndReason
from controller.event_words import words_for
from controller.events import SessionEvent
from controller.homing import HomingError, home
from controller.maintenance.procedures import ProcedureError, daily_check
from controller.maintenance.readiness import readiness
from controller.maintenance.technician import Technician
from controller.preparation import SelfTestError
from controller.protocols.checks import ProtocolError
from controller.protocols.retime import Timing, current_times, retime
from controller.records.maintenance import (
    last_calibration,
    last_daily_check,
    local_today,
    record_daily_check,
)
from controller.records.patients import add_note
from controller.records.saved_protocols import save_from_session
from controller.records.store import RecordsError, SessionStore
from controller.session import Outcome, TreatmentSession, ending_bound_s
from controller.session_states import TREATING, State
from controller.site_config import SiteConfig
from controller.treatment import Treatment
from controller.treatment_run import TreatmentRun
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError, TargetError
from firmware_bridge.icd import Status
from safety.limits import SafetyLimits

log = structlog.get_logger(__name__)

POLL_S = 0.5  # the Table screen's status reads between sessions
LINK_ALARM_AFTER_S = 2.0  # a link lost at idle this long is alarmed (non-latching)
END_MARGIN_S = 10.0
EVENTS_KEPT = 500
FORCE_STEP_N = 10.0  # one press of force up / down, as the `run` keys
CONSOLE_LOST = "console lost"
SHUTDOWN = "system (console shut down)"
_ACTIONS = ("pause", "resume", "stop", "force")


def _timing(values: dict[str, Any], allowed: dict[str, float]) -> Timing:
    """The form's numbers (blank: unchanged); a field this protocol has not is refused."""
    problems: dict[str, str] = {}
    given: dict[str, float] = {}
    for key, raw in values.items():
        if raw in (None, ""):
            continue
        if key not in allowed:
            problems[key] = "not a time of this protocol now"
            continue
        try:
            given[key] = float(raw)
        except (TypeError, ValueError):
            problems[key] = f"{raw!r} is not a number of seconds"
    if problems or not given:
        raise FormError(problems or {"": "give a hold, rest or total time"})
    return Timing(**given)


class Refused(ValueError):
    """What a technician asked cannot be done now; the message says why."""


@dataclass(frozen=True, slots=True)
class StartJob:
    form: PreparedForm
    operator: str
    patient_ref: str


@dataclass(frozen=True, slots=True)
class HomeJob:
    operator: str


@dataclass(frozen=True, slots=True)
class CheckJob:
    technician: ConsoleTechnician


class ConsoleService:
    def __init__(
        self,
        link: TableLink,
        site: SiteConfig,
        limits: SafetyLimits,
        *,
        limits_source: str,
        presence: Presence | None = None,
        clock: Callable[[], float] = time.monotonic,
        ack_bound_s: float = ACK_BOUND_S,
        observe: Callable[[Treatment, CycleRecord], None] | None = None,
        hands: Technician | None = None,
    ) -> None:
        """`observe` sees every cycle after the console has (benches: period and latency);
        `hands` does the daily check's physical steps (the simulated technician on sim://)."""
        self.hands = hands
        self.procedure: ConsoleTechnician | None = None
        self.link = link
        self.site = site
        self.limits = limits
        self.limits_source = limits_source
        self.presence = presence or Presence()
        self.clock = clock
        self.ack_bound_s = ack_bound_s
        self.observe = observe
        self.alarms = AlarmBoard()
        self.live = LiveView()
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENTS_KEPT)
        self.table: dict[str, Any] = {
            "device": link.url,
            "link": "not connected",
            "identity": None,
            "self_test": "not run",
            "at_home": None,
            "force_n": None,
            "fault": None,
            "limits_file": limits_source,
            "limits_sha256": limits.fingerprint(),
            "message": "",
            "readiness": [],  # why no treatment may start today (empty: it may)
        }
        self.activity = "starting"
        self.session: TreatmentSession | None = None
        self.current: dict[str, Any] | None = None  # the session on screen (Treatment)
        self.summary: dict[str, Any] | None = None  # the last session's end (Summary)
        self.outcome: Outcome | None = None  # the last session's, whole: its misses, for benches
        self.closed_ok: bool | None = None  # set by `close`: False = not ended within bound
        self._jobs: queue.SimpleQueue[StartJob | HomeJob | CheckJob] = queue.SimpleQueue()
        self._lock = threading.RLock()
        self._acked = threading.Event()
        self._closing = threading.Event()
        self._console_lost = False
        self._event_seq = 0
        self._link_ok: bool | None = None
        self._link_lost_s = 0.0  # when the link was last lost
        self._link_failed_polls = 0  # polls without a reply since
        self._thread = threading.Thread(target=self._own, name="table-owner", daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def close(self) -> bool:
        """End whatever runs: the board's release at once; True when the thread ended."""
        self._closing.set()
        session = self.session
        if session is not None and self.activity == "treating":
            session.ask("stop_now", SHUTDOWN, cause=EndReason.STOPPED_BY_SYSTEM)
        self._acked.set()
        bound = ending_bound_s(self.limits) + END_MARGIN_S
        self._thread.join(timeout=bound)
        ended = self.closed_ok = not self._thread.is_alive()
        if not ended:
            log.error("ALARM: the session did not end within its bound; release NOT confirmed")
        self.link.close()
        return ended

    # --- what a technician may ask (any thread) ---------------------------------------------------
    def start_treatment(self, form: PreparedForm, operator: str, patient_ref: str) -> None:
        operator = _name(operator)
        with self._lock:
            if self.activity != "idle":
                raise Refused(f"the table is {self.activity}: a treatment can start only when idle")
            if self.alarms.unacknowledged:
                raise Refused("acknowledge the active alarms before a new treatment")
            if self._link_ok is not True:
                raise Refused(f"no link to the table: {self.table['link']}")
            if self.table["readiness"]:
                raise Refused("not ready to treat: " + "; ".join(self.table["readiness"]))
            self.activity = "preparing"
            self.alarms.clear_acknowledged()
            self.events.clear()
            self.live.reset()
            self.summary = None
            self._console_lost = False
            self.current = {
                "protocol": form.entry.name,
                "kind": form.entry.protocol.kind,
                "region": form.entry.protocol.region,
                "weight_kg": form.weight_kg,
                "patient_ref": patient_ref,
                "operator": operator,
                "force_limit_n": round(form.checked.force_limit_n, 1),
                "total_s": round(form.checked.profile.total_s, 1),
            }
        self._audit("start", operator, protocol=form.entry.name, patient_ref=patient_ref)
        self._jobs.put(StartJob(form, operator, patient_ref))

    def home(self, operator: str) -> None:
        operator = _name(operator)
        with self._lock:
            if self.activity != "idle":
                raise Refused(f"the table is {self.activity}: homing only when idle")
            self.activity = "homing"
        self._audit("home", operator)
        self._jobs.put(HomeJob(operator))

    def daily_check(self, operator: str) -> None:
        operator = _name(operator)
        with self._lock:
            if self.activity != "idle":
                raise Refused(f"the table is {self.activity}: the check runs only when idle")
            if self._link_ok is not True:
                raise Refused(f"no link to the table: {self.table['link']}")
            self.activity = "checking"
            self.procedure = ConsoleTechnician(operator, self.hands)
        self._audit("daily check", operator)
        self._jobs.put(CheckJob(self.procedure))

    def answer_step(self, operator: str, yes: bool) -> None:
        _name(operator)
        procedure = self.procedure
        if procedure is None or self.activity != "checking" or not procedure.answer(yes):
            raise Refused("no check step is waiting for an answer")

    def note_after(self, operator: str, session_id: int, pain: Any, comment: str) -> None:
        """Pain after (NRS 0-10) and the patient's words, beside the sealed record."""
        operator = _name(operator)
        if pain in (None, "") and not comment.strip():
            raise Refused("give the pain score after, or the patient's comment")
        store = SessionStore(self.site.records, recover=False)
        try:
            if pain not in (None, ""):
                score = int(pain)
                if not 0 <= score <= 10:
                    raise Refused("pain after: a whole number from 0 to 10 (NRS)")
                add_note(store, session_id, operator, "pain_after", {"pain": score})
            if comment.strip():
                add_note(store, session_id, operator, "comment", {"text": comment.strip()})
        except RecordsError as exc:
            raise Refused(str(exc)) from exc
        finally:
            store.close()

    def times(self, operator: str, values: dict[str, Any], apply: bool) -> dict[str, Any]:
        """Hold, rest and total time of the running treatment: with no values, what they are
        now; with values, what the session becomes (checked here, so that the confirmation
        shows it) and, once confirmed (`apply`), the change for the next control cycle, where
        it is checked again against the treatment as it is then."""
        by = f"operator {_name(operator)}"
        session = self.session
        treatment = None if session is None else session.treatment
        if session is None or treatment is None or self.activity != "treating":
            raise Refused(f"no treatment running ({self.activity})")
        if treatment.states.current not in (State.RUNNING, State.PAUSED):
            raise Refused(
                f"times can be changed while running or paused, not {treatment.states.state}"
            )
        checked, timer = treatment.checked, treatment.timer_s  # a copy: the loop moves on
        now = current_times(checked, timer)
        if not values:
            return {"times": now, "total_s": round(checked.profile.total_s, 1)}
        timing = _timing(values, now)
        try:
            preview = retime(checked, timer, timing)
        except ProtocolError as exc:
            raise FormError(exc.fields) from exc
        if apply:
            session.ask("timing", by, timing=timing)
        return {
            "applied": apply,
            "change": timing.describe(),
            "total_s_before": round(checked.profile.total_s, 1),
            "total_s": round(preview.checked.profile.total_s, 1),
            "points": profile_points(preview.checked),
        }

    def save_protocol(self, operator: str, session_id: int, name: str, description: str) -> str:
        """The session's protocol, as run, into the library under a new name."""
        store = SessionStore(self.site.records, recover=False)
        try:
            saved = save_from_session(store, session_id, name, _name(operator), description)
        except RecordsError as exc:
            raise Refused(str(exc)) from exc
        finally:
            store.close()
        self._audit(f"protocol saved as {saved.name!r} from session {session_id}", operator)
        return saved.description

    def act(self, action: str, operator: str, delta_n: float = 0.0) -> None:
        """Pause, resume, stop or a force step, for the session's next control cycle.

        STOP while already stopping asks for the board's release at once (no ramp), as a
        second Ctrl-C does for `traction run`.
        """
        by = f"operator {_name(operator)}"
        session = self.session
        if action not in _ACTIONS:
            raise Refused(f"unknown action {action!r}")
        if session is None or self.activity != "treating":
            raise Refused(f"no treatment running ({self.activity})")
        if action == "force":
            if abs(delta_n) != FORCE_STEP_N:
                raise Refused(f"a force change is one step of {FORCE_STEP_N:g} N up or down")
            session.ask("force", by, delta_n)
            return
        latest = self.live.latest
        if action == "stop" and latest is not None and latest.state == State.STOPPING:
            session.ask("stop_now", by)
            return
        session.ask(action, by)

    def acknowledge(self, operator: str) -> int:
        operator = _name(operator)
        with self._lock:
            newly = self.alarms.acknowledge(operator)
        if newly:
            session = self.session
            if session is not None:
                session.ask("acknowledge", f"operator {operator}")  # a patient's stop, say
                session.note(
                    self.link.clock.now(),
                    f"alarms acknowledged by {operator}",
                    by=f"operator {operator}",
                    alarms="; ".join(a.text for a in newly),
                )
            else:
                self._audit("acknowledge", operator, alarms="; ".join(a.text for a in newly))
            self._acked.set()
        return len(newly)

    def pause_audio(self, operator: str) -> bool:
        operator = _name(operator)
        with self._lock:
            paused = self.alarms.pause_audio(self.clock())
        if paused:
            session = self.session
            if session is not None and self.activity != "idle":
                session.note(self.link.clock.now(), f"audio paused 2 min by {operator}")
            self._audit("audio pause", operator)
        return paused

    # --- what the screens read (any thread) -------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        live = self.live.latest
        with self._lock:
            return {
                "activity": self.activity,
                "table": dict(self.table),
                "alarms": self.alarms.view(now),
                "current": self.current,
                "live": None if live is None else live._asdict(),
                "summary": self.summary,
                "procedure": None if self.procedure is None else self.procedure.view(),
                "clients": self.presence.clients,
                "sent_s": now,
            }

    def events_since(self, seq: int) -> tuple[int, list[dict[str, Any]]]:
        """The session's events after `seq`, and the newest seq (0: none yet)."""
        with self._lock:
            fresh = [e for e in self.events if e["seq"] > seq]
            return self._event_seq, fresh

    # --- the owner thread ------------------------------------------------------------------------
    def _own(self) -> None:
        self._refresh_readiness()
        self._poll()
        with self._lock:
            self.activity = "idle"
        while not self._closing.is_set():
            try:
                job = self._jobs.get(timeout=POLL_S)
            except queue.Empty:
                self._poll()
                continue
            try:
                if isinstance(job, HomeJob):
                    self._home(job)
                elif isinstance(job, CheckJob):
                    self._check(job.technician)
                else:
                    self._treat(job)
            except Exception as exc:  # a defect: never leave the console stuck and silent
                log.exception("console job failed", job=type(job).__name__)
                with self._lock:
                    self.session = None
                    self.alarms.raise_alarm(
                        "high",
                        f"console error: {type(exc).__name__}: {exc}",
                        self.clock(),
                        "check the patient; if the harness is still under tension, use the "
                        "table's manual release; restart the console",
                    )
            self._refresh_readiness()
            self._poll()
            with self._lock:
                self.activity = "idle"

    def _refresh_readiness(self) -> None:
        try:
            store = SessionStore(self.site.records, recover=False)
        except RecordsError as exc:
            problems = [f"records store unusable: {exc}"]
        else:
            try:
                problems = readiness(
                    last_calibration(store), last_daily_check(store), local_today()
                )
            finally:
                store.close()
        with self._lock:
            self.table["readiness"] = problems

    def _check(self, technician: ConsoleTechnician) -> None:
        try:
            result = daily_check(self.link, technician, technician.step_done)
        except (ProcedureError, LinkError, TargetError) as exc:
            technician.finished(False)
            self._say(f"daily check not carried out: {exc}")
            return
        technician.finished(result.passed)
        store = SessionStore(self.site.records, recover=False)
        try:
            record_daily_check(
                store,
                operator=technician.operator,
                passed=result.passed,
                result=result.as_data(),
                board_identity=None,
                device_url=self.link.url,
            )
        finally:
            store.close()
        self._say(
            "daily check passed: treatments may start today"
            if result.passed
            else "daily check FAILED: " + "; ".join(result.failures)
        )

    def _poll(self) -> None:
        try:
            if self.link.identity is None:
                self.link.connect()
            tel = self.link.read_telemetry()
        except (LinkError, TargetError) as exc:
            self._link_state(False, f"no reply: {exc}")
            return
        ident = self.link.identity
        with self._lock:
            self.table.update(
                identity=None
                if ident is None
                else {
                    "vendor": ident.vendor,
                    "product": ident.product_code,
                    "revision": ident.revision,
                    "icd": f"0x{ident.icd_version:04X}",
                    "force_max_n": ident.limits.force_max_n,
                },
                at_home=tel.has(Status.AT_HOME),
                force_n=round(tel.force_n, 1),
                fault=tel.fault.name if tel.has(Status.FAULT) else None,
                position_mm=round(tel.position_m * 1e3, 1),
            )
        self._link_state(True, "connected")

    def _link_state(self, ok: bool, text: str) -> None:
        """Logged on the change, with how long and how many polls it was lost, not on every
        poll. The alarm is non-latching and waits LINK_ALARM_AFTER_S: a reply or two lost to
        a busy machine at idle is shown on the Table screen, not alarmed; a link that stays
        lost is, and its alarm goes when the link is back (no treatment starts meanwhile)."""
        now = self.clock()
        with self._lock:
            self.table["link"] = text
            changed, self._link_ok = self._link_ok is not ok, ok
            if not ok:
                self.link.identity = None  # connect again (and re-read who it is) when it answers
                self._link_failed_polls += 1
                if changed:
                    self._link_lost_s = now
                if now - self._link_lost_s >= LINK_ALARM_AFTER_S:
                    self.alarms.raise_condition(
                        "link",
                        "medium",
                        f"no link to the table: {text}",
                        now,
                        "check the table's power and its cable; no treatment can start",
                    )
            lost_s, failed = now - self._link_lost_s, self._link_failed_polls
            alarmed = False
            if ok:
                self._link_failed_polls = 0
                alarmed = bool(self.alarms.end_condition("link"))
        if not changed:
            return
        if not ok:
            log.warning("table link", state=text)
        elif failed:  # back after a loss: how long, how many polls, whether it was alarmed
            log.info(
                "table link", state=text, lost_s=round(lost_s, 1), polls=failed, alarmed=alarmed
            )
        else:
            log.info("table link", state=text)

    def _home(self, job: HomeJob) -> None:
        try:
            homed = home(self.link, self.limits)
        except (HomingError, LinkError, TargetError) as exc:
            self._say(f"homing failed: {exc}")
            # tension possibly left on the patient is the high alarm, as in a treatment
            unconfirmed = isinstance(exc, HomingError) and not exc.release_confirmed
            with self._lock:
                self.alarms.raise_alarm(
                    "high" if unconfirmed else "medium", f"homing failed: {exc}", self.clock()
                )
            return
        self._say(f"carriage home (moved {homed.moved_m * 1e3:.0f} mm in {homed.seconds:.1f} s)")

    def _treat(self, job: StartJob) -> None:
        form = job.form
        try:
            run = TreatmentRun(
                self.link,
                form.entry,
                self.limits,
                form.weight_kg,
                records=self.site.records,
                operator=job.operator,
                patient_ref=job.patient_ref,
                clinical=None if form.plan is None else form.plan.clinical(),
                attended=lambda: not self.presence.lost(self.clock()),
            )
        except RecordsError as exc:
            self._not_started(f"no treatment without its record: {exc}")
            return
        session = run.session
        session.events.subscribe(self._on_event)
        with self._lock:
            self.session = session
            self.activity = "treating"
        if not run.treat(on_cycle=self._on_cycle):
            run.close()
            self._not_started(str(run.error), self_test=isinstance(run.error, SelfTestError))
            with self._lock:
                self.session = None
            return
        outcome = run.outcome
        assert outcome is not None  # it ran
        with self._lock:  # the end is known now: shown to every page while it waits
            self.table["self_test"] = "passed"
            self.activity = "awaiting acknowledgement"
            self.summary = self._summary(outcome, run.session_id, report=False)
        run.answer_end(self)
        result = run.close(self.site.report_path(run.session_id))
        with self._lock:
            self.summary = self._summary(outcome, run.session_id, result.report is not None)
            self.outcome = outcome
            self.session = None

    def answer(self, run: TreatmentRun, words: str) -> None:
        """The console's answer to a session's end (EndAnswer): every alarm acknowledged on
        a page, within the bound, or the console closing; then the end alarm is recorded as
        acknowledged by whoever acknowledged the alarms."""
        self._acked.clear()
        # closing: nobody will acknowledge; close() sets _closing before _acked, so either
        # its _acked.set() comes after this clear, or _closing is seen here
        if not self.alarms.unacknowledged or self._closing.is_set():
            self._acked.set()
        acked = self._acked.wait(self.ack_bound_s)
        if run.awaits_answer and not self.alarms.unacknowledged:
            run.acknowledge(_acknowledger(self.alarms))
        elif not acked or self.alarms.unacknowledged:
            run.note(f"alarms not acknowledged within {self.ack_bound_s:g} s; record closed")

    def _not_started(self, why: str, *, self_test: bool = False) -> None:
        with self._lock:
            if self_test:
                self.table["self_test"] = f"failed: {why}"
            self.alarms.raise_alarm("medium", f"treatment not started: {why}", self.clock())
            self.current = None
        self._say(f"treatment not started: {why}")

    def _on_cycle(self, treatment: Treatment, record: CycleRecord) -> None:
        """In the control thread: copy the cycle for the screens; stop if the console is lost."""
        live = self.live.cycle(treatment, record)
        if self.observe is not None:
            self.observe(treatment, record)
        if self._console_lost or State(live.state) not in TREATING:
            return
        if self.presence.lost(self.clock()):
            self._console_lost = True
            session = self.session
            if session is not None:
                session.events.publish(
                    SessionEvent(
                        record.time_s,
                        "alarm",
                        f"{CONSOLE_LOST}: no console for {self.presence.grace_s:g} s; "
                        "stopping with the controlled ramp and release",
                        {"grace_s": self.presence.grace_s},
                        "medium",
                    )
                )
                session.ask("stop", CONSOLE_LOST, cause=EndReason.CONSOLE_LOST)

    def _on_event(self, event: SessionEvent) -> None:
        """A subscriber of the session's stream (control thread): copy, raise alarms."""
        t0 = self.live.t0_s
        with self._lock:
            self._event_seq += 1
            self.events.append(
                {
                    "seq": self._event_seq,
                    "t_s": None if t0 is None else round(event.time_s - t0, 2),
                    "kind": event.kind,
                    "priority": event.priority,
                    "text": words_for(event),  # the trigger names stay in the record
                }
            )
            if event.priority in PRIORITIES:
                priority: Priority = event.priority
                what = event.data.get("what_to_do")
                self.alarms.raise_alarm(priority, event.text, self.clock(), str(what or ""))

    def _summary(self, outcome: Outcome, session_id: int, report: bool) -> dict[str, Any]:
        acc, end = outcome.accuracy, outcome.end
        return {
            "session_id": session_id,
            "outcome": outcome.label,
            "end": end.reason.name,
            "words": end.words,
            "state": outcome.state.value,
            "stopped_by": end.by or None,
            "why": [t.describe() for t in outcome.trips]
            or [e.text for e in outcome.treatment.log.events if e.kind == "alarm"],
            "accuracy": {
                "hold_samples": acc.hold_samples,
                "mean_error_n": round(acc.mean_error_n, 2),
                "peak_error_n": round(acc.peak_error_n, 2),
                "overshoot_n": round(acc.overshoot_n, 2),
                "meets": acc.meets,
            },
            "deadline_misses": outcome.loop.deadline_misses,
            "report": f"/api/sessions/{session_id}/report.png" if report else None,
            "current": self.current,
        }

    def _say(self, text: str) -> None:
        with self._lock:
            self.table["message"] = text
        log.info("console", message=text)

    def _audit(self, action: str, operator: str, **data: str) -> None:
        """Operator actions outside a session's record go to the structured log (JSON lines)."""
        log.info("operator action", action=action, operator=operator, **data)


def _name(operator: str) -> str:
    name = " ".join(str(operator or "").split())
    if not name:
        raise Refused("enter the operator's name: every action is recorded with it")
    return name[:60]


def _acknowledger(board: AlarmBoard) -> str:
    names = [a.acknowledged_by for a in board.alarms if a.acknowledged_by]
    return f"operator {names[-1]}" if names else "operator"
