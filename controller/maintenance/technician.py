"""What a procedure asks of the person at the table, and who that person may be.

A procedure never assumes a keyboard: it states an Action and either watches the board for
it (a switch pressed shows in STATUS) or asks for a confirmation only a person can give (a
weight hung, a cord inspected). The person is a plug: a human at a terminal or a console,
or, on the simulator, a simulated technician who does each action on the simulated table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Act(enum.StrEnum):
    UNLOAD = "unload"  # nothing hangs on the load cell, the harness is off
    HANG = "hang"  # reference weights of `kg` in total hang on the load cell
    PRESS_PATIENT = "press-patient"
    RELEASE_PATIENT = "release-patient"
    OPEN_ESTOP = "open-estop"
    CLOSE_ESTOP = "close-estop"
    INSPECT = "inspect"  # look at something and confirm it is fit for use


@dataclass(frozen=True, slots=True)
class Action:
    act: Act
    text: str  # the instruction as the technician reads it
    kg: float = 0.0


class Technician(Protocol):
    def show(self, action: Action) -> None:
        """Tell the technician to do it; the board will show it done (or not, in time)."""

    def confirm(self, action: Action, timeout_s: float) -> bool:
        """Ask; True only for an explicit yes within timeout_s (no answer is a no)."""
