"""`traction live-demo`: the whole chain on the wire, in real time, printed live.

It starts the simulated table
(real time, Modbus TCP on a free loopback port), connects the firmware bridge to it over the
wire, derives the board's interlocks from the safety limits and reads them back, tares, takes
up the slack with a gentle pull up to a small force, holds, asks the board for a safe release,
and prints the telemetry as it goes. Every command passes the safety layer's gate and every
snapshot its monitor; the board's watchdog guards the heartbeat.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from controller.cli.telemetry_view import HEADER, line
from controller.composition import open_link
from controller.preparation import prepare
from firmware_bridge import TableLink
from firmware_bridge.errors import LinkError
from firmware_bridge.icd import Status
from safety.limits import Region, SafetyLimits, load_limits
from safety.monitor import Observation
from sim.board import SimBoard
from sim.profiles import DEFAULT_PROFILE, profile_names
from sim.server import LOOPBACK, ServeOptions, SimServer

EXIT_FAILED = 1


DEMO_REGION: Region = "lumbar"
DEMO_WEIGHT_KG = 75.0


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """A deliberately gentle pull: far below any treatment force."""

    period_s: float = 0.01
    pull_speed_m_s: float = 0.01
    target_force_n: float = 60.0
    hold_s: float = 1.5
    print_every_s: float = 0.25
    max_s: float = 60.0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "live-demo", help="real time over Modbus TCP: pull gently on the simulator, print telemetry"
    )
    p.add_argument("--patient", choices=profile_names(), default=DEFAULT_PROFILE)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    board = SimBoard(args.patient, seed=args.seed)
    server = SimServer(board, ServeOptions(tcp=(LOOPBACK, 0), control=None))
    with server.running() as ep:
        out = sys.stdout
        out.write(f"simulated table ({args.patient}) serving Modbus TCP on {ep.tcp_url}\n")
        link = open_link(ep.tcp_url).link
        try:
            with link:
                return _session(link, DemoPlan(), load_limits())
        except LinkError as exc:
            out.write(f"demo failed: {type(exc).__name__}: {exc}\n")
            return EXIT_FAILED


def _session(link: TableLink, plan: DemoPlan, limits: SafetyLimits) -> int:
    write = sys.stdout.write
    ready = prepare(link, limits, region=DEMO_REGION, weight_kg=DEMO_WEIGHT_KG)
    ident, cfg, tel, supervisor = (
        ready.identity,
        ready.interlocks,
        ready.telemetry,
        ready.supervisor,
    )
    write(
        f"board: {ident.product_code} rev {ident.revision}, ICD 0x{ident.icd_version:04X}, "
        f"hardware max {ident.limits.force_max_n:.0f} N\n"
        f"safety limits {limits.fingerprint()[:12]}: force limit {ready.force_limit_n:.0f} N "
        f"({DEMO_REGION}, {DEMO_WEIGHT_KG:.0f} kg)\n"
        f"interlocks written and read back: trip {cfg.force_trip_n:.0f} N, watchdog "
        f"{cfg.watchdog_s * 1e3:.0f} ms, speed limit {cfg.velocity_limit_m_s * 1e3:.0f} mm/s\n"
        "tared at home\n" + HEADER + "\n"
    )
    supervisor.start_treatment()
    clock = link.clock
    start = next_print = last = clock.now()
    deadline = start
    phase, hold_until = "pull", 0.0
    while True:
        now = clock.now()
        # the treatment runs until the release has ended (force is expected until then)
        trips = supervisor.observe(
            Observation(now, tel, cycle_gap_s=now - last, treatment_active=True)
        )
        last = now
        for trip in trips:
            write(f"SAFETY TRIP: {trip.describe()}\n")
        if supervisor.tripped:
            write("the safety layer released the patient\n")
            return EXIT_FAILED
        proposal = plan.pull_speed_m_s if phase == "pull" else 0.0
        tel = link.cycle(supervisor.command(proposal, tel))
        if phase == "pull" and tel.force_n >= plan.target_force_n:
            phase, hold_until = "hold", now + plan.hold_s
            write(f"-- reached {tel.force_n:.1f} N, holding\n")
        elif phase == "hold" and now >= hold_until:
            phase = "release"
            supervisor.stop_treatment()
            link.release_now()
            write("-- release requested\n")
        elif phase == "release" and not tel.has(Status.RELEASING):
            write(line(now - start, tel) + "\n")
            break
        if now >= next_print:
            write(line(now - start, tel) + "\n")
            next_print += plan.print_every_s
        if now - start > plan.max_s:
            link.release_now()
            write("demo took too long; release requested\n")
            return EXIT_FAILED
        deadline += plan.period_s
        clock.sleep_until(deadline)
    write(f"released: force {tel.force_n:.1f} N, carriage at {tel.position_m * 1e3:.1f} mm\n")
    sys.stdout.flush()
    return 0
