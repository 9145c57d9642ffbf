"""What the link needs from a way of reaching the board: five Modbus operations.

A structural protocol, so that the simulator's in-process transport fits without importing
the bridge, and so that the link's rules (one transaction at a time, typed errors, retries)
are written once above every transport. Implementations raise only `firmware_bridge.errors`
types; they never return partial data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Transport(Protocol):
    timeout_s: float  # how long one transaction waits for its reply

    def open(self) -> None: ...

    def close(self) -> None: ...

    def read_input(self, address: int, count: int) -> list[int]: ...

    def read_holding(self, address: int, count: int) -> list[int]: ...

    def write_registers(self, address: int, values: Sequence[int]) -> None: ...

    def write_register(self, address: int, value: int) -> None: ...

    def read_write(
        self, read_address: int, read_count: int, write_address: int, values: Sequence[int]
    ) -> list[int]: ...

    def read_device_id(self) -> dict[int, bytes]: ...


class Clock(Protocol):
    """Time as the link's user should see it: wall clock on hardware, virtual on sim://."""

    def now(self) -> float: ...

    def sleep_until(self, deadline: float) -> None: ...
