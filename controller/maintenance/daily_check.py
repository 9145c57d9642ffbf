"""The daily check's steps, in order: what the technician does, what the board must show.

The switch and the e-stop are proved on the board itself (their STATUS bits seen to change),
not on the technician's word; the cord and the harness only a person can inspect, so those
steps are confirmations. Both a pressed switch and an opened e-stop latch a fault on the
board (ICD 4); the check ends by resetting it, which proves the reset path too.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.maintenance.technician import Act, Action
from firmware_bridge.icd import Status


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    action: Action
    watch: Status | None = None  # the STATUS bit that shows it done; None: a confirmation
    want: bool = True


DAILY_STEPS: tuple[Step, ...] = (
    Step(
        "patient switch pressed",
        Action(Act.PRESS_PATIENT, "Press the patient's hand switch and keep it pressed"),
        Status.PATIENT_STOP,
    ),
    Step(
        "patient switch released",
        Action(Act.RELEASE_PATIENT, "Let go of the patient's hand switch"),
        Status.PATIENT_STOP,
        want=False,
    ),
    Step(
        "e-stop opened",
        Action(Act.OPEN_ESTOP, "Press the emergency stop"),
        Status.ESTOP,
    ),
    Step(
        "e-stop closed",
        Action(Act.CLOSE_ESTOP, "Release the emergency stop (twist it out)"),
        Status.ESTOP,
        want=False,
    ),
    Step(
        "traction cord inspected",
        Action(
            Act.INSPECT,
            "Inspect the traction cord along its length: no fraying, kinks or cuts, "
            "the hook and its latch sound",
        ),
    ),
    Step(
        "harness inspected",
        Action(
            Act.INSPECT,
            "Inspect the harnesses and straps: stitching, buckles and hook-and-loop intact, clean",
        ),
    ),
)
