"""A control cycle's reply is judged fresh on what the ICD guarantees, in every state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.icd import FaultCode, Status
from firmware_bridge.link import reply_is_fresh
from firmware_bridge.values import Telemetry

pytestmark = pytest.mark.requirement("SR-046")

u16 = st.integers(0, 0xFFFF)
uptime = st.integers(0, 0xFFFF_FFFF).map(lambda ms: ms / 1000.0)


def snapshot(echo: int, sample_seq: int, uptime_s: float) -> Telemetry:
    return Telemetry(
        0x0100, Status.DRIVE_READY, FaultCode.NONE, sample_seq, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0,
        echo, uptime_s,
    )  # fmt: skip


@given(seq=u16, sample=u16, up=uptime, enabling=st.booleans())
def test_the_echo_of_what_was_written_is_always_fresh(
    seq: int, sample: int, up: float, enabling: bool
) -> None:
    last = (up, sample)  # even a reply identical in clock and sampling
    assert reply_is_fresh(snapshot(seq, sample, up), seq, enabling, last) == ""


@given(seq=u16, echo=u16, sample=u16, up=uptime)
def test_with_enable_written_any_other_echo_is_stale(
    seq: int, echo: int, sample: int, up: float
) -> None:
    if echo == seq:
        return
    why = reply_is_fresh(snapshot(echo, sample, up), seq, True, None)
    assert f"CMD_SEQ_ECHO {echo}, wrote {seq}" in why


@given(seq=u16, echo=u16, now=st.tuples(uptime, u16), last=st.tuples(uptime, u16))
def test_with_enable_low_an_old_echo_is_fresh_exactly_when_the_board_moved_on(
    seq: int, echo: int, now: tuple[float, int], last: tuple[float, int]
) -> None:
    """The ICD asks the board to accept CMD_SEQ only while ENABLE is set: an old echo with
    ENABLE low is no sign of staleness, a reply identical in clock and sampling is."""
    if echo == seq:
        return
    up, sample = now
    why = reply_is_fresh(snapshot(echo, sample, up), seq, False, last)
    assert (why == "") == (now != last)
    assert reply_is_fresh(snapshot(echo, sample, up), seq, False, None) == ""  # the first


def test_a_copy_of_the_last_reply_is_refused_saying_why() -> None:
    why = reply_is_fresh(snapshot(7, 300, 12.5), 9, False, (12.5, 300))
    assert "UPTIME_MS and SAMPLE_SEQ unchanged" in why
