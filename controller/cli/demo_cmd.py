"""`traction demo`: the whole chain at work on the built-in simulator, printed live.

Until the treatment controller exists this is the main job: it starts the simulated table
(real time, Modbus TCP on a free loopback port), connects the firmware bridge to it over the
wire, configures and reads back the interlocks, tares, takes up the slack with a gentle pull
up to a small force, holds, asks the board for a safe release, and prints the telemetry as
it goes. The board's watchdog guards every step: the loop sends its heartbeat each cycle.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from controller.cli.telemetry_view import HEADER, line
from controller.composition import open_link
from firmware_bridge import Command, InterlockConfig, TableLink
from firmware_bridge.errors import LinkError
from firmware_bridge.icd import Control, Status
from firmware_bridge.values import Telemetry
from sim.board import SimBoard
from sim.profiles import DEFAULT_PROFILE, profile_names
from sim.server import LOOPBACK, ServeOptions, SimServer

EXIT_FAILED = 1


DEMO_INTERLOCKS = InterlockConfig(
    watchdog_s=0.1,
    force_trip_n=150.0,
    velocity_limit_m_s=0.02,
    release_speed_m_s=0.01,
    release_force_n=5.0,
)


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """A deliberately gentle pull: far below any treatment force."""

    period_s: float = 0.01
    pull_speed_m_s: float = 0.01
    target_force_n: float = 60.0
    hold_s: float = 1.5
    print_every_s: float = 0.25
    max_s: float = 15.0
    interlocks: InterlockConfig = DEMO_INTERLOCKS


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="pull gently on the built-in simulator, print telemetry")
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
                return _session(link, DemoPlan())
        except LinkError as exc:
            out.write(f"demo failed: {type(exc).__name__}: {exc}\n")
            return EXIT_FAILED


def _session(link: TableLink, plan: DemoPlan) -> int:
    write = sys.stdout.write
    ident = link.connect()
    write(
        f"board: {ident.product_code} rev {ident.revision}, ICD 0x{ident.icd_version:04X}, "
        f"hardware max {ident.limits.force_max_n:.0f} N\n"
    )
    cfg = link.configure_interlocks(plan.interlocks)
    write(
        f"interlocks written and read back: trip {cfg.force_trip_n:.0f} N, watchdog "
        f"{cfg.watchdog_s * 1e3:.0f} ms, speed limit {cfg.velocity_limit_m_s * 1e3:.0f} mm/s\n"
    )
    link.tare()
    write("tared at home\n" + HEADER + "\n")
    clock = link.clock
    start = next_print = clock.now()
    deadline = start
    phase, hold_until = "pull", 0.0
    tel: Telemetry | None = None
    while True:
        now = clock.now()
        if phase == "pull":
            command = Command(Control.ENABLE, plan.pull_speed_m_s)
        elif phase == "hold":
            command = Command(Control.ENABLE, 0.0)
        else:
            command = Command(Control.RELEASE, 0.0)
        tel = link.cycle(command)
        if tel.fault.value:
            write(line(now - start, tel) + "\n")
            write(f"board fault {tel.fault.name}: the board released on its own\n")
            return EXIT_FAILED
        if phase == "pull" and tel.force_n >= plan.target_force_n:
            phase, hold_until = "hold", now + plan.hold_s
            write(f"-- reached {tel.force_n:.1f} N, holding\n")
        elif phase == "hold" and now >= hold_until:
            phase = "release"
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
    link.cycle(Command(Control.NONE, 0.0))
    write(f"released: force {tel.force_n:.1f} N, carriage at {tel.position_m * 1e3:.1f} mm\n")
    sys.stdout.flush()
    return 0
