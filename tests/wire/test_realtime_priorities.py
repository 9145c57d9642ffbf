"""Real-time priorities on the wall clock, where the system allows them.

The simulated board that `traction console` / `run --device sim://` start in process, and
`traction sim`, run at the board's real-time priority: in hardware a board never answers late
because a browser is busy on the host. The threads that share the interpreter lock with the
control thread (the records writer during a session, the console's channel) run at SCHED_FIFO
below it, so that no ordinary process can preempt one while it holds the lock the control
thread waits for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from multiprocessing.connection import Client
from pathlib import Path
from typing import cast

import pytest

from controller.app.composition import open_link, open_realtime_link
from controller.console.backend import LocalBackend
from controller.console.remote import ServiceHost
from controller.core.control_loop import CycleRecord
from controller.core.homing import home
from controller.core.realtime import GIL_SWITCH_S, REALTIME_PRIORITY, SERVING_PRIORITY
from controller.core.session_states import State
from controller.core.treatment import Treatment
from controller.protocols.models import ProtocolFile, Static
from controller.records.recorder import SessionRecorder
from controller.run.runner import run_treatment
from firmware_bridge import Telemetry
from firmware_bridge.icd import Status
from safety.limits import load_limits
from sim.announcement import read_announcement
from sim.server import BOARD_PRIORITY, Endpoints, SimServer
from tests.helpers import ready_records

pytestmark = pytest.mark.requirement("SR-042")
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


def test_the_live_demos_board_is_a_real_time_board() -> None:
    """At ordinary priority its board thread answers late whenever a browser runs beside
    it: the demo would lose its link to a late board, not a late host."""
    if not _can_use_fifo():
        pytest.skip("SCHED_FIFO not allowed here: the board runs at ordinary priority")
    proc = subprocess.Popen(
        [sys.executable, "-m", "controller.cli.main", "live-demo"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "serving Modbus TCP" in proc.stdout.readline()
        # Python 3.11 does not name OS threads: the board's is the one at its priority
        policies = [
            (os.sched_getscheduler(int(t.name)), os.sched_getparam(int(t.name)).sched_priority)
            for t in Path(f"/proc/{proc.pid}/task").iterdir()
        ]
        assert policies.count((os.SCHED_FIFO, BOARD_PRIORITY)) == 1, policies
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-2000:]
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _policy(thread_name: str) -> tuple[int, int]:
    t = next(t for t in threading.enumerate() if t.name == thread_name)
    assert t.native_id is not None
    return os.sched_getscheduler(t.native_id), os.sched_getparam(t.native_id).sched_priority


def test_the_records_writer_runs_below_the_control_thread_during_a_session(
    served: tuple[SimServer, Endpoints], tmp_path: Path
) -> None:
    if not _can_use_fifo():
        pytest.skip("SCHED_FIFO not allowed here: every thread runs at ordinary priority")
    _, ep = served
    store = tmp_path / "records.sqlite3"
    ready_records(store)
    link = open_link(ep.tcp_url).link
    recorder = SessionRecorder(store, operator="t", patient_ref="P-1", device_url=ep.tcp_url)
    seen: dict[str, tuple[int, int]] = {}

    def look(treatment: Treatment, _record: CycleRecord) -> None:
        if not seen and treatment.phase == "hold":  # in the control thread, mid-session
            seen["writer"] = _policy("records-writer")
            seen["control"] = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)

    entry = ProtocolFile(name="short", protocol=Static(force_n=60.0, duration_s=2.0))
    outcome = run_treatment(link, entry, load_limits(), 75.0, recorder=recorder, on_cycle=look)
    recorder.finish(outcome.label, outcome.treatment.states.state, link.clock.now())
    link.close()
    assert outcome.state is State.COMPLETE
    assert seen, "the session never reached its hold"
    assert seen["control"] == (os.SCHED_FIFO, REALTIME_PRIORITY)
    assert seen["writer"] == (os.SCHED_FIFO, SERVING_PRIORITY)
    assert SERVING_PRIORITY < REALTIME_PRIORITY


def test_the_console_channel_runs_below_the_control_thread(tmp_path: Path) -> None:
    """The thread that answers the web process: a `ping` needs no service behind it."""
    if not _can_use_fifo():
        pytest.skip("SCHED_FIFO not allowed here: every thread runs at ordinary priority")
    key = os.urandom(16)
    host = ServiceHost(cast(LocalBackend, None), tmp_path / "channel", key)
    host.start()
    try:
        with Client(str(tmp_path / "channel"), family="AF_UNIX", authkey=key) as conn:
            conn.send_bytes(json.dumps({"call": "ping", "args": []}).encode())
            assert conn.poll(5.0)
            assert json.loads(conn.recv_bytes()) == {"value": True}
            assert _policy("console-channel") == (os.SCHED_FIFO, SERVING_PRIORITY)
    finally:
        host.close()


def test_homing_runs_as_the_real_time_control_thread(served: tuple[SimServer, Endpoints]) -> None:
    """Homing moves the carriage under the same overrun limit as a treatment; at ordinary
    priority a busy host holds its loop off past that limit."""
    if not _can_use_fifo():
        pytest.skip("SCHED_FIFO not allowed here: every thread runs at ordinary priority")
    _, ep = served
    link = open_link(ep.tcp_url).link
    limits = load_limits()
    entry = ProtocolFile(name="short", protocol=Static(force_n=60.0, duration_s=2.0))
    assert run_treatment(link, entry, limits, 75.0).state is State.COMPLETE
    assert not link.read_telemetry().has(Status.AT_HOME)
    seen: set[tuple[int, int, float]] = set()
    cycle = link.cycle

    def watched(*args: object, **kwargs: object) -> Telemetry:
        seen.add(
            (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority, sys.getswitchinterval())
        )
        return cycle(*args, **kwargs)  # type: ignore[arg-type]

    link.cycle = watched  # type: ignore[method-assign]
    homed = home(link, limits)
    link.close()
    assert homed.telemetry.has(Status.AT_HOME)
    assert seen == {(os.SCHED_FIFO, REALTIME_PRIORITY, GIL_SWITCH_S)}
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # given back
