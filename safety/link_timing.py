"""Whether a link's transaction timeout fits the liveness limits.

The monitor tolerates `liveness.link_failures - 1` lost replies in a row and trips at the
next. That tolerance exists only if a lost reply costs less than the loop-gap limit (else the
first one already reads as a stalled loop and ends the treatment) and if the failures can be
counted before the board's watchdog lets go on its own (the host must notice first, as
limits.py already requires of the loop gap). A transaction timeout is chosen per target URL,
so this is checked for each session, before anything is sent.
"""

from __future__ import annotations

from safety.limits import SafetyLimits


def link_timing_problems(limits: SafetyLimits, *, timeout_s: float, period_s: float) -> list[str]:
    """Every rule the timeout breaks, each with its numbers; empty when it fits."""
    problems = []
    gap = timeout_s + period_s
    if gap >= limits.liveness.max_cycle_gap_s:
        problems.append(
            f"one lost reply would stall the loop {gap:.3f} s, not below "
            f"liveness.max_cycle_gap_s {limits.liveness.max_cycle_gap_s} s"
        )
    failures = limits.liveness.link_failures
    counted = period_s + failures * max(timeout_s, period_s)
    if counted >= limits.board.watchdog_s:
        problems.append(
            f"{failures} lost replies (liveness.link_failures) take {counted:.3f} s, not below "
            f"board.watchdog_s {limits.board.watchdog_s} s"
        )
    return problems
