"""The session's one event stream: transitions, trips, alarms and operator actions.

Why one stream: the recorder, the display, the console and HIL all need the same story of a
session, and each used to reconstruct it its own way (polling a list by index, diffing the
supervisor's counters). Now whoever knows something happened publishes it once, and every
subscriber hears it in the order it happened. Per-cycle samples are not events: they go to
the recorder's own queue.

Subscribers run in the publisher's thread (the control thread during a treatment) and must
only queue or copy; a subscriber that raises is logged once and dropped, never allowed to
stop the control loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

import structlog

log = structlog.get_logger(__name__)

EventData = dict[str, str | float | None]


class SessionEvent(NamedTuple):
    """Something that happened in the session, for the audit trail and every display."""

    time_s: float
    kind: str  # "state", "operator", "info", "refused", "fault", "alarm", "release"
    text: str
    data: EventData
    priority: str = "none"  # IEC 60601-1-8 sense for alarms and faults: high, medium, low


Subscriber = Callable[[SessionEvent], None]


class EventStream:
    def __init__(self) -> None:
        self.history: list[SessionEvent] = []
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber, *, replay: bool = True) -> None:
        """Add a subscriber; with replay it first hears everything published so far."""
        with self._lock:
            past = list(self.history) if replay else []
            self._subscribers.append(subscriber)
        for event in past:
            self._deliver(subscriber, event)

    def publish(self, event: SessionEvent) -> None:
        with self._lock:
            self.history.append(event)
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            self._deliver(subscriber, event)

    def _deliver(self, subscriber: Subscriber, event: SessionEvent) -> None:
        try:
            subscriber(event)
        except Exception as exc:
            log.error(
                "event subscriber failed; dropped", subscriber=repr(subscriber), error=str(exc)
            )
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)
