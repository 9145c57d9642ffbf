"""How a served board's time advances: with the wall clock, or only when the caller says.

Real time catches the board up to the wall clock before every request and on a short
periodic timer, so a request always meets the board as it is *now* (its ticks are exact in
board time even when the asyncio timer is late) and a silent host still trips the watchdog.
"""

from __future__ import annotations

import time

from sim.board import SimBoard

CATCH_UP_PERIOD_S = 0.005


class RealTime:
    virtual = False

    def __init__(self, board: SimBoard) -> None:
        self.board = board
        self._origin = time.monotonic() - board.elapsed_s

    def catch_up(self) -> None:
        self.board.advance_to(time.monotonic() - self._origin)

    def advance(self, seconds: float) -> None:
        raise RuntimeError("a real-time simulator cannot be stepped; start it with --virtual")


class SteppedTime:
    """Virtual time for served boards: only `advance` moves the board."""

    virtual = True

    def __init__(self, board: SimBoard) -> None:
        self.board = board

    def catch_up(self) -> None:
        return None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.board.advance_to(self.board.elapsed_s + seconds)


BoardTime = RealTime | SteppedTime
