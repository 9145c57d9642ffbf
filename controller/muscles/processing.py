"""Raw surface EMG to an envelope in microvolts, and whether the electrodes can be believed.

Why scipy.signal: the filters are the textbook ones (a 4th-order Butterworth band-pass at
20-450 Hz, the SENIAM band, and an IIR notch at the site's mains frequency), designed once as
second-order sections and run chunk by chunk with their state carried over, so a chunk of
any length gives the same output as the whole signal at once.

The envelope is the RMS of the filtered signal over a sliding window (`WINDOW_S`), per
channel. The contact check looks at the raw signal over the same window: a flat line (a lead
off or shorted), the mains dominating (an electrode off its skin picks up the hum), or
samples at the amplifier's full scale (saturated). Any of them makes the channel unreliable.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

BAND_HZ = (20.0, 450.0)
BAND_ORDER = 4
NOTCH_Q = 30.0
WINDOW_S = 0.25  # RMS window: long enough to smooth, short enough to follow guarding
FLAT_UV = 0.5  # a raw signal whose RMS (mean removed) is below this is a flat line
MAINS_DOMINATED_RATIO = 5.0  # mains hum RMS above this many envelopes: off the skin
FULL_SCALE_UV = 5000.0  # an amplifier's range (sim/emg_signal.py uses the same)
SATURATED_SHARE = 0.01  # this share of a window's samples at full scale: saturated
_FULL_SCALE_MARGIN = 0.98


class Contact(enum.StrEnum):
    GOOD = "good"
    FLAT = "flat line"
    MAINS = "mains hum only"
    SATURATED = "saturated"


@dataclass(frozen=True, slots=True)
class ChannelView:
    envelope_uv: float
    contact: Contact


class EmgProcessor:
    """Band-pass, notch, RMS envelope and contact check for the left and right channels."""

    def __init__(self, rate_hz: float, mains_hz: float, *, channels: int = 2) -> None:
        if rate_hz < 2 * BAND_HZ[1] + 1:
            raise ValueError(f"an EMG rate of {rate_hz:g} Hz cannot carry the 20-450 Hz band")
        from scipy import signal  # here, not at import: 0.7 s that every `traction` would pay

        self._sosfilt = signal.sosfilt
        band = signal.butter(BAND_ORDER, BAND_HZ, btype="bandpass", fs=rate_hz, output="sos")
        b, a = signal.iirnotch(mains_hz, NOTCH_Q, fs=rate_hz)
        self.sos = np.vstack([band, signal.tf2sos(b, a)])
        self.rate_hz = rate_hz
        self.mains_hz = mains_hz
        self.channels = channels
        self._zi = np.zeros((self.sos.shape[0], 2, channels))
        self._window = max(1, round(WINDOW_S * rate_hz))
        self._filtered = np.zeros((0, channels))
        self._raw = np.zeros((0, channels))
        self._produced = 0  # samples seen so far (the mains phase of the next one)
        self._judged_at = -self._window  # when the contact was last judged (samples)
        self._contacts = [Contact.GOOD] * channels
        self.samples_seen = 0
        self._warm_up()

    def _warm_up(self) -> None:
        """Run every path once before the control loop does: scipy and numpy load parts of
        themselves on first use, which once cost a real-time cycle 90 ms (a LOOP_OVERRUN)."""
        self.feed(np.zeros((self._window, self.channels)))
        self.view()
        self._judge_contact(np.ones(self.channels))
        self._zi = np.zeros_like(self._zi)
        self._filtered = np.zeros((0, self.channels))
        self._raw = np.zeros((0, self.channels))
        self._produced = self.samples_seen = 0
        self._judged_at = -self._window
        self._contacts = [Contact.GOOD] * self.channels
        self.samples_seen = 0

    def feed(self, raw_uv: np.ndarray) -> None:
        """Filter a chunk (n, channels) and keep the last window of raw and filtered samples."""
        if raw_uv.shape[0] == 0:
            return
        filtered, self._zi = self._sosfilt(self.sos, raw_uv, axis=0, zi=self._zi)
        w = self._window
        self._filtered = np.concatenate([self._filtered, filtered])[-w:]
        self._raw = np.concatenate([self._raw, raw_uv])[-w:]
        self._produced += raw_uv.shape[0]
        self.samples_seen += raw_uv.shape[0]

    @property
    def settled(self) -> bool:
        """A full window seen: the filters' start-up is behind, the envelope means something."""
        return self.samples_seen >= 2 * self._window

    def view(self) -> list[ChannelView]:
        """Each channel's envelope over the last window, and its contact as last judged (a
        new judgement once a window's worth of new samples has come)."""
        if self._filtered.shape[0] == 0:
            return [ChannelView(math.nan, Contact.GOOD) for _ in range(self.channels)]
        envelope = np.sqrt(np.mean(self._filtered**2, axis=0))
        if self._produced - self._judged_at >= self._window:
            self._contacts = self._judge_contact(envelope)
            self._judged_at = self._produced
        return [ChannelView(float(envelope[i]), self._contacts[i]) for i in range(self.channels)]

    def _judge_contact(self, envelope: np.ndarray) -> list[Contact]:
        raw = self._raw
        spread = np.std(raw, axis=0)
        n = raw.shape[0]
        t = (np.arange(self._produced - n, self._produced)) / self.rate_hz
        phase = np.exp(-2j * math.pi * self.mains_hz * t)
        hum_rms = np.abs(2.0 / n * (phase @ (raw - raw.mean(axis=0)))) / math.sqrt(2.0)
        at_scale = np.mean(np.abs(raw) >= _FULL_SCALE_MARGIN * FULL_SCALE_UV, axis=0)
        out = []
        for i in range(self.channels):
            if at_scale[i] >= SATURATED_SHARE:
                out.append(Contact.SATURATED)
            elif spread[i] < FLAT_UV:
                out.append(Contact.FLAT)
            elif hum_rms[i] > MAINS_DOMINATED_RATIO * max(float(envelope[i]), FLAT_UV):
                out.append(Contact.MAINS)
            else:
                out.append(Contact.GOOD)
        return out
