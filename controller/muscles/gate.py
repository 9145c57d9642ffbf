"""EMG-gated traction as a ceiling on the setpoint: the muscles may hold or lower the pull,
never raise it.

Why a ceiling and not a second controller: the force loop and the limits alone decide force
(DEVELOPERS.md); the gate only caps the setpoint the profile asks for. Pure and deterministic:
a function of (state, envelope, setpoint, measured force, time), property-tested.

- open (the envelope below the threshold, or back below its release band): the ceiling
  follows the setpoint; held below it by an earlier guarding, it climbs back at
  `rise_share` of the protocol's ramp-up rate (gentler than the pull that provoked the
  guarding), never above the setpoint;
- holding (the envelope at or above the threshold): the ceiling is frozen at the lower of
  the setpoint and the force measured at the onset, and follows the setpoint down only;
- backing off (guarding for `back_off_after_s`): the ceiling drops by `back_off_share` of
  the force at the onset, again every `back_off_after_s` while guarding lasts, never below
  the slack force;
- no signal (lost, late, an electrode off, not yet settled): held as in holding, with no
  back-off: the treatment continues its plan at no higher force.

In monitoring mode (the default whenever a source is connected) the ceiling is infinite.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

THRESHOLD_RATIO = 1.5  # guarding: the envelope 1.5x its resting baseline...
THRESHOLD_FLOOR_UV = 5.0  # ...and at least 5 uV (Lee et al.: above 5 uV, high tension)
RELEASE_SHARE = 0.85  # reopen below 85 % of the threshold: no chatter at the threshold
BACK_OFF_AFTER_S = 8.0
BACK_OFF_SHARE = 0.1
RISE_SHARE = 0.5  # after guarding, the ceiling climbs back at half the protocol's ramp rate


class GateMode(enum.StrEnum):
    MONITOR = "monitor"
    GATED = "gated"


class GateState(enum.StrEnum):
    MONITORING = "monitoring"
    OPEN = "open"
    HOLDING = "holding"
    BACKING_OFF = "backing off"
    NO_SIGNAL = "no signal"


# What the console and the report say of each state.
GATE_WORDS: dict[GateState, str] = {
    GateState.MONITORING: "monitoring muscles",
    GateState.OPEN: "rising: muscles relaxed",
    GateState.HOLDING: "holding: muscles guarding",
    GateState.BACKING_OFF: "easing off: muscles still guarding",
    GateState.NO_SIGNAL: "holding: no reliable muscle signal",
}
GUARDING = frozenset({GateState.HOLDING, GateState.BACKING_OFF})
HELD = frozenset({*GUARDING, GateState.NO_SIGNAL})  # the gate holds the setpoint down itself
HELD_NAMES = frozenset(s.value for s in HELD)  # as the samples keep them


@dataclass(frozen=True, slots=True)
class GateSettings:
    threshold_ratio: float = THRESHOLD_RATIO
    floor_uv: float = THRESHOLD_FLOOR_UV
    release_share: float = RELEASE_SHARE
    back_off_after_s: float = BACK_OFF_AFTER_S
    back_off_share: float = BACK_OFF_SHARE
    rise_share: float = RISE_SHARE

    def threshold_uv(self, baseline_uv: float | None) -> float:
        if baseline_uv is None or not math.isfinite(baseline_uv):
            return self.floor_uv
        return max(self.threshold_ratio * baseline_uv, self.floor_uv)


@dataclass(frozen=True, slots=True)
class GateStep:
    state: GateState
    ceiling_n: float
    onset_n: float  # the force at the onset of the present guarding (0: none)


class MuscleGate:
    def __init__(self, mode: GateMode, settings: GateSettings | None = None) -> None:
        self.mode = mode
        self.settings = settings or GateSettings()
        self.state = GateState.MONITORING if mode is GateMode.MONITOR else GateState.OPEN
        self.ceiling_n = math.inf
        self.onset_n = 0.0
        self._last_step_s = 0.0
        self._below = False  # held below the setpoint by a guarding or a lost signal

    def step(
        self,
        now: float,
        dt: float,
        *,
        envelope_uv: float | None,
        threshold_uv: float,
        setpoint_n: float,
        force_n: float,
        ramp_n_s: float,
        floor_n: float,
    ) -> GateStep:
        """One cycle: `envelope_uv` None when the signal is not reliable."""
        if self.mode is GateMode.MONITOR:
            return GateStep(self.state, math.inf, 0.0)
        s = self.settings
        if envelope_uv is None:
            if self.state is not GateState.NO_SIGNAL:
                self._freeze(setpoint_n, force_n)
                self.state = GateState.NO_SIGNAL
            self.ceiling_n = min(self.ceiling_n, setpoint_n)
        elif envelope_uv >= threshold_uv or (
            self.state in GUARDING and envelope_uv >= s.release_share * threshold_uv
        ):
            if self.state not in GUARDING:
                self._freeze(setpoint_n, force_n)
                self.onset_n = self.ceiling_n
                self.state = GateState.HOLDING
                self._last_step_s = now
            elif now - self._last_step_s >= s.back_off_after_s - 1e-9:
                step = s.back_off_share * self.onset_n
                self.ceiling_n = max(floor_n, min(self.ceiling_n, self.ceiling_n - step))
                self.state = GateState.BACKING_OFF
                self._last_step_s = now
            self.ceiling_n = min(self.ceiling_n, setpoint_n)
        else:
            if self.state is not GateState.OPEN:
                self.state = GateState.OPEN
                self.onset_n = 0.0
                if not math.isfinite(self.ceiling_n):
                    self.ceiling_n = force_n
            rising = self.ceiling_n + s.rise_share * max(ramp_n_s, 0.0) * dt
            if not self._below or not math.isfinite(rising) or rising >= setpoint_n:
                self._below = False  # caught up: the ceiling follows the setpoint again
                self.ceiling_n = setpoint_n
            else:
                self.ceiling_n = rising
        return GateStep(self.state, self.ceiling_n, self.onset_n)

    def _freeze(self, setpoint_n: float, force_n: float) -> None:
        self.ceiling_n = min(self.ceiling_n, setpoint_n, max(force_n, 0.0))
        self._below = True
