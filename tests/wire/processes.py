"""Real processes for the wire tests: `traction sim` on a free loopback port, `traction run`
against it with no terminal, and reading their output as a person would."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sim.announcement import keep_draining, read_announcement
from tests.helpers import ready_records

ROOT = Path(__file__).resolve().parents[2]
INJECT = (sys.executable, "-m", "controller.cli.main", "inject")
HOLD_TOML = 'protocol = { kind = "static", force_n = 80.0, duration_s = 600.0 }\n'


class Board:
    """`traction sim --variant V` on a free loopback port, in its own process (to kill it)."""

    def __init__(self, variant: str) -> None:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "controller.cli.main", "sim"),
                *("--tcp", "127.0.0.1:0", "--control", "127.0.0.1:0", "--variant", variant),
                "--no-emg",  # the board's behaviour: no muscles, no LSL stream
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        said = read_announcement(self.proc.stdout)
        keep_draining(self.proc.stdout)
        assert said.tcp is not None and said.control is not None
        self.url = f"tcp://{said.tcp[0]}:{said.tcp[1]}"
        self.control = f"{said.control[0]}:{said.control[1]}"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def start_run(url: str, tmp_path: Path) -> subprocess.Popen[str]:
    protocol = tmp_path / "steady.toml"
    protocol.write_text(HOLD_TOML)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "controller.cli.main",
            "run",
            str(protocol),
            "--weight",
            "75",
            "--device",
            url,
            "--records",
            str(ready_records(tmp_path / "records.sqlite3")),
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,  # as from a service or a script: no terminal
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(proc: subprocess.Popen[str], text: str, lines: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if text in line:
            return
    raise AssertionError(f"{text!r} never shown:\n{''.join(lines)}")


def finish(proc: subprocess.Popen[str], lines: list[str], bound_s: float) -> float:
    """Wait for the end; returns how long it took."""
    t0 = time.monotonic()
    out, _ = proc.communicate(timeout=bound_s + 30)
    lines.extend(out.splitlines(keepends=True))
    return time.monotonic() - t0
