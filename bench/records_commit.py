"""What recording costs: commit latency on this disk, and the demo's speed with records.

Printed: the time to commit one second of samples (100 rows, synchronous=FULL: includes
the fsync) and one chained event, p50 / p99 / max over many commits; the store's size per
hour of treatment; a 15-minute demo treatment in virtual time with and without the recorder.
Nothing here has a target in the issue; the figures say whether a 1-second batch can be
committed well within its second (it must, or the writer falls behind in real time).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from controller.app.composition import open_link
from controller.app.simulated_table import ready_simulated_table
from controller.core import logs
from controller.protocols.library import load_protocol
from controller.records.recorder import SessionRecorder
from controller.records.store import NewEvent, SampleRow, SessionInfo, SessionStore
from controller.run.runner import run_treatment
from safety.limits import load_limits

CYCLES_PER_S = 100
INFO = SessionInfo("bench", "{}", "lumbar", "", 75.0, "bench", "0" * 64, "bench", "sim://")


def commit_latency(db: Path, commits: int) -> tuple[list[float], list[float]]:
    store = SessionStore(db)
    sid = store.begin_session(INFO)
    batches, events = [], []
    for n in range(commits):
        rows = [
            SampleRow(
                n * CYCLES_PER_S + i,
                n + i / CYCLES_PER_S,
                200.0,
                199.9,
                200.1,
                0.04,
                0.0,
                "running",
                "hold",
                0x1F,
            )
            for i in range(CYCLES_PER_S)
        ]
        t = time.perf_counter()
        store.append(sid, rows, last_state="running")
        batches.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        store.append(sid, events=[NewEvent(float(n), "operator", "none", "pause", {"n": n})])
        events.append((time.perf_counter() - t) * 1e3)
    store.close()
    return batches, events


def demo_seconds(db: Path | None) -> tuple[float, float]:
    """Wall seconds for the demo treatment, and its length in session seconds."""
    entry = load_protocol("lumbar-intermittent")
    link = open_link("sim://?patient=lumbar-average&seed=0").link
    recorder = None
    if db is not None:
        ready_simulated_table(db, "sim://", load_limits().device_max_force_n, str)
        recorder = SessionRecorder(db, operator="bench", patient_ref="", device_url="sim://")
    t = time.perf_counter()
    outcome = run_treatment(link, entry, load_limits(), 75.0, recorder=recorder)
    if recorder is not None:
        recorder.finish(outcome.label, outcome.treatment.states.state, link.clock.now())
    return time.perf_counter() - t, outcome.loop.records[-1].time_s - outcome.loop.records[0].time_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--commits", type=int, default=300)
    args = ap.parse_args()
    logs.configure("error")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "r.sqlite3"
        batches, events = commit_latency(db, args.commits)
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        hours = args.commits / 3600
        print(
            f"commit of 1 s of samples (100 rows), {args.commits} commits: p50 "
            f"{percentile(batches, 50):.2f} ms  p99 {percentile(batches, 99):.2f} ms  "
            f"max {max(batches):.2f} ms"
        )
        print(
            f"commit of one chained event: p50 {percentile(events, 50):.2f} ms  p99 "
            f"{percentile(events, 99):.2f} ms  max {max(events):.2f} ms"
        )
        print(f"store size: {size_mb / hours:.0f} MB per hour of treatment at 100 Hz")
        plain, _ = demo_seconds(None)
        recorded, length = demo_seconds(Path(tmp) / "demo.sqlite3")
        print(
            f"{length / 60:.1f}-minute demo treatment in virtual time: {plain:.1f} s without "
            f"records, {recorded:.1f} s with ({length / recorded:.0f}x real time)"
        )


if __name__ == "__main__":
    main()
