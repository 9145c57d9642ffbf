"""People and the store's safety copies, measured: what a PIN check costs, and what a backup
of a table's store costs while a session writes to it.

    .venv/bin/python -m bench.people [--sessions 40] [--checks 20]

Prints: the PIN hash and check time (scrypt, n=2^14, r=8, p=1: median and max of --checks);
a backup of a store of --sessions recorded sessions (each a short static pull on sim://)
while another thread commits an event every 5 ms (a table commits once a second): the
store's size, the backup's time, its verification's share, how many events the writer
added meanwhile (the table is not blocked), and a restore's time on a fresh folder.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from controller.core import logs
from controller.people.pins import hash_pin, pin_matches
from controller.records.backup import backup, check_backup, restore
from controller.records.store import NewEvent, SessionStore
from tests.records.sessions import recorded

WRITE_EVERY_S = 0.005  # 200 commits a second beside the backup


def pin_figures(checks: int) -> tuple[float, float, float]:
    hashes, matches = [], []
    for _ in range(checks):
        t = time.perf_counter()
        stored = hash_pin("246813")
        hashes.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert pin_matches("246813", stored)
        matches.append(time.perf_counter() - t)
    return statistics.median(hashes), statistics.median(matches), max(matches)


def backup_figures(sessions: int, folder: Path) -> dict[str, float]:
    db = folder / "table" / "records.sqlite3"
    db.parent.mkdir(parents=True)
    for _ in range(sessions):
        recorded(db)
    stop, written = threading.Event(), [0]

    def writer() -> None:
        store = SessionStore(db, recover=False)
        try:
            while not stop.wait(WRITE_EVERY_S):
                store.append(1, events=[NewEvent(None, "info", "none", "meanwhile", {})])
                written[0] += 1
        finally:
            store.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        t = time.perf_counter()
        made = backup(db, folder / "backups", by="bench")
        took = time.perf_counter() - t
    finally:
        stop.set()
        thread.join()
    t = time.perf_counter()
    check_backup(made.path)  # what a restore checks: the bytes, the chain, the seals
    verify_s = time.perf_counter() - t
    t = time.perf_counter()
    restore(made.path, folder / "fresh" / "records.sqlite3", by="bench")
    restore_s = time.perf_counter() - t
    return {
        "store_mb": db.stat().st_size / 1e6,
        "sessions": made.sessions,
        "events": made.chain_count,
        "backup_s": took,
        "verify_s": verify_s,
        "written_meanwhile": written[0],
        "restore_s": restore_s,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sessions", type=int, default=40)
    p.add_argument("--checks", type=int, default=20)
    args = p.parse_args()
    logs.configure("warning")
    hashed, checked, worst = pin_figures(args.checks)
    print(
        f"PIN (scrypt 2^14/8/1): hash median {hashed * 1e3:.0f} ms, check median "
        f"{checked * 1e3:.0f} ms, max {worst * 1e3:.0f} ms over {args.checks}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        f = backup_figures(args.sessions, Path(tmp))
    print(
        f"backup of {f['store_mb']:.1f} MB ({f['sessions']:.0f} sessions, {f['events']:.0f} "
        f"events) while a writer committed every 5 ms: {f['backup_s']:.2f} s; checking it as a "
        f"restore does {f['verify_s']:.2f} s; the writer added "
        f"{f['written_meanwhile']:.0f} events meanwhile; restore {f['restore_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
