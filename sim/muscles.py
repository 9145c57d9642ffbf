"""The patient's paravertebral muscles: guarding against the pull, and relaxing under it.

Why this model: the host's EMG gate and relaxation figures need a patient who guards when the
pull rises too fast or too far and relaxes when it is held, in the literature's ranges (Lee et
al. 1996/1997: resting envelope 2.4-3.5 uV healthy, 4.8-7.0 uV in patients; lumbar traction
studies: the erector EMG high in the first cycle, back to baseline after about 4-6 minutes).

Per side, an activation `a` (0 relaxed, 1 full guarding) follows a drive: the force above the
patient's tolerance and the pull's rate above its rate tolerance, each relative to that
tolerance. It rises with `rise_tau_s` and relaxes with `relax_tau_s`; the tolerance grows
with the time under traction (habituation). The envelope is resting + guard x a; guarding
also stiffens the spine (the board's physics reads `stiffness_factor`). Spasms add a decaying
burst. Injections (sim/injection.py) take an electrode off, or stop or delay the stream.
Deterministic: no clock and no random numbers here (the raw signal is drawn in
sim/emg_signal.py from a seeded generator).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

STEP_S = 0.02  # the muscles' own step: 50 Hz is far above their time constants
DEFAULT_MUSCLES = "relaxed"
RATE_SMOOTHING_S = 0.2  # the pull's rate as the muscle spindles feel it, not tick noise
SPASM_DECAY_S = 6.0
MAX_ACTIVATION = 1.5
GRAVITY_M_S2 = 9.81
SIDES = ("left", "right")

Contact = Literal["good", "off-flat", "off-mains", "saturated"]


class MuscleProfile(BaseModel):
    """How one patient's back muscles answer the pull (sim/profiles/muscles.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    resting_uv: float = Field(gt=0, le=50)
    guard_uv: float = Field(ge=0, le=500)  # envelope added at full guarding
    tolerance_share_bw: float = Field(gt=0, le=2)  # force accepted unguarded, share of BW
    rate_tolerance_n_s: float = Field(gt=0, le=1000)
    rise_tau_s: float = Field(gt=0, le=60)
    relax_tau_s: float = Field(gt=0, le=600)
    habituation_s: float = Field(gt=0, le=7200)  # tolerance doubles after this time pulled
    stiffness_gain: float = Field(ge=0, le=3)  # spine stiffness added at full guarding
    right_share: float = Field(default=1.0, gt=0, le=3)  # right side's envelope / left's
    spasm_every_s: float = Field(default=0.0, ge=0, le=7200)  # 0: none of its own


@cache
def _table() -> dict[str, dict[str, object]]:
    text = files("sim.profiles").joinpath("muscles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def muscle_profile_names() -> list[str]:
    return sorted(_table())


def load_muscles(name: str) -> MuscleProfile:
    table = _table()
    if name not in table:
        known = ", ".join(muscle_profile_names())
        raise KeyError(f"unknown muscle profile {name!r}; known: {known}")
    return MuscleProfile.model_validate({"name": name, **table[name]})


@dataclass(slots=True)
class StreamFaults:
    """What the simulated amplifier's stream does wrong (injections)."""

    lost: bool = False  # the stream stops: no samples at all
    late_s: float = 0.0  # samples arrive this late
    contact: dict[str, Contact] = field(default_factory=lambda: dict.fromkeys(SIDES, "good"))

    def clear(self) -> None:
        self.lost = False
        self.late_s = 0.0
        self.contact = dict.fromkeys(SIDES, "good")


class Muscles:
    """Both sides' activation, stepped every STEP_S with the pull the patient feels."""

    def __init__(self, profile: MuscleProfile, weight_kg: float) -> None:
        self.profile = profile
        self.tolerance_n = profile.tolerance_share_bw * weight_kg * GRAVITY_M_S2
        self.activation = 0.0
        self.spasm = 0.0
        self.rate_n_s = 0.0
        self.pulled_s = 0.0  # time under a pull above a tenth of the tolerance
        self.time_s = 0.0
        self._last_force: float | None = None
        self._next_spasm_s = profile.spasm_every_s or math.inf
        self.faults = StreamFaults()

    def step(self, dt: float, force_n: float) -> None:
        p = self.profile
        last = force_n if self._last_force is None else self._last_force
        self._last_force = force_n
        raw_rate = (force_n - last) / dt
        self.rate_n_s += (raw_rate - self.rate_n_s) * min(1.0, dt / RATE_SMOOTHING_S)
        self.time_s += dt
        if force_n > 0.1 * self.tolerance_n:
            self.pulled_s += dt
        tolerance = self.tolerance_n * (1.0 + self.pulled_s / p.habituation_s)
        drive = (
            max(0.0, force_n - tolerance) / tolerance
            + max(0.0, self.rate_n_s - p.rate_tolerance_n_s) / p.rate_tolerance_n_s
        )
        drive = min(drive, MAX_ACTIVATION)
        tau = p.rise_tau_s if drive > self.activation else p.relax_tau_s
        self.activation += (drive - self.activation) * min(1.0, dt / tau)
        if self.time_s >= self._next_spasm_s:
            self.start_spasm()
            self._next_spasm_s += p.spasm_every_s
        self.spasm *= math.exp(-dt / SPASM_DECAY_S)

    def start_spasm(self, strength: float = 1.0) -> None:
        self.spasm = max(self.spasm, strength)

    @property
    def tone(self) -> float:
        """Guarding and spasm together, 0 relaxed."""
        return self.activation + self.spasm

    @property
    def stiffness_factor(self) -> float:
        return 1.0 + self.profile.stiffness_gain * min(self.tone, MAX_ACTIVATION)

    def envelope_uv(self) -> tuple[float, float]:
        """The true envelope (RMS, uV) under the left and right electrodes."""
        p = self.profile
        left = p.resting_uv + p.guard_uv * self.tone
        return left, left * p.right_share
