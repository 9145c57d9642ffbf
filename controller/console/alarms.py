"""The console's alarm list, by IEC 60601-1-8 priority: pure, deterministic, property-tested.

Why latching: almost every alarm here comes from an event (a trip, a refused release, the end
of a treatment), not from a condition the console could watch go away; a technician who
looked away must still find it. So an alarm stays until it is acknowledged; acknowledging
silences it and marks it seen, and the list is cleared of acknowledged alarms only when a new
treatment starts. A new treatment cannot start over an unacknowledged alarm.

The exception is a condition the console watches between sessions (the link to the table):
its alarm is non-latching (IEC 60601-1-8 allows it where the condition is watched). It is
raised once while the condition lasts and leaves the list when the condition ends, so a
moment's loss of the link at idle is not an alarm that blocks the next treatment; the log
keeps both transitions and how long the condition lasted.

Audio pause (IEC 60601-1-8 "audio paused") silences the sound for AUDIO_PAUSE_S without
acknowledging anything; a new alarm ends the pause, because the technician paused what
they had heard, not what came after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Priority = Literal["high", "medium", "low"]
PRIORITIES: tuple[Priority, ...] = ("high", "medium", "low")  # most urgent first
AUDIO_PAUSE_S = 120.0
# IEC 60601-1-8 table 2: high flashes at 1.4-2.8 Hz, medium at 0.4-0.8 Hz, low is steady.
VISUAL: dict[str, str] = {"high": "flash-fast", "medium": "flash-slow", "low": "steady"}


@dataclass(slots=True)
class Alarm:
    key: int
    priority: Priority
    text: str
    what_to_do: str
    raised_s: float
    acknowledged_by: str | None = None
    condition: str = ""  # non-latching: the watched condition it stands for ("" = latching)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "priority": self.priority,
            "text": self.text,
            "what_to_do": self.what_to_do,
            "raised_s": round(self.raised_s, 3),
            "acknowledged_by": self.acknowledged_by,
        }


def rank(priority: str) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)


@dataclass
class AlarmBoard:
    audio_pause_s: float = AUDIO_PAUSE_S
    alarms: list[Alarm] = field(default_factory=list)
    paused_until_s: float | None = None
    _next_key: int = 1

    def raise_alarm(self, priority: Priority, text: str, now: float, what_to_do: str = "") -> Alarm:
        alarm = Alarm(self._next_key, priority, text, what_to_do, now)
        self._next_key += 1
        self.alarms.append(alarm)
        self.paused_until_s = None
        return alarm

    def raise_condition(
        self, condition: str, priority: Priority, text: str, now: float, what_to_do: str = ""
    ) -> Alarm:
        """The alarm of a watched condition: once while it lasts (no duplicate per check)."""
        for alarm in self.alarms:
            if alarm.condition == condition:
                return alarm
        alarm = self.raise_alarm(priority, text, now, what_to_do)
        alarm.condition = condition
        return alarm

    def end_condition(self, condition: str) -> list[Alarm]:
        """The condition is gone: its alarm leaves the list, acknowledged or not."""
        ended = [a for a in self.alarms if a.condition == condition]
        if ended:
            self.alarms = [a for a in self.alarms if a.condition != condition]
        return ended

    @property
    def unacknowledged(self) -> list[Alarm]:
        return [a for a in self.alarms if a.acknowledged_by is None]

    def acknowledge(self, by: str) -> list[Alarm]:
        """Acknowledge every alarm shown; returns those that were not yet acknowledged."""
        newly = self.unacknowledged
        for alarm in newly:
            alarm.acknowledged_by = by
        return newly

    def pause_audio(self, now: float) -> bool:
        """True when something was sounding (a pause with nothing to silence is refused)."""
        if not self.unacknowledged:
            return False
        self.paused_until_s = now + self.audio_pause_s
        return True

    def clear_acknowledged(self) -> None:
        self.alarms = self.unacknowledged

    def banner(self) -> Alarm | None:
        """The most urgent alarm, unacknowledged first, newest among equals."""
        if not self.alarms:
            return None
        return min(
            self.alarms,
            key=lambda a: (a.acknowledged_by is not None, rank(a.priority), -a.key),
        )

    def audio(self, now: float) -> str:
        """What the browser sounds: a priority's pattern, "paused", or "off"."""
        pending = self.unacknowledged
        if not pending:
            return "off"
        if self.paused_until_s is not None and now < self.paused_until_s:
            return "paused"
        return min((a.priority for a in pending), key=rank)

    def view(self, now: float) -> dict[str, object]:
        top = self.banner()
        until = self.paused_until_s if self.audio(now) == "paused" else None
        paused_left = 0.0 if until is None else max(0.0, until - now)
        return {
            "alarms": [
                a.as_json()
                for a in sorted(
                    self.alarms, key=lambda a: (a.acknowledged_by is not None, rank(a.priority))
                )
            ],
            "banner": None
            if top is None
            else {
                **top.as_json(),
                "visual": VISUAL[top.priority] if top.acknowledged_by is None else "steady",
            },
            "audio": self.audio(now),
            "audio_paused_s": round(paused_left, 1),
        }
