"""The simulated technician: does each action on the simulated table, and says yes.

Wired by the composition root to the simulator's injection catalogue (`reference-load`,
`patient-press`, `estop-open`, ...), so that the procedures run end to end on `sim://` and
in tests exactly as a person would run them at a real table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog

from controller.maintenance.calibration import newtons
from controller.maintenance.technician import Act, Action

log = structlog.get_logger(__name__)
Inject = Callable[[str, Mapping[str, object]], None]
_INJECTIONS: dict[Act, tuple[str, bool]] = {  # act -> injection, whether it takes the weight
    Act.UNLOAD: ("reference-load", True),
    Act.HANG: ("reference-load", True),
    Act.PRESS_PATIENT: ("patient-press", False),
    Act.RELEASE_PATIENT: ("patient-release", False),
    Act.OPEN_ESTOP: ("estop-open", False),
    Act.CLOSE_ESTOP: ("estop-close", False),
}


class SimulatedTechnician:
    def __init__(self, inject: Inject) -> None:
        self._inject = inject

    def show(self, action: Action) -> None:
        name, weighted = _INJECTIONS[action.act]
        self._inject(name, {"force_n": newtons(action.kg)} if weighted else {})
        log.info("simulated technician", act=action.act.value, kg=action.kg or None)

    def confirm(self, action: Action, timeout_s: float) -> bool:
        if action.act in _INJECTIONS:
            self.show(action)
        return True
