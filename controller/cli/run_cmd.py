"""`traction run PROTOCOL --weight KG`: a treatment on the configured table, with live display.

Keys: p pause, r resume, s stop, + and - change the force by 10 N within the limits.
Ctrl-C stops the session with a controlled ramp down and the board's release; SIGTERM, a
closed terminal (SIGHUP) or a second signal ask for the board's release at once, and the
process ends within `ending_bound_s` (the longest release bound plus 10 s; docs/controller.md)
whatever the board does. The exit code and the words printed come from the session's end
reason (controller/core/end_reason.py): 0 complete, 1 table, link or records problem, 2 invalid
input (nothing was sent), 3 a safety fault, the patient's stop or a safety bound ended it
(alarms say what to do), 5 stopped early by the operator or the system, released. Without a
terminal nobody can answer: a session the patient stopped ends once released.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from pathlib import Path

from controller.app.composition import open_link, open_muscles
from controller.app.site_config import SiteConfigError
from controller.cli.args import EMG_HELP, site_from
from controller.cli.identity import acting, add_identity_args
from controller.cli.operator_input import FORCE_EVENTS, OPERATOR, OperatorInput
from controller.cli.prescription_args import NotStarted, add_arguments, confirm, plan_from
from controller.clinic.setup import NotConfirmed
from controller.clinic.units import Units
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import ACK_BOUND_S, EXIT_INVALID, EXIT_SAFETY, EXIT_TABLE
from controller.core.events import SessionEvent
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.muscles.source import MuscleSource, MuscleSourceError
from controller.people.roles import Task
from controller.protocols.checks import ProtocolError
from controller.records.accounts import AccountError
from controller.records.patients import PatientError
from controller.records.prescribing import may_prescribe
from controller.records.store import RecordsError, SessionStore
from controller.run.session import Action, ending_bound_s
from controller.run.treatment_run import TreatmentRun
from controller.words.catalogue import number, said, speaker
from firmware_bridge.errors import TargetError
from safety.faults import SafetyFault
from safety.limits import LimitsError, load_limits

REFRESH_S = 0.25
ACK_REPEAT_S = 5.0
FORCE_STEP_N = 10.0  # one + or - key press
BAR = 24
_ASKABLE = frozenset(a.value for a in Action)  # what a key may ask of the session


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run a treatment (keys: p pause, r resume, s stop, +/- force)")
    add_arguments(p)
    p.add_argument("--device", default=None, help="device URL (default: site configuration)")
    p.add_argument("--limits", type=Path, default=None, help="safety limits file")
    p.add_argument("--operator", default=None, help="who runs it (default: the login name)")
    p.add_argument("--patient-ref", default=None, help="an unregistered patient's reference")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    p.add_argument("--emg", default=None, help=EMG_HELP)
    add_identity_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    err = sys.stderr.write
    try:
        site = site_from(args)
        limits = load_limits(site.limits)
        store = SessionStore(site.records)
    except (SiteConfigError, LimitsError) as exc:
        err(f"traction run: refused: {exc}\n")
        return EXIT_INVALID
    except RecordsError as exc:
        err(f"traction run: no treatment without its record: {exc}\n")
        return EXIT_TABLE
    try:
        by = acting(args, store, Task.TREAT, args.operator)
        plan = plan_from(args, store, limits, site.language)
        may_prescribe(store, by, plan)
        confirm(plan, site.language)
        opened = open_link(site.device)
        link = opened.link
        muscles: MuscleSource | None = None
        if site.emg is not None:
            muscles = open_muscles(site.emg, opened, mains_hz=site.mains_hz)
    except (
        ProtocolError,
        PatientError,
        NotConfirmed,
        TargetError,
        NotStarted,
        MuscleSourceError,
        AccountError,
    ) as exc:
        err(f"traction run: refused: {exc}\n")
        return EXIT_INVALID
    finally:
        store.close()
    tty = sys.stdin.isatty()  # a technician at a terminal can answer; a service or script cannot
    try:
        run_ = TreatmentRun(
            link,
            plan.entry,
            limits,
            plan.weight_kg,
            records=site.records,
            operator=by,
            patient_ref=plan.patient.ref if plan.patient is not None else args.patient_ref,
            clinical=plan.clinical(),
            attended=lambda: tty,
            muscles=muscles,
            muscle_settings=site.muscle_settings,
            mains_hz=site.mains_hz,
            language=site.language,
        )
    except RecordsError as exc:
        link.close()
        err(f"traction run: no treatment without its record: {exc}\n")
        return EXIT_TABLE
    session = run_.session
    operator = OperatorInput()
    display = Display(sys.stdout.isatty(), site.units, site.language)
    latest: list[tuple[Treatment, CycleRecord]] = []
    notes: queue.SimpleQueue[str] = queue.SimpleQueue()
    raised: list[BaseException] = []
    session.events.subscribe(lambda e: _note_event(e, notes, site.language), replay=False)

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        """Runs in the control thread: publish the latest cycle for the display."""
        latest[:] = [(treatment, record)]

    def control() -> None:
        try:
            run_.treat(on_cycle=hook)
        except BaseException as exc:  # handed to the main thread, which raises it
            raised.append(exc)

    bound_s = ending_bound_s(limits)  # how long a session may take to end once signalled
    with operator.attached():
        thread = threading.Thread(target=control, name="control-loop", daemon=True)
        thread.start()
        ending_since: float | None = None
        while thread.is_alive():  # the main thread only displays; the loop never waits on I/O
            thread.join(timeout=REFRESH_S)
            for req in operator.drain():
                if req.event in FORCE_EVENTS:
                    session.ask("force", req.by, FORCE_EVENTS[req.event] * FORCE_STEP_N)
                elif req.event in _ASKABLE:
                    session.ask(req.event, req.by, cause=req.cause)
                if req.event == "stop_now" and ending_since is None:
                    ending_since = time.monotonic()
            while not notes.empty():
                display.note(notes.get())
            if latest:
                display.show(*latest[0])
            if ending_since is not None and time.monotonic() - ending_since > bound_s:
                return _abandon(run_, bound_s)
        while not notes.empty():
            display.note(notes.get())
        run_.answer_end(TerminalAnswer(operator, display))
    if raised:
        link.close()
        raise raised[0]
    result = run_.close(site.report_path(run_.session_id), site.units)
    link.close()
    if result.session_id:
        say = speaker(site.language)
        sys.stdout.write(
            say("record: session {id} in {records}", id=result.session_id, records=site.records)
            + (say("; report: {path}", path=result.report) if result.report else "")
            + "\n"
        )
    if result.records_error is not None:
        err(f"traction run: ALARM: records could not be written: {result.records_error}\n")
        return result.exit_code
    outcome = result.outcome
    if outcome is None:
        err(f"traction run: {result.words}\n")
        return result.exit_code
    display.end()
    sys.stdout.write(
        said(
            site.language,
            f"session {result.words}; hold error mean "
            f"{site.units.show_force(outcome.accuracy.mean_error_n, 2)}, peak "
            f"{site.units.show_force(outcome.accuracy.peak_error_n, 2)}",
        )
        + "\n"
    )
    if outcome.state is State.FAULTED:
        for trip in outcome.trips:
            sys.stdout.write(f"SAFETY: {trip.describe()}\n")
        todo = sorted({t.fault.what_to_do for t in outcome.trips if t.priority.value == "high"})
        for line in todo:
            sys.stdout.write(f"\a*** ALARM: {said(site.language, line)} ***\n")
    return result.exit_code


def _note_event(event: SessionEvent, notes: queue.SimpleQueue[str], language: str = "en") -> None:
    """What the technician must see at once: alarms, faults, refusals (not every transition);
    the alarm's words and what to do in the site's language, its markers as scripts read them."""
    if event.kind in ("alarm", "fault"):
        bell = "\a" if event.priority == "high" else ""
        notes.put(f"{bell}*** {event.priority.upper()}: {said(language, event.text)} ***")
        if event.kind == "fault" and event.data.get("what_to_do"):
            notes.put(f"    what to do: {said(language, str(event.data['what_to_do']))}")
    elif event.kind == "refused":
        notes.put(event.text)


def _abandon(run: TreatmentRun, bound_s: float) -> int:
    """The control thread did not end within the stated bound after a signal: never in a
    correct build (every wait in it is bounded), but the process must still end, loudly."""
    sys.stdout.write(
        f"\a*** ALARM: the session did not end within {bound_s:.0f} s of the signal; release "
        f"NOT confirmed: {SafetyFault.RELEASE_TIMEOUT.what_to_do} ***\n"
    )
    sys.stdout.flush()
    run.abandon(TimeoutError(f"not ended {bound_s:.0f} s after a signal"))
    return EXIT_SAFETY


class TerminalAnswer:
    """The technician at the terminal answers the end alarm (key a) within ACK_BOUND_S, or a
    signal ends the wait. Without a terminal there is nobody to press a key: the end is
    recorded as not acknowledged, and the command ends."""

    def __init__(self, operator: OperatorInput, display: Display) -> None:
        self.operator = operator
        self.display = display

    def answer(self, run: TreatmentRun, words: str) -> None:
        operator, display = self.operator, self.display
        if not run.awaits_answer:  # a fault's alarms were printed as they came
            return
        if not display.tty:
            run.note("end of session not acknowledged: no terminal")
            end = said(display.language, words)
            display.note(display.say("{end} (no terminal: not acknowledged)", end=end))
            return
        signals, since = operator.signals, time.monotonic()
        while time.monotonic() - since < ACK_BOUND_S:
            asked = display.say("{end}: press a to acknowledge", end=said(display.language, words))
            display.note(f"\a*** {asked} ***")
            for _ in range(round(ACK_REPEAT_S / REFRESH_S)):
                time.sleep(REFRESH_S)
                if any(r.event == "acknowledge" for r in operator.drain()):
                    run.acknowledge(by=OPERATOR)
                    return
                if operator.signals > signals:  # the process is being ended: nobody answered
                    run.note("end of session not acknowledged: signalled")
                    return
        run.note(f"end of session not acknowledged within {ACK_BOUND_S:g} s")


# the status line's words (a catalogue entry): fixed widths, so that it reads as a table
STATUS = "{state} {phase} target {target} {unit}  measured {measured} {unit}  left {left} [{bar}]"


class Display:
    """One status line: rewritten in place on a terminal, a line per second otherwise."""

    def __init__(self, tty: bool, units: Units | None = None, language: str = "en") -> None:
        self.units = units or Units()  # the site's: what people read
        self.language = language  # the site's: the words people read
        self.say = speaker(language)
        self.tty = tty
        self.next_s = 0.0
        self.period_s = REFRESH_S if tty else 1.0

    def note(self, text: str) -> None:
        sys.stdout.write(("\n" if self.tty else "") + text + "\n")

    def show(self, treatment: Treatment, record: CycleRecord) -> None:
        tel = record.telemetry
        if tel is None or record.time_s < self.next_s:
            return
        self.next_s = record.time_s + self.period_s
        total = treatment.profile.total_s
        done = min(1.0, treatment.timer_s / total) if total else 1.0
        last = treatment.log.samples[-1] if treatment.log.samples else None
        u = self.units
        target = f"{u.force_value(last.target_n):6.1f}" if last is not None else "     -"
        phase = last.phase if last is not None else "slack take-up"
        bar = "#" * round(done * BAR) + "." * (BAR - round(done * BAR))
        lang, unit = self.language, self.say(u.force)
        text = self.say(
            STATUS,
            state=f"{said(lang, treatment.states.state):<9}",
            phase=f"{said(lang, phase):<14}",
            target=number(lang, target),
            unit=unit,
            measured=number(lang, f"{u.force_value(tel.force_n):6.1f}"),
            left=said(lang, f"{max(0.0, total - treatment.timer_s):.1f} s").rjust(8),
            bar=bar,
        )
        sys.stdout.write(("\r" + text) if self.tty else (text + "\n"))
        sys.stdout.flush()

    def end(self) -> None:
        if self.tty:
            sys.stdout.write("\n")
