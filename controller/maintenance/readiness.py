"""May a treatment start on this table today? Pure: judged on the maintenance log's entries.

Refused while the calibration verification is missing, failed or overdue, or while today's
daily check is missing or failed; each refusal names the procedure that lifts it, because
the technician at the table must know what to do, not only that something is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CALIBRATE = "`traction calibrate` (service: reference weights)"
DAILY = "the daily check (`traction daily-check`, or the console's Checks screen)"


@dataclass(frozen=True, slots=True)
class Entry:
    """The latest calibration or daily check as the log holds it."""

    day: date  # when it was done (the clinic's local date)
    passed: bool
    due: date | None = None  # calibration: valid up to and including this day
    summary: str = ""


class NotReady(RuntimeError):
    """A treatment must not start; the message says which procedure to run."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def readiness(calibration: Entry | None, daily: Entry | None, today: date) -> list[str]:
    problems = []
    if calibration is None:
        problems.append(f"no calibration verification on record: run {CALIBRATE}")
    elif not calibration.passed:
        problems.append(
            f"the calibration verification of {calibration.day} failed"
            + (f" ({calibration.summary})" if calibration.summary else "")
            + f": have the load cell serviced, then run {CALIBRATE}"
        )
    elif calibration.due is not None and calibration.due < today:
        problems.append(f"calibration overdue since {calibration.due}: run {CALIBRATE}")
    if daily is None or daily.day != today:
        problems.append(f"today's daily check is missing: run {DAILY}")
    elif not daily.passed:
        problems.append(
            "today's daily check failed"
            + (f" ({daily.summary})" if daily.summary else "")
            + f": put it right, then run {DAILY} again"
        )
    return problems


def require_ready(calibration: Entry | None, daily: Entry | None, today: date) -> None:
    problems = readiness(calibration, daily, today)
    if problems:
        raise NotReady(problems)
