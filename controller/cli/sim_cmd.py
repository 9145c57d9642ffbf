"""`traction sim`: serve a simulated table until interrupted, and say where it listens."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from controller.cli.args import host_port
from firmware_bridge import icd
from sim.announcement import announcement
from sim.board import SimBoard
from sim.lsl_outlet import DEFAULT_NAME
from sim.muscles import DEFAULT_MUSCLES, muscle_profile_names
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
        "--muscles",
        choices=muscle_profile_names(),
        default=DEFAULT_MUSCLES,
        help=f"the patient's back muscles (default {DEFAULT_MUSCLES})",
    )
    p.add_argument(
        "--emg-name",
        default=DEFAULT_NAME,
        help=f"the EMG stream's LSL name (default {DEFAULT_NAME})",
    )
    p.add_argument(
        "--no-emg", action="store_true", help="no muscles: no EMG stream on Lab Streaming Layer"
    )
    p.add_argument(
        "--mains-hz", type=float, choices=(50.0, 60.0), default=50.0, help="mains hum, Hz"
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
    if not args.no_emg:
        from controller.muscles.lsl_source import configure_lsl  # liblsl only when streaming

        configure_lsl()  # discovery on this machine only, before the outlet exists
        board.attach_muscles(args.muscles, seed=args.seed, mains_hz=args.mains_hz)
    options = ServeOptions(
        tcp=None if args.no_tcp else args.tcp,
        rtu_pty=args.rtu_pty,
        control=args.control,
        virtual=args.virtual,
        priority=args.priority or None,
        emg_stream=None if args.no_emg else args.emg_name,
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
    heading = (
        f"traction sim: patient {args.patient}, seed {args.seed}, {clock}, "
        f"board variant {args.variant}" + ("" if args.no_emg else f", muscles {args.muscles}")
    )
    sys.stdout.write(announcement(ep, heading))
    sys.stdout.flush()
