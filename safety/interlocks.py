"""The board's interlocks (layer 1) derived from the host's limits (layer 2).

FORCE_TRIP sits a margin above the session's force limit -- the host acts first; the board
catches what the host misses -- and never above what the board accepts. The configuration is
written at connect and read back by the link; any difference refuses the session.
"""

from __future__ import annotations

from firmware_bridge import TableLink
from firmware_bridge.values import HardwareLimits, InterlockConfig
from safety.limits import LimitsError, SafetyLimits


def trip_margin_n(limits: SafetyLimits, force_limit_n: float) -> float:
    """How far above the session limit the board trips: the allowance for a force the host
    missed (campaigns measure against it)."""
    b = limits.board
    return max(b.trip_margin_min_n, b.trip_margin_share * force_limit_n)


def board_interlocks(
    limits: SafetyLimits, force_limit_n: float, hardware: HardwareLimits
) -> InterlockConfig:
    b = limits.board
    trip = min(force_limit_n + trip_margin_n(limits, force_limit_n), hardware.force_max_n)
    if trip <= force_limit_n:
        raise LimitsError(
            f"force limit {force_limit_n} N leaves no room for the board's trip below its "
            f"maximum {hardware.force_max_n} N"
        )
    return InterlockConfig(
        watchdog_s=b.watchdog_s,
        force_trip_n=trip,
        velocity_limit_m_s=min(limits.motion.max_speed_m_s, hardware.velocity_max_m_s),
        release_speed_m_s=min(b.release_speed_m_s, hardware.velocity_max_m_s),
        release_force_n=b.release_force_n,
    )


def configure_board(link: TableLink, limits: SafetyLimits, force_limit_n: float) -> InterlockConfig:
    """Write the derived interlocks and return them as read back (mismatch raises)."""
    return link.configure_interlocks(board_interlocks(limits, force_limit_n, link.limits))
