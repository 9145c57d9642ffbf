"""The calibration verification and the daily check, run against the table over its link.

The drive is never enabled: both procedures read the board and, for calibration, tare it;
nothing moves. Every wait is bounded (policy.STEP_BOUND_S per step): a step not done in
time fails the procedure, which says which step and what to do. The results are plain data
that the application stores (controller/records/maintenance.py) and the gate reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from controller.maintenance.calibration import Reading, Verdict, judge, newtons, plan_problems
from controller.maintenance.daily_check import DAILY_STEPS, Step
from controller.maintenance.policy import AVERAGE_S, POLL_S, SETTLE_S, STEP_BOUND_S
from controller.maintenance.technician import Act, Action, Technician
from firmware_bridge import TableLink, Telemetry
from firmware_bridge.errors import LinkError
from firmware_bridge.icd import Status

log = structlog.get_logger(__name__)


class ProcedureError(RuntimeError):
    """The procedure could not be carried out (not a failed result): nothing is recorded
    as passed; the message says what to do."""


def _idle_board(link: TableLink) -> Telemetry:
    tel = link.read_telemetry()
    if tel.has(Status.DRIVE_ENABLED):
        raise ProcedureError("the drive is enabled: end the treatment first")
    return tel


def _average(link: TableLink, seconds: float) -> tuple[float, float | None]:
    clock = link.clock
    end = clock.now() + seconds
    a: list[float] = []
    b: list[float] = []
    fitted = True
    while clock.now() < end:
        tel = link.read_telemetry()
        fitted = tel.has(Status.CHANNEL_B_FITTED)
        a.append(tel.force_a_n)
        b.append(tel.force_b_n)
        clock.sleep_until(clock.now() + POLL_S)
    return sum(a) / len(a), (sum(b) / len(b) if fitted else None)


def _settle(link: TableLink) -> None:
    link.clock.sleep_until(link.clock.now() + SETTLE_S)


def _confirmed(technician: Technician, action: Action) -> None:
    if not technician.confirm(action, STEP_BOUND_S):
        raise ProcedureError(
            f"not confirmed within {STEP_BOUND_S:g} s: {action.text}; run the procedure again"
        )


def verify_calibration(
    link: TableLink, technician: Technician, loads_kg: Sequence[float], device_max_n: float
) -> Verdict:
    """Tare unloaded, read each reference load on both channels, read zero again, judge."""
    problems = plan_problems(loads_kg, device_max_n)
    if problems:
        raise ProcedureError("these reference loads cannot verify it: " + "; ".join(problems))
    link.connect()
    tel = _idle_board(link)
    if tel.has(Status.FAULT):
        link.fault_reset()
    _confirmed(
        technician,
        Action(Act.UNLOAD, "Take the harness off the cord: nothing may hang on the load cell"),
    )
    _settle(link)
    link.tare()
    readings = []
    for kg in sorted(set(loads_kg)):
        _confirmed(
            technician,
            Action(
                Act.HANG,
                f"Hang reference weights of {kg:g} kg in total ({newtons(kg):.1f} N) on the "
                f"cord, hanging free and still",
                kg,
            ),
        )
        _settle(link)
        a, b = _average(link, AVERAGE_S)
        readings.append(Reading(kg, round(a, 3), None if b is None else round(b, 3)))
        log.info("calibration point", kg=kg, force_a_n=round(a, 2), force_b_n=b)
    _confirmed(technician, Action(Act.UNLOAD, "Take every reference weight off the cord"))
    _settle(link)
    a, b = _average(link, AVERAGE_S)
    unloaded = Reading(0.0, round(a, 3), None if b is None else round(b, 3))
    return judge(readings, unloaded, device_max_n)


@dataclass(frozen=True, slots=True)
class StepResult:
    key: str
    passed: bool
    detail: str


class _Steps(list[StepResult]):
    """The steps so far; each appended one is told to the listener (the console's screen)."""

    def __init__(self, listener: Callable[[StepResult], None] | None) -> None:
        super().__init__()
        self._listener = listener

    def append(self, step: StepResult) -> None:
        super().append(step)
        if self._listener is not None:
            self._listener(step)


@dataclass(slots=True, init=False)
class DailyResult:
    steps: list[StepResult]

    def __init__(self, on_step: Callable[[StepResult], None] | None = None) -> None:
        self.steps = _Steps(on_step)

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(s.passed for s in self.steps)

    @property
    def failures(self) -> list[str]:
        return [f"{s.key}: {s.detail}" for s in self.steps if not s.passed]

    def as_data(self) -> dict[str, Any]:
        return {"passed": self.passed, "steps": [asdict(s) for s in self.steps]}


def _watch(link: TableLink, step: Step) -> StepResult:
    assert step.watch is not None
    clock = link.clock
    deadline = clock.now() + STEP_BOUND_S
    while True:
        tel = link.read_telemetry()
        if tel.has(step.watch) is step.want:
            return StepResult(step.key, True, f"seen by the board ({step.watch.name})")
        if clock.now() >= deadline:
            return StepResult(
                step.key,
                False,
                f"the board did not show it within {STEP_BOUND_S:g} s "
                f"({step.watch.name} {'set' if step.want else 'clear'} expected): "
                f"check the wiring, do not treat",
            )
        clock.sleep_until(clock.now() + POLL_S)


def daily_check(
    link: TableLink,
    technician: Technician,
    on_step: Callable[[StepResult], None] | None = None,
) -> DailyResult:
    """Every step, in order, each recorded (and told to `on_step` as it ends); then the
    latched faults reset."""
    link.connect()
    tel = _idle_board(link)
    result = DailyResult(on_step)
    if not tel.has(Status.PATIENT_SWITCH_CONNECTED):
        result.steps.append(
            StepResult("patient switch connected", False, "plug the patient's hand switch in")
        )
        return result
    for step in DAILY_STEPS:
        if step.watch is None:
            ok = technician.confirm(step.action, STEP_BOUND_S)
            result.steps.append(
                StepResult(
                    step.key,
                    ok,
                    "confirmed by the technician"
                    if ok
                    else f"not confirmed within {STEP_BOUND_S:g} s: replace it before treating",
                )
            )
        else:
            technician.show(step.action)
            result.steps.append(_watch(link, step))
    result.steps.append(_reset(link))
    return result


def _reset(link: TableLink) -> StepResult:
    try:
        tel = link.fault_reset()
    except LinkError as exc:
        return StepResult("faults reset", False, f"the reset could not be sent: {exc}")
    if tel.has(Status.FAULT):
        return StepResult(
            "faults reset",
            False,
            f"{tel.fault.name} still latched after the reset: its cause is still present",
        )
    return StepResult("faults reset", True, "the board cleared the switch and e-stop faults")
