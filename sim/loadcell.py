"""One load-cell channel: offset, gain error, noise, quantisation, saturation, and its faults.

Faults are states of the channel (stuck, drifting, noisy, dead, biased) so that they can be
injected and healed at any moment and combine as they would on a real bridge amplifier.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_NORMALS = 4096
_NORMALS_MASK = _NORMALS - 1


@dataclass(slots=True)
class ChannelFaults:
    stuck: bool = False
    drift_n_per_s: float = 0.0
    extra_noise_n: float = 0.0
    dead: bool = False
    bias_n: float = 0.0

    def clear(self) -> None:
        self.stuck = False
        self.drift_n_per_s = 0.0
        self.extra_noise_n = 0.0
        self.dead = False
        self.bias_n = 0.0


class LoadCell:
    __slots__ = (
        "_drift",
        "_faulty",
        "_i",
        "_largest_normal",
        "_last",
        "_lsb",
        "_normals",
        "_rng",
        "faults",
        "full_scale_n",
        "gain",
        "noise_n",
        "nominal_gain",
        "offset_n",
    )

    def __init__(
        self,
        rng: random.Random,
        *,
        offset_n: float,
        gain: float = 1.0,
        noise_n: float = 0.15,
        lsb_n: float = 0.02,
        full_scale_n: float = 1500.0,
    ) -> None:
        self._rng = rng
        self.offset_n = offset_n
        self.gain = gain
        self.nominal_gain = gain  # what the board's constants assume; `gain` may be wrong
        self.noise_n = noise_n
        self._lsb = lsb_n
        self.full_scale_n = full_scale_n
        self.faults = ChannelFaults()
        self._faulty = False
        # Noise from a seeded table of standard normals, walked with a random restart at
        # every wrap: same statistics as rng.gauss per sample at a fraction of its cost.
        self._normals = [rng.gauss(0.0, 1.0) for _ in range(_NORMALS)]
        self._largest_normal = max(map(abs, self._normals))  # the walk only reorders them
        self._i = 0
        self._drift = 0.0
        self._last = offset_n

    # --- faults (each keeps the fast-path flag in step) ---------------------------------------
    def stick(self) -> None:
        self.faults.stuck = True
        self._faulty = True

    def drift(self, rate_n_per_s: float) -> None:
        self.faults.drift_n_per_s = rate_n_per_s
        self._faulty = True

    def add_noise(self, sigma_n: float) -> None:
        self.faults.extra_noise_n = sigma_n
        self._faulty = True

    def kill(self) -> None:
        self.faults.dead = True
        self._faulty = True

    def bias(self, offset_n: float) -> None:
        self.faults.bias_n = offset_n
        self._faulty = True

    def heal(self) -> None:
        self.faults.clear()
        self._faulty = False
        self._drift = 0.0

    def skip(self, n: int) -> None:
        """`n` samples not taken (the firmware's batch path): the noise table walks on exactly
        as if they had been, so that the samples after them are the tick-by-tick ones."""
        end = self._i + n
        for _ in range(end // _NORMALS):  # each pass through index 0 restarts the walk
            self._normals.append(self._normals.pop(self._rng.randrange(_NORMALS)))
        self._i = end & _NORMALS_MASK

    @property
    def healthy(self) -> bool:
        """No fault injected: its readings are offset + gain x force + bounded noise."""
        return not self._faulty

    def error_bound_n(self) -> float:
        """The most a healthy reading can differ from offset + gain x force: noise and rounding."""
        return self.noise_n * self._largest_normal + self._lsb

    def sample(self, force_n: float, dt: float) -> float | None:
        """The raw (untared) reading in N, or None for an ADC error."""
        i = self._i = (self._i + 1) & _NORMALS_MASK
        if i == 0:
            self._normals.append(self._normals.pop(self._rng.randrange(_NORMALS)))
        noise = self._normals[i]
        if not self._faulty:
            value = self.offset_n + self.gain * force_n + noise * self.noise_n
            if -self.full_scale_n <= value <= self.full_scale_n:
                value = round(value / self._lsb) * self._lsb
                self._last = value
                return value
            return None
        f = self.faults
        if f.dead:
            return None
        if f.stuck:
            return self._last
        if f.drift_n_per_s:
            self._drift += f.drift_n_per_s * dt
        value = self.offset_n + self.gain * force_n + self._drift + f.bias_n
        value += noise * (self.noise_n + f.extra_noise_n)
        fs = self.full_scale_n
        if value > fs or value < -fs:
            return None  # saturated ADC reports an error, never a clipped number
        value = round(value / self._lsb) * self._lsb
        self._last = value
        return value
