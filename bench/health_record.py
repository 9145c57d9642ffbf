"""The health record, measured: what a session costs as FHIR and over the wire to a server.

    .venv/bin/python -m bench.health_record [--sessions 10]

Prints, for --sessions whole sessions (the 20 s static pull of tests/fhir on sim://, virtual
time): building and validating one session's bundle (median ms), its size (entries, kB);
pushing each to the FHIR server of tests/fhir (fhirstarter, a process of its own on
127.0.0.1) the first time and again (median ms; the second creates nothing); and filling
the register with --sessions patients from the server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from controller.core import logs
from controller.records.fhir.client import FhirClient, FhirServer
from controller.records.fhir.patient_pull import pull_patients
from controller.records.fhir.push import push_session
from controller.records.fhir.session_bundle import session_bundle
from controller.records.patients import add_patient, validated
from controller.records.store import SessionStore
from tests.fhir.conftest import CLINIC, NAME, PATIENT, TOKEN, health_server, treat
from tests.helpers import ready_records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    n = parser.parse_args().sessions
    logs.configure("warning")
    folder = Path(tempfile.mkdtemp(prefix="bench-fhir-"))
    db = ready_records(folder / "records.sqlite3")
    store = SessionStore(db)
    add_patient(store, validated(PATIENT))
    store.close()
    ids = [treat(db) for _ in range(n)]
    store = SessionStore(db)
    build = []
    for sid in ids:
        t = time.perf_counter()
        bundle = session_bundle(store, [sid], CLINIC)
        build.append(time.perf_counter() - t)
    text = bundle.model_dump_json(exclude_none=True)
    print(
        f"bundle: {len(bundle.entry or [])} entries, {len(text) / 1000:.1f} kB; "
        f"built and validated in {1000 * statistics.median(build):.1f} ms (median of {n})"
    )
    with health_server() as server:
        server.add_patient("P-7", NAME)
        for i in range(n):
            server.add_patient(f"Q-{i}", f"Patient {i}")
            server.weigh_and_order(f"Q-{i}")
        client = FhirClient(FhirServer(server.url, TOKEN))
        for label in ("first push", "push again"):
            before = server.created()
            times = []
            for sid in ids:
                t = time.perf_counter()
                push_session(store, sid, client, CLINIC)
                times.append(time.perf_counter() - t)
            made = sum(server.created().values()) - sum(before.values())
            print(
                f"{label}: {1000 * statistics.median(times):.0f} ms a session (median of {n}, "
                f"max {1000 * max(times):.0f} ms), {made} resources created"
            )
        t = time.perf_counter()
        pulled = pull_patients(store, client, CLINIC)
        print(
            f"register filled: {len(pulled.added)} patients in "
            f"{time.perf_counter() - t:.2f} s ({pulled.known} already known)"
        )
        client.close()
    store.close()
    print(f"machine: {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
