"""A repeating condition is logged once, then summarised with a count when it ends.

Why: a board that stops answering fails every control cycle, 100 times a second; a line or an
audit event per cycle buried the one message that mattered (issue: 100 lines/s, 9,400 events in
90 s). Transitions are what a reader needs: when it began, what it was, how long and how often.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import structlog


class RepeatedCondition:
    """One named condition (e.g. "no valid reply from the board") seen cycle after cycle.

    A run shorter than `announce_after` occurrences (a lost reply the safety layer tolerates)
    is only counted, and the count told once in `close`; a longer run is announced once when
    it reaches that length and summarised once when it ends.
    """

    def __init__(self, what: str, *, announce_after: int = 3, logger: Any = None) -> None:
        self.what = what
        self.announce_after = announce_after
        self.log = logger or structlog.get_logger(__name__)
        self.since_s: float | None = None
        self.kinds: Counter[str] = Counter()
        self.announced = False
        self.isolated = 0  # occurrences in runs too short to announce

    @property
    def active(self) -> bool:
        return self.since_s is not None

    def seen(self, now: float, kind: str, detail: str = "") -> bool:
        """Count one occurrence; True (and one log line) when the run reaches announce_after."""
        self.kinds[kind] += 1
        if self.since_s is None:
            self.since_s = now
        if self.announced or sum(self.kinds.values()) < self.announce_after:
            return False
        self.announced = True
        self.log.warning(
            self.what, kind=kind, detail=detail, since_s=round(self.since_s, 3), t=round(now, 3)
        )
        return True

    def ended(self, now: float, *, still: bool = False) -> dict[str, Any] | None:
        """The condition is gone (or, `still`, the watching ends with it on): one summary line
        if it was announced, and its figures."""
        if self.since_s is None:
            return None
        count = sum(self.kinds.values())
        summary = {
            "lasted_s": round(now - self.since_s, 3),
            "count": count,
            "kinds": dict(self.kinds),
        }
        if self.announced:
            self.log.warning(
                f"{self.what}: {'still so at the end' if still else 'ended'}", **summary
            )
        else:
            self.isolated += count
        self.since_s = None
        self.announced = False
        self.kinds.clear()
        return summary

    def close(self, now: float) -> None:
        """At the end of the loop: a run still on, and the isolated ones, told once."""
        self.ended(now, still=True)
        if self.isolated:
            self.log.info(f"{self.what}: isolated occurrences tolerated", count=self.isolated)
            self.isolated = 0
