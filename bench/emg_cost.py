"""What the muscle signal costs the control cycle: the watch, the filters and the gate.

A treatment's cycle asks the muscle monitor for its reading every cycle (the watch pulls and
filters every 0.1 s, 100 samples of 2 channels at 1000 Hz) and, while the pull is gated, for
the gate's ceiling. Here the same objects run on the simulated amplifier's samples, timed
per control cycle with perf_counter over `--seconds` of signal: the mean, p99 and max per
cycle, and per pull (the cycles that filter). The simulated amplifier draws its samples when
they are pulled, so each pull's figure includes that drawing too: an upper bound of what an
LSL pull costs. The loop's period with EMG on, on the wall clock
over LSL, is `python -m bench.loop_jitter --emg`.

    python -m bench.emg_cost [--seconds 600]
"""

from __future__ import annotations

import argparse
import time

from bench.stats import percentile
from controller.app.composition import open_link, open_muscles
from controller.core.control_loop import PERIOD_S
from controller.muscles.gate import GateMode
from controller.muscles.monitor import MuscleMonitor, MuscleSettings
from controller.muscles.watch import MuscleWatch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=600.0)
    args = ap.parse_args()
    opened = open_link("sim://?seed=1")
    board = opened.board
    assert board is not None
    source = open_muscles("sim://?muscles=guarding", opened)
    monitor = MuscleMonitor(
        MuscleWatch(source, 50.0), MuscleSettings(GateMode.GATED, baseline_s=5.0)
    )
    per_cycle: list[float] = []
    per_pull: list[float] = []
    cycles = round(args.seconds / PERIOD_S)
    now = 0.0
    for _ in range(cycles):
        now += PERIOD_S
        board.advance_to(now)  # the simulated patient and amplifier: not timed
        pulls = monitor.watch.pulls
        t0 = time.perf_counter()
        monitor.update(now)
        if not monitor.take_baseline(now):
            spent = time.perf_counter() - t0
        else:
            monitor.ceiling(now, PERIOD_S, 200.0, 150.0, ramp_n_s=20.0, floor_n=20.0)
            spent = time.perf_counter() - t0
        per_cycle.append(spent * 1e6)
        if monitor.watch.pulls > pulls:
            per_pull.append(spent * 1e6)
    print(
        f"muscle monitor per 10 ms control cycle ({cycles} cycles, {args.seconds:g} s of "
        f"2-channel EMG at 1000 Hz, gated): mean {sum(per_cycle) / len(per_cycle):.1f} us, "
        f"p99 {percentile(per_cycle, 99):.1f} us, max {max(per_cycle):.1f} us"
    )
    print(
        f"  the cycles that pull and filter ({len(per_pull)}, every 0.1 s): p50 "
        f"{percentile(per_pull, 50):.1f} us, p99 {percentile(per_pull, 99):.1f} us, "
        f"max {max(per_pull):.1f} us -- of a {PERIOD_S * 1e3:g} ms period"
    )


if __name__ == "__main__":
    main()
