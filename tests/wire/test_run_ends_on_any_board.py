"""`traction run` against `traction sim --variant V` over Modbus TCP, as QA found the hangs.

Real processes, real sockets: the board (a separate `traction sim`) is killed mid-hold, or
the run is sent SIGTERM while holding, while stopping, or with the board gone. Every time the
command must end by itself within its stated bound, with the exit code and alarm the docs
promise, without a flood of output lines or audit events.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.records.store import SessionStore
from controller.run.session import ending_bound_s
from safety.limits import load_limits
from safety.release import ReleaseParams
from tests.wire.processes import INJECT, ROOT, Board, finish, start_run, wait_for

LIMITS = load_limits()
LOST_BOUND_S = 30.0  # issue 10: ends by itself within 30 s of losing the board
MAX_LINES = 50
MAX_OUTAGE_EVENTS = 10


@pytest.fixture
def board(request: pytest.FixtureRequest) -> Iterator[Board]:
    b = Board(getattr(request, "param", "reference"))
    try:
        yield b
    finally:
        if b.proc.poll() is None:
            b.kill()


@pytest.mark.requirement("SR-012", "SR-019")
@pytest.mark.parametrize("board", ["reference", "release-level"], indirect=True)
def test_board_lost_mid_hold_ends_the_run_by_itself(board: Board, tmp_path: Path) -> None:
    proc = start_run(board.url, tmp_path)
    lines: list[str] = []
    wait_for(proc, " hold ", lines)
    before = len(lines)
    board.kill()
    took = finish(proc, lines, LOST_BOUND_S)
    out = "".join(lines)
    assert proc.returncode == 3, out
    assert took <= LOST_BOUND_S, took
    assert "BOARD_UNREACHABLE" in out and "manual release" in out
    assert len(lines) - before <= MAX_LINES, out
    store = SessionStore(tmp_path / "records.sqlite3")
    (row,) = store.sessions()
    assert row["outcome"] == "faulted"
    events = store.events(row["id"])
    lost = next(e.t_s for e in events if "LINK_FAILURE" in e.message)
    assert lost is not None
    outage = [e for e in events if (e.t_s or 0.0) >= lost]
    assert len(outage) <= MAX_OUTAGE_EVENTS, [e.message for e in outage]
    assert store.verify() == []


@pytest.mark.parametrize(
    ("board", "moment"),
    [
        ("release-level", "holding"),
        ("release-level", "stopping"),
        ("release-level", "board gone"),
        ("strict", "stopping"),
    ],
    indirect=["board"],
)
@pytest.mark.requirement("SR-014")
def test_sigterm_ends_the_run_within_the_stated_bound(
    board: Board, tmp_path: Path, moment: str
) -> None:
    proc = start_run(board.url, tmp_path)
    lines: list[str] = []
    wait_for(proc, " hold ", lines)
    if moment == "stopping":
        proc.send_signal(signal.SIGINT)  # the technician's stop: a controlled ramp down
        wait_for(proc, "stopping", lines)
    elif moment == "board gone":
        board.kill()
    proc.send_signal(signal.SIGTERM)
    took = finish(proc, lines, ending_bound_s(LIMITS))
    out = "".join(lines)
    assert took <= ending_bound_s(LIMITS), (took, out)
    if moment == "board gone":
        assert proc.returncode == 3, out
        assert "manual release" in out
    else:  # released at once and confirmed: stopped early, never "complete"
        assert proc.returncode == 5, out
        first = "operator" if moment == "stopping" else "system (SIGTERM)"
        assert f"session stopped early by {first}, released" in out
        assert "session complete" not in out
        store = SessionStore(tmp_path / "records.sqlite3")
        (row,) = store.sessions()
        assert row["outcome"] == f"stopped early by {first}"
        assert row["last_state"] == "stopped" and row["ended_at"] is not None
        assert any("board release done" in e.message for e in store.events(row["id"]))


@pytest.mark.parametrize("board", ["strict"], indirect=True)
@pytest.mark.requirement("SR-045")
def test_patient_stop_without_a_terminal_ends_by_itself(board: Board, tmp_path: Path) -> None:
    """stdin not a terminal (a service, a script): nobody can acknowledge or resume, so the
    session ends once the board's release is confirmed: exit 3, stopped by the patient. (On
    every variant in virtual time: tests/controller/test_patient_stop.py.)"""
    proc = start_run(board.url, tmp_path)
    lines: list[str] = []
    wait_for(proc, " hold ", lines)
    pressed = subprocess.run(
        [*INJECT, "patient-press", "--control", board.control],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert pressed.returncode == 0, pressed.stdout + pressed.stderr
    bound = ReleaseParams.from_limits(LIMITS).longest_s + 5.0  # the release bound, and a margin
    took = finish(proc, lines, bound)
    out = "".join(lines)
    assert proc.returncode == 3, out
    assert took <= bound, (took, out)
    assert "session stopped by the patient (hand switch), released" in out
    assert "complete" not in out.split("session stopped by the patient")[1]
    assert len(lines) <= MAX_LINES, out
    store = SessionStore(tmp_path / "records.sqlite3")
    (row,) = store.sessions()
    assert row["outcome"] == "stopped by patient"
    assert row["last_state"] == "stopped"
    assert any("no technician can answer" in e.message for e in store.events(row["id"]))
    assert store.verify() == []
