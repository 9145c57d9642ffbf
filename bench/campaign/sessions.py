"""One campaign cell as a virtual-time session on `sim://`: a fault at a moment, or none.

Ground truth comes from the simulated table itself (the cable tension in its physics), not
from what the host measured: a fault that fools the host's measurement must still show.
Measured from the injection on: whether the session reached a safe state by itself (ended,
and the tension left no more than the idle force the safety layer accepts on an inactive
table -- after a release to RELEASE_FORCE the tissues' recovery can raise it a few newtons
over minutes -- or a high-priority RELEASE_TIMEOUT or BOARD_UNREACHABLE alarm saying the
release could not be confirmed), the highest tension against the session limit plus the
board's trip margin (the stated allowance), and how long detection and release took.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from bench.campaign.matrix import FAULTS, Cell
from controller.app.composition import open_link, open_muscles
from controller.core.control_loop import CycleRecord
from controller.core.events import SessionEvent
from controller.core.homing import HomingError, home
from controller.core.session_states import ENDED, State
from controller.core.treatment import Treatment
from controller.protocols.library import presets
from controller.protocols.models import Intermittent, ProtocolFile
from controller.run.session import TreatmentSession
from controller.run.treatment_run import TreatmentRun
from firmware_bridge.errors import LinkError
from safety.interlocks import trip_margin_n
from safety.limits import Region, load_limits
from sim.board import SimBoard
from sim.injection import inject

WEIGHT_KG = 75.0
FORCE_SHARE = 0.6  # of the session limit: a treatment force with room to the limit
HOLD_S, REST_S = 4.0, 3.0
AFTER_S = 1.0  # into a hold or rest before the fault
PAUSE_S = 2.0
HOMING_AFTER_S = 0.5
DISTURBANCES = 3  # patient movements per normal session
_LABELS = {label: (name, params) for label, name, params in FAULTS}
# the alarms that say the release could not be confirmed: check the patient, manual release
UNCONFIRMED = ("RELEASE_TIMEOUT", "BOARD_UNREACHABLE")


@dataclass(frozen=True, slots=True)
class Result:
    key: str
    kind: str
    fault: str
    state: str
    profile: str
    variant: str
    seed: int
    outcome: str
    safe: bool
    injected: bool  # the moment was reached (a fault's cell whose session ended before: False)
    peak_n: float
    allowed_n: float  # session limit + the board's trip margin
    over_n: float  # peak beyond the allowance (0: none)
    detect_s: float  # injection to the first trip; nan: none
    release_s: float  # injection to the tension below RELEASE_FORCE + margin; nan: not released
    false_trip: bool  # a normal session that tripped
    detail: str = ""


def run_cell(cell: Cell) -> Result:
    if cell.kind == "normal":
        return _normal(cell)
    if cell.state == "homing":
        return _homing(cell)
    return _fault(cell)


class _Watch:
    """The session's events and the table's tension from the moment of the injection."""

    def __init__(self, board: SimBoard, allowed_n: float, released_n: float, idle_n: float) -> None:
        self.board, self.allowed_n = board, allowed_n
        self.released_n, self.idle_n = released_n, idle_n
        self.events: list[SessionEvent] = []
        self.at: float | None = None
        self.peak_n = 0.0
        self.released_at: float | None = None

    def hit(self, now: float, name: str, params: dict[str, object]) -> None:
        self.at = now
        inject(self.board, name, params)

    def cycle(self, now: float) -> None:
        if self.at is None:
            return
        tension = self.board.firmware.physics.tension_n
        self.peak_n = max(self.peak_n, tension)
        if self.released_at is None and tension <= self.released_n:
            self.released_at = now

    def result(
        self,
        cell: Cell,
        outcome: str,
        ended: bool,
        *,
        false_trip: bool = False,
        alarmed: bool = False,
    ) -> Result:
        """`alarmed`: an unconfirmed release reported outside the session's events (homing's
        HomingError, which the console shows as the high-priority alarm)."""
        tension = self.board.firmware.physics.tension_n
        after = [e for e in self.events if self.at is None or (e.time_s or 0.0) >= self.at]
        loud = alarmed or any(
            e.priority == "high" and e.data.get("fault") in UNCONFIRMED for e in after
        )
        trips = [e.time_s for e in after if e.kind == "fault" and e.time_s is not None]
        start = self.at if self.at is not None else math.nan
        return Result(
            cell.key,
            cell.kind,
            cell.fault,
            cell.state,
            cell.profile,
            cell.variant,
            cell.seed,
            outcome,
            ended and (tension <= self.idle_n or loud),
            self.at is not None,
            round(self.peak_n, 2),
            round(self.allowed_n, 2),
            round(max(0.0, self.peak_n - self.allowed_n), 2),
            round(trips[0] - start, 3) if trips else math.nan,
            round(self.released_at - start, 3) if self.released_at is not None else math.nan,
            false_trip,
            f"tension left {tension:.1f} N",
        )


MUSCLE_PROFILES = ("guarding", "spasm-prone", "relaxed")


def _setup(cell: Cell) -> tuple[SimBoard, TreatmentRun, _Watch, float]:
    opened = open_link(f"sim://?patient={cell.profile}&seed={cell.seed}&variant={cell.variant}")
    board = opened.board
    assert board is not None
    limits = load_limits()
    region: Region = "cervical" if cell.profile == "cervical" else "lumbar"
    limit = limits.force_limit_n(region, WEIGHT_KG)
    force = round(FORCE_SHARE * limit)
    entry = ProtocolFile(
        name="campaign",
        protocol=Intermittent(
            region=region,
            hold_force_n=force,
            hold_s=HOLD_S,
            rest_force_n=round(force / 2),
            rest_s=REST_S,
            cycles=2,
        ),
    )
    muscles = None
    if cell.kind == "normal":
        entry = presets()[cell.preset]
        if entry.emg_gate:  # an EMG-gated preset runs on the simulated patient's muscles
            kind = MUSCLE_PROFILES[cell.seed % len(MUSCLE_PROFILES)]
            muscles = open_muscles(f"sim://?muscles={kind}", opened)
    run = TreatmentRun(opened.link, entry, limits, WEIGHT_KG, records=None, muscles=muscles)
    released = limits.board.release_force_n + limits.release.confirm_margin_n
    idle = limits.plausibility.idle_force_n
    watch = _Watch(board, limit + trip_margin_n(limits, limit), released, idle)
    run.session.events.subscribe(watch.events.append)
    return board, run, watch, float(force)


def _fault(cell: Cell) -> Result:
    board, run, watch, force = _setup(cell)
    name, params = _LABELS[cell.fault]
    moment = _moment(cell.state, force, run.session)
    fired = False

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        nonlocal fired
        now = record.time_s
        if not fired and moment(treatment, now):
            fired = True
            watch.hit(now, name, params)
        watch.cycle(now)

    if cell.state == "self-test":
        fired = True
        watch.hit(board.elapsed_s, name, params)
    outcome = run.outcome if run.treat(on_cycle=hook) else None
    if outcome is None:  # refused before anything started
        watch.cycle(board.elapsed_s)
        return watch.result(cell, f"not started: {type(run.error).__name__}", True)
    return watch.result(cell, outcome.label, outcome.state in ENDED)


def _moment(
    state: str, force: float, session: TreatmentSession
) -> Callable[[Treatment, float], bool]:
    """When, in a running session, the fault meets the named state."""
    since: dict[str, float] = {}

    def lasted(key: str, now: float, holds: bool, seconds: float) -> bool:
        if not holds:
            since.pop(key, None)
            return False
        since.setdefault(key, now)
        return now - since[key] >= seconds

    def moment(t: Treatment, now: float) -> bool:
        st, phase = t.states.current, t.phase
        target = t.target_n or 0.0
        if state == "slack take-up":
            return (
                st is State.RUNNING and phase == "slack take-up" and lasted(state, now, True, 0.1)
            )
        if state == "ramp up":
            return phase == "ramp up" and target >= force / 2
        if state == "hold":
            return lasted(state, now, phase == "hold", AFTER_S)
        if state == "rest":
            return lasted(state, now, phase == "rest", AFTER_S)
        if state == "paused":
            if (
                st is State.RUNNING
                and "asked" not in since
                and lasted("hold", now, phase == "hold", AFTER_S)
            ):
                since["asked"] = now
                session.ask("pause", "operator campaign")
            if lasted("paused", now, st is State.PAUSED, 0.5) and "resume" not in since:
                since["resume"] = now
                return True
            return False
        if state == "ramp down":
            return phase == "ramp down" and target <= force * 0.75
        if state == "release":  # the final ramp to zero, or the board's release after it
            return lasted(state, now, phase == "release" or st is State.STOPPING, 0.1)
        raise ValueError(f"unknown state {state!r}")

    def with_resume(t: Treatment, now: float) -> bool:
        fired = moment(t, now)
        resumed_at = since.get("resume")
        due = resumed_at is not None and now - resumed_at >= PAUSE_S
        held = t.states.current is State.PAUSED
        if state == "paused" and due and held and "resumed" not in since:
            since["resumed"] = now
            session.ask("resume", "operator campaign")
        return fired

    return with_resume


def _homing(cell: Cell) -> Result:
    """A session stopped in its first hold, then the carriage homed; the fault mid-homing."""
    board, run, watch, _ = _setup(cell)
    link = run.link

    asked: list[bool] = []

    def stop_in_hold(t: Treatment, record: CycleRecord) -> None:
        if not asked and t.phase == "hold" and t.states.current is State.RUNNING:
            asked.append(True)
            run.session.ask("stop", "operator campaign")

    run.treat(on_cycle=stop_in_hold)
    name, params = _LABELS[cell.fault]
    clock = link.clock
    start = clock.now()
    sleep_until = clock.sleep_until

    def scheduled(deadline: float) -> None:  # the fault at its moment of the homing
        if watch.at is None and deadline - start >= HOMING_AFTER_S:
            watch.hit(deadline, name, params)
        sleep_until(deadline)
        watch.cycle(deadline)

    clock.sleep_until = scheduled  # type: ignore[method-assign]
    alarmed = False
    try:
        home(link, load_limits())
        outcome = "homed"
    except (HomingError, LinkError) as exc:
        outcome = f"homing refused: {type(exc).__name__}"
        alarmed = isinstance(exc, HomingError) and not exc.release_confirmed
    finally:
        clock.sleep_until = sleep_until  # type: ignore[method-assign]
    fw = board.firmware
    stopped = not fw.enabled  # homing ends with the drive disabled, homed or not
    return watch.result(cell, outcome, stopped, alarmed=alarmed)


def _normal(cell: Cell) -> Result:
    """A preset with the patient moving now and then; any trip is a false trip."""
    board, run, watch, _ = _setup(cell)
    rng = random.Random(cell.seed)
    moves = sorted(rng.uniform(5.0, 120.0) for _ in range(DISTURBANCES))
    started: list[float] = []

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        now = record.time_s
        if not started:
            started.append(now)
            watch.at = now
        while moves and now - started[0] >= moves[0]:
            moves.pop(0)
            params = {"force_n": rng.uniform(-40.0, 40.0), "duration_s": rng.uniform(0.5, 2.0)}
            inject(board, "disturbance", params)
        watch.cycle(now)

    outcome = run.outcome if run.treat(on_cycle=hook) else None
    if outcome is None:  # a normal session refused before it started is a failure too
        return watch.result(cell, f"not started: {type(run.error).__name__}", True, false_trip=True)
    tripped = bool(outcome.trips) or outcome.state is not State.COMPLETE
    return watch.result(cell, outcome.label, True, false_trip=tripped)
