"""Virtual time: the board in the caller's process, advanced only when the caller sleeps.

`VirtualClock.sleep_until(t)` runs every firmware tick up to t and returns at once, so a
control loop written against a wall clock runs unchanged, deterministically and as fast as
the CPU allows. `InProcessPort` offers the register operations the bridge's transport needs,
straight on the board's register map (no bytes, no sockets): the same rules the TCP and RTU
servers apply, minus the framing those servers add.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from firmware_bridge import icd
from firmware_bridge.icd import ExceptionCode, FunctionCode, Table
from sim.board import SimBoard
from sim.registers import Refusal

T = TypeVar("T")


class VirtualClock:
    def __init__(self, board: SimBoard) -> None:
        self.board = board

    def now(self) -> float:
        return self.board.elapsed_s

    def sleep_until(self, deadline: float) -> None:
        self.board.advance_to(deadline)

    def sleep(self, seconds: float) -> None:
        self.board.advance_to(self.board.elapsed_s + seconds)


class BoardRefused(Exception):
    """The board answered with a Modbus exception (function code and exception code)."""

    def __init__(self, function_code: int, code: ExceptionCode) -> None:
        super().__init__(f"0x{function_code:02X}: {code.name}")
        self.function_code = function_code
        self.code = code


class InProcessPort:
    """Register operations on an in-process board; refusals raise BoardRefused."""

    def __init__(self, board: SimBoard) -> None:
        self.board = board
        self._regs = board.registers

    def read_input(self, address: int, count: int) -> list[int]:
        return self._guard(
            FunctionCode.READ_INPUT, lambda: self._regs.read(Table.INPUT, address, count)
        )

    def read_holding(self, address: int, count: int) -> list[int]:
        return self._guard(
            FunctionCode.READ_HOLDING, lambda: self._regs.read(Table.HOLDING, address, count)
        )

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        self._guard(
            FunctionCode.WRITE_MULTIPLE,
            lambda: self._regs.write(address, values, icd.MAX_WRITE_COUNT),
        )

    def write_register(self, address: int, value: int) -> None:
        self._guard(FunctionCode.WRITE_SINGLE, lambda: self._regs.write(address, [value], 1))

    def read_write(
        self, read_address: int, read_count: int, write_address: int, values: Sequence[int]
    ) -> list[int]:
        try:
            return self._regs.read_write(read_address, read_count, write_address, values)
        except Refusal as exc:
            raise BoardRefused(FunctionCode.READ_WRITE_MULTIPLE, exc.code) from exc

    def read_device_id(self) -> dict[int, bytes]:
        return dict(self.board.device_id)

    @staticmethod
    def _guard(fc: FunctionCode, op: Callable[[], T]) -> T:
        try:
            return op()
        except Refusal as exc:
            raise BoardRefused(fc, exc.code) from exc
