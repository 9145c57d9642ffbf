"""The simulated board that `traction console` / `run --device sim://` start in process runs
its thread at the board's real-time priority where the system allows it: in hardware a board
never answers late because a browser is busy on the host."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from controller.cli.sim_cmd import read_announcement
from controller.composition import open_realtime_link
from sim.server import BOARD_PRIORITY

SIM = (sys.executable, "-m", "controller.cli.main", "sim")


def _can_use_fifo() -> bool:
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (PermissionError, OSError):
        return False
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    return True


def test_the_in_process_board_runs_above_ordinary_processes_below_the_control_thread() -> None:
    if not _can_use_fifo():
        pytest.skip("SCHED_FIFO not allowed here: the board runs at ordinary priority")
    with open_realtime_link("sim://") as served:
        served.link.connect()
        board = next(t for t in threading.enumerate() if t.name == "sim-server")
        assert board.native_id is not None
        assert os.sched_getscheduler(board.native_id) == os.SCHED_FIFO
        assert os.sched_getparam(board.native_id).sched_priority == BOARD_PRIORITY
        # the test's own thread, like every ordinary one, is untouched
        assert os.sched_getscheduler(0) == os.SCHED_OTHER
        served.link.close()


@pytest.mark.parametrize(("given", "policy"), [((), "fifo"), (("--priority", "0"), "other")])
def test_traction_sim_is_a_real_time_board_unless_told_not(
    given: tuple[str, ...], policy: str
) -> None:
    if not _can_use_fifo():
        pytest.skip("SCHED_FIFO not allowed here: the board runs at ordinary priority")
    proc = subprocess.Popen(
        [*SIM, "--tcp", "127.0.0.1:0", "--control", "127.0.0.1:0", *given],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        read_announcement(proc.stdout)
        if policy == "fifo":
            assert os.sched_getscheduler(proc.pid) == os.SCHED_FIFO
            assert os.sched_getparam(proc.pid).sched_priority == BOARD_PRIORITY
        else:
            assert os.sched_getscheduler(proc.pid) == os.SCHED_OTHER
    finally:
        proc.terminate()
        proc.wait(timeout=10)
