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
    """One named condition (e.g. "no valid reply from the board") seen cycle after cycle."""

    def __init__(self, what: str, logger: Any = None) -> None:
        self.what = what
        self.log = logger or structlog.get_logger(__name__)
        self.since_s: float | None = None
        self.kinds: Counter[str] = Counter()

    @property
    def active(self) -> bool:
        return self.since_s is not None

    def seen(self, now: float, kind: str, detail: str = "") -> bool:
        """Count one occurrence; True (and one log line) only for the first of a run."""
        self.kinds[kind] += 1
        if self.since_s is not None:
            return False
        self.since_s = now
        self.log.warning(self.what, kind=kind, detail=detail, t=round(now, 3))
        return True

    def ended(self, now: float) -> dict[str, Any] | None:
        """The condition is gone: one summary line, and its figures (None if it was not on)."""
        if self.since_s is None:
            return None
        summary = {
            "lasted_s": round(now - self.since_s, 3),
            "count": sum(self.kinds.values()),
            "kinds": dict(self.kinds),
        }
        self.log.warning(f"{self.what}: ended", **summary)
        self.since_s = None
        self.kinds.clear()
        return summary
