"""How long sessions starting together hold every other real-time thread off.

A session on the wall clock locks its process's memory as it starts and unlocks it as it
ends (controller/core/realtime.py). The kernel walks every page as it does, at the caller's
priority; CI once saw two sessions' starts stop every other session's loop and board for
123-136 ms. Here probes at the serving threads', the board's and the control threads'
priorities (30, 40, 50) watch every CPU while `--starters` processes, each with a console
process's imports and threads, enter and leave `realtime_thread` at the same moment, then
the probes' worst lateness during those starts is printed per priority (JSON, ms).
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import threading
import time

from bench.loop_jitter import start_probes, stop_probes
from controller.core.realtime import REALTIME_PRIORITY, SERVING_PRIORITY
from sim.server import BOARD_PRIORITY

PRIORITIES = (SERVING_PRIORITY, BOARD_PRIORITY, REALTIME_PRIORITY)
PROBE_SETTLE_S = 1.0  # the probes at their priorities before the starts
STARTER_THREADS = 12  # about a console backend's (web channel, writer, board, links)
STARTER_TIMEOUT_S = 60.0


def starter(threads: int) -> None:
    """One session's start and end, with a console process's imports and threads."""
    from controller.core.realtime import realtime_thread

    importlib.import_module("controller.console.backend")  # the memory the lock walks

    done = threading.Event()
    idle = [threading.Thread(target=done.wait) for _ in range(threads)]
    for thread in idle:
        thread.start()

    def session() -> None:
        with realtime_thread():
            pass

    worker = threading.Thread(target=session)
    worker.start()
    worker.join()
    done.set()


def run(starters: int, rounds: int) -> dict[str, object]:
    probes = {p: start_probes(p) for p in PRIORITIES}
    time.sleep(PROBE_SETTLE_S)
    windows: list[tuple[float, float]] = []
    for _ in range(rounds):
        begin = time.monotonic()
        procs = [
            subprocess.Popen([sys.executable, "-m", "bench.session_start_holdoff", "--starter"])
            for _ in range(starters)
        ]
        for proc in procs:
            proc.wait(timeout=STARTER_TIMEOUT_S)
        windows.append((begin, time.monotonic()))
    worst: dict[str, float] = {}
    counts: dict[str, int] = {}
    for priority, group in probes.items():
        seen = [
            late
            for due, late in stop_probes(group)
            if any(begin <= due <= end for begin, end in windows)
        ]
        worst[f"fifo_{priority}_worst_ms"] = round(max(seen, default=0.0) * 1e3, 1)
        counts[f"fifo_{priority}_stalls"] = len(seen)
    return {"starters": starters, "rounds": rounds, **worst, **counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--starters", type=int, default=4, help="sessions starting together")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--starter", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.starter:
        starter(STARTER_THREADS)
        return
    json.dump(run(args.starters, args.rounds), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
