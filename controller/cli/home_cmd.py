"""`traction home`: bring the carriage home between sessions (see controller/core/homing.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.app.composition import open_link
from controller.app.site_config import SiteConfigError, site_config
from controller.core.homing import HomingError, home
from firmware_bridge.errors import LinkError, TargetError
from safety.limits import LimitsError, load_limits

EXIT_TABLE = 1
EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("home", help="bring the carriage home (between sessions)")
    p.add_argument("--device", default=None, help="device URL (default: site configuration)")
    p.add_argument("--limits", type=Path, default=None, help="safety limits file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        site = site_config(
            cli={"device": args.device, "limits": str(args.limits) if args.limits else None}
        )
        limits = load_limits(site.limits)
        link = open_link(site.device).link
    except (SiteConfigError, LimitsError, TargetError) as exc:
        sys.stderr.write(f"traction home: refused: {exc}\n")
        return EXIT_INVALID
    try:
        homed = home(link, limits)
    except (HomingError, LinkError) as exc:
        sys.stderr.write(f"traction home: {exc}\n")
        return EXIT_TABLE
    finally:
        link.close()
    sys.stdout.write(
        f"carriage home: moved {homed.moved_m * 1e3:.1f} mm in {homed.seconds:.1f} s\n"
        if homed.moved_m
        else "carriage already home\n"
    )
    return 0
