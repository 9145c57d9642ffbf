"""Transport over the pymodbus synchronous client (Modbus TCP or RTU).

The sync client is used because the control loop is a plain thread with absolute deadlines
(see docs/architecture.md). pymodbus's own retries are switched off (retries=0) and its
timeout is set explicitly: the link above decides how often an operation may be tried.
Every pymodbus outcome is mapped to one of the bridge's typed errors here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import serial
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.client.base import ModbusBaseSyncClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import DecodePDU, ModbusPDU

from firmware_bridge.errors import (
    ConnectError,
    DecodeError,
    LinkError,
    LinkTimeout,
    ModbusExceptionReply,
)
from firmware_bridge.icd import MEI_READ_DEVICE_ID, FunctionCode
from firmware_bridge.target import RtuTarget, TcpTarget

# pymodbus read device information: read code 1 = basic objects (stream access).
_READ_CODE_BASIC = 1


class _SerialClient(ModbusSerialClient):
    """pymodbus's serial client, opening the port with one termios write instead of two.

    pymodbus 3.16 opens the port, then sets inter_byte_timeout, which reconfigures it again.
    On a Linux pseudo-terminal (the simulator's RTU port) the driver drops PARENB, and the
    second write -- whose only change is then PARENB -- fails with EINVAL, so 8E1 could never
    be opened. Configuring before opening is equivalent on real ports and works on ptys.
    """

    def connect(self) -> bool:
        if self.socket:
            return True
        params = self.comm_params
        port = serial.serial_for_url(
            params.host,
            do_not_open=True,
            timeout=params.timeout_connect,
            write_timeout=params.timeout_connect,
            bytesize=params.bytesize,
            stopbits=params.stopbits,
            baudrate=params.baudrate,
            parity=params.parity,
            exclusive=True,
        )
        port.inter_byte_timeout = self.inter_byte_timeout
        try:
            port.open()
        except (serial.SerialException, OSError) as exc:
            raise ConnectError(f"cannot open {params.host}: {exc}") from exc
        self.socket = port
        return True


class _WholeFrameDecoder(DecodePDU):
    """pymodbus's response decoder, refusing a register reply whose frame holds more or fewer
    bytes than the PDU it decodes to (bytes after the PDU, a byte count short of the data).

    pymodbus 3.16 decodes what it needs and ignores the rest of the frame, so such a reply was
    taken as data. The frame's own length says it: a register read reply is the function
    code, the byte count and exactly that many bytes (an even number); a write reply is five
    bytes. (Checked by arithmetic, not by re-encoding the PDU: this runs every control cycle.)
    Refused replies surface as pymodbus's "Unable to decode" and become DecodeError below.
    """

    def decode(self, frame: bytes) -> ModbusPDU | None:
        pdu = super().decode(frame)
        if pdu is None:
            return None
        fc = frame[0]
        if fc in _READ_FUNCTIONS:
            count = frame[1] if len(frame) > 1 else -1
            return pdu if count % 2 == 0 and len(frame) == 2 + count else None
        if fc in _WRITE_FUNCTIONS:
            return pdu if len(frame) == _WRITE_REPLY_BYTES else None
        return pdu


class _TrailingBytes:
    """Counts the bytes that arrive after a whole reply frame in the same read.

    pymodbus 3.16 returns the first frame it decodes and drops what follows it, so a board
    that appends bytes after each frame was taken as healthy. A byte stream that does not
    parse as frames is a link fault: the transport refuses that reply (DecodeError), which
    the safety layer counts like any lost reply. One request is in flight at a time, so a
    healthy board never sends anything after its reply.
    """

    def __init__(self, framer: Any) -> None:
        self.count = 0
        self._handle = framer.handleFrame
        framer.handleFrame = self._handle_frame

    def _handle_frame(
        self, data: bytes, exp_devid: int, exp_tid: int
    ) -> tuple[int, ModbusPDU | None]:
        used, pdu = self._handle(data, exp_devid, exp_tid)
        if pdu is not None:
            self.count = len(data) - used
        return used, pdu


_READ_FUNCTIONS = frozenset(
    int(fc)
    for fc in (
        FunctionCode.READ_HOLDING,
        FunctionCode.READ_INPUT,
        FunctionCode.READ_WRITE_MULTIPLE,
    )
)
_WRITE_FUNCTIONS = frozenset(
    int(fc) for fc in (FunctionCode.WRITE_SINGLE, FunctionCode.WRITE_MULTIPLE)
)
_WRITE_REPLY_BYTES = 5  # function code, address (2), value or quantity (2)


class ModbusTransport:
    """One pymodbus sync client; not thread-safe by itself (the link serialises calls)."""

    def __init__(self, target: TcpTarget | RtuTarget) -> None:
        self.target = target
        self.unit = target.unit
        self.timeout_s = target.timeout_s
        self._client: ModbusBaseSyncClient
        if isinstance(target, TcpTarget):
            self._client = ModbusTcpClient(
                target.host, port=target.port, timeout=target.timeout_s, retries=0
            )
        else:
            self._client = _SerialClient(
                target.device,
                framer=FramerType.RTU,
                baudrate=target.baud,
                bytesize=target.bytesize,
                parity=target.parity,
                stopbits=target.stopbits,
                timeout=target.timeout_s,
                retries=0,
            )
        self._client.framer.decoder = _WholeFrameDecoder(False)
        self._trailing = _TrailingBytes(self._client.framer)

    def open(self) -> None:
        try:
            ok = self._client.connect()
        except (OSError, ModbusException) as exc:
            raise ConnectError(f"cannot open {self.target.url}: {exc}") from exc
        if not ok:
            raise ConnectError(f"cannot open {self.target.url}")

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def read_input(self, address: int, count: int) -> list[int]:
        rr = self._call(
            FunctionCode.READ_INPUT,
            lambda: self._client.read_input_registers(address, count=count, device_id=self.unit),
        )
        return _registers(rr, count)

    def read_holding(self, address: int, count: int) -> list[int]:
        rr = self._call(
            FunctionCode.READ_HOLDING,
            lambda: self._client.read_holding_registers(address, count=count, device_id=self.unit),
        )
        return _registers(rr, count)

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        rr = self._call(
            FunctionCode.WRITE_MULTIPLE,
            lambda: self._client.write_registers(address, list(values), device_id=self.unit),
        )
        if getattr(rr, "address", address) != address or getattr(rr, "count", len(values)) != len(
            values
        ):
            raise DecodeError(f"write echo mismatch: asked {address}+{len(values)}")

    def write_register(self, address: int, value: int) -> None:
        rr = self._call(
            FunctionCode.WRITE_SINGLE,
            lambda: self._client.write_register(address, value, device_id=self.unit),
        )
        if getattr(rr, "address", address) != address:
            raise DecodeError(f"write echo mismatch: asked {address}")

    def read_write(
        self, read_address: int, read_count: int, write_address: int, values: Sequence[int]
    ) -> list[int]:
        rr = self._call(
            FunctionCode.READ_WRITE_MULTIPLE,
            lambda: self._client.readwrite_registers(
                read_address=read_address,
                read_count=read_count,
                write_address=write_address,
                values=list(values),
                device_id=self.unit,
            ),
        )
        return _registers(rr, read_count)

    def read_device_id(self) -> dict[int, bytes]:
        rr = self._call(
            FunctionCode.ENCAPSULATED,
            lambda: self._client.read_device_information(
                read_code=_READ_CODE_BASIC, object_id=0, device_id=self.unit
            ),
        )
        info = getattr(rr, "information", None)
        if not isinstance(info, dict) or getattr(rr, "sub_function_code", None) != (
            MEI_READ_DEVICE_ID
        ):
            raise DecodeError("device identification reply without objects")
        return {int(k): v if isinstance(v, bytes) else bytes(v) for k, v in info.items()}

    def _call(self, fc: FunctionCode, op: Callable[[], ModbusPDU]) -> ModbusPDU:
        self._trailing.count = 0
        try:
            rr = op()
        except ConnectionException as exc:
            raise ConnectError(f"{self.target.url}: {exc}") from exc
        except ModbusIOException as exc:
            # pymodbus raises the same class for silence and for an undecodable frame; only
            # its message tells them apart (pinned ~=3.16.1, covered by the wire tests).
            if "decode" in str(exc).lower():
                raise DecodeError(f"{self.target.url}: malformed reply to 0x{fc:02X}") from exc
            raise LinkTimeout(f"{self.target.url}: no valid reply to 0x{fc:02X} ({exc})") from exc
        except (ModbusException, ValueError, IndexError, TypeError) as exc:
            raise DecodeError(f"{self.target.url}: bad reply to 0x{fc:02X}: {exc}") from exc
        except OSError as exc:
            raise ConnectError(f"{self.target.url}: {exc}") from exc
        if rr is None:
            raise LinkTimeout(f"{self.target.url}: no reply to 0x{fc:02X}")
        if self._trailing.count:
            raise DecodeError(
                f"{self.target.url}: {self._trailing.count} byte(s) after the reply to "
                f"0x{fc:02X} that are no frame"
            )
        if rr.isError():
            code = getattr(rr, "exception_code", None)
            if isinstance(code, int):
                raise ModbusExceptionReply(int(fc), code)
            raise LinkError(f"{self.target.url}: error reply to 0x{fc:02X}: {rr}")
        if getattr(rr, "function_code", fc) != fc:
            raise DecodeError(f"reply function 0x{rr.function_code:02X} to request 0x{fc:02X}")
        return rr


def _registers(rr: Any, count: int) -> list[int]:
    regs = getattr(rr, "registers", None)
    if not isinstance(regs, list) or len(regs) != count:
        got = len(regs) if isinstance(regs, list) else "no"
        raise DecodeError(f"expected {count} registers, got {got}")
    return regs  # ints, as pymodbus decodes them (struct); the codec checks their range
