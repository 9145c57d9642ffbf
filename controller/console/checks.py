"""The daily check from the console: the Checks screen is the technician's side of it.

The procedure (controller/maintenance/procedures.py) runs in the table-owner thread as any
other job; this plug shows each instruction on the screen and takes the technician's yes or
no from a button, bounded like every other wait (no answer is a no). On the simulated
table, the simulated technician does the physical steps (switch, e-stop) so that the check
can be run from the console alone; the confirmations stay the person's.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import asdict
from typing import Any

from controller.maintenance.procedures import StepResult
from controller.maintenance.technician import Action, Technician


class ConsoleTechnician:
    def __init__(self, operator: str, hands: Technician | None = None) -> None:
        self.operator = operator
        self._hands = hands  # the simulated technician on sim://, else the person
        self._answers: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._view: dict[str, Any] = {"name": "daily check", "step": "", "wait": "", "done": []}

    # --- the procedure's side (owner thread) --------------------------------------------------
    def show(self, action: Action) -> None:
        self._set(step=action.text, wait="board")
        if self._hands is not None:
            self._hands.show(action)

    def confirm(self, action: Action, timeout_s: float) -> bool:
        while not self._answers.empty():  # an answer given before the question is no answer
            self._answers.get_nowait()
        self._set(step=action.text, wait="confirm", bound_s=timeout_s)
        try:
            yes = self._answers.get(timeout=timeout_s)
        except queue.Empty:
            yes = False
        self._set(wait="")
        return yes

    def step_done(self, step: StepResult) -> None:
        with self._lock:
            self._view["done"] = [*self._view["done"], asdict(step)]

    def finished(self, passed: bool) -> None:
        self._set(step="", wait="", result="passed" if passed else "FAILED")

    # --- the screen's side (web threads) ------------------------------------------------------
    def answer(self, yes: bool) -> bool:
        """True when a question was waiting for it."""
        with self._lock:
            waiting = self._view.get("wait") == "confirm"
        if waiting:
            self._answers.put(yes)
        return waiting

    def view(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._view)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._view.update(changes)
