"""The host's interlock check and the board's configuration rules agree on every value.

If they disagreed, the host would either send what the board refuses (a session that cannot
start) or refuse what the board would accept; both are checked from the same ICD ranges.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.errors import EncodeError
from firmware_bridge.values import HardwareLimits, InterlockConfig
from sim.board import SimBoard
from sim.registers import Refusal

LIMITS = HardwareLimits(
    force_max_n=1000.0, velocity_max_m_s=0.05, travel_max_m=0.3, sample_rate_hz=500
)


@given(
    watchdog_ms=st.integers(0, 1200),
    trip_cn=st.integers(0, 120_000),
    vlim=st.integers(0, 60_000),
    rspeed=st.integers(0, 60_000),
    rforce_cn=st.integers(0, 120_000),
)
def test_host_accepts_exactly_what_the_board_accepts(
    watchdog_ms: int, trip_cn: int, vlim: int, rspeed: int, rforce_cn: int
) -> None:
    cfg = InterlockConfig(
        watchdog_ms / 1000, trip_cn / 100, vlim / 1e6, rspeed / 1e6, rforce_cn / 100
    )
    try:
        words = cfg.to_words(LIMITS)
        host_ok = True
    except EncodeError:
        host_ok = False
        words = [
            watchdog_ms,
            0,
            trip_cn >> 16,
            trip_cn & 0xFFFF,
            vlim >> 16,
            vlim & 0xFFFF,
            rspeed >> 16,
            rspeed & 0xFFFF,
            rforce_cn >> 16,
            rforce_cn & 0xFFFF,
        ]
    board = SimBoard()
    try:
        board.registers.write(8, words, 123)
        board_ok = True
    except Refusal:
        board_ok = False
    assert host_ok == board_ok
