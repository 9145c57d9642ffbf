"""The console's pushes are built in the control loop's slack (controller/console/slack.py):
never within a cycle's work, never just before the next cycle's start, and never waiting
when there is no loop to keep out of the way of."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.app.composition import open_link
from controller.app.site_config import site_config
from controller.console.backend import LocalBackend
from controller.console.live import Live
from controller.console.service import ConsoleService
from controller.console.slack import CYCLE_WORK_S, PUSH_WORK_S, delay_s
from controller.core.control_loop import PERIOD_S
from safety.limits import load_limits

pytestmark = pytest.mark.requirement("SR-043")

EPS = 1e-9
starts = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)


@given(start=starts, since=st.floats(min_value=0.0, max_value=2 * PERIOD_S - 1e-6))
def test_a_push_waits_for_the_quiet_part_of_the_period_and_no_longer(
    start: float, since: float
) -> None:
    now = start + since
    wait = delay_s(now, start, PERIOD_S)
    since = now - start  # as the clock reads it
    assert 0.0 <= wait <= CYCLE_WORK_S + PUSH_WORK_S + EPS
    phase = (since + wait) % PERIOD_S
    assert CYCLE_WORK_S - 1e-7 <= phase <= PERIOD_S - PUSH_WORK_S + 1e-7


@given(start=starts, since=st.floats(min_value=0.0, max_value=2 * PERIOD_S - 1e-6))
def test_a_push_in_the_quiet_part_does_not_wait(start: float, since: float) -> None:
    now = start + since
    phase = (now - start) % PERIOD_S
    if CYCLE_WORK_S + 1e-7 < phase < PERIOD_S - PUSH_WORK_S - 1e-7:
        assert delay_s(now, start, PERIOD_S) == 0.0


@given(
    start=starts,
    since=st.one_of(
        st.floats(min_value=2 * PERIOD_S + 1e-6, max_value=1e3),
        st.floats(min_value=-1e3, max_value=-1e-6),
    ),
)
def test_no_loop_running_no_wait(start: float, since: float) -> None:
    assert delay_s(start + since, start, PERIOD_S) == 0.0
    assert delay_s(start, None, PERIOD_S) == 0.0


def test_the_console_backend_builds_its_push_after_the_next_cycles_work(tmp_path: Path) -> None:
    """A cycle that started 9.5 ms ago: the next starts within the push's margin, so the
    push is built after that cycle's work, 11.5 ms or more after the one seen."""
    site = site_config(cli={"records": str(tmp_path / "r.sqlite3")}, env={})
    service = ConsoleService(open_link("sim://").link, site, load_limits(), limits_source="default")
    try:
        seen = time.monotonic() - 0.0095
        service.live.latest = Live(
            0.0, "running", "hold", 100.0, 99.0, 1.0, 60.0, 59.0, 0.0, 1, seen
        )
        pushed = LocalBackend(service).update(0)
        assert pushed["sent_s"] - seen >= PERIOD_S + CYCLE_WORK_S
        assert pushed["live"]["at_s"] == seen and pushed["events"] == []
    finally:
        service.link.close()
