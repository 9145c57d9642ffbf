"""`traction console` is two processes (the control process and its web server): a signal
ends both with the treatment released first; either one's death ends the other, a running
treatment stopped and recorded, never a page that looks alive over a dead table."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from controller.cli.console_cmd import EXIT_WEB_ENDED
from controller.console.remote import CALL_TIMEOUT_S
from controller.console.web_process import PING_S
from controller.records.store import SessionStore
from controller.run.session import ending_bound_s
from safety.limits import load_limits
from tests.console.browser.conftest import Console, start_console

pytestmark = pytest.mark.requirement("SR-041")
ENDING_S = ending_bound_s(load_limits()) + 10.0  # the console's own bound for its end


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: no extra package)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(what: str, ok: Any, bound_s: float) -> None:
    deadline = time.monotonic() + bound_s
    while not ok():
        assert time.monotonic() < deadline, f"{what} not within {bound_s:g} s"
        time.sleep(0.1)


def receive(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of `kind`, answering every update as a page does (presence.py)."""
    while True:
        m: dict[str, Any] = json.loads(ws.recv(timeout=30))
        if m["type"] == "state":
            ws.send(json.dumps({"op": "hb"}))
        if m["type"] == kind:
            return m


@pytest.fixture
def treating(tmp_path: Path) -> Iterator[tuple[Console, int]]:
    """A console with a treatment in its hold, and the pid of its web process."""
    c = start_console(tmp_path)
    try:
        (web,) = children(c.process.pid)
        host = c.url.split("//", 1)[1].rstrip("/")
        with connect(f"ws://{host}/ws", origin=Origin(f"http://{host}")) as ws:  # a page's
            receive(ws, "hello")
            request = {
                "op": "start",
                "id": 1,
                "operator": "tech-7",
                "patient_ref": "P-42",
                "preset": "lumbar-static",
                "weight_kg": 75,
                "values": {"force_n": 80, "duration_s": 120},
            }
            ws.send(json.dumps(request))
            assert receive(ws, "reply")["ok"]
            deadline = time.monotonic() + 60
            while (live := receive(ws, "state").get("live")) is None or live["phase"] != "hold":
                assert time.monotonic() < deadline, "the treatment never reached its hold"
        yield c, web
    finally:
        if c.process.poll() is None:
            c.process.kill()
            c.process.wait(timeout=30)


def outcome(c: Console) -> str:
    store = SessionStore(c.records, recover=False)
    try:
        (row,) = store.sessions()
        return str(row["outcome"])
    finally:
        store.close()


def test_a_signal_ends_both_processes_with_the_treatment_stopped_first(
    treating: tuple[Console, int],
) -> None:
    c, web = treating
    c.process.send_signal(signal.SIGTERM)
    assert c.process.wait(timeout=ENDING_S) == 0
    assert not alive(web)
    assert outcome(c).startswith("stopped early")


def test_the_web_process_gone_stops_the_treatment_and_the_console_says_so(
    treating: tuple[Console, int],
) -> None:
    c, web = treating
    os.kill(web, signal.SIGKILL)
    assert c.process.wait(timeout=ENDING_S) == EXIT_WEB_ENDED
    assert outcome(c).startswith("stopped early")
    wait_until("the log line", lambda: "web server ended by itself" in c.log.read_text(), 10)


def test_the_control_process_gone_ends_the_web_process(treating: tuple[Console, int]) -> None:
    """Its pages then see the console gone (their own alarm), not a frozen treatment."""
    c, web = treating
    c.process.kill()
    c.process.wait(timeout=30)
    wait_until("the web process's end", lambda: not alive(web), PING_S + CALL_TIMEOUT_S + 10)
