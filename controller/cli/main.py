"""`traction`: the operator's, developer's and QA's entry point."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from controller.app.site_config import SiteConfigError, site_config
from controller.app.table_store import adopt_login_store
from controller.cli import (
    backup_cmd,
    console_cmd,
    demo_cmd,
    home_cmd,
    inject_cmd,
    live_demo_cmd,
    maintenance_cmd,
    patients_cmd,
    ports_cmd,
    protocols_cmd,
    run_cmd,
    sessions_cmd,
    sim_cmd,
    sync_cmd,
    trace_cmd,
    users_cmd,
)
from controller.clinic.local_time import use_clinic_time
from controller.core import logs
from controller.records.store import RecordsError

EXIT_INVALID = 2
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE, as a shell reports it


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="traction", description=__doc__)
    p.add_argument("--log-level", choices=logs.LEVELS, default="warning")
    p.add_argument("--log-json", action="store_true", help="JSON log lines on stderr")
    sub = p.add_subparsers(dest="command", required=True)
    p.add_argument(
        "--log-file", type=Path, default=None, help="JSON log lines (default: site `logs`)"
    )
    for module in (
        run_cmd,
        console_cmd,
        demo_cmd,
        home_cmd,
        sessions_cmd,
        patients_cmd,
        live_demo_cmd,
        sim_cmd,
        inject_cmd,
        ports_cmd,
        trace_cmd,
        users_cmd,
        backup_cmd,
        sync_cmd,
    ):
        module.add_parser(sub)
    protocols_cmd.add_parsers(sub)
    maintenance_cmd.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        site = site_config()
        use_clinic_time(site.time_zone)
        log_file = args.log_file or site.logs
        adopt_login_store(site, sys.stderr.write)
    except (SiteConfigError, RecordsError) as exc:
        sys.stderr.write(f"traction: {exc}\n")
        return EXIT_INVALID
    logs.configure(args.log_level, json=args.log_json, file=log_file)
    try:
        code: int = args.run(args)
    except BrokenPipeError:  # e.g. `traction demo | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
    return code


if __name__ == "__main__":
    sys.exit(main())
