"""`traction calibrate`, `traction daily-check`, `traction maintenance`: keeping the table fit.

Both procedures talk to the table with the drive disabled and record their result, passed
or failed, in the records store's maintenance log; a treatment is refused while either is
missing, failed or (calibration) overdue. On `sim://` a simulated technician does the steps
on the simulated table; elsewhere the person at the terminal does them, each confirmation
an explicit yes within its bound. Exit codes: 0 passed, 1 failed or not carried out (the
message says what to do), 2 invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from controller.app.composition import open_link, simulated_technician
from controller.app.site_config import SiteConfigError, site_config
from controller.cli.args import site_from
from controller.cli.identity import acting, add_identity_args
from controller.cli.terminal_technician import TerminalTechnician
from controller.core.control_loop import PERIOD_S
from controller.maintenance.calibration import plan_problems
from controller.maintenance.policy import CALIBRATION_VALID_DAYS
from controller.maintenance.procedures import ProcedureError, daily_check, verify_calibration
from controller.maintenance.readiness import readiness
from controller.maintenance.technician import Technician
from controller.people.roles import Task
from controller.records.accounts import AccountError
from controller.records.maintenance import (
    last_calibration,
    last_daily_check,
    local_today,
    record_calibration,
    record_daily_check,
    usage,
)
from controller.records.store import RecordsError, SessionStore
from controller.words.catalogue import said, speaker
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError, TargetError
from safety.limits import LimitsError, load_limits

EXIT_FAILED = 1
EXIT_INVALID = 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default=None, help="device URL (default: site configuration)")
    p.add_argument("--operator", default=None, help="who does it (default: the login name)")
    p.add_argument("--limits", type=Path, default=None, help="safety limits file")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    add_identity_args(p)


def _loads(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected kg values like 10,20,35") from exc


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cal = sub.add_parser(
        "calibrate", help="service: verify the load cell against reference weights"
    )
    cal.add_argument(
        "--weights", required=True, help="the reference weights' identity (set, certificate)"
    )
    cal.add_argument(
        "--loads",
        type=_loads,
        required=True,
        metavar="KG,KG,KG",
        help="total reference load of each point, in kg (at least 3, across the range)",
    )
    _common(cal)
    cal.set_defaults(run=run_calibrate)
    daily = sub.add_parser(
        "daily-check", help="the day's check: patient switch, e-stop, cord, harness"
    )
    _common(daily)
    daily.set_defaults(run=run_daily)
    log = sub.add_parser("maintenance", help="the maintenance log; may a treatment start today?")
    log.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    log.add_argument("--json", action="store_true", help="as JSON")
    log.set_defaults(run=run_log)


class _Opened:
    def __init__(self, args: argparse.Namespace, task: Task) -> None:
        site = site_from(args)
        self.site = site
        self.limits = load_limits(site.limits)
        self.store = SessionStore(site.records)
        try:
            self.operator = acting(args, self.store, task, args.operator)
            opened = open_link(site.device)
        except BaseException:
            self.store.close()
            raise
        self.link: TableLink = opened.link
        self.technician: Technician = simulated_technician(opened) or TerminalTechnician(
            site.language
        )
        self.say = speaker(site.language)  # what the technician reads, in the site's language
        self.language = site.language

    def identity(self) -> str:
        ident = self.link.identity
        return json.dumps(asdict(ident), sort_keys=True) if ident is not None else ""

    def close(self) -> None:
        self.link.close()
        self.store.close()


def _open(args: argparse.Namespace, name: str, task: Task) -> _Opened | None:
    try:
        return _Opened(args, task)
    except (SiteConfigError, LimitsError, TargetError, RecordsError, AccountError) as exc:
        sys.stderr.write(f"traction {name}: refused: {exc}\n")
        return None


def run_calibrate(args: argparse.Namespace) -> int:
    out = sys.stdout.write
    ctx = _open(args, "calibrate", Task.CALIBRATE)
    if ctx is None:
        return EXIT_INVALID
    try:
        device_max = ctx.limits.device_max_force_n
        problems = plan_problems(args.loads, device_max)
        if problems:
            sys.stderr.write(f"traction calibrate: refused: {'; '.join(problems)}\n")
            return EXIT_INVALID
        say, lang = ctx.say, ctx.language
        out(
            say(
                "calibration verification on {url} with {weights}:",
                url=ctx.link.url,
                weights=args.weights,
            )
            + "\n"
        )
        try:
            verdict = verify_calibration(ctx.link, ctx.technician, args.loads, device_max)
        except (ProcedureError, LinkError) as exc:
            out(say("NOT CARRIED OUT: {why}", why=said(lang, str(exc))) + "\n")
            out(say("nothing recorded; the last calibration stands") + "\n")
            return EXIT_FAILED
        for p in verdict.points:
            b = "-" if p.force_b_n is None else f"{p.force_b_n:.2f}"
            english = (
                f"{p.reference_kg:g} kg = {p.reference_n:.2f} N: A {p.force_a_n:.2f} N, "
                f"B {b} N (within ±{p.tolerance_n:.2f} N: {'yes' if p.passed else 'NO'})"
            )
            out(f"  {said(lang, english)}\n")
        entry = record_calibration(
            ctx.store,
            operator=ctx.operator,
            weights=args.weights,
            passed=verdict.passed,
            valid_days=CALIBRATION_VALID_DAYS,
            result={**verdict.as_data(), "loads_kg": args.loads},
            board_identity=ctx.identity(),
            device_url=ctx.link.url,
        )
        if verdict.passed:
            out(say("PASSED: recorded; next verification due by {due}", due=entry.due) + "\n")
            return 0
        out(
            say("FAILED: recorded; no treatment can start until a verification passes:")
            + "\n"
            + "".join(f"  - {said(lang, p)}\n" for p in verdict.problems)
            + say(
                "have the load cell serviced (gain, amplifier reference), then run "
                "`traction calibrate` again"
            )
            + "\n"
        )
        return EXIT_FAILED
    finally:
        ctx.close()


def run_daily(args: argparse.Namespace) -> int:
    out = sys.stdout.write
    ctx = _open(args, "daily-check", Task.DAILY_CHECK)
    if ctx is None:
        return EXIT_INVALID
    try:
        say, lang = ctx.say, ctx.language
        out(say("daily check of {url}:", url=ctx.link.url) + "\n")
        try:
            result = daily_check(ctx.link, ctx.technician)
        except (ProcedureError, LinkError) as exc:
            out(say("NOT CARRIED OUT: {why}", why=said(lang, str(exc))) + "\n")
            out(say("nothing recorded") + "\n")
            return EXIT_FAILED
        for s in result.steps:
            mark = "ok" if s.passed else "FAILED"  # the markers, as scripts read them
            out(f"  [{mark}] {said(lang, s.key)}: {said(lang, s.detail)}\n")
        record_daily_check(
            ctx.store,
            operator=ctx.operator,
            passed=result.passed,
            result=result.as_data(),
            board_identity=ctx.identity(),
            device_url=ctx.link.url,
        )
        if result.passed:
            out(say("PASSED: recorded; treatments may start today") + "\n")
            return 0
        out(say("FAILED: recorded; no treatment can start until a daily check passes today") + "\n")
        return EXIT_FAILED
    finally:
        ctx.close()


def run_log(args: argparse.Namespace) -> int:
    try:
        site = site_config(cli={"records": str(args.records) if args.records else None})
        store = SessionStore(site.records)
    except (SiteConfigError, RecordsError) as exc:
        sys.stderr.write(f"traction maintenance: {exc}\n")
        return EXIT_INVALID
    try:
        used = usage(store, PERIOD_S)
        cal, daily = last_calibration(store), last_daily_check(store)
        problems = readiness(cal, daily, local_today())
    finally:
        store.close()
    if args.json:
        data = {
            "sessions": used.sessions,
            "traction_hours": round(used.traction_s / 3600, 3),
            "hold_cycles": used.hold_cycles,
            "faults": dict(used.faults),
            "calibrations": used.calibrations,
            "daily_checks": used.daily_checks,
            "ready": not problems,
            "problems": problems,
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    out = sys.stdout.write
    out(f"sessions: {used.sessions}; traction: {used.traction_s / 3600:.2f} h; ")
    out(f"holds: {used.hold_cycles}; daily checks: {used.daily_checks}\n")
    faults = ", ".join(f"{k} {v}" for k, v in sorted(used.faults.items())) or "none"
    out(f"faults by code: {faults}\n")
    if used.calibrations:
        c = used.calibrations[0]
        out(
            f"last calibration: {c['at']} by {c['operator']} with {c['weights']}: "
            f"{'passed' if c['passed'] else 'FAILED'}, due {c['due']}\n"
        )
    else:
        out("last calibration: none on record\n")
    if problems:
        out("treatments: REFUSED\n" + "".join(f"  - {p}\n" for p in problems))
    else:
        out("treatments: may start today\n")
    return 0
