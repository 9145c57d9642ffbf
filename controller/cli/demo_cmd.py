"""`traction demo`: a preset protocol on the in-process simulator, in virtual time.

The main job of the README: the whole product at work -- protocol checked against the
limits, self-test, tare, slack take-up, the setpoint profile through the force loop, every
command through the safety gate and every snapshot through the monitor, controlled stop and
the board's release -- a 10-minute treatment in a few seconds, then its accuracy figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.app.composition import open_link, open_muscles
from controller.app.simulated_table import ready_simulated_table
from controller.app.site_config import SiteConfigError, site_config
from controller.core.control_loop import CycleRecord
from controller.core.end_reason import EXIT_INVALID, EXIT_TABLE
from controller.core.treatment import Treatment
from controller.maintenance.procedures import ProcedureError
from controller.muscles.source import MuscleSource, MuscleSourceError
from controller.muscles.summary import emg_lines, relaxation_lines
from controller.protocols.checks import ProtocolError
from controller.protocols.library import load_protocol
from controller.records.store import RecordsError
from controller.run.treatment_run import Acknowledged, TreatmentRun
from firmware_bridge.errors import LinkError
from safety.limits import LimitsError, load_limits
from sim.profiles import profile_names

DEFAULT_PRESET = "lumbar-intermittent"
PRINT_EVERY_S = 30.0
DEFAULT_EMG = "sim://?muscles=relaxed"  # the simulated patient's muscles, monitored


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run a preset on the built-in simulator (virtual time)")
    p.add_argument("protocol", nargs="?", default=DEFAULT_PRESET, help="preset or TOML file")
    p.add_argument(
        "--patient",
        choices=profile_names(),
        default=None,
        help="simulated patient (default: by the protocol's region)",
    )
    p.add_argument("--weight", type=float, default=75.0, metavar="KG")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--records",
        type=Path,
        default=None,
        help="records store (SQLite file; default: the demo's own, beside the table's)",
    )
    p.add_argument(
        "--emg",
        default=DEFAULT_EMG,
        help="the simulated patient's muscles: sim://?muscles=relaxed|guarding|spasm-prone, "
        f"or none (default {DEFAULT_EMG})",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = sys.stdout.write
    try:
        site = site_config(
            cli={"records": str(args.records) if args.records else None}
        ).for_simulator()
        entry = load_protocol(args.protocol)
        limits = load_limits()
    except (SiteConfigError, ProtocolError, LimitsError) as exc:
        sys.stderr.write(f"traction demo: refused: {exc}\n")
        return EXIT_INVALID
    region = entry.protocol.region
    patient = args.patient or ("cervical" if region == "cervical" else "lumbar-average")
    url = f"sim://?patient={patient}&seed={args.seed}"
    try:
        ready_simulated_table(site.records, url, limits.device_max_force_n, out)
    except (RecordsError, ProcedureError, LinkError) as exc:
        sys.stderr.write(f"traction demo: the simulated table could not be readied: {exc}\n")
        return EXIT_TABLE
    opened = open_link(url)
    link = opened.link
    muscles: MuscleSource | None = None
    try:
        if args.emg not in ("", "none"):
            muscles = open_muscles(args.emg, opened, mains_hz=site.mains_hz)
    except MuscleSourceError as exc:
        sys.stderr.write(f"traction demo: refused: {exc}\n")
        return EXIT_INVALID
    out(
        f"demo: {entry.name} ({entry.description}) on the simulated table, patient "
        f"{patient}, {args.weight:g} kg, virtual time\n"
    )
    next_print = [0.0]

    def show(treatment: Treatment, record: CycleRecord) -> None:
        tel = record.telemetry
        if tel is None or record.time_s < next_print[0]:
            return
        next_print[0] = record.time_s + PRINT_EVERY_S
        last = treatment.log.samples[-1] if treatment.log.samples else None
        target = f"{last.target_n:6.1f}" if last is not None else "     -"
        phase = last.phase if last is not None else "slack take-up"
        out(
            f"  t {record.time_s:7.1f} s  {treatment.states.state:<9} {phase:<14} target "
            f"{target} N  measured {tel.force_n:6.1f} N  timer {treatment.timer_s:6.1f} s\n"
        )

    try:
        run_ = TreatmentRun(
            link,
            entry,
            limits,
            args.weight,
            records=site.records,
            patient_ref=f"sim:{patient}",
            muscles=muscles,
            muscle_settings=site.muscle_settings,
            mains_hz=site.mains_hz,
            language=site.language,
        )
    except RecordsError as exc:
        sys.stderr.write(f"traction demo: {exc}\n")
        return EXIT_TABLE
    run_.treat(on_cycle=show)
    run_.answer_end(Acknowledged("demo"))  # nobody at a simulated table to press a key
    result = run_.close(site.report_path(run_.session_id), site.units)
    outcome = result.outcome
    if outcome is None:
        sys.stderr.write(f"traction demo: {result.words}\n")
        return result.exit_code
    acc, log = outcome.accuracy, outcome.treatment.log
    prof = outcome.checked.profile
    out(
        f"session {result.words}: planned {prof.total_s:.1f} s, timer ran "
        f"{outcome.treatment.timer_s:.1f} s, waited {log.waited_s:.1f} s for forces to be reached\n"
        f"hold error: mean {acc.mean_error_n:.2f} N, peak {acc.peak_error_n:.2f} N; overshoot "
        f"{acc.overshoot_n:.2f} N; {acc.hold_samples} hold samples; targets "
        f"{'met' if acc.meets else 'MISSED'} (mean <= max(1 %, 1 N), peak <= max(3 %, 3 N), "
        f"overshoot <= max(2 %, 2 N))\n"
        f"safety: limit {outcome.prepared.force_limit_n:.1f} N, limits "
        f"{outcome.prepared.limits.fingerprint()[:12]}, trips: "
        f"{', '.join(t.describe() for t in outcome.prepared.supervisor.trips) or 'none'}\n"
    )
    relaxed = outcome.relaxation.as_dict()
    emg = None if outcome.emg is None else outcome.emg.as_dict()
    out("".join(f"{line}\n" for line in [*relaxation_lines(relaxed), *emg_lines(emg)]))
    out(
        f"record: session {result.session_id} in {site.records} "
        f"(traction sessions --records {site.records} show {result.session_id})\n"
    )
    if result.records_error is not None:
        sys.stderr.write(
            f"traction demo: ALARM: records could not be written: {result.records_error}\n"
        )
        return result.exit_code
    out(f"report: {result.report}\n" if result.report else "report: not drawn (see the log)\n")
    return result.exit_code
