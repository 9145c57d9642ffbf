"""Shared fixtures: a simulated table reached through the real bridge, in-process or on a wire."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from controller.core import logs
from safety.hazards import load_case, marker_ids
from sim.board import SimBoard
from sim.server import BOARD_PRIORITY, LOOPBACK, Endpoints, ServeOptions, SimServer
from tests.helpers import SimSession, open_sim_session, ready_records

# `make test` is green every time: the `ci` profile is derandomised (the same examples on
# every run, no example database). Exploration with fresh seeds is `make explore`, which
# prints the seed it ran with (`--hypothesis-seed=N` replays it).
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    max_examples=1_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

logs.configure("warning")

# Tests on the wall clock (real-time loops, `traction` processes against a real-time
# simulator, HIL runs) are kept from the CPU-bound ones; everything in virtual time runs on
# every core (`make test`: pytest -n auto -m "not realtime", then pytest -m realtime). The
# real-time tests mostly wait for time to pass, so they run side by side (Makefile): the
# browser tests (marked `browser`: Chromium is the one heavy load among them) one at a time
# in one run, the others one at a time in another.
_REALTIME_PARTS = (
    "tests/wire/",
    "tests/cli/",
    "tests/hil/",
    "tests/console/browser/",
    "tests/controller/test_realtime.py",
)
# command-line processes on sim:// in virtual time: nothing in them depends on the wall clock,
# so they share the parallel run
_VIRTUAL_CLI = (
    "tests/cli/test_maintenance_cli.py",
    "tests/cli/test_patients_cli.py",
    "tests/cli/test_people_cli.py",  # sim:// in virtual time: its 16 commands need no lane
)
# Real-time tests over the RTU pty (115200 baud, 25 ms reply bound): never beside the browser
# tests, whose load once cost them three replies in a row; `make test` runs them after the
# browser tests, before the HIL suite over RTU. Besides these files, every test whose id
# names rtu.
_RTU_PARTS = ("tests/wire/test_safety_over_rtu.py",)
_NAMES_RTU = re.compile(r"(?<![a-z])rtu(?![a-z])")  # "[rtu]", "_rtu_"; not "virtual"
# Whole `traction run` processes driven to their end against a board in a process of its own:
# each waits on the wall clock for a treatment to reach its hold and end; `make test` runs
# them in a lane of their own beside the other real-time tests.
_PROCESS_PARTS = ("tests/wire/test_run_ends_on_any_board.py", "tests/wire/test_bad_board.py")
# The command line's and QA's suites as processes (`traction sim`, `traction run`, `pytest
# hil`), and the console's two processes without a browser: a lane of their own beside the
# wire tests, so that neither lane alone sets the wall-clock phase's length.
_COMMAND_PARTS = (
    "tests/cli/",
    "tests/hil/",
    "tests/console/browser/test_console_processes.py",
    "tests/console/browser/test_console_tls.py",
)
_NOT_A_BROWSER = (  # no Chromium in them
    "tests/console/browser/test_console_processes.py",
    "tests/console/browser/test_console_tls.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the safety requirements (SR-nnn) a test proves"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    known = load_case().requirement_ids
    unknown = []
    for item in items:
        path = item.path.as_posix()
        virtual_cli = any(part in path for part in _VIRTUAL_CLI)
        if any(part in path for part in _REALTIME_PARTS) and not virtual_cli:
            item.add_marker(pytest.mark.realtime)
        if "tests/console/browser/" in path and not any(p in path for p in _NOT_A_BROWSER):
            item.add_marker(pytest.mark.browser)
        if any(part in path for part in _COMMAND_PARTS):
            item.add_marker(pytest.mark.commands)
        if any(part in path for part in _PROCESS_PARTS):
            item.add_marker(pytest.mark.processes)
        if any(part in path for part in _RTU_PARTS) or _NAMES_RTU.search(item.name.lower()):
            item.add_marker(pytest.mark.rtu)
        for mark in item.iter_markers("requirement"):
            ids, _ = marker_ids(mark.args)
            unknown += [f"{item.nodeid}: {i}" for i in ids if i not in known]
            # into the JUnit XML, where `traction trace` finds test, requirement and result
            item.user_properties += [("requirement", i) for i in ids]
    if unknown:
        raise pytest.UsageError(
            "tests name requirements that safety/requirements.toml does not have:\n"
            + "\n".join(unknown)
        )


# Every command a test starts (in process or as a subprocess) records into a throw-away store,
# never into the developer's own records; tests that study records pass their own path.
_RECORDS_DIR = tempfile.mkdtemp(prefix="traction-test-records-")
os.environ["TRACTION_RECORDS"] = os.path.join(_RECORDS_DIR, "records.sqlite3")
os.environ["TRACTION_CONFIG"] = os.path.join(_RECORDS_DIR, "no-site.toml")
os.environ["TRACTION_SYSTEM_CONFIG"] = os.path.join(_RECORDS_DIR, "no-etc-site.toml")
os.environ["TRACTION_SYSTEM_DATA"] = os.path.join(_RECORDS_DIR, "table")
ready_records(Path(os.environ["TRACTION_RECORDS"]))  # calibrated and checked today


@pytest.fixture
def session() -> SimSession:
    """A connected, configured, tared table on sim:// (virtual time)."""
    return open_sim_session()


@pytest.fixture
def served() -> Iterator[tuple[SimServer, Endpoints]]:
    """A real-time simulator on loopback: Modbus TCP, RTU pty and control, free ports."""
    server = SimServer(
        SimBoard(seed=7),
        ServeOptions(
            tcp=(LOOPBACK, 0), rtu_pty=True, control=(LOOPBACK, 0), priority=BOARD_PRIORITY
        ),
    )
    with server.running() as endpoints:
        yield server, endpoints
