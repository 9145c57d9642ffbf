"""`traction run PROTOCOL --weight KG`: a treatment on the configured table, with live display.

Keys: p pause, r resume, s stop, + and - change the force by 10 N within the limits.
Ctrl-C, SIGTERM or a closed terminal stop the session with a controlled ramp down and the
board's release. Exit codes: 0 complete, 1 table or link
problem (self-test, connection), 2 invalid input (nothing was sent), 3 a safety fault ended
the session.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from pathlib import Path

from controller.cli.operator_input import FORCE_EVENTS, OperatorInput
from controller.cli.recording import close_recording, open_recorder
from controller.composition import open_link
from controller.control_loop import CycleRecord
from controller.preparation import SelfTestError
from controller.protocols.checks import ProtocolError
from controller.protocols.library import load_protocol
from controller.records.store import RecordsError
from controller.runner import Outcome, run_treatment
from controller.session_states import State
from controller.site_config import SiteConfigError, site_config
from controller.treatment import Treatment
from firmware_bridge.errors import LinkError, TargetError
from safety.limits import LimitsError, load_limits

EXIT_TABLE = 1
EXIT_INVALID = 2
EXIT_SAFETY = 3
REFRESH_S = 0.25
ACK_REPEAT_S = 5.0
FORCE_STEP_N = 10.0  # one + or - key press
BAR = 24


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run a treatment (keys: p pause, r resume, s stop, +/- force)")
    p.add_argument("protocol", help="preset name or TOML file")
    p.add_argument("--weight", type=float, required=True, metavar="KG")
    p.add_argument("--device", default=None, help="device URL (default: site configuration)")
    p.add_argument("--limits", type=Path, default=None, help="safety limits file")
    p.add_argument("--operator", default=None, help="who runs it (default: the login name)")
    p.add_argument("--patient-ref", default=None, help="the patient's reference for the record")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    err = sys.stderr.write
    try:
        site = site_config(
            cli={
                "device": args.device,
                "limits": str(args.limits) if args.limits else None,
                "records": str(args.records) if args.records else None,
            }
        )
        entry = load_protocol(args.protocol)
        limits = load_limits(site.limits)
        link = open_link(site.device).link
    except (SiteConfigError, ProtocolError, LimitsError, TargetError) as exc:
        err(f"traction run: refused: {exc}\n")
        return EXIT_INVALID
    try:
        recorder = open_recorder(
            site, device_url=site.device, operator=args.operator, patient_ref=args.patient_ref
        )
    except RecordsError as exc:
        link.close()
        err(f"traction run: no treatment without its record: {exc}\n")
        return EXIT_TABLE
    operator = OperatorInput()
    display = Display(sys.stdout.isatty())
    latest: list[tuple[Treatment, CycleRecord]] = []
    notes: queue.SimpleQueue[str] = queue.SimpleQueue()
    done: list[Outcome | BaseException] = []
    alarmed: list[bool] = []

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        """Runs in the control thread: apply operator events, publish the latest cycle."""
        for event, by in operator.drain():
            if event in FORCE_EVENTS:
                try:
                    treatment.adjust_force(FORCE_EVENTS[event] * FORCE_STEP_N, record.time_s)
                except ValueError as exc:
                    notes.put(str(exc))
            elif treatment.states.can(event):
                treatment.event(event, record.time_s, record.telemetry, by=by)
            else:
                notes.put(f"'{event}' not possible while {treatment.states.state}")
        if recorder.error is not None and not alarmed:
            alarmed.append(True)
            notes.put(f"\a*** ALARM: records cannot be written, stopping: {recorder.error} ***")
        latest[:] = [(treatment, record)]

    def control() -> None:
        try:
            done.append(
                run_treatment(link, entry, limits, args.weight, on_cycle=hook, recorder=recorder)
            )
        except BaseException as exc:  # handed to the main thread, which reports it
            done.append(exc)

    with operator.attached():
        thread = threading.Thread(target=control, name="control-loop")
        thread.start()
        while thread.is_alive():  # the main thread only displays; the loop never waits on I/O
            thread.join(timeout=REFRESH_S)
            while not notes.empty():
                display.note(notes.get())
            if latest:
                display.show(*latest[0])
        result = done[0]
        if isinstance(result, Outcome) and result.state is State.COMPLETE:
            acknowledge(result.treatment, operator, display)
    report = close_recording(recorder, site, result, link.clock.now())
    link.close()
    if recorder.session_id:
        sys.stdout.write(
            f"record: session {recorder.session_id} in {site.records}"
            + (f"; report: {report}" if report else "")
            + "\n"
        )
    if recorder.error is not None:
        err(f"traction run: ALARM: records could not be written: {recorder.error}\n")
        return EXIT_TABLE
    if isinstance(result, ProtocolError | TargetError):  # refused before anything was sent
        err(f"traction run: refused: {result}\n")
        return EXIT_INVALID
    if isinstance(result, SelfTestError | LinkError):
        err(f"traction run: {result}\n")
        return EXIT_TABLE
    if isinstance(result, BaseException):
        raise result
    outcome = result
    display.end()
    trips = outcome.prepared.supervisor.trips
    sys.stdout.write(
        f"session {outcome.state.value}; hold error mean "
        f"{outcome.accuracy.mean_error_n:.2f} N, peak "
        f"{outcome.accuracy.peak_error_n:.2f} N\n"
    )
    if outcome.state is State.FAULTED:
        for trip in trips:
            sys.stdout.write(f"SAFETY: {trip.describe()}\n")
        return EXIT_SAFETY
    return 0


def acknowledge(treatment: Treatment, operator: OperatorInput, display: Display) -> None:
    """A completed session alarms until the technician acknowledges it (key a).

    Without a terminal there is nobody to press a key: the completion is recorded as not
    acknowledged, and the command ends.
    """
    if not display.tty:
        display.note("session complete (no terminal: not acknowledged)")
        return
    while True:
        display.note("\a*** treatment complete: press a to acknowledge ***")
        for _ in range(round(ACK_REPEAT_S / REFRESH_S)):
            time.sleep(REFRESH_S)
            if any(r.event == "acknowledge" for r in operator.drain()) or operator.signals:
                treatment.event("acknowledge", time.monotonic(), by="operator")
                return


class Display:
    """One status line: rewritten in place on a terminal, a line per second otherwise."""

    def __init__(self, tty: bool) -> None:
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
        target = f"{last.target_n:6.1f}" if last is not None else "     -"
        phase = last.phase if last is not None else "slack take-up"
        bar = "#" * round(done * BAR) + "." * (BAR - round(done * BAR))
        text = (
            f"{treatment.states.state:<9} {phase:<14} target {target} N  measured "
            f"{tel.force_n:6.1f} N  left {max(0.0, total - treatment.timer_s):6.1f} s "
            f"[{bar}]"
        )
        sys.stdout.write(("\r" + text) if self.tty else (text + "\n"))
        sys.stdout.flush()

    def end(self) -> None:
        if self.tty:
            sys.stdout.write("\n")
