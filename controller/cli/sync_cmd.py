"""`traction sync`: the ended sessions to the clinic's FHIR server, its patients to the register.

Run by the site's timer every 5 minutes (deploy/systemd/traction-sync.timer) and by hand. It
never touches a treatment: it reads the store and writes only the push queue and the
register. Exit 0 when nothing is left waiting, 1 when something waits or was given up (the
words say which and why), 2 when the site names no server or the store cannot be opened.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from controller.app.site_config import SiteConfig, SiteConfigError, site_config
from controller.records.fhir.client import FhirClient, FhirError, FhirServer
from controller.records.fhir.outbox import (
    MAX_TRIES,
    RUN_S,
    due,
    mark_failed,
    mark_sent,
    queue_ended,
    retry,
    sync_state,
)
from controller.records.fhir.patient_pull import pull_patients
from controller.records.fhir.push import NotPushed, push_session
from controller.records.schema import SchemaError
from controller.records.store import RecordsError, SessionStore

EXIT_WAITING = 1
EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sync", help="sessions to the clinic's FHIR server, its patients here")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    p.add_argument("--retry", action="store_true", help="try the given-up sessions again")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--sessions-only", action="store_true", help="do not fill the register")
    what.add_argument("--patients-only", action="store_true", help="do not send sessions")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        site = site_config(cli={"records": str(args.records) if args.records else None})
        server = _server(site)
        store = SessionStore(site.records)
    except (SiteConfigError, RecordsError, SchemaError, FhirError, OSError) as exc:
        sys.stderr.write(f"traction sync: {exc}\n")
        return EXIT_INVALID
    assert site.patient_system is not None  # _server refuses without one
    client = FhirClient(server)
    out = sys.stdout.write
    try:
        if args.retry:
            out(f"{retry(store)} given-up session(s) to be tried again\n")
        if not args.sessions_only:
            try:
                pulled = pull_patients(store, client, site.patient_system)
            except FhirError as exc:
                out(f"patients: not read: {exc}\n")
            else:
                out(
                    f"patients: {len(pulled.added)} added to the register"
                    + (f" ({', '.join(pulled.added)})" if pulled.added else "")
                    + f", {pulled.known} already in it\n"
                )
                for ref, why in pulled.skipped:
                    out(f"  {ref}: not added: {why}\n")
        if not args.patients_only:
            _push(store, client, site, server)
        state = sync_state(store)
        out(state.words() + "\n")
        return EXIT_WAITING if state.waiting or state.given_up else 0
    finally:
        client.close()
        store.close()


def _server(site: SiteConfig) -> FhirServer:
    if site.fhir_url is None or site.patient_system is None:
        raise SiteConfigError(
            "no health record configured: set fhir_url and patient_system in the site file "
            "(and fhir_token_file when the server asks for a token)"
        )
    return FhirServer.configured(site.fhir_url, site.fhir_token_file)


def _push(
    store: SessionStore,
    client: FhirClient,
    site: SiteConfig,
    server: FhirServer,
    run_s: float = RUN_S,
) -> None:
    """Each waiting session once, until `run_s` has passed (a slow or silent server costs one
    run at most that plus one request's bound); what is left waits for the next run."""
    assert site.patient_system is not None
    queue_ended(store, server.base_url)
    out = sys.stdout.write
    deadline = time.monotonic() + run_s
    waiting = due(store)
    for n, session_id in enumerate(waiting):
        if time.monotonic() >= deadline:
            out(
                f"{len(waiting) - n} session(s) left for the next sync "
                f"(a run's bound: {run_s:g} s)\n"
            )
            return
        try:
            procedure = push_session(store, session_id, client, site.patient_system)
        except (FhirError, NotPushed, RecordsError) as exc:
            tries = mark_failed(store, session_id, str(exc))
            gave_up = " -- given up" if tries >= MAX_TRIES else ""
            out(f"session {session_id}: not sent (try {tries} of {MAX_TRIES}{gave_up}): {exc}\n")
            continue
        mark_sent(store, session_id, procedure)
        out(f"session {session_id}: sent ({procedure})\n")
