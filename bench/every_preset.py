"""Every preset on every board variant, whole, in virtual time: how each one ends.

`python -m bench.every_preset [--variants a,b] [--presets x,y]`. For each (preset, variant):
the end reason and exit code, the highest alarm priority raised, and the tension left on the
simulated patient when the session ended. A preset passes when it completes (exit 0) with no
alarm above low and the patient released; the command exits 1 if any does not. The tests run
every protocol type on every variant in short form (tests/controller/test_treatment.py); this
runs the presets at their full length, which takes minutes.
"""

from __future__ import annotations

import argparse
import sys
import time

from controller.app.composition import open_link, open_muscles
from controller.core import logs
from controller.core.events import SessionEvent
from controller.protocols.library import presets
from controller.run.session import TreatmentSession
from safety.limits import load_limits
from sim.variants import VARIANTS

WEIGHT_KG = 75.0
RELEASED_N = 12.5  # RELEASE_FORCE (10 N) and the confirmation margin (2.5 N)
RANK = {"none": 0, "low": 1, "medium": 2, "high": 3}


def one(preset: str, variant: str) -> tuple[str, int, str, float, float]:
    entry = presets()[preset]
    patient = "cervical" if entry.protocol.region == "cervical" else "lumbar-average"
    opened = open_link(f"sim://?patient={patient}&seed=0&variant={variant}")
    assert opened.board is not None
    # an EMG-gated preset runs on the simulated patient's (guarding) muscles
    muscles = open_muscles("sim://?muscles=guarding", opened) if entry.emg_gate else None
    session = TreatmentSession(opened.link, entry, load_limits(), WEIGHT_KG, muscles=muscles)
    alarms: list[str] = []

    def seen(event: SessionEvent) -> None:
        if event.priority in RANK:
            alarms.append(event.priority)

    session.events.subscribe(seen)
    t0 = time.monotonic()
    outcome = session.run()
    wall = time.monotonic() - t0
    worst = max(alarms, key=RANK.__getitem__, default="none")
    left = opened.board.firmware.physics.tension_n
    return outcome.end.reason.name, outcome.end.exit_code, worst, left, wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--presets", default="")
    args = ap.parse_args()
    logs.configure("error")
    names = [p for p in args.presets.split(",") if p] or sorted(presets())
    variants = [v for v in args.variants.split(",") if v]
    failed = 0
    print(f"{'preset':<24} {'variant':<20} {'end':<20} exit alarm  left N  wall s")
    for preset in names:
        for variant in variants:
            end, code, worst, left, wall = one(preset, variant)
            ok = code == 0 and RANK[worst] <= RANK["low"] and left < RELEASED_N
            failed += not ok
            print(
                f"{preset:<24} {variant:<20} {end:<20} {code:>4} {worst:<6} {left:6.1f} "
                f"{wall:7.1f}{'' if ok else '  FAIL'}"
            )
    total = len(names) * len(variants)
    print(f"{total - failed} of {total} ended complete, released, no alarm above low")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
