"""The `traction` command as a person uses it: real processes, real ports, real exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.announcement import keep_draining, read_announcement

TRACTION = [sys.executable, "-m", "controller.cli.main"]
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60


def traction(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRACTION, *args], capture_output=True, text=True, cwd=ROOT, timeout=TIMEOUT_S, check=False
    )


@pytest.fixture
def sim_process() -> Iterator[dict[str, str]]:
    """`traction sim` on free loopback ports; yields what it printed, parsed."""
    proc = subprocess.Popen(
        [
            *TRACTION,
            "sim",
            "--tcp",
            "127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
            "--rtu-pty",
            "--patient",
            "cervical",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    said = read_announcement(proc.stdout)
    keep_draining(proc.stdout)
    keep_draining(proc.stderr)
    assert said.tcp is not None and said.rtu is not None and said.control is not None
    assert said.emg_url == "lsl://?type=EMG&name=traction-sim-emg"  # EMG on by default
    found = {
        "tcp": f"{said.tcp[0]}:{said.tcp[1]}",
        "rtu": said.rtu,
        "control": f"{said.control[0]}:{said.control[1]}",
    }
    try:
        yield found
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_sim_prints_where_it_listens_and_inject_reaches_it(sim_process: dict[str, str]) -> None:
    assert sim_process["tcp"].startswith("127.0.0.1:")
    assert os.path.exists(sim_process["rtu"])
    ctl = sim_process["control"]
    done = traction("inject", "patient-press", "--control", ctl)
    assert done.returncode == 0, done.stderr
    assert traction("inject", "electrode-off", "side=right", "--control", ctl).returncode == 0
    state = json.loads(traction("inject", "--state", "--control", ctl).stdout)
    assert "PATIENT_STOP" in state["status"]
    assert state["profile"] == "cervical"
    listing = traction("inject", "--list", "--control", ctl).stdout
    assert "channel-drift" in listing and "rate_n_per_s" in listing


def test_inject_with_parameters_and_refusals(sim_process: dict[str, str]) -> None:
    ctl = sim_process["control"]
    assert (
        traction(
            "inject", "channel-drift", "channel=B", "rate_n_per_s=2.5", "--control", ctl
        ).returncode
        == 0
    )
    bad = traction("inject", "channel-drift", "channel=Z", "--control", ctl)
    assert bad.returncode == 2 and "channel" in bad.stderr
    assert traction("inject", "bogus", "--control", ctl).returncode == 2
    assert traction("inject", "estop-open", "notkeyvalue", "--control", ctl).returncode == 2


def test_inject_without_a_simulator_says_so() -> None:
    result = traction("inject", "estop-open", "--control", "127.0.0.1:1")
    assert result.returncode == 1
    assert "no simulator control interface" in result.stderr


def test_bad_arguments_exit_2() -> None:
    assert traction("sim", "--tcp", "nonsense").returncode == 2
    assert traction("sim", "--patient", "nobody").returncode == 2
    assert traction("frobnicate").returncode == 2


def test_ports_lists_or_says_none() -> None:
    result = traction("ports")
    assert result.returncode == 0
    assert result.stdout.strip()


def test_live_demo_runs_the_whole_chain_on_the_wire() -> None:
    result = traction("live-demo")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "interlocks written and read back" in out
    assert "release requested" in out and "board release done" in out
    assert "session complete" in out
    assert re.search(r"after the release: force \d+\.\d N", out)


def test_demo_runs_a_treatment_in_virtual_time(tmp_path: Path) -> None:
    db, log_file = tmp_path / "records.sqlite3", tmp_path / "log.jsonl"
    result = traction(
        "--log-file", str(log_file), "demo", "lumbar-progressive", "--records", str(db)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "session complete" in result.stdout
    assert "targets met" in result.stdout
    assert "trips: none" in result.stdout
    # it ends by naming its record and its report
    report = Path(re.findall(r"^report: (.+)$", result.stdout, re.M)[-1])
    assert report == tmp_path / "reports" / "session-1.png"
    assert report.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"record: session 1 in {db}" in result.stdout
    # JSON log lines on disk, every one of the session's bearing its id
    lines = [json.loads(x) for x in log_file.read_text().splitlines()]
    events = [x["event"] for x in lines]
    first, last = events.index("session recorded"), events.index("session record closed")
    assert last - first >= 3
    assert all(x.get("session_id") == 1 for x in lines[first : last + 1])
    assert {"timestamp", "level", "logger"} <= set(lines[first])
    verified = traction("sessions", "--records", str(db), "verify")
    assert verified.returncode == 0 and "verified" in verified.stdout


def test_demo_refuses_a_protocol_over_the_limit() -> None:
    result = traction("demo", "lumbar-intermittent", "--weight", "40")
    assert result.returncode == 2
    assert "hold_force_n = 300 N" in result.stderr


def test_run_refuses_a_device_url_whose_timeout_defeats_the_liveness_limits() -> None:
    done = traction(
        "run", "lumbar-static", "--weight", "75", "--device", "tcp://127.0.0.1:9?timeout=0.1"
    )
    assert done.returncode == 2
    assert "refused" in done.stderr and "liveness.max_cycle_gap_s" in done.stderr
    assert "lower ?timeout=" in done.stderr
