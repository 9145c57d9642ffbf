"""Treatment accuracy for every preset on every simulated patient, in virtual time on sim://.

Patients: every profile in sim/profiles (light, average, heavy, plain table, cervical) plus
the average lumbar patient at 0.3x and 3x stiffness, with creep, and with patient movement
(a 30 N half-sine disturbance every 90 s). Lumbar presets run on lumbar patients, cervical on
cervical. Printed per run: hold error mean and peak (as ratios of the targets max(1 %, 1 N)
and max(3 %, 3 N)), overshoot (ratio of max(2 %, 2 N)), ramp tracking error, and the time
the session clock stood still waiting for a force. Targets (issue 4): every ratio <= 1.
"""

from __future__ import annotations

import argparse

from controller.app.composition import open_link, open_muscles
from controller.core import logs
from controller.core.control_loop import CycleRecord
from controller.core.treatment import Treatment
from controller.protocols.library import presets
from controller.run.runner import run_treatment
from safety.limits import load_limits
from sim.board import SimBoard
from sim.injection import inject
from sim.profiles import profile_names

DISTURBANCE_EVERY_S = 90.0
DISTURBANCE = {"force_n": 30.0, "duration_s": 2.0}


def patients(region: str) -> list[tuple[str, str, float, bool]]:
    """(label, profile, stiffness scale, with movement)."""
    if region == "cervical":
        return [
            ("cervical", "cervical", 1.0, False),
            ("cervical x0.3", "cervical", 0.3, False),
            ("cervical x3", "cervical", 3.0, False),
            ("cervical moving", "cervical", 1.0, True),
        ]
    lumbar = [p for p in profile_names() if p.startswith("lumbar")]
    return [(p, p, 1.0, False) for p in lumbar] + [
        ("lumbar-average x0.3", "lumbar-average", 0.3, False),
        ("lumbar-average x3", "lumbar-average", 3.0, False),
        ("lumbar-average moving", "lumbar-average", 1.0, True),
    ]


def run_one(preset: str, profile: str, stiffness: float, moving: bool) -> str:
    opened = open_link(f"sim://?patient={profile}&seed=5")
    board = opened.board
    assert isinstance(board, SimBoard)
    if stiffness != 1.0:
        phys = board.firmware.physics
        phys.set_profile(phys.profile.scaled(stiffness))
    next_push = [DISTURBANCE_EVERY_S]

    def hook(treatment: Treatment, record: CycleRecord) -> None:
        if moving and record.time_s >= next_push[0]:
            next_push[0] += DISTURBANCE_EVERY_S
            inject(board, "disturbance", DISTURBANCE)

    entry = presets()[preset]
    muscles = open_muscles("sim://?muscles=relaxed", opened) if entry.emg_gate else None
    outcome = run_treatment(opened.link, entry, load_limits(), 75.0, on_cycle=hook, muscles=muscles)
    acc, log = outcome.accuracy, outcome.treatment.log
    ramps = [abs(s.force_n - s.target_n) for s in log.samples if not s.holding]
    ramp_err = sum(ramps) / len(ramps) if ramps else 0.0
    trips = ",".join(t.fault.name for t in outcome.prepared.supervisor.trips) or "-"
    verdict = "ok" if acc.meets and outcome.state.value == "complete" else "MISS"
    return (
        f"{acc.mean_error_ratio:5.2f} {acc.peak_error_ratio:5.2f} {acc.overshoot_ratio:5.2f} "
        f"{ramp_err:6.2f} {log.waited_s:6.1f}  {outcome.state.value:<8} {trips:<12} {verdict}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--presets", nargs="*", default=None)
    args = ap.parse_args()
    logs.configure("critical")
    names = args.presets or sorted(presets())
    print(f"{'preset':<22} {'patient':<24} mean  peak  over  ramp[N] wait[s] state    trips")
    for name in names:
        region = presets()[name].protocol.region
        for label, profile, stiffness, moving in patients(region):
            print(f"{name:<22} {label:<24} {run_one(name, profile, stiffness, moving)}", flush=True)


if __name__ == "__main__":
    main()
