"""`traction backup` and `traction restore`: the table's store, copied while it runs and put back.

`traction backup` takes a verified copy with SQLite's online backup API (a treatment may be
running) into --to (default: the store's folder's `backups/`) and keeps the newest --keep;
the site's timer runs it nightly (deploy/systemd/). `traction restore FILE` refuses a
backup that does not verify, a store with a session running, and a store newer than the
backup unless told; the store it replaces is kept beside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.app.site_config import SiteConfig, SiteConfigError, site_config
from controller.cli.identity import EXIT_REFUSED, acting, add_identity_args
from controller.people.roles import Task
from controller.records.accounts import AccountError
from controller.records.backup import KEEP, backup, check_backup, restore
from controller.records.opening import default_operator
from controller.records.schema import SchemaError
from controller.records.store import RecordsError, SessionStore

EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("backup", help="a verified copy of the records, while the table runs")
    b.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    b.add_argument("--to", type=Path, default=None, help="folder (default: beside the store)")
    b.add_argument("--keep", type=int, default=KEEP, help=f"backups kept (default {KEEP})")
    add_identity_args(b)
    b.set_defaults(run=run_backup)
    r = sub.add_parser("restore", help="put a verified backup in the store's place")
    r.add_argument("backup", type=Path, help="the backup file (records-....sqlite3)")
    r.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    r.add_argument("--check", action="store_true", help="only verify the backup")
    r.add_argument(
        "--replace-newer", action="store_true", help="even over a store with more records"
    )
    add_identity_args(r)
    r.set_defaults(run=run_restore)


def _site(args: argparse.Namespace) -> SiteConfig:
    return site_config(cli={"records": str(args.records) if args.records else None})


def _who(args: argparse.Namespace, site: SiteConfig, task: Task) -> str:
    if not site.records.exists():
        return default_operator()  # a fresh machine: no store, no accounts, its first restore
    store = SessionStore(site.records, recover=False)
    try:
        return acting(args, store, task)
    finally:
        store.close()


def run_backup(args: argparse.Namespace) -> int:
    try:
        site = _site(args)
        by = _who(args, site, Task.BACKUP)
        made = backup(site.records, args.to or site.backups, by=by, keep=args.keep)
    except AccountError as exc:
        sys.stderr.write(f"traction backup: refused: {exc}\n")
        return EXIT_REFUSED
    except (SiteConfigError, RecordsError, SchemaError) as exc:
        sys.stderr.write(f"traction backup: {exc}\n")
        return EXIT_INVALID
    sys.stdout.write(
        f"backup: {made.path}\n  verified: {made.sessions} sessions, {made.chain_count} audit "
        f"events, chain intact; sha256 {made.sha256[:16]}...\n"
    )
    if not made.recorded:
        sys.stdout.write(
            "  the store stayed busy: this backup is not noted in it, and the console shows "
            "the one before\n"
        )
    for old in made.removed:
        sys.stdout.write(f"  rotated out: {old.name}\n")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    try:
        site = _site(args)
        if args.check:
            sessions, events = check_backup(args.backup)
            sys.stdout.write(f"{args.backup}: verifies ({sessions} sessions, {events} events)\n")
            return 0
        by = _who(args, site, Task.RESTORE)
        kept = restore(args.backup, site.records, by=by, replace_newer=args.replace_newer)
        sessions, events = check_backup(args.backup)
    except AccountError as exc:
        sys.stderr.write(f"traction restore: refused: {exc}\n")
        return EXIT_REFUSED
    except (SiteConfigError, RecordsError, SchemaError) as exc:
        sys.stderr.write(f"traction restore: refused: {exc}\n")
        return EXIT_INVALID
    sys.stdout.write(
        f"restored {args.backup} into {site.records}: {sessions} sessions, {events} audit "
        "events, chain intact.\n"
        "The table needs a calibration verification and a daily check before it treats: "
        "the restored log cannot vouch for the table since the backup.\n"
    )
    if kept is not None:
        sys.stdout.write(f"the store it replaced is kept as {kept}\n")
    return 0
