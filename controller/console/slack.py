"""When the console's work may take the interpreter lock: in the control loop's slack.

Why: the console's channel thread shares the interpreter lock with the control thread. A
push built while the control thread wakes for its deadline holds that wake-up off for up
to the lock's hand-over (controller/core/realtime.py GIL_SWITCH_S): the console's share of the
loop's period error (bench.console_latency). Every cycle starts on a fixed grid of periods
and its work (FC23 round trip, safety, control) takes about a millisecond (bench.loop_jitter:
work p99 1.07-1.31 ms), so most of each period the control thread is asleep. A push that
waits, at most about a period, until that quiet part of the period keeps out of the
deadlines. Pure: clock readings in, a delay out; nothing here touches the loop.
"""

from __future__ import annotations

CYCLE_WORK_S = 0.0015  # a cycle's work from its start, with margin over its measured p99
PUSH_WORK_S = 0.001  # what a push may hold the lock for before the next cycle's start


def delay_s(now_s: float, cycle_start_s: float | None, period_s: float) -> float:
    """How long to wait so that a push runs between one cycle's work and the next start.

    `cycle_start_s` is the newest cycle's start on the same clock as `now_s` (None: no
    session). With no loop running, or one silent for over two periods (stopped, or late:
    a push then cannot disturb it more than the lateness has), there is nothing to wait for.
    """
    if cycle_start_s is None:
        return 0.0
    since = now_s - cycle_start_s
    if since < 0 or since > 2 * period_s:
        return 0.0
    phase = since % period_s
    if phase < CYCLE_WORK_S:
        return CYCLE_WORK_S - phase
    if phase > period_s - PUSH_WORK_S:
        return period_s - phase + CYCLE_WORK_S
    return 0.0
