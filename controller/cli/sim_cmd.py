"""`traction sim`: serve a simulated table until interrupted, and say where it listens."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from controller.cli.args import host_port
from firmware_bridge import icd
from sim.board import SimBoard
from sim.profiles import DEFAULT_PROFILE, profile_names
from sim.server import (
    BOARD_PRIORITY,
    DEFAULT_CONTROL_PORT,
    LOOPBACK,
    Endpoints,
    ServeOptions,
    SimServer,
)
from sim.variants import DEFAULT_VARIANT, VARIANTS

_LAST_LINE = "Ctrl-C stops it."


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sim", help="run the simulated table (Modbus TCP, RTU pty, control)")
    p.add_argument(
        "--tcp",
        type=host_port,
        default=(LOOPBACK, icd.DEFAULT_TCP_PORT),
        metavar="HOST:PORT",
        help="Modbus TCP listener (default 127.0.0.1:5020)",
    )
    p.add_argument("--no-tcp", action="store_true", help="no Modbus TCP listener")
    p.add_argument("--rtu-pty", action="store_true", help="also serve Modbus RTU on a pty")
    p.add_argument(
        "--control",
        type=host_port,
        default=(LOOPBACK, DEFAULT_CONTROL_PORT),
        metavar="HOST:PORT",
        help="injection interface (default 127.0.0.1:5021)",
    )
    p.add_argument("--patient", choices=profile_names(), default=DEFAULT_PROFILE)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--variant",
        choices=list(VARIANTS),
        default=DEFAULT_VARIANT,
        help="which reading of the ICD's open choices the board takes (docs/simulator.md)",
    )
    p.add_argument("--no-channel-b", action="store_true", help="board without load-cell B")
    p.add_argument(
        "--priority",
        type=int,
        default=BOARD_PRIORITY,
        metavar="N",
        help=f"real time: run at SCHED_FIFO N where allowed, as a board is dedicated hardware "
        f"(default {BOARD_PRIORITY}, below the host's control thread; 0: ordinary priority)",
    )
    p.add_argument(
        "--virtual",
        action="store_true",
        help="virtual time: the board moves only on the control interface's advance",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    board = SimBoard(
        args.patient,
        seed=args.seed,
        channel_b_fitted=not args.no_channel_b,
        variant=VARIANTS[args.variant],
    )
    options = ServeOptions(
        tcp=None if args.no_tcp else args.tcp,
        rtu_pty=args.rtu_pty,
        control=args.control,
        virtual=args.virtual,
        priority=args.priority or None,
    )
    server = SimServer(board, options)
    # Ctrl-C stops the simulator even when it was started as a background job, whose shell
    # leaves SIGINT ignored (an ignored signal is inherited across exec)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve_forever(lambda ep: announce(ep, args)))
    return 0


def announce(ep: Endpoints, args: argparse.Namespace) -> None:
    clock = "virtual time" if args.virtual else "real time"
    lines = [
        f"traction sim: patient {args.patient}, seed {args.seed}, {clock}, "
        f"board variant {args.variant}"
    ]
    if ep.tcp:
        lines.append(
            f"  modbus tcp   {ep.tcp[0]}:{ep.tcp[1]}  (unit {icd.DEFAULT_UNIT_ID})"
            f"  device URL {ep.tcp_url}"
        )
    if ep.rtu:
        lines.append(
            f"  modbus rtu   {ep.rtu}  (115200 8E1, unit {icd.DEFAULT_UNIT_ID})"
            f"  device URL {ep.rtu_url}"
        )
    if ep.control:
        lines.append(
            f"  control      {ep.control[0]}:{ep.control[1]}"
            f"  (traction inject NAME --control {ep.control[0]}:{ep.control[1]})"
        )
    lines.append(f"  {_LAST_LINE}")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class Announced:
    """Where a `traction sim` said it listens (what `announce` printed, read back)."""

    tcp: tuple[str, int] | None = None
    rtu: str | None = None
    control: tuple[str, int] | None = None
    urls: tuple[str, ...] = ()  # device URLs, TCP first


def read_announcement(lines: Iterable[str]) -> Announced:
    """For programs that start `traction sim` (HIL, benchmarks, tests): the parser lives
    beside the printer so that the two cannot drift apart. Reads up to the last line."""
    tcp = control = None
    rtu = None
    urls: list[str] = []
    for line in lines:
        if m := re.search(r"modbus tcp\s+(\S+):(\d+)", line):
            tcp = (m.group(1), int(m.group(2)))
        if m := re.search(r"modbus rtu\s+(\S+)", line):
            rtu = m.group(1)
        if m := re.search(r"control\s+(\S+):(\d+)", line):
            control = (m.group(1), int(m.group(2)))
        if m := re.search(r"device URL (\S+)", line):
            urls.append(m.group(1))
        if _LAST_LINE in line:
            break
    return Announced(tcp, rtu, control, tuple(urls))


def keep_draining(stream: IO[str] | None, sink: IO[str] | None = None) -> threading.Thread:
    """Why: a child whose output is a pipe nobody reads blocks in its next write once the
    pipe's buffer (64 KiB on Linux) is full, and a blocked simulator or console looks like
    a dead board or a frozen screen. Whoever reads the announcement keeps reading the rest
    here, into `sink` (a log file kept for diagnosis) or nowhere."""

    def run() -> None:
        if stream is None:
            return
        for line in stream:
            if sink is not None:
                sink.write(line)
                sink.flush()

    t = threading.Thread(target=run, name="drain-child-output", daemon=True)
    t.start()
    return t
