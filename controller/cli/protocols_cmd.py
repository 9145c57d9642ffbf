"""`traction protocols` and `traction check`: the library, and a protocol's planned profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.app.site_config import SiteConfigError, site_config
from controller.protocols.checks import ProtocolError, check_protocol
from controller.protocols.library import load_protocol
from controller.protocols.models import Program, ProtocolFile
from controller.records.saved_protocols import library as library_of
from controller.records.saved_protocols import saved_rows
from controller.records.schema import SchemaError
from controller.records.store import RecordsError, SessionStore
from safety.limits import LimitsError, load_limits

EXIT_INVALID = 2


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("protocols", help="list the library: presets and saved protocols")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    p.set_defaults(run=run_list)
    c = sub.add_parser("check", help="validate a protocol for a patient, print its profile")
    c.add_argument("protocol", help="preset, saved protocol or TOML file")
    c.add_argument("--weight", type=float, required=True, metavar="KG", help="patient weight")
    c.add_argument("--limits", type=Path, default=None, help="safety limits file")
    c.add_argument("--records", type=Path, default=None, help="records store (saved protocols)")
    c.set_defaults(run=run_check)


def _library(args: argparse.Namespace) -> tuple[dict[str, ProtocolFile], dict[str, str]]:
    """Presets and saved protocols, and who saved each saved one."""
    site = site_config(cli={"records": str(args.records) if args.records else None})
    store = SessionStore(site.records)
    try:
        return library_of(store), {r["name"]: r["saved_by"] for r in saved_rows(store)}
    finally:
        store.close()


def run_list(args: argparse.Namespace) -> int:
    try:
        library, saved_by = _library(args)
    except (SiteConfigError, RecordsError, SchemaError) as exc:
        sys.stderr.write(f"traction protocols: {exc}\n")
        return EXIT_INVALID
    for name, entry in sorted(library.items()):
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
        kind = f"saved by {saved_by[name]}" if name in saved_by else "preset"
        sys.stdout.write(
            f"{name:<24} {proto.kind:<13} {proto.region:<9} {entry.description}\n"
            f"{'':<24} {fields} [{kind}]\n"
        )
    return 0


def run_check(args: argparse.Namespace) -> int:
    try:
        library, _ = _library(args)
        entry = load_protocol(args.protocol, library)
        limits = load_limits(args.limits)
        checked = check_protocol(entry.protocol, limits, args.weight)
    except (ProtocolError, LimitsError, SiteConfigError, RecordsError, SchemaError) as exc:
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
