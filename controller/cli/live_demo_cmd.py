"""`traction live-demo`: the whole chain on the wire, in real time, printed live.

It starts the simulated table (real time, Modbus TCP on a free loopback port) and runs a
gentle static hold on it through the same session owner as `traction run` (one control loop
in the product, not a second one here): interlocks written and read back, tare, slack, ramp,
hold, controlled stop and the release handshake, with the telemetry and the session's events
printed as they go.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from controller.app.composition import open_realtime_link
from controller.cli.telemetry_view import HEADER, line
from controller.core.control_loop import CycleRecord
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.protocols.models import ProtocolFile, Static
from controller.run.treatment_run import TreatmentRun
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError
from safety.limits import Region, SafetyLimits, load_limits
from sim.profiles import DEFAULT_PROFILE, profile_names

EXIT_FAILED = 1


DEMO_REGION: Region = "lumbar"
DEMO_WEIGHT_KG = 75.0


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """A deliberately gentle pull: far below any treatment force."""

    target_force_n: float = 60.0
    hold_s: float = 2.0
    print_every_s: float = 0.5


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "live-demo", help="real time over Modbus TCP: pull gently on the simulator, print telemetry"
    )
    p.add_argument("--patient", choices=profile_names(), default=DEFAULT_PROFILE)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # the simulated table as `traction console` starts it: its board thread at the board's
    # real-time priority, so that a busy host cannot make it late (SR-042)
    with open_realtime_link(f"sim://?patient={args.patient}&seed={args.seed}") as served:
        out = sys.stdout
        where = served.sim.tcp_url if served.sim else "?"  # always set for sim://
        out.write(f"simulated table ({args.patient}) serving Modbus TCP on {where}\n")
        try:
            with served.link:
                return _session(served.link, DemoPlan(), load_limits())
        except LinkError as exc:
            out.write(f"demo failed: {type(exc).__name__}: {exc}\n")
            return EXIT_FAILED


def _session(link: TableLink, plan: DemoPlan, limits: SafetyLimits) -> int:
    """A short static hold through the same session owner as `traction run`: self-test,
    slack, ramp, hold, controlled stop and the release handshake, printed as it goes."""
    write = sys.stdout.write
    entry = ProtocolFile(
        name="live demo",
        protocol=Static(region=DEMO_REGION, force_n=plan.target_force_n, duration_s=plan.hold_s),
    )
    run_ = TreatmentRun(link, entry, limits, DEMO_WEIGHT_KG, records=None)
    run_.session.events.subscribe(lambda e: _print_event(e.text), replay=False)
    next_print = [0.0]

    def show(_: Treatment, record: CycleRecord) -> None:
        tel = record.telemetry
        if tel is not None and record.time_s >= next_print[0]:
            if not next_print[0]:
                write(HEADER + "\n")
            next_print[0] = record.time_s + plan.print_every_s
            write(line(record.time_s, tel) + "\n")

    run_.treat(on_cycle=show)
    result = run_.close()
    outcome = result.outcome
    if outcome is None:
        write(f"demo failed: {result.words}\n")
        return EXIT_FAILED
    p = outcome.prepared
    cfg, tel = p.interlocks, link.read_telemetry()
    write(
        f"board: {p.identity.product_code} rev {p.identity.revision}, ICD "
        f"0x{p.identity.icd_version:04X}; safety limits {limits.fingerprint()[:12]}: force limit "
        f"{p.force_limit_n:.0f} N; interlocks written and read back: trip "
        f"{cfg.force_trip_n:.0f} N, watchdog {cfg.watchdog_s * 1e3:.0f} ms\n"
        f"session {result.words}; after the release: force {tel.force_n:.1f} N, carriage at "
        f"{tel.position_m * 1e3:.1f} mm\n"
    )
    sys.stdout.flush()
    return 0 if outcome.state is State.COMPLETE else EXIT_FAILED


def _print_event(text: str) -> None:
    sys.stdout.write(f"-- {text}\n")
