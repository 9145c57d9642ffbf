"""Stalls of the machine itself, seen by a process that does nothing but wake up on time.

Runs at a real-time priority above the control loop's and the simulated board's, wakes every
millisecond on absolute deadlines and notes each wake-up that came more than a threshold
late. Nothing in user space outranks it, so when it is late the machine (hypervisor, kernel,
interrupts) held that CPU off. One probe pinned to each CPU (`--cpu`) is how
bench/loop_jitter.py tells a missed control deadline of ours from one of the machine's.
Prints the stalls as JSON on SIGTERM or when its time is up: a list of [when the wake-up was
due (CLOCK_MONOTONIC), how late, s].
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import time
from types import FrameType

PROBE_PRIORITY = 60  # above controller.core.realtime.REALTIME_PRIORITY and the board's 40
PERIOD_S = 0.001
THRESHOLD_S = 0.002


def watch(seconds: float, threshold_s: float) -> list[tuple[float, float]]:
    stop: list[bool] = []

    def on_term(_sig: int, _frame: FrameType | None) -> None:
        stop.append(True)

    signal.signal(signal.SIGTERM, on_term)
    stalls: list[tuple[float, float]] = []
    due = time.monotonic()
    end = due + seconds
    while not stop and due < end:
        due += PERIOD_S
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        late = time.monotonic() - due
        if late > threshold_s:
            stalls.append((due, late))
            due = time.monotonic()  # start afresh: one stall is one entry
    return stalls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=3600.0)
    ap.add_argument("--threshold-ms", type=float, default=THRESHOLD_S * 1e3)
    ap.add_argument("--cpu", type=int, help="watch this CPU only (one probe per CPU)")
    ap.add_argument(
        "--priority",
        type=int,
        default=PROBE_PRIORITY,
        help="SCHED_FIFO priority; below 60 it also sees the real-time threads at or above it",
    )
    args = ap.parse_args()
    try:
        if args.cpu is not None:
            os.sched_setaffinity(0, {args.cpu})
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(args.priority))
    except (PermissionError, OSError) as exc:
        sys.exit(f"machine_stalls: needs SCHED_FIFO to mean anything: {exc}")
    gc.disable()  # its own pauses must not count as the machine's
    stalls = watch(args.seconds, args.threshold_ms / 1e3)
    json.dump(stalls, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
