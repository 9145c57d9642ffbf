"""`traction protocols` and `traction check`: the library, and a protocol's planned profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.protocols.checks import ProtocolError, check_protocol
from controller.protocols.library import load_protocol, presets
from controller.protocols.models import Program
from safety.limits import LimitsError, load_limits

EXIT_INVALID = 2


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("protocols", help="list the built-in protocol presets")
    p.set_defaults(run=run_list)
    c = sub.add_parser("check", help="validate a protocol for a patient, print its profile")
    c.add_argument("protocol", help="preset name or TOML file")
    c.add_argument("--weight", type=float, required=True, metavar="KG", help="patient weight")
    c.add_argument("--limits", type=Path, default=None, help="safety limits file")
    c.set_defaults(run=run_check)


def run_list(_: argparse.Namespace) -> int:
    for name, entry in sorted(presets().items()):
        proto = entry.protocol
        fields = (
            f"{len(proto.steps)} steps"
            if isinstance(proto, Program)
            else ", ".join(
                f"{k}={v:g}"
                for k, v in proto.model_dump().items()
                if isinstance(v, float | int) and not isinstance(v, bool)
            )
        )
        sys.stdout.write(
            f"{name:<24} {proto.kind:<13} {proto.region:<9} {entry.description}\n"
            f"{'':<24} {fields}\n"
        )
    return 0


def run_check(args: argparse.Namespace) -> int:
    try:
        entry = load_protocol(args.protocol)
        limits = load_limits(args.limits)
        checked = check_protocol(entry.protocol, limits, args.weight)
    except (ProtocolError, LimitsError) as exc:
        sys.stderr.write(f"traction check: refused: {exc}\n")
        return EXIT_INVALID
    out = sys.stdout.write
    prof = checked.profile
    out(
        f"{entry.name}: {entry.protocol.kind}, {entry.protocol.region}, "
        f"patient {args.weight:g} kg\n"
        f"force limit {checked.force_limit_n:.1f} N (limits {checked.limits_fingerprint[:12]}), "
        f"planned peak {prof.peak_n:.1f} N, session {prof.total_s / 60:.1f} min\n"
    )
    out(f"{'start[s]':>9} {'end[s]':>8} {'from[N]':>8} {'to[N]':>8}  phase\n")
    for start, seg in zip(prof.starts, prof.segments, strict=True):
        out(
            f"{start:9.1f} {start + seg.duration_s:8.1f} {seg.start_n:8.1f} {seg.end_n:8.1f}  "
            f"{seg.phase}{' (clock waits for the force)' if seg.waits else ''}\n"
        )
    return 0
