"""`traction home`: bring the carriage home between sessions (see controller/core/homing.py).
On a table with accounts it names the person (--user and the PIN, or a token file), whose
role must allow homing; who homed is in the log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import structlog

from controller.app.composition import open_link
from controller.app.site_config import SiteConfigError, site_config
from controller.cli.identity import acting, add_identity_args
from controller.core.homing import HomingError, home
from controller.people.roles import Task
from controller.records.accounts import AccountError
from controller.records.store import RecordsError, SessionStore
from firmware_bridge.errors import LinkError, TargetError
from safety.limits import LimitsError, load_limits

log = structlog.get_logger(__name__)

EXIT_TABLE = 1
EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("home", help="bring the carriage home (between sessions)")
    p.add_argument("--device", default=None, help="device URL (default: site configuration)")
    p.add_argument("--limits", type=Path, default=None, help="safety limits file")
    add_identity_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        site = site_config(
            cli={"device": args.device, "limits": str(args.limits) if args.limits else None}
        )
        limits = load_limits(site.limits)
        by = _who(args, site.records)
        link = open_link(site.device).link
    except (SiteConfigError, LimitsError, TargetError, RecordsError, AccountError) as exc:
        sys.stderr.write(f"traction home: refused: {exc}\n")
        return EXIT_INVALID
    try:
        homed = home(link, limits)
    except (HomingError, LinkError) as exc:
        sys.stderr.write(f"traction home: {exc}\n")
        return EXIT_TABLE
    finally:
        link.close()
    log.info("carriage homed", by=by, moved_m=homed.moved_m)
    sys.stdout.write(
        f"carriage home: moved {homed.moved_m * 1e3:.1f} mm in {homed.seconds:.1f} s\n"
        if homed.moved_m
        else "carriage already home\n"
    )
    return 0


def _who(args: argparse.Namespace, records: Path) -> str:
    store = SessionStore(records, recover=False)
    try:
        return acting(args, store, Task.HOME)
    finally:
        store.close()
