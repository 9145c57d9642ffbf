"""The console's one owner of the table link: status reads, homing, the daily check and
treatments, one job at a time, in one thread.

Why one thread: a Modbus link has one master. Between sessions the owner reads the board's
status twice a second for the Table screen; a treatment (controller/run/treatment_run.py) runs
in the same thread, which becomes the real-time control thread for its length, so nothing
else touches the link while a patient is under traction. Every wait here has a bound:

- a session ends by its own bounds (controller/run/session.py);
- its end alarm waits for acknowledgement at most `ack_bound_s`, then the record closes
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
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from controller.app.composition import Opened, open_muscles
from controller.app.site_config import SiteConfig
from controller.console.activity import Activity
from controller.console.checks import ConsoleTechnician
from controller.console.forms import Prepared as PreparedForm
from controller.console.link_watch import LinkWatch
from controller.console.records_desk import readiness_problems, table_facts
from controller.console.screen import Screen
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import EndReason
from controller.core.events import SessionEvent
from controller.core.homing import HomingError, home
from controller.core.preparation import SelfTestError
from controller.core.session_states import TREATING, State
from controller.core.treatment import Treatment
from controller.maintenance.procedures import ProcedureError, daily_check
from controller.maintenance.technician import Technician
from controller.muscles.source import MuscleSourceError
from controller.records.maintenance import record_daily_check
from controller.records.store import RecordsError, SessionStore
from controller.run.session import Action, TreatmentSession, ending_bound_s
from controller.run.treatment_run import TreatmentRun
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError, TargetError
from safety.limits import SafetyLimits

log = structlog.get_logger(__name__)

POLL_S = 0.5  # the Table screen's status reads between sessions
FACTS_EVERY_S = 5.0  # the store's facts (readiness, accounts, last backup) re-read when idle
STORE_WORDS = {
    "table": "the table's store, every login",
    "login": "this login's own store: /var/lib/traction is not set up",
    "configured": "as configured",
}
END_MARGIN_S = 10.0
CONSOLE_LOST = "console lost"
SHUTDOWN = "system (console shut down)"


@dataclass(frozen=True, slots=True)
class StartJob:
    form: PreparedForm
    operator: str
    patient_ref: str
    language: str = "en"  # the session's words (its report's)


@dataclass(frozen=True, slots=True)
class HomeJob:
    operator: str


@dataclass(frozen=True, slots=True)
class CheckJob:
    technician: ConsoleTechnician


Job = StartJob | HomeJob | CheckJob


class TableOwner:
    def __init__(
        self,
        link: TableLink,
        site: SiteConfig,
        limits: SafetyLimits,
        screen: Screen,
        *,
        ack_bound_s: float,
        observe: Callable[[Treatment, CycleRecord], None] | None = None,
        hands: Technician | None = None,
        muscles: str | None = None,
    ) -> None:
        self.link = link
        self.muscles = muscles  # the muscle signal's URL, opened for each treatment
        self.site = site
        self.limits = limits
        self.screen = screen
        self.watch = LinkWatch(link, screen)
        self.ack_bound_s = ack_bound_s
        self.observe = observe
        self.hands = hands  # the daily check's physical steps (the simulated technician)
        self.session: TreatmentSession | None = None
        self.closed_ok: bool | None = None  # set by `close`: False = not ended within bound
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._acked = threading.Event()
        self._closing = threading.Event()
        self._facts_at = 0.0
        self._console_lost = False
        self._thread = threading.Thread(target=self._own, name="table-owner", daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def close(self) -> bool:
        """End whatever runs: the board's release at once; True when the thread ended."""
        self._closing.set()
        session = self.session
        if session is not None and self.screen.activity is Activity.TREATING:
            session.ask(Action.STOP_NOW, SHUTDOWN, cause=EndReason.STOPPED_BY_SYSTEM)
        self._acked.set()
        self._thread.join(timeout=ending_bound_s(self.limits) + END_MARGIN_S)
        ended = self.closed_ok = not self._thread.is_alive()
        if not ended:
            log.error("ALARM: the session did not end within its bound; release NOT confirmed")
        self.link.close()
        return ended

    def put(self, job: Job) -> None:
        if isinstance(job, StartJob):
            self._console_lost = False
        self._jobs.put(job)

    def acknowledged(self) -> None:
        """Alarms were acknowledged on a page: an end waiting for that may go on."""
        self._acked.set()

    # --- the owner thread ------------------------------------------------------------------------
    def _own(self) -> None:
        self.refresh_readiness()
        self.watch.poll()
        self._set(Activity.IDLE)
        while not self._closing.is_set():
            try:
                job = self._jobs.get(timeout=POLL_S)
            except queue.Empty:
                self.watch.poll()
                if time.monotonic() - self._facts_at > FACTS_EVERY_S:
                    self.refresh_readiness()  # a backup, an account made elsewhere
                continue
            try:
                if isinstance(job, HomeJob):
                    self.home()
                elif isinstance(job, CheckJob):
                    self._check(job.technician)
                else:
                    self._treat(job)
            except Exception as exc:  # a defect: never leave the console stuck and silent
                log.exception("console job failed", job=type(job).__name__)
                with self.screen.lock:
                    self.session = None
                    self.screen.alarms.raise_alarm(
                        "high",
                        f"console error: {type(exc).__name__}: {exc}",
                        self.screen.clock(),
                        "check the patient; if the harness is still under tension, use the "
                        "table's manual release; restart the console",
                    )
            self.refresh_readiness()
            self.watch.poll()
            self._set(Activity.IDLE)

    def _set(self, activity: Activity) -> None:
        with self.screen.lock:
            self.screen.activity = activity

    def refresh_readiness(self) -> None:
        """Today's readiness and the store's facts (accounts, last backup) for the Table screen."""
        problems = readiness_problems(self.site.records)
        accounts, backed_at, synced = table_facts(self.site.records, bool(self.site.fhir_url))
        with self.screen.lock:
            table = self.screen.table
            table.readiness = problems
            table.accounts, table.last_backup_at = accounts, backed_at
            table.health_record = synced
            table.store = f"{self.site.records} ({STORE_WORDS.get(self.site.scope, '')})"
        self._facts_at = time.monotonic()

    def _check(self, technician: ConsoleTechnician) -> None:
        try:
            result = daily_check(self.link, technician, technician.step_done)
        except (ProcedureError, LinkError, TargetError) as exc:
            technician.finished(False)
            self.screen.say(f"daily check not carried out: {exc}")
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
        self.screen.say(
            "daily check passed: treatments may start today"
            if result.passed
            else "daily check FAILED: " + "; ".join(result.failures)
        )

    def home(self) -> None:
        """Bring the carriage home (in the owner thread); a failure is alarmed, and tension
        possibly left on the patient is the high alarm, as in a treatment."""
        screen = self.screen
        try:
            homed = home(self.link, self.limits)
        except (HomingError, LinkError, TargetError) as exc:
            screen.say(f"homing failed: {exc}")
            unconfirmed = isinstance(exc, HomingError) and not exc.release_confirmed
            with screen.lock:
                screen.alarms.raise_alarm(
                    "high" if unconfirmed else "medium", f"homing failed: {exc}", screen.clock()
                )
            return
        screen.say(f"carriage home (moved {homed.moved_m * 1e3:.0f} mm in {homed.seconds:.1f} s)")

    def _treat(self, job: StartJob) -> None:
        form, screen = job.form, self.screen
        try:
            source = None
            if self.muscles is not None:
                source = open_muscles(self.muscles, Opened(self.link, None))
        except MuscleSourceError as exc:
            screen.not_started(str(exc))
            return
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
                attended=lambda: not screen.presence.lost(screen.clock()),
                muscles=source,
                muscle_settings=self.site.muscle_settings,
                mains_hz=self.site.mains_hz,
                language=job.language,
            )
        except RecordsError as exc:
            screen.not_started(f"no treatment without its record: {exc}")
            return
        run.session.events.subscribe(screen.on_event)
        with screen.lock:
            self.session = run.session
            screen.activity = Activity.TREATING
        if not run.treat(on_cycle=self._on_cycle):
            run.close()
            screen.not_started(str(run.error), self_test=isinstance(run.error, SelfTestError))
            with screen.lock:
                self.session = None
            return
        outcome = run.outcome
        assert outcome is not None  # it ran
        with screen.lock:  # the end is known now: shown to every page while it waits
            screen.table.self_test = "passed"
            screen.activity = Activity.AWAITING
        screen.ended(outcome, run.session_id, report=False)
        run.answer_end(self)
        result = run.close(self.site.report_path(run.session_id), self.site.units)
        screen.ended(outcome, run.session_id, result.report is not None)
        with screen.lock:
            screen.outcome = outcome
            self.session = None

    def answer(self, run: TreatmentRun, words: str) -> None:
        """The console's answer to a session's end (EndAnswer): every alarm acknowledged on
        a page, within the bound, or the console closing; then the end alarm is recorded as
        acknowledged by whoever acknowledged the alarms."""
        alarms = self.screen.alarms
        self._acked.clear()
        # closing: nobody will acknowledge; close() sets _closing before _acked, so either
        # its _acked.set() comes after this clear, or _closing is seen here
        if not alarms.unacknowledged or self._closing.is_set():
            self._acked.set()
        acked = self._acked.wait(self.ack_bound_s)
        if run.awaits_answer and not alarms.unacknowledged:
            run.acknowledge(self.screen.acknowledger())
        elif not acked or alarms.unacknowledged:
            run.note(f"alarms not acknowledged within {self.ack_bound_s:g} s; record closed")

    def _on_cycle(self, treatment: Treatment, record: CycleRecord) -> None:
        """In the control thread: copy the cycle for the screens; stop if the console is lost."""
        screen = self.screen
        live = screen.live.cycle(treatment, record)
        if self.observe is not None:
            self.observe(treatment, record)
        if self._console_lost or State(live.state) not in TREATING:
            return
        if screen.presence.lost(screen.clock()):
            self._console_lost = True
            session = self.session
            if session is not None:
                grace_s = screen.presence.grace_s
                session.events.publish(
                    SessionEvent(
                        record.time_s,
                        "alarm",
                        f"{CONSOLE_LOST}: no console for {grace_s:g} s; "
                        "stopping with the controlled ramp and release",
                        {"grace_s": grace_s},
                        "medium",
                    )
                )
                session.ask(Action.STOP, CONSOLE_LOST, cause=EndReason.CONSOLE_LOST)
