"""The muscle signal as the session sees it: pulled within the cycle, bounded, judged.

Why a watch between the source and the gate: a stream that stops, lags or comes from an
electrode off the skin must be a stated state, never a quiet envelope that reads as
relaxation. Every `PULL_EVERY_S` the watch takes what has arrived (never waiting), filters it
and states one of:

- starting: too few samples for the filters to have settled (the first half second);
- good: both channels' contact good, samples fresh;
- lost: no sample for `LOST_AFTER_S`;
- late: the newest sample older than `LATE_AFTER_S` on arrival (the stream lags or its clock
  drifted), or stamped in the future by more than that;
- contact: an electrode's signal is a flat line, the mains hum only, or saturated.

Only "good" is reliable; the gate and the figures use nothing else.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from controller.muscles.processing import Contact, EmgProcessor
from controller.muscles.source import MuscleSource

PULL_EVERY_S = 0.1  # 10 Hz: guarding builds over a second; the cycle stays cheap
LOST_AFTER_S = 0.5  # no sample for this long: the stream is lost
LATE_AFTER_S = 0.3  # samples this old on arrival: too late to gate a 100 Hz force loop on


class Signal(enum.StrEnum):
    STARTING = "starting"
    GOOD = "good"
    LOST = "lost"
    LATE = "late"
    CONTACT = "contact"


# What each state means to the people at the table.
SIGNAL_WORDS: dict[Signal, str] = {
    Signal.STARTING: "muscle signal starting",
    Signal.GOOD: "muscle signal good",
    Signal.LOST: "muscle signal lost",
    Signal.LATE: "muscle signal late",
    Signal.CONTACT: "EMG electrode contact lost",
}


@dataclass(frozen=True, slots=True)
class Reading:
    signal: Signal
    left_uv: float
    right_uv: float
    detail: str = ""  # which electrode and how, for a contact problem

    @property
    def reliable(self) -> bool:
        return self.signal is Signal.GOOD

    @property
    def envelope_uv(self) -> float:
        """The higher side: guarding on either side counts."""
        return max(self.left_uv, self.right_uv)


NO_READING = Reading(Signal.STARTING, math.nan, math.nan)


class MuscleWatch:
    def __init__(self, source: MuscleSource, mains_hz: float) -> None:
        self.source = source
        self.processor = EmgProcessor(source.rate_hz, mains_hz)
        self.reading = NO_READING
        self._next_pull_s: float | None = None
        self._last_sample_s: float | None = None
        self._lag_s = 0.0
        self.pulls = 0

    def update(self, now: float) -> Reading:
        """Pull and judge, at most every PULL_EVERY_S; otherwise the last reading."""
        if self._next_pull_s is not None and now < self._next_pull_s - 1e-9:
            return self.reading
        self._next_pull_s = now + PULL_EVERY_S
        if self._last_sample_s is None:
            self._last_sample_s = now  # the lost bound counts from the first pull
        pulled = self.source.pull(now)
        self.pulls += 1
        samples: np.ndarray = pulled.samples
        if samples.shape[0]:
            self.processor.feed(samples)
            self._last_sample_s = now
            if pulled.lag_s is not None:
                self._lag_s = pulled.lag_s
        self.reading = self._judge(now)
        return self.reading

    def _judge(self, now: float) -> Reading:
        views = self.processor.view()
        left, right = views[0].envelope_uv, views[1].envelope_uv
        assert self._last_sample_s is not None
        if now - self._last_sample_s > LOST_AFTER_S:
            return Reading(Signal.LOST, left, right, f"no sample for {LOST_AFTER_S:g} s")
        if abs(self._lag_s) > LATE_AFTER_S:
            return Reading(Signal.LATE, left, right, f"samples {self._lag_s:.2f} s old")
        if not self.processor.settled:
            return Reading(Signal.STARTING, left, right)
        bad = [
            f"{side}: {view.contact.value}"
            for side, view in zip(("left", "right"), views, strict=True)
            if view.contact is not Contact.GOOD
        ]
        if bad:
            return Reading(Signal.CONTACT, left, right, "; ".join(bad))
        return Reading(Signal.GOOD, left, right)
