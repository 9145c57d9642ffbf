"""What the console's web layer talks to: a technician's requests checked and handed to the
table owner, and the screen model read.

The console is several small things: the table owner (controller/console/owner.py, the one
thread that owns the link and runs treatments), the screen model the page renders
(screen.py), the link's watch (link_watch.py), the records queries (records_desk.py), the
running treatment's requests (running.py) and the forms (forms.py). This service only
checks what a technician may ask now and passes it on; the web layer never touches the link.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog

from controller.app.site_config import SiteConfig
from controller.console import records_desk, running
from controller.console.activity import Activity
from controller.console.alarms import AlarmBoard
from controller.console.checks import ConsoleTechnician
from controller.console.forms import Prepared as PreparedForm
from controller.console.live import LiveView
from controller.console.owner import CheckJob, HomeJob, StartJob, TableOwner
from controller.console.presence import Presence
from controller.console.refused import Refused, operator_name
from controller.console.screen import Screen, TableStatus
from controller.console.sign_in import SignIns
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import ACK_BOUND_S
from controller.core.treatment import Treatment
from controller.maintenance.technician import Technician
from controller.records.accounts import AccountError
from controller.records.export import forget_report
from controller.records.prescribing import PlannedSession, may_prescribe
from controller.records.signatures import HANDOVER, sign_session
from controller.records.store import RecordsError, SessionStore
from controller.run.session import Action, Outcome, TreatmentSession
from firmware_bridge import TableLink
from safety.limits import SafetyLimits

log = structlog.get_logger(__name__)


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
        muscles: str | None = None,
    ) -> None:
        """`observe` sees every cycle after the console has (benches: period and latency);
        `hands` does the daily check's physical steps (the simulated technician on sim://);
        `muscles` is the muscle signal's URL, opened for each treatment (None: none)."""
        self.link = link
        self.site = site
        self.limits = limits
        self.clock = clock
        table = TableStatus(link.url, limits_source, limits.fingerprint())
        self.screen = Screen(table, presence or Presence(), clock)
        self.signins = SignIns(site.records, site.lock_after_s, clock)
        self.owner = TableOwner(
            link,
            site,
            limits,
            self.screen,
            ack_bound_s=ack_bound_s,
            observe=observe,
            hands=hands,
            muscles=muscles,
        )

    # --- what the others read ------------------------------------------------------------------
    @property
    def activity(self) -> Activity:
        return self.screen.activity

    @property
    def table(self) -> TableStatus:
        return self.screen.table

    @property
    def alarms(self) -> AlarmBoard:
        return self.screen.alarms

    @property
    def live(self) -> LiveView:
        return self.screen.live

    @property
    def presence(self) -> Presence:
        return self.screen.presence

    @property
    def summary(self) -> dict[str, Any] | None:
        return self.screen.summary

    @property
    def outcome(self) -> Outcome | None:
        return self.screen.outcome

    @property
    def session(self) -> TreatmentSession | None:
        return self.owner.session

    @property
    def closed_ok(self) -> bool | None:
        return self.owner.closed_ok

    def snapshot(self) -> dict[str, Any]:
        return self.screen.snapshot()

    def events_since(self, seq: int) -> tuple[int, list[dict[str, Any]]]:
        return self.screen.events_since(seq)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self.owner.start()

    def close(self) -> bool:
        return self.owner.close()

    # --- what a technician may ask (any thread) ---------------------------------------------------
    def _idle_for(self, what: str, *, linked: bool = False) -> None:
        """Refused unless the table is idle (and, with `linked`, answering); under the lock."""
        screen = self.screen
        if screen.activity is not Activity.IDLE:
            raise Refused(f"the table is {screen.activity}: {what} only when idle")
        if linked and self.owner.watch.ok is not True:
            raise Refused(f"no link to the table: {screen.table.link}")

    def start_treatment(
        self, form: PreparedForm, operator: str, patient_ref: str, language: str = "en"
    ) -> None:
        """`language`: the words of the page that started it, the session's (its report's)."""
        operator = operator_name(operator)
        screen = self.screen
        with screen.lock:
            self._idle_for("a treatment can start")
            if screen.alarms.unacknowledged:
                raise Refused("acknowledge the active alarms before a new treatment")
            if self.owner.watch.ok is not True:
                raise Refused(f"no link to the table: {screen.table.link}")
            if screen.table.readiness:
                raise Refused("not ready to treat: " + "; ".join(screen.table.readiness))
            screen.activity = Activity.PREPARING
            screen.new_session(
                {
                    "protocol": form.entry.name,
                    "kind": form.entry.protocol.kind,
                    "region": form.entry.protocol.region,
                    "weight_kg": form.weight_kg,
                    "patient_ref": patient_ref,
                    "operator": operator,
                    "force_limit_n": round(form.checked.force_limit_n, 1),
                    "total_s": round(form.checked.profile.total_s, 1),
                }
            )
        _audit("start", operator, protocol=form.entry.name, patient_ref=patient_ref)
        self.owner.put(StartJob(form, operator, patient_ref, language))

    def home(self, operator: str) -> None:
        operator = operator_name(operator)
        with self.screen.lock:
            self._idle_for("homing")
            self.screen.activity = Activity.HOMING
        _audit("home", operator)
        self.owner.put(HomeJob(operator))

    def daily_check(self, operator: str) -> None:
        operator = operator_name(operator)
        screen = self.screen
        with screen.lock:
            self._idle_for("the check runs", linked=True)
            screen.activity = Activity.CHECKING
            screen.procedure = technician = ConsoleTechnician(operator, self.owner.hands)
        _audit("daily check", operator)
        self.owner.put(CheckJob(technician))

    def answer_step(self, operator: str, yes: bool) -> None:
        operator_name(operator)
        procedure = self.screen.procedure
        checking = self.screen.activity is Activity.CHECKING
        if procedure is None or not checking or not procedure.answer(yes):
            raise Refused("no check step is waiting for an answer")

    def note_after(self, operator: str, session_id: int, pain: Any, comment: str) -> None:
        records_desk.note_after(self.site.records, operator, session_id, pain, comment)

    def times(self, operator: str, values: dict[str, Any], apply: bool) -> dict[str, Any]:
        return running.times(self.session, self.activity, operator, values, apply)

    def save_protocol(self, operator: str, session_id: int, name: str, description: str) -> str:
        saved, description = records_desk.save_protocol(
            self.site.records, operator, session_id, name, description
        )
        _audit(f"protocol saved as {saved!r} from session {session_id}", operator)
        return description

    def handover(self, before: str, after: str) -> None:
        """Another person signed in on a page held by someone else: said in the record of a
        running treatment (who was responsible when), else in the log."""
        text = f"{HANDOVER}: {before} to {after}"
        session = self.session
        if session is not None and self.activity is not Activity.IDLE:
            session.note(self.link.clock.now(), text, by=after, before=before)
        _audit("handover", after, before=before)

    def may_prescribe(self, operator: str, plan: PlannedSession) -> None:
        store = SessionStore(self.site.records, recover=False)
        try:
            may_prescribe(store, operator, plan)
        except AccountError as exc:
            raise Refused(str(exc)) from None
        finally:
            store.close()

    def sign(self, m: dict[str, Any]) -> str:
        """A closed session's record signed by the page's signed-in physiotherapist, who gives
        the PIN again (the signature's second component)."""
        if not self.signins.accounts():
            raise Refused("a signature is a person's: this table has no accounts yet")
        holder = self.signins.holder(m.get("badge") if isinstance(m.get("badge"), str) else None)
        if holder is None:
            raise Refused("sign in first")
        store = SessionStore(self.site.records, recover=False)
        try:
            signature = sign_session(
                store,
                int(m.get("session_id", 0)),
                holder.name,
                str(m.get("pin") or ""),
                str(m.get("meaning") or ""),
            )
        except (AccountError, RecordsError) as exc:
            raise Refused(str(exc)) from None
        finally:
            store.close()
        _audit("signature", holder.name, words=signature.words())
        forget_report(self.site.report_path(int(m.get("session_id", 0))))
        return signature.words()

    def act(self, action: str, operator: str, delta_n: float = 0.0) -> None:
        running.act(
            self.session,
            self.activity,
            self.live.latest,
            action,
            operator,
            delta_n=delta_n,
            step_n=self.site.units.step_n,
        )

    def acknowledge(self, operator: str) -> int:
        """Never behind a lock of a page's, a sign-in or a confirmation: any page may."""
        operator = operator_name(operator)
        with self.screen.lock:
            newly = self.screen.alarms.acknowledge(operator)
        if newly:
            session = self.session
            alarms = "; ".join(a.text for a in newly)
            if session is not None:
                by = f"operator {operator}"
                session.ask(Action.ACKNOWLEDGE, by)  # a patient's stop, say
                session.note(
                    self.link.clock.now(),
                    f"alarms acknowledged by {operator}",
                    by=by,
                    alarms=alarms,
                )
            else:
                _audit("acknowledge", operator, alarms=alarms)
            self.owner.acknowledged()
        return len(newly)

    def pause_audio(self, operator: str) -> bool:
        operator = operator_name(operator)
        with self.screen.lock:
            paused = self.screen.alarms.pause_audio(self.clock())
        if paused:
            session = self.session
            if session is not None and self.activity is not Activity.IDLE:
                session.note(self.link.clock.now(), f"audio paused 2 min by {operator}")
            _audit("audio pause", operator)
        return paused


def _audit(action: str, operator: str, **data: str) -> None:
    """Operator actions outside a session's record go to the structured log (JSON lines)."""
    log.info("operator action", action=action, operator=operator, **data)
