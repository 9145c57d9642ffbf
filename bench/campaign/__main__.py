"""`python -m bench.campaign`: every fault in every session state, on every patient profile
and board variant, normal sessions counted for false trips, and SIGKILLs of a recording
process -- in parallel over the machine's cores, or on a Dask cluster.

    python -m bench.campaign --scope ci                # the slice CI runs
    python -m bench.campaign --scope full --out campaign-results
    python -m bench.campaign --scope full --backend dask --scheduler tcp://10.0.0.5:8786

Writes OUT/campaign.csv (every cell) and OUT/campaign.md (the summary); exit 0 when every
cell is safe, none goes beyond the allowance, no normal session trips and no kill loses a
committed record, else 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bench.campaign.backends import BACKENDS, run_all
from bench.campaign.matrix import KILLS_FULL, NORMAL_FULL, matrix
from bench.campaign.report import markdown, verdict, write_csv


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scope", choices=("ci", "full"), default="ci")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per fault cell (full scope)")
    ap.add_argument("--only", choices=("fault", "normal", "kill"), default=None)
    ap.add_argument("--normal", type=int, default=NORMAL_FULL, help="normal sessions (full)")
    ap.add_argument("--kills", type=int, default=KILLS_FULL, help="SIGKILLs (full)")
    ap.add_argument("--variants", default="", help="only these board variants (comma-separated)")
    ap.add_argument("--profiles", default="", help="only these patient profiles (comma-separated)")
    ap.add_argument("--faults", default="", help="only these fault labels (comma-separated)")
    ap.add_argument("--workers", type=int, default=0, help="default: every core")
    ap.add_argument("--backend", choices=BACKENDS, default="local")
    ap.add_argument("--scheduler", default="", help="a Dask scheduler's address (dask backend)")
    ap.add_argument("--out", type=Path, default=Path("campaign-results"))
    args = ap.parse_args()
    variants = set(filter(None, args.variants.split(",")))
    profiles = set(filter(None, args.profiles.split(",")))
    faults = set(filter(None, args.faults.split(",")))
    cells = [
        c
        for c in matrix(args.scope, args.seeds, args.normal, args.kills)
        if args.only in (None, c.kind)
        and (c.kind != "fault" or not variants or c.variant in variants)
        and (c.kind != "fault" or not profiles or c.profile in profiles)
        and (c.kind != "fault" or not faults or c.fault in faults)
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"campaign {args.scope}: {len(cells)} cells, backend {args.backend}", flush=True)
    t0 = time.monotonic()
    results = []
    for n, r in enumerate(run_all(cells, args.backend, args.workers, args.scheduler), start=1):
        results.append(r)
        if n % 100 == 0:
            print(f"  {n}/{len(cells)} cells, {time.monotonic() - t0:.0f} s", flush=True)
    seconds = time.monotonic() - t0
    write_csv(results, args.out / "campaign.csv")
    workers = args.workers or os.cpu_count() or 1
    text = markdown(results, f"Campaign ({args.scope})", seconds, workers)
    (args.out / "campaign.md").write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")
    return 0 if verdict(results).passed else 1


if __name__ == "__main__":
    sys.exit(main())
