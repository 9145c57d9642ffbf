"""Why a session ended: a fact set once, where the session ends, and read by everything after.

The exit code of `traction run`, the words printed, the console's end alarm and summary and
the record's outcome are all taken from one `SessionEnd`; none of them re-reads event text
to guess who ended a session (that is how a session the patient stopped once read
"complete"). docs/controller.md has the table of every reason with what each front end says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from controller.core.session_states import State

EXIT_COMPLETE = 0
EXIT_TABLE = 1  # a table, link or records problem
EXIT_INVALID = 2  # refused before anything was sent
EXIT_SAFETY = 3  # a safety fault, the patient's stop, or a safety bound ended it
EXIT_STOPPED_EARLY = 5  # stopped before its end at a person's or the system's request, released
ACK_BOUND_S = 600.0  # the end alarm waits this long for a technician, at a terminal or console


class EndReason(enum.Enum):
    """Who or what ended a session that ran; its value is the record's name for it."""

    COMPLETE = "complete"
    STOPPED_BY_OPERATOR = "stopped by the operator"
    STOPPED_BY_SYSTEM = "stopped by the system"  # a signal: shutdown, a closed terminal
    CONSOLE_LOST = "console lost"
    TIME_BOUND = "over its time bound"
    RECORDS_FAILED = "records could not be written"
    STOPPED_BY_PATIENT = "stopped by the patient"
    FAULTED = "faulted"

    @property
    def exit_code(self) -> int:
        return _EXIT[self]

    @property
    def last_state(self) -> State:
        """The state a session with this end is left in: only a whole treatment is complete."""
        if self is EndReason.COMPLETE:
            return State.COMPLETE
        return State.FAULTED if self is EndReason.FAULTED else State.STOPPED


_EXIT = {
    EndReason.COMPLETE: EXIT_COMPLETE,
    EndReason.STOPPED_BY_OPERATOR: EXIT_STOPPED_EARLY,
    EndReason.STOPPED_BY_SYSTEM: EXIT_STOPPED_EARLY,
    EndReason.CONSOLE_LOST: EXIT_STOPPED_EARLY,
    EndReason.TIME_BOUND: EXIT_SAFETY,
    EndReason.RECORDS_FAILED: EXIT_TABLE,
    EndReason.STOPPED_BY_PATIENT: EXIT_SAFETY,
    EndReason.FAULTED: EXIT_SAFETY,
}


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """One session's end: the reason, who made it (for stops), and the patient's presses."""

    reason: EndReason
    by: str = ""
    presses: int = 0  # hand-switch presses during the session (resumed or not)

    @property
    def exit_code(self) -> int:
        return self.reason.exit_code

    @property
    def outcome(self) -> str:
        """The record's outcome, the summary's and the history's (unchanged names)."""
        r, n = self.reason, self.presses
        if r is EndReason.COMPLETE:
            return f"complete after {n} patient stop(s), resumed" if n else "complete"
        if r is EndReason.STOPPED_BY_PATIENT:
            return "stopped by patient" + (f" ({n} presses)" if n > 1 else "")
        if r is EndReason.RECORDS_FAILED:
            return "stopped: records could not be written"
        if r is EndReason.FAULTED:
            return "faulted"
        return f"stopped early by {self.by}"

    @property
    def words(self) -> str:
        """The end for people, after "session" (printed) or "treatment" (the alarm)."""
        r = self.reason
        if r is EndReason.COMPLETE:
            return "complete" + (
                f" (resumed after {self.presses} patient stop(s))" if self.presses else ""
            )
        if r is EndReason.STOPPED_BY_PATIENT:
            ended = f"; ended by {self.by}" if self.by else ""
            return f"stopped by the patient (hand switch), released{ended}"
        if r is EndReason.FAULTED:
            return "ended by a safety fault"
        if r is EndReason.RECORDS_FAILED:
            return "stopped, released: the records could not be written"
        if r is EndReason.TIME_BOUND:
            return "stopped, released: over its time bound"
        if r is EndReason.CONSOLE_LOST:
            return "stopped early, released: the console was lost"
        return f"stopped early by {self.by}, released"

    @property
    def alarm(self) -> tuple[str, str] | None:
        """The end-of-session alarm (text, priority) the technician acknowledges; a fault's
        own alarms stand for it (None)."""
        if self.reason is EndReason.FAULTED:
            return None
        return (f"treatment {self.words}: alarm until acknowledged", "low")


def markdown() -> str:
    """Every end reason with what each front end says of it (docs/controller.md)."""
    by = {
        EndReason.STOPPED_BY_OPERATOR: "operator tech-7",
        EndReason.STOPPED_BY_SYSTEM: "system (SIGTERM)",
        EndReason.CONSOLE_LOST: "console lost",
        EndReason.TIME_BOUND: "session time bound",
        EndReason.RECORDS_FAILED: "records",
        EndReason.STOPPED_BY_PATIENT: "nobody to answer (no terminal or console)",
        EndReason.FAULTED: "safety",
    }
    rows = [
        "| end reason | exit code | `traction run` prints | console end alarm (low) | "
        "record outcome | last state |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for reason in EndReason:
        end = SessionEnd(reason, by.get(reason, ""), 0)
        alarm = end.alarm
        rows.append(
            f"| {reason.name} | {end.exit_code} | session {end.words} | "
            f"{alarm[0] if alarm else '(the fault alarms, high)'} | {end.outcome} | "
            f"{reason.last_state.value} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    sys.stdout.write(markdown() + "\n")
