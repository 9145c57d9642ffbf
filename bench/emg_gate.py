"""Open loop against EMG-gated traction, the same simulated patients side by side.

Each patient (muscle profile x seed) has the same lumbar intermittent treatment twice, in
virtual time: as planned (open loop, the muscles monitored) and EMG-gated. Printed per
muscle profile, as the literature reports it (Lee et al. 1996: closed-loop EMG-biofeedback
traction lowered paraspinal EMG against open loop): the mean envelope during holds, the time
to full force (the planned hold force within 2 %; "-" when it was never reached), the number
of guarding episodes, and the cycles in which the setpoint rose while the gate held (the
gate's promise, SR-053: 0). Then the electrode-free relaxation figures of each profile.

    python -m bench.emg_gate [--seeds 3] [--cycles 6]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from controller.app.composition import open_link, open_muscles
from controller.core import logs
from controller.muscles.monitor import MuscleSettings
from controller.protocols.models import Intermittent, ProtocolFile
from controller.run.session import Outcome, TreatmentSession
from safety.limits import load_limits
from sim.muscles import muscle_profile_names

WEIGHT_KG = 75.0
HOLD_N = 300.0
REACHED_SHARE = 0.98


@dataclass(frozen=True, slots=True)
class Row:
    muscles: str
    gated: bool
    mean_hold_uv: float
    to_full_s: float | None
    episodes: int
    raised: int
    index_pct: float | None
    stiffness_change_pct: float | None
    seconds: float


def treatment(cycles: int) -> Intermittent:
    return Intermittent(
        region="lumbar",
        hold_force_n=HOLD_N,
        hold_s=60.0,
        rest_force_n=100.0,
        rest_s=20.0,
        cycles=cycles,
    )


def one(muscles: str, seed: int, gated: bool, cycles: int) -> Row:
    opened = open_link(f"sim://?seed={seed}")
    source = open_muscles(f"sim://?muscles={muscles}&seed={seed}", opened)
    entry = ProtocolFile(name="emg-gate-bench", protocol=treatment(cycles), emg_gate=gated)
    session = TreatmentSession(
        opened.link,
        entry,
        load_limits(),
        WEIGHT_KG,
        muscles=source,
        muscle_settings=MuscleSettings(),
    )
    wall = time.perf_counter()
    out = session.run()
    return row(muscles, gated, out, time.perf_counter() - wall)


def row(muscles: str, gated: bool, out: Outcome, seconds: float) -> Row:
    emg = out.emg
    assert emg is not None
    samples = out.treatment.log.samples
    start = samples[0].time_s if samples else 0.0
    full = next((s.time_s for s in samples if s.force_n >= REACHED_SHARE * HOLD_N), None)
    return Row(
        muscles,
        gated,
        emg.mean_hold_uv or 0.0,
        None if full is None else full - start,
        emg.guarding_episodes,
        emg.raised_while_held,
        out.relaxation.mean_index_pct,
        out.relaxation.stiffness_change_pct,
        seconds,
    )


def _mean(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    return f"{statistics.fmean(known):.1f}" + ("" if len(known) == len(values) else "*")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cycles", type=int, default=6, help="hold and rest cycles per treatment")
    args = ap.parse_args()
    logs.configure("error")
    rows = [
        one(m, seed, gated, args.cycles)
        for m in muscle_profile_names()
        for seed in range(args.seeds)
        for gated in (False, True)
    ]
    print(
        f"EMG-gated against open loop: lumbar intermittent {HOLD_N:g} N, 60 s hold, 20 s rest, "
        f"{args.cycles} cycles, {WEIGHT_KG:g} kg; {args.seeds} seed(s) per muscle profile\n"
    )
    print(
        "| muscles | mode | mean envelope in holds (uV) | time to full force (s) | "
        "guarding episodes | setpoint rises while held |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for m in muscle_profile_names():
        for gated in (False, True):
            got = [r for r in rows if r.muscles == m and r.gated == gated]
            print(
                f"| {m} | {'gated' if gated else 'open loop'} | "
                f"{_mean([r.mean_hold_uv for r in got])} | "
                f"{_mean([r.to_full_s for r in got])} | "
                f"{_mean([float(r.episodes) for r in got])} | "
                f"{sum(r.raised for r in got)} |"
            )
    print("\n(* : the mean of the seeds that reached full force; - : none did)\n")
    print("| muscles | mode | relaxation index (%) | stiffness first to last ramp (%) |")
    print("| --- | --- | --- | --- |")
    for m in muscle_profile_names():
        for gated in (False, True):
            got = [r for r in rows if r.muscles == m and r.gated == gated]
            print(
                f"| {m} | {'gated' if gated else 'open loop'} | "
                f"{_mean([r.index_pct for r in got])} | "
                f"{_mean([r.stiffness_change_pct for r in got])} |"
            )
    raised = sum(r.raised for r in rows if r.gated)
    print(
        f"\nsetpoint rises while the gate held, all gated sessions: {raised} "
        f"({sum(1 for r in rows if r.gated)} sessions); wall time "
        f"{sum(r.seconds for r in rows):.0f} s"
    )


if __name__ == "__main__":
    main()
