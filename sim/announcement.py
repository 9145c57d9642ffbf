"""Where a `traction sim` listens: the lines it prints when it starts, and their reader.

The parser lives beside the printer so that the two cannot drift apart; programs that start
`traction sim` (HIL, benchmarks, tests) read it here, and keep draining the child's output.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from firmware_bridge import icd
from sim.server import Endpoints

LAST_LINE = "Ctrl-C stops it."


def announcement(ep: Endpoints, heading: str) -> str:
    """The lines `traction sim` prints once it listens, under `heading`."""
    lines = [heading]
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
    if ep.emg_stream:
        lines.append(f"  emg lsl      {ep.emg_stream}  (1000 Hz, 2 channels)  EMG URL {ep.emg_url}")
    if ep.control:
        lines.append(
            f"  control      {ep.control[0]}:{ep.control[1]}"
            f"  (traction inject NAME --control {ep.control[0]}:{ep.control[1]})"
        )
    lines.append(f"  {LAST_LINE}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Announced:
    """Where a `traction sim` said it listens (what `announce` printed, read back)."""

    tcp: tuple[str, int] | None = None
    rtu: str | None = None
    control: tuple[str, int] | None = None
    urls: tuple[str, ...] = ()  # device URLs, TCP first
    emg_url: str | None = None  # the muscles' LSL stream, when it streams one


def read_announcement(lines: Iterable[str]) -> Announced:
    """What `announcement` printed, read back up to its last line."""
    tcp = control = None
    rtu = None
    urls: list[str] = []
    emg = None
    for line in lines:
        if m := re.search(r"EMG URL (\S+)", line):
            emg = m.group(1)
        if m := re.search(r"modbus tcp\s+(\S+):(\d+)", line):
            tcp = (m.group(1), int(m.group(2)))
        if m := re.search(r"modbus rtu\s+(\S+)", line):
            rtu = m.group(1)
        if m := re.search(r"control\s+(\S+):(\d+)", line):
            control = (m.group(1), int(m.group(2)))
        if m := re.search(r"device URL (\S+)", line):
            urls.append(m.group(1))
        if LAST_LINE in line:
            break
    return Announced(tcp, rtu, control, tuple(urls), emg)


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
