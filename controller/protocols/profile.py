"""The setpoint profile: treatment time -> target force and phase name. Pure.

A protocol becomes a list of segments: ramps at the protocol's ramp rates and holds of their
stated length. Hold segments are marked `waits`: commercial tables start a hold's clock only
once the new force is reached, so the runner freezes treatment time while a hold waits for
the measured force (and while paused). The profile itself knows nothing of measurements.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from controller.protocols.models import (
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    Regressive,
    Static,
)

RELEASE_PHASE = "release"
Step = Static | Intermittent | Progressive | Regressive | Cyclic


@dataclass(frozen=True, slots=True)
class Segment:
    phase: str
    start_n: float
    end_n: float
    duration_s: float
    waits: bool = False  # a hold: its clock runs once the force has been reached
    step: int = 0  # the program step it belongs to (the final release: one past the last)
    rep: int = 0  # the repetition within its step (intermittent and cyclic; else 0)

    def at(self, dt: float) -> float:
        if self.duration_s <= 0.0:
            return self.end_n
        u = min(1.0, max(0.0, dt / self.duration_s))
        return self.start_n + (self.end_n - self.start_n) * u


@dataclass(frozen=True, slots=True)
class Setpoint:
    force_n: float
    phase: str
    segment: int
    waits: bool


class SetpointProfile:
    def __init__(self, segments: list[Segment]) -> None:
        if not segments:
            raise ValueError("a profile needs at least one segment")
        self.segments = segments
        self.starts: list[float] = []
        t = 0.0
        for seg in segments:
            self.starts.append(t)
            t += seg.duration_s
        self.total_s = t

    def at(self, t: float) -> Setpoint:
        """The target at treatment time t (clamped to the profile)."""
        t = min(max(t, 0.0), self.total_s)
        i = max(0, bisect.bisect_right(self.starts, t) - 1)
        while i < len(self.segments) - 1 and self.segments[i].duration_s <= 0.0:
            i += 1
        seg = self.segments[i]
        return Setpoint(seg.at(t - self.starts[i]), seg.phase, i, seg.waits)

    @property
    def peak_n(self) -> float:
        return max(max(s.start_n, s.end_n) for s in self.segments)

    def max_rates(self) -> tuple[float, float]:
        """The steepest planned rise and fall (N/s)."""
        up = down = 0.0
        for s in self.segments:
            if s.duration_s > 0:
                rate = (s.end_n - s.start_n) / s.duration_s
                up, down = max(up, rate), max(down, -rate)
        return up, down


class ProfileBuilder:
    def __init__(self, start_n: float, up_n_s: float, down_n_s: float) -> None:
        self.force = start_n
        self.up, self.down = up_n_s, down_n_s
        self.segments: list[Segment] = []
        self.step = self.rep = 0  # stamped on each segment, for retiming (retime.py)

    def ramp(self, phase: str, to_n: float, seconds: float | None = None) -> None:
        delta = to_n - self.force
        if delta == 0.0:
            return
        rate = self.up if delta > 0 else self.down
        duration = seconds if seconds is not None else abs(delta) / rate
        self.segments.append(
            Segment(phase, self.force, to_n, duration, step=self.step, rep=self.rep)
        )
        self.force = to_n

    def hold(self, phase: str, seconds: float) -> None:
        if seconds > 0:
            self.segments.append(
                Segment(phase, self.force, self.force, seconds, True, step=self.step, rep=self.rep)
            )


def build_profile(
    protocol: Static | Intermittent | Progressive | Regressive | Cyclic | Program,
    *,
    start_n: float | None = None,
) -> SetpointProfile:
    """The profile from the slack force (or `start_n`) to the final release at zero."""
    steps = protocol.steps if isinstance(protocol, Program) else [protocol]
    first = steps[0]
    b = ProfileBuilder(
        first.slack_take_up_n if start_n is None else start_n,
        first.ramp_up_n_s,
        first.ramp_down_n_s,
    )
    add_steps(b, steps, 0, len(steps) > 1)
    return SetpointProfile(b.segments)


def add_steps(
    b: ProfileBuilder, steps: Sequence[Step], first: int, numbered: bool, first_rep: int = 0
) -> None:
    """Steps `first`, `first + 1`, ... of a program, then the final release; the first one's
    repetitions are numbered from `first_rep` (the remainder of a retimed step)."""
    for n, step in enumerate(steps, start=first):
        b.step = n
        b.up, b.down = step.ramp_up_n_s, step.ramp_down_n_s
        _add(b, step, f"step {n + 1} " if numbered else "", first_rep if n == first else 0)
    b.step, b.rep = first + len(steps), 0
    if b.force > 0.0:
        b.ramp(RELEASE_PHASE, 0.0)
    else:  # already at zero: the release is instant, but the profile still ends in it
        b.segments.append(Segment(RELEASE_PHASE, 0.0, 0.0, 0.0, step=b.step))


def _add(b: ProfileBuilder, p: Step, prefix: str, first_rep: int = 0) -> None:
    """One step's segments; repetitions are numbered from `first_rep` (a retimed remainder)."""
    b.rep = first_rep
    if isinstance(p, Static):
        b.ramp(prefix + "ramp up", p.force_n)
        b.hold(prefix + "hold", p.duration_s)
    elif isinstance(p, Intermittent):
        for k, (last, hold_s, rest_s) in enumerate(
            _repeats(p.cycles, p.total_s, p.hold_s, p.rest_s)
        ):
            b.rep = first_rep + k
            b.ramp(prefix + "ramp up", p.hold_force_n)
            b.hold(prefix + "hold", hold_s)
            if not last or rest_s > 0:
                b.ramp(prefix + "ramp down", p.rest_force_n)
                b.hold(prefix + "rest", rest_s)
    elif isinstance(p, Progressive | Regressive):
        for k in range(p.steps):
            level = p.start_force_n + (p.end_force_n - p.start_force_n) * k / (p.steps - 1)
            b.ramp(prefix + f"to step {k + 1}", level)
            b.hold(prefix + f"step {k + 1}", p.step_s)
    else:
        b.rep = -1  # the lead-in is no cycle: a total does not count it (retime.py)
        b.ramp(prefix + "to base", p.base_force_n)
        cycle_s = p.rise_s + p.peak_s + p.fall_s + p.base_s
        for k, (_last, used, _) in enumerate(_repeats(p.cycles, p.total_s, cycle_s, 0.0)):
            b.rep = first_rep + k
            left = used
            cut = used < cycle_s  # a total cuts the last cycle; every phase of the rest is whole
            for phase, to_n, secs, hold in (
                ("rise", p.peak_force_n, p.rise_s, False),
                ("peak", p.peak_force_n, p.peak_s, True),
                ("fall", p.base_force_n, p.fall_s, False),
                ("base", p.base_force_n, p.base_s, True),
            ):
                take = min(secs, left) if cut else secs
                left -= take
                if take <= 0:
                    if secs > 0:  # the time is up: the cycle ends here
                        break
                    continue  # a phase of no length (peak_s or base_s 0): the next one
                if hold:
                    b.hold(prefix + phase, take)
                else:  # a whole ramp ends exactly at its level (no rounding left over)
                    whole = take >= secs
                    b.ramp(
                        prefix + phase,
                        to_n if whole else b.force + (to_n - b.force) * take / secs,
                        take,
                    )


def _repeats(
    cycles: int | None, total_s: float | None, a_s: float, b_s: float
) -> list[tuple[bool, float, float]]:
    """(last, first part, second part) per repetition; `total_s` cuts the last one short."""
    out: list[tuple[bool, float, float]] = []
    if cycles is not None:
        return [(i == cycles - 1, a_s, b_s) for i in range(cycles)]
    left = total_s or 0.0
    while left > 1e-9:
        a = min(a_s, left)
        left -= a
        b = min(b_s, left)
        left -= b
        out.append((left <= 1e-9, a, b))
    return out
