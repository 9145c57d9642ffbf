"""The muscles in a treatment: the resting baseline, the gate, and what people are told.

Why one object: the treatment policy asks three things of the muscle signal -- has the
resting baseline been taken, how high may the setpoint go now, what to record -- and every
change of the signal's or the gate's state is told once, as it happens, on the session's
event stream (a lost signal in gated mode is a medium-priority alarm: the force holds).

The resting baseline: the mean envelope over `baseline_s` of good signal before the pull,
the patient lying still (repeatable: same length, same window, same filters). Bounded: if
the signal is not good for that long within `baseline_s x BASELINE_BOUND_FACTOR`, the
session goes on without one (the gate then uses its absolute floor) and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from controller.muscles.gate import GATE_WORDS, GateMode, GateSettings, GateState, MuscleGate
from controller.muscles.watch import NO_READING, SIGNAL_WORDS, MuscleWatch, Reading, Signal

BASELINE_S = 15.0  # the resting baseline's stated length
MIN_BASELINE_S = 3.0
BASELINE_BOUND_FACTOR = 3.0

# (kind, text, data, priority): what the monitor tells the session's event stream
Tell = Callable[[str, str, dict[str, str | float | None], str], None]


@dataclass(frozen=True, slots=True)
class MuscleSettings:
    mode: GateMode = GateMode.MONITOR
    baseline_s: float = BASELINE_S
    gate: GateSettings = field(default_factory=GateSettings)


class MuscleMonitor:
    def __init__(
        self, watch: MuscleWatch, settings: MuscleSettings, tell: Tell | None = None
    ) -> None:
        self.watch = watch
        self.settings = settings
        self.gate = MuscleGate(settings.mode, settings.gate)
        self.tell: Tell = tell or _silent
        self.reading: Reading = NO_READING
        self.baseline_uv: float | None = None
        self.baseline_done = False
        self._baseline_sum = 0.0
        self._baseline_good_s = 0.0
        self._baseline_start: float | None = None
        self._last_t: float | None = None
        self._told_signal: Signal | None = None
        self._told_gate = self.gate.state

    @property
    def mode(self) -> GateMode:
        return self.settings.mode

    @property
    def threshold_uv(self) -> float:
        return self.settings.gate.threshold_uv(self.baseline_uv)

    @property
    def gate_state(self) -> GateState:
        return self.gate.state

    def update(self, now: float) -> Reading:
        """Every cycle: pull and judge (the watch pulls only when due); tell a new state."""
        self.reading = self.watch.update(now)
        signal = self.reading.signal
        if signal is not self._told_signal and not (
            signal is Signal.STARTING and self._told_signal is None
        ):
            self._tell_signal(now, self.reading)
        return self.reading

    def take_baseline(self, now: float) -> bool:
        """One cycle of the resting baseline; True once it is taken (or given up)."""
        if self.baseline_done:
            return True
        dt = 0.0 if self._last_t is None else now - self._last_t
        self._last_t = now
        if self._baseline_start is None:
            self._baseline_start = now
            self.tell(
                "info",
                f"resting baseline: {self.settings.baseline_s:g} s, the patient lying still",
                {"baseline_s": self.settings.baseline_s},
                "none",
            )
        r = self.reading
        if r.reliable and math.isfinite(r.envelope_uv):
            self._baseline_sum += r.envelope_uv * dt
            self._baseline_good_s += dt
        if self._baseline_good_s >= self.settings.baseline_s - 1e-9:
            self.baseline_uv = self._baseline_sum / self._baseline_good_s
            self.baseline_done = True
            threshold = self.threshold_uv
            self.tell(
                "info",
                f"resting baseline {self.baseline_uv:.1f} uV"
                + (f"; the pull rises while under {threshold:.1f} uV" if self._gated else ""),
                {"baseline_uv": round(self.baseline_uv, 2), "threshold_uv": round(threshold, 2)},
                "none",
            )
        elif now - self._baseline_start > self.settings.baseline_s * BASELINE_BOUND_FACTOR:
            self.baseline_done = True
            self.tell(
                "alarm",
                f"resting baseline not taken ({SIGNAL_WORDS[r.signal]}): "
                + (
                    f"the gate uses its floor of {self.settings.gate.floor_uv:g} uV; check the "
                    "electrodes"
                    if self._gated
                    else "relaxation by EMG will be missing; check the electrodes"
                ),
                {"signal": r.signal.value},
                "medium" if self._gated else "low",
            )
        return self.baseline_done

    def ceiling(
        self,
        now: float,
        dt: float,
        setpoint_n: float,
        force_n: float,
        *,
        ramp_n_s: float,
        floor_n: float,
    ) -> float:
        """How high the setpoint may go this cycle (infinite while only monitoring)."""
        r = self.reading
        envelope = r.envelope_uv if r.reliable and math.isfinite(r.envelope_uv) else None
        step = self.gate.step(
            now,
            dt,
            envelope_uv=envelope,
            threshold_uv=self.threshold_uv,
            setpoint_n=setpoint_n,
            force_n=force_n,
            ramp_n_s=ramp_n_s,
            floor_n=floor_n,
        )
        if step.state is not self._told_gate:
            self._told_gate = step.state
            data: dict[str, str | float | None] = {
                "gate": step.state.value,
                "force_n": round(force_n, 1),
                "ceiling_n": round(step.ceiling_n, 1) if math.isfinite(step.ceiling_n) else None,
                "envelope_uv": None if envelope is None else round(envelope, 2),
            }
            self.tell("info", f"{GATE_WORDS[step.state]} at {force_n:.0f} N", data, "none")
        return step.ceiling_n

    @property
    def _gated(self) -> bool:
        return self.settings.mode is GateMode.GATED

    def _tell_signal(self, now: float, r: Reading) -> None:
        before = self._told_signal
        self._told_signal = r.signal
        words = SIGNAL_WORDS[r.signal] + (f" ({r.detail})" if r.detail else "")
        data: dict[str, str | float | None] = {
            "signal": r.signal.value,
            "from": None if before is None else before.value,
        }
        if r.signal in (Signal.GOOD, Signal.STARTING):
            self.tell("info", words, data, "none")
            return
        if self._gated:
            words += ": the force holds at no higher level; check the EMG amplifier"
            self.tell("alarm", words, data, "medium")
        else:
            self.tell("alarm", words + ": relaxation by EMG is not measured", data, "low")


def _silent(kind: str, text: str, data: dict[str, str | float | None], priority: str) -> None:
    return None
