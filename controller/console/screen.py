"""What the console's pages render: the table's status, the alarms, the session on screen, its
events and the last session's summary, behind one lock.

Written by the table owner's thread and the session's control thread, read by the web layer
in any thread; `snapshot` is the whole of it as the page's JSON.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog

from controller.console.activity import Activity
from controller.console.alarms import PRIORITIES, AlarmBoard, Priority
from controller.console.checks import ConsoleTechnician
from controller.console.live import LiveView
from controller.console.presence import Presence
from controller.core.event_words import words_for
from controller.core.events import SessionEvent
from controller.muscles.summary import emg_lines, relaxation_lines
from controller.run.session import Outcome

log = structlog.get_logger(__name__)

EVENTS_KEPT = 500


@dataclass(slots=True)
class TableStatus:
    """The Table screen: the link, the board, the carriage, the limits, readiness."""

    device: str
    limits_file: str
    limits_sha256: str
    link: str = "not connected"
    identity: dict[str, Any] | None = None
    self_test: str = "not run"
    at_home: bool | None = None
    force_n: float | None = None
    position_mm: float | None = None
    fault: str | None = None
    message: str = ""
    readiness: list[str] = field(default_factory=list)  # why no treatment may start today
    accounts: bool = False  # the table asks everyone to sign in
    store: str = ""  # the records store, and whose it is (the table's, this login's)
    last_backup_at: str | None = None  # ISO 8601 UTC; the page shows its age
    health_record: dict[str, Any] | None = None  # `traction sync`'s state; None: none configured


class Screen:
    def __init__(
        self, table: TableStatus, presence: Presence, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lock = threading.RLock()
        self.table = table
        self.presence = presence
        self.clock = clock
        self.activity = Activity.STARTING
        self.alarms = AlarmBoard()
        self.live = LiveView()
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENTS_KEPT)
        self.event_seq = 0
        self.current: dict[str, Any] | None = None  # the session on screen (Treatment)
        self.summary: dict[str, Any] | None = None  # the last session's end (Summary)
        self.outcome: Outcome | None = None  # the last session's, whole: its misses, for benches
        self.procedure: ConsoleTechnician | None = None  # the daily check on screen

    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        live = self.live.latest
        with self.lock:
            return {
                "activity": self.activity.value,
                "table": asdict(self.table),
                "alarms": self.alarms.view(now),
                "current": self.current,
                "live": None if live is None else live._asdict(),
                "summary": self.summary,
                "procedure": None if self.procedure is None else self.procedure.view(),
                "clients": self.presence.clients,
                "sent_s": now,
            }

    def events_since(self, seq: int) -> tuple[int, list[dict[str, Any]]]:
        """The session's events after `seq`, and the newest seq (0: none yet)."""
        with self.lock:
            fresh = [e for e in self.events if e["seq"] > seq]
            return self.event_seq, fresh

    def new_session(self, current: dict[str, Any]) -> None:
        """A treatment asked for: the last one's events, curve and summary leave the screen."""
        with self.lock:
            self.alarms.clear_acknowledged()
            self.events.clear()
            self.live.reset()
            self.summary = None
            self.current = current

    def on_event(self, event: SessionEvent) -> None:
        """A subscriber of the session's stream (control thread): copy, raise alarms."""
        t0 = self.live.t0_s
        with self.lock:
            self.event_seq += 1
            self.events.append(
                {
                    "seq": self.event_seq,
                    "t_s": None if t0 is None else round(event.time_s - t0, 2),
                    "kind": event.kind,
                    "priority": event.priority,
                    "text": words_for(event),  # the trigger names stay in the record
                }
            )
            if event.priority in PRIORITIES:
                priority: Priority = event.priority
                what = event.data.get("what_to_do")
                self.alarms.raise_alarm(priority, event.text, self.clock(), str(what or ""))

    def say(self, text: str) -> None:
        """The Table screen's message line (and the log)."""
        with self.lock:
            self.table.message = text
        log.info("console", message=text)

    def not_started(self, why: str, *, self_test: bool = False) -> None:
        with self.lock:
            if self_test:
                self.table.self_test = f"failed: {why}"
            self.alarms.raise_alarm("medium", f"treatment not started: {why}", self.clock())
            self.current = None
        self.say(f"treatment not started: {why}")

    def ended(self, outcome: Outcome, session_id: int, report: bool) -> None:
        """The Summary screen for a session that ran (shown from its end on, to every page)."""
        acc, end = outcome.accuracy, outcome.end
        summary = {
            "session_id": session_id,
            "outcome": outcome.label,
            "end": end.reason.name,
            "words": end.words,
            "state": outcome.state.value,
            "stopped_by": end.by or None,
            "why": [t.describe() for t in outcome.trips]
            or [e.text for e in outcome.treatment.log.events if e.kind == "alarm"],
            "accuracy": {
                "hold_samples": acc.hold_samples,
                "mean_error_n": round(acc.mean_error_n, 2),
                "peak_error_n": round(acc.peak_error_n, 2),
                "overshoot_n": round(acc.overshoot_n, 2),
                "meets": acc.meets,
            },
            "deadline_misses": outcome.loop.deadline_misses,
            "relaxation": [
                *relaxation_lines(outcome.relaxation.as_dict()),
                *emg_lines(None if outcome.emg is None else outcome.emg.as_dict()),
            ],
            "report": f"/api/sessions/{session_id}/report.png" if report else None,
            "current": self.current,
        }
        with self.lock:
            self.summary = summary

    def acknowledger(self) -> str:
        """Who acknowledged the alarms last, as the record names an operator."""
        names = [a.acknowledged_by for a in self.alarms.alarms if a.acknowledged_by]
        return f"operator {names[-1]}" if names else "operator"
