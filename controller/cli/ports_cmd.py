"""`traction ports`: the serial ports this machine has (where an RS-485 adapter would be)."""

from __future__ import annotations

import argparse
import sys

from serial.tools import list_ports


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ports", help="list serial ports")
    p.set_defaults(run=run)


def run(_: argparse.Namespace) -> int:
    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    if not ports:
        sys.stdout.write("no serial ports found\n")
        return 0
    for port in ports:
        sys.stdout.write(f"{port.device:<20} {port.description or '-':<32} {port.hwid or '-'}\n")
        sys.stdout.write(f"{'':<20} device URL rtu://{port.device}?baud=115200&parity=E\n")
    return 0
