"""The simulated amplifier: raw surface EMG drawn from the muscles' envelope, as a stream.

Why raw samples rather than the envelope: the host must filter, rectify and judge electrode
contact itself, as it would behind a real amplifier, so the simulator hands it what an
amplifier streams: band-limited noise whose RMS is the true envelope, the mains' hum the
electrodes pick up, slow movement artefacts, and the electrode faults (flat line, hum only,
saturation). Seeded: the same seed gives the same samples.

Chunks are kept until taken; a late stream holds each back by its delay; a lost stream makes
none.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

import numpy as np

from sim.muscles import SIDES, Contact, Muscles

RATE_HZ = 1000.0  # what research sEMG amplifiers stream at least (20-450 Hz band)
MAINS_HUM_UV = 4.0  # hum with good contact: the host's notch removes it
OFF_MAINS_HUM_UV = 400.0  # an electrode off its skin picks up the mains
OFF_FLAT_NOISE_UV = 0.05  # a shorted lead: almost nothing
ARTEFACT_UV = 8.0  # slow movement artefact, below the host's 20 Hz high-pass
ARTEFACT_HZ = 1.3
FULL_SCALE_UV = 5000.0  # the amplifier's range: samples clip here
SATURATED_OFFSET_UV = 6000.0  # a saturated channel sits past full scale
MAX_KEPT_S = 30.0  # chunks nobody takes are dropped after this (nobody listening)
# White noise sampled at RATE_HZ fills 0-500 Hz; the host's 20-450 Hz band keeps 430/500 of
# its power, so the drawn RMS is raised to give the true envelope after the band-pass.
_BAND_SHARE = (450.0 - 20.0) / (RATE_HZ / 2)


class EmgChunk(NamedTuple):
    first_s: float  # the first sample's time on the simulator's clock
    samples: np.ndarray  # (n, 2), uV, left and right


class _Step(NamedTuple):
    """The muscles as they were over one step: drawn into samples when taken."""

    first: int  # index of the step's first sample
    n: int
    left_uv: float
    right_uv: float
    contact: tuple[Contact, Contact]


class EmgStream:
    """The muscles' state kept every step (cheap); samples drawn, vectorised, when taken."""

    def __init__(self, muscles: Muscles, *, seed: int = 0, mains_hz: float = 50.0) -> None:
        self.muscles = muscles
        self.mains_hz = mains_hz
        self.rate_hz = RATE_HZ
        self._rng = np.random.default_rng(seed)
        self._steps: deque[_Step] = deque()
        self._produced = 0  # samples produced so far (their index sets their time)

    def produce_until(self, t_s: float) -> None:
        """Keep the muscles' present state for the samples due up to `t_s`."""
        due = int(t_s * self.rate_hz + 1e-9) - self._produced
        if due <= 0:
            return
        first = self._produced
        self._produced += due
        faults = self.muscles.faults
        if faults.lost:
            return
        left, right = self.muscles.envelope_uv()
        contact = (faults.contact[SIDES[0]], faults.contact[SIDES[1]])
        self._steps.append(_Step(first, due, left, right, contact))
        oldest = self._produced - MAX_KEPT_S * self.rate_hz
        while self._steps and self._steps[0].first < oldest:
            self._steps.popleft()

    def take(self, now_s: float) -> list[EmgChunk]:
        """The samples that have reached the listener by `now_s` (a late stream's later),
        one chunk per run of steps without a gap."""
        late = self.muscles.faults.late_s
        due: list[_Step] = []
        while self._steps and self._steps[0].first / self.rate_hz + late <= now_s:
            due.append(self._steps.popleft())
        chunks: list[EmgChunk] = []
        run: list[_Step] = []
        for step in due:
            if run and step.first != run[-1].first + run[-1].n:
                chunks.append(self._draw(run))
                run = []
            run.append(step)
        if run:
            chunks.append(self._draw(run))
        return chunks

    def _draw(self, steps: list[_Step]) -> EmgChunk:
        counts = [s.n for s in steps]
        n = sum(counts)
        first = steps[0].first
        index = np.arange(first, first + n) / self.rate_hz
        hum = np.sin(2 * math.pi * self.mains_hz * index)
        artefact = ARTEFACT_UV * np.sin(2 * math.pi * ARTEFACT_HZ * index)
        columns = []
        for side in range(2):
            envelope = np.repeat([(s.left_uv, s.right_uv)[side] for s in steps], counts)
            contact = np.repeat([s.contact[side] for s in steps], counts)
            noise = self._rng.standard_normal(n)
            column = noise * (envelope / math.sqrt(_BAND_SHARE)) + MAINS_HUM_UV * hum + artefact
            column = np.where(contact == "saturated", column + SATURATED_OFFSET_UV, column)
            column = np.where(contact == "off-mains", OFF_MAINS_HUM_UV * hum + noise, column)
            column = np.where(contact == "off-flat", OFF_FLAT_NOISE_UV * noise, column)
            columns.append(np.clip(column, -FULL_SCALE_UV, FULL_SCALE_UV))
        return EmgChunk(first / self.rate_hz, np.column_stack(columns))
