"""What the Treatment screen shows of the running session, taken in the control thread.

Why a copy per cycle rather than reads from the web thread: the treatment's fields change
together in the control thread; the web thread must see one cycle's values, never half of
two. `LiveView.cycle` builds one immutable `Live` and swaps the reference (atomic in
Python), and every tenth cycle adds a point to the curve. Nothing here blocks or allocates
more than a tuple: the control loop's deadlines come first.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import NamedTuple

from controller.core.control_loop import CycleRecord
from controller.core.treatment import Treatment
from controller.muscles.gate import GATE_WORDS, GateMode
from controller.muscles.watch import SIGNAL_WORDS, Signal

CURVE_EVERY = 10  # cycles per curve point: 10 points/s at 100 Hz
CURVE_POINTS = 99 * 60 * 10  # the longest session (99 min) at 10 points/s
CURVE_SENT_MAX = 3000  # points sent to a client that (re)joins mid-session


class Live(NamedTuple):
    t_s: float  # session time of the sample (the control loop's clock)
    state: str
    phase: str
    target_n: float | None
    force_n: float | None
    timer_s: float
    total_s: float
    phase_left_s: float | None
    offset_n: float
    cycle: int
    at_s: float  # the sample's time on the loop's (monotonic) clock, for latency figures
    emg_uv: float | None = None  # the muscles' envelope, when the signal is reliable
    emg_baseline_uv: float | None = None
    emg_threshold_uv: float | None = None
    muscles: str = ""  # the gate's or the signal's state in words ("": none connected)


class CurvePoint(NamedTuple):
    t_s: float
    target_n: float | None
    force_n: float | None
    emg_uv: float | None = None


class LiveView:
    def __init__(self) -> None:
        self.latest: Live | None = None
        self.t0_s: float | None = None
        self._curve: deque[CurvePoint] = deque(maxlen=CURVE_POINTS)
        self._lock = threading.Lock()
        self._cycles = 0

    def reset(self) -> None:
        with self._lock:
            self.latest, self.t0_s, self._cycles = None, None, 0
            self._curve.clear()

    def cycle(self, treatment: Treatment, record: CycleRecord) -> Live:
        """In the control thread, once per cycle."""
        if self.t0_s is None:
            self.t0_s = record.time_s
        t = record.time_s - self.t0_s
        tel = record.telemetry
        force = None if tel is None else round(tel.force_n, 2)
        target = None if treatment.target_n is None else round(treatment.target_n, 2)
        prof = treatment.profile
        timer = min(treatment.timer_s, prof.total_s)
        seg = prof.at(timer).segment
        phase_left = prof.starts[seg] + prof.segments[seg].duration_s - timer
        self._cycles += 1
        emg, baseline, threshold, words = _muscles(treatment)
        live = Live(
            round(t, 3),
            treatment.states.state,
            treatment.phase,
            target,
            force,
            round(timer, 2),
            round(prof.total_s, 2),
            round(max(0.0, phase_left), 2) if treatment.target_n is not None else None,
            treatment.offset_n,
            self._cycles,
            record.time_s,
            emg,
            baseline,
            threshold,
            words,
        )
        self.latest = live
        if self._cycles % CURVE_EVERY == 1:
            with self._lock:
                self._curve.append(CurvePoint(live.t_s, target, force, emg))
        return live

    def curve(self) -> list[CurvePoint]:
        """The curve so far, thinned to at most CURVE_SENT_MAX points."""
        with self._lock:
            points = list(self._curve)
        step = max(1, -(-len(points) // CURVE_SENT_MAX))
        return points[::step]


def _muscles(treatment: Treatment) -> tuple[float | None, float | None, float | None, str]:
    """The envelope, baseline, threshold and what the muscles mean to the pull, in words."""
    m = treatment.muscles
    if m is None:
        return None, None, None, ""
    r = m.reading
    emg = round(r.envelope_uv, 2) if r.reliable else None
    baseline = None if m.baseline_uv is None else round(m.baseline_uv, 2)
    if not r.reliable and r.signal is not Signal.STARTING:
        words = SIGNAL_WORDS[r.signal] + (f" ({r.detail})" if r.detail else "")
        if m.mode is GateMode.GATED:
            words = f"holding: {words}"
    elif not m.baseline_done:
        words = "resting baseline: the patient lying still"
    else:
        words = GATE_WORDS[m.gate_state]
    return emg, baseline, round(m.threshold_uv, 2), words
