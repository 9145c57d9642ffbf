"""A target's transaction timeout must leave the liveness limits their meaning."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.app.composition import open_link
from controller.core.control_loop import PERIOD_S
from controller.run.session import check_link_timing
from firmware_bridge.errors import TargetError
from firmware_bridge.target import DEFAULT_TIMEOUT_S
from safety.limits import load_limits
from safety.link_timing import link_timing_problems

LIMITS = load_limits()


@pytest.mark.requirement("SR-011")
def test_the_default_timeout_fits_the_default_limits() -> None:
    assert link_timing_problems(LIMITS, timeout_s=DEFAULT_TIMEOUT_S, period_s=PERIOD_S) == []


@pytest.mark.requirement("SR-011")
def test_a_timeout_as_long_as_the_watchdog_is_refused_naming_both_rules() -> None:
    problems = link_timing_problems(LIMITS, timeout_s=0.1, period_s=PERIOD_S)
    assert len(problems) == 2
    assert "liveness.max_cycle_gap_s 0.08 s" in problems[0]
    assert "3 lost replies (liveness.link_failures) take 0.310 s" in problems[1]
    assert "board.watchdog_s 0.1 s" in problems[1]


@pytest.mark.requirement("SR-011")
@given(
    timeout_s=st.floats(0.001, 1.0), shorter=st.floats(0.0, 1.0), period_s=st.floats(0.001, 0.05)
)
def test_a_shorter_timeout_than_an_accepted_one_is_accepted_too(
    timeout_s: float, shorter: float, period_s: float
) -> None:
    if not link_timing_problems(LIMITS, timeout_s=timeout_s, period_s=period_s):
        faster = timeout_s * shorter
        assert link_timing_problems(LIMITS, timeout_s=faster, period_s=period_s) == []


@pytest.mark.requirement("SR-011")
def test_a_session_on_a_too_slow_url_is_refused_before_anything_is_sent() -> None:
    link = open_link("tcp://127.0.0.1:9?timeout=0.1").link  # nothing listens; nothing opened
    with pytest.raises(TargetError, match=r"timeout=.*device URL"):
        check_link_timing(link, LIMITS)
