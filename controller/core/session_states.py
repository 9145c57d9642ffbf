"""The session state machine (transitions): which operator and safety events are legal when.

A patient's hand-switch press (the board's own safe release) is not a fault of the table:
`patient_stop` holds the session, released, in patient_stopped, from where the technician
may `resume` (after acknowledging; controller/run/session.py checks the rest) or `end` it.
Only a treatment that ran its whole plan is `complete`; one stopped before (by a person, the
system, a bound, or the patient) ends released in `stopped`, so no record or screen can show
a stopped treatment as complete.
auto_transitions off and invalid triggers raise, so a "resume" while running or a "start"
over a fault is an error, not a silent no-op; queued, and driven only from the control
thread. The abort path does not go through here: a safety trip reaches the board through
the safety supervisor directly, and the machine only records it with `fault`.
`docs/session-states.md` is generated from TRANSITIONS (`python -m controller.core.session_states`).
"""

from __future__ import annotations

import enum
from typing import Any

from transitions import Machine, MachineError


class State(enum.StrEnum):
    DISCONNECTED = "disconnected"
    IDLE = "idle"
    SELF_TEST = "self_test"
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    PATIENT_STOPPED = "patient_stopped"  # the patient pressed the hand switch: released, held
    STOPPING = "stopping"
    COMPLETE = "complete"  # the whole plan ran, released
    STOPPED = "stopped"  # ended before its plan's end, released (controller/core/end_reason.py)
    FAULTED = "faulted"


S = State
_LIVE = [
    S.IDLE,
    S.SELF_TEST,
    S.READY,
    S.RUNNING,
    S.PAUSED,
    S.PATIENT_STOPPED,
    S.STOPPING,
    S.COMPLETE,
    S.STOPPED,
]

_RAW: list[dict[str, Any]] = [
    {"trigger": "connect", "source": S.DISCONNECTED, "dest": S.IDLE},
    {"trigger": "begin_self_test", "source": S.IDLE, "dest": S.SELF_TEST},
    {"trigger": "self_test_passed", "source": S.SELF_TEST, "dest": S.READY},
    {"trigger": "self_test_failed", "source": S.SELF_TEST, "dest": S.IDLE},
    {"trigger": "start", "source": S.READY, "dest": S.RUNNING},
    {"trigger": "pause", "source": S.RUNNING, "dest": S.PAUSED},
    {"trigger": "resume", "source": [S.PAUSED, S.PATIENT_STOPPED], "dest": S.RUNNING},
    {"trigger": "patient_stop", "source": [S.RUNNING, S.PAUSED], "dest": S.PATIENT_STOPPED},
    {"trigger": "end", "source": S.PATIENT_STOPPED, "dest": S.STOPPED},
    {"trigger": "stop", "source": [S.RUNNING, S.PAUSED], "dest": S.STOPPING},
    {"trigger": "profile_done", "source": S.RUNNING, "dest": S.STOPPING},
    {"trigger": "released", "source": S.STOPPING, "dest": S.COMPLETE},
    {"trigger": "released_early", "source": S.STOPPING, "dest": S.STOPPED},
    {"trigger": "acknowledge", "source": [S.COMPLETE, S.STOPPED], "dest": S.IDLE},
    {"trigger": "fault", "source": _LIVE, "dest": S.FAULTED},
    {"trigger": "reset", "source": S.FAULTED, "dest": S.IDLE},
    {"trigger": "disconnect", "source": [*_LIVE, S.FAULTED], "dest": S.DISCONNECTED},
]


def _plain(value: Any) -> Any:
    """transitions treats Enum members as enum states; this machine names states by string."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value) if isinstance(value, State) else value


TRANSITIONS: list[dict[str, Any]] = [{k: _plain(v) for k, v in t.items()} for t in _RAW]
TREATING = frozenset({S.RUNNING, S.PAUSED, S.PATIENT_STOPPED, S.STOPPING})
ENDED = frozenset({S.COMPLETE, S.STOPPED, S.FAULTED})  # a session that ran has ended


class SessionStates:
    """The machine's model; `fire` is the only way to move it."""

    state: str

    def __init__(self) -> None:
        self.history: list[tuple[str, str, str]] = []
        self.machine = Machine(
            model=self,
            states=[s.value for s in State],
            transitions=TRANSITIONS,
            initial=S.DISCONNECTED.value,
            auto_transitions=False,
            queued=True,
            ignore_invalid_triggers=False,
        )

    @property
    def current(self) -> State:
        return State(self.state)

    def fire(self, trigger: str) -> State:
        before = self.state
        getattr(self, "trigger")(trigger)  # noqa: B009 - transitions adds `trigger` at run time
        self.history.append((before, trigger, self.state))
        return self.current

    def can(self, trigger: str) -> bool:
        return bool(self.machine.get_triggers(self.state).count(trigger))


def mermaid() -> str:
    """The state diagram, generated from TRANSITIONS."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.DISCONNECTED.value}"]
    for t in TRANSITIONS:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        for src in sources:
            lines.append(f"    {State(src).value} --> {State(t['dest']).value}: {t['trigger']}")
    return "\n".join(lines)


__all__ = ["ENDED", "TRANSITIONS", "MachineError", "SessionStates", "State", "mermaid"]

if __name__ == "__main__":
    import sys

    sys.stdout.write(
        "# Session states\n\nGenerated from `controller/core/session_states.py` by "
        "`python -m controller.core.session_states`.\n\n```mermaid\n" + mermaid() + "\n```\n"
    )
