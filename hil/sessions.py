"""Treatments on the table under test, recorded, with their report plots in the HIL output.

Every treatment a HIL test runs goes through the product's own path (the session owner with
the safety supervisor and the session recorder), so the suite also proves that what QA
measured is what the records hold. `hold_then` holds a force and, once it holds, does
something to the table (a switch, a fault, the host falling silent) and watches the board.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from controller.core.control_loop import CycleRecord
from controller.core.preparation import Prepared
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.muscles.lsl_source import lsl_source
from controller.muscles.monitor import MuscleSettings
from controller.protocols.models import ProtocolFile, Static
from controller.records.report import draw_report
from controller.records.store import SessionStore
from controller.run.session import Outcome
from controller.run.treatment_run import TreatmentRun
from firmware_bridge import TableLink, Telemetry
from firmware_bridge.icd import Status
from hil.maintenance import ready_store
from hil.record import RunRecord, TestResult
from hil.table import Actuation, HilTable
from safety.limits import load_limits
from safety.release import ReleaseState

HOLD_TIMEOUT_S = 60.0
SETTLED_HOLD_S = 0.5  # into a hold whose force was reached
REACTION_TIMEOUT_S = 30.0
RELEASE_TIMEOUT_S = 15.0
POLL_S = 0.005
MIN_WATCH_S = 0.5  # watch at least this long: a stopped carriage must stay stopped


class HostSilent(Exception):
    """Raised in the control thread to make the host stop talking, as a crashed host would."""


@dataclass
class Treated:
    outcome: Outcome | None
    error: BaseException | None
    session_id: int
    store: Path
    link: TableLink
    last_cycle_s: float = 0.0


def treat(
    table: HilTable,
    run: RunRecord,
    result: TestResult,
    entry: ProtocolFile,
    *,
    on_cycle: Callable[[Treatment, CycleRecord], None] | None = None,
    force_trip_n: float | None = None,
    muscles: MuscleSettings | None = None,
) -> Treated:
    """`force_trip_n`: set the board's FORCE_TRIP to this after the self-test (layer-1 tests).
    `muscles`: read the table's muscle signal (its `emg` URL) with these settings."""
    link = table.open_link()
    store = run.out / "records.sqlite3"
    ready_store(table, store)
    name = result.nodeid.split("::")[-1]
    last = [0.0]

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        last[0] = record.time_s
        if on_cycle is not None:
            on_cycle(treatment, record)

    def low_trip(prepared: Prepared) -> None:
        if force_trip_n is not None:
            link.configure_interlocks(replace(prepared.interlocks, force_trip_n=force_trip_n))

    run_ = TreatmentRun(
        link,
        entry,
        load_limits(),
        table.target.weight_kg,
        records=store,
        operator=table.acting,
        patient_ref=f"hil:{name}",
        before_start=low_trip,
        muscles=None if muscles is None or table.emg is None else lsl_source(table.emg),
        muscle_settings=muscles,
    )
    error: BaseException | None = None
    try:
        run_.treat(on_cycle=hook)
    except HostSilent as exc:
        error = exc
    ran = run_.close()
    if ran.outcome is not None and run.board_identity is None:
        run.board_identity = asdict(ran.outcome.prepared.identity)
    return Treated(ran.outcome, error or ran.error, ran.session_id, store, link, last[0])


def plot(run: RunRecord, result: TestResult, treated: Treated) -> None:
    """The session's report PNG into the HIL output (drawn after any timing is over)."""
    if not treated.session_id:
        return
    name = _safe(result.nodeid.split("::")[-1])
    path = run.out / "plots" / f"{name}-session-{treated.session_id}.png"
    reader = SessionStore(treated.store, recover=False)
    try:
        draw_report(reader, treated.session_id, path)
    finally:
        reader.close()
    result.plots.append(path)


@dataclass
class Watched:
    treated: Treated
    actuation: Actuation | None
    fault_seen_s: float | None = None  # first control cycle whose snapshot had STATUS.FAULT
    after: list[Telemetry] = field(default_factory=list)  # polled once the session ended
    times: list[float] = field(default_factory=list)

    def first(self, condition: Callable[[Telemetry], bool]) -> tuple[float, Telemetry] | None:
        return next(
            ((t, tel) for t, tel in zip(self.times, self.after, strict=True) if condition(tel)),
            None,
        )


def hold_then(
    table: HilTable,
    run: RunRecord,
    result: TestResult,
    act: Callable[[], Actuation | None],
    *,
    force_n: float = 60.0,
    go_silent: bool = False,
    force_trip_n: float | None = None,
) -> Watched:
    """Hold `force_n`; once it holds, `act`; then watch the board until its release ends."""
    holding, acted, silenced = threading.Event(), threading.Event(), threading.Event()
    abandon = threading.Event()  # the test ended early (skip, failure): stop the treatment
    actuation: list[Actuation | None] = []
    fault_seen: list[float] = []
    treated: list[Treated] = []
    entry = ProtocolFile(
        name=f"hold {force_n:g} N", protocol=Static(force_n=force_n, duration_s=HOLD_TIMEOUT_S)
    )

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        if treatment.phase == "hold" and treatment.timer_s > SETTLED_HOLD_S:
            holding.set()
        tel = record.telemetry
        if not fault_seen and tel is not None and tel.has(Status.FAULT):
            fault_seen.append(record.time_s)
        if go_silent and acted.is_set() and not abandon.is_set():
            silenced.set()
            raise HostSilent("the host stopped talking")
        if abandon.is_set() and treatment.states.can("stop"):
            treatment.event("stop", record.time_s, tel, by="hil")
        held = treatment.states.current is State.PATIENT_STOPPED
        if held and record.release is ReleaseState.DONE:  # released: end it, as the technician
            treatment.event("end", record.time_s, tel, by="hil")

    thread = threading.Thread(
        target=lambda: treated.append(
            treat(table, run, result, entry, on_cycle=hook, force_trip_n=force_trip_n)
        ),
        name="hil-control",
    )
    thread.start()
    finished = False
    try:
        if force_trip_n is not None:  # the board trips on the way up: nothing more to do
            holding.set()
        if not holding.wait(HOLD_TIMEOUT_S):
            raise AssertionError(f"the table never held {force_n:g} N")
        actuation.append(act())
        acted.set()
        if go_silent:  # watch at once: the control thread is silent, only recording now
            silenced.wait(REACTION_TIMEOUT_S)
            after, times = _watch(table.links[-1])
        thread.join(REACTION_TIMEOUT_S + HOLD_TIMEOUT_S)
        if not go_silent:
            after, times = _watch(treated[0].link)
        finished = True
    finally:
        if not finished:
            abandon.set()
        acted.set()
        thread.join(REACTION_TIMEOUT_S + HOLD_TIMEOUT_S)
    watched = Watched(
        treated[0],
        actuation[0] if actuation else None,
        fault_seen[0] if fault_seen else None,
        after,
        times,
    )
    plot(run, result, treated[0])
    return watched


def _watch(link: TableLink) -> tuple[list[Telemetry], list[float]]:
    """Poll the board until its release has ended and the carriage stands (>= MIN_WATCH_S)."""
    after: list[Telemetry] = []
    times: list[float] = []
    start = time.monotonic()
    while (now := time.monotonic()) < start + RELEASE_TIMEOUT_S:
        tel = link.read_telemetry()
        times.append(now)
        after.append(tel)
        settled = not tel.has(Status.RELEASING) and not tel.has(Status.MOVING)
        if settled and now - start >= MIN_WATCH_S:
            break
        time.sleep(POLL_S)
    return after, times


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
