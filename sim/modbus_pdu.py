"""Modbus PDUs as the board answers them: request bytes in, response bytes out.

The board's Modbus slave is written here rather than taken from pymodbus's server because
pymodbus 3.16's server departs from the ICD where it matters: it answers a read of more than
125 registers with exception 01 instead of 03, answers FC43 for any unit id, serves function
codes the board does not have (08, 11, 17, 22, ...), and on RTU skips a frame with an unknown
function code instead of answering 01. Owning the PDU layer also lets the link faults
(dropped, late, corrupted replies) be injected at the frame level. The pymodbus *client* is
still what talks to it, in the bridge and in the tests.
"""

from __future__ import annotations

import struct

from firmware_bridge import icd
from firmware_bridge.icd import ExceptionCode, FunctionCode, Table
from sim.registers import Refusal, RegisterMap

_CONFORMITY_BASIC_INDIVIDUAL = 0x81
_READ_CODES_STREAM = (1, 2, 3)
_READ_CODE_SINGLE = 4


def exception_pdu(function_code: int, code: ExceptionCode) -> bytes:
    return bytes((function_code | 0x80, int(code)))


def handle(regs: RegisterMap, pdu: bytes, device_id: dict[int, bytes]) -> bytes:
    """Answer one request PDU (function code + data). Always returns a response PDU."""
    if not pdu:
        return exception_pdu(0, ExceptionCode.ILLEGAL_FUNCTION)
    fc, data = pdu[0], pdu[1:]
    try:
        if fc in (FunctionCode.READ_HOLDING, FunctionCode.READ_INPUT):
            return _read(regs, fc, data)
        if fc == FunctionCode.WRITE_SINGLE:
            return _write_single(regs, data)
        if fc == FunctionCode.WRITE_MULTIPLE:
            return _write_multiple(regs, data)
        if fc == FunctionCode.READ_WRITE_MULTIPLE:
            return _read_write(regs, data)
        if fc == FunctionCode.ENCAPSULATED:
            return _device_id(data, device_id)
    except Refusal as exc:
        return exception_pdu(fc, exc.code)
    return exception_pdu(fc, ExceptionCode.ILLEGAL_FUNCTION)


def _malformed(what: str) -> Refusal:
    return Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"malformed {what} request")


def _read(regs: RegisterMap, fc: int, data: bytes) -> bytes:
    if len(data) != 4:
        raise _malformed("read")
    address, count = struct.unpack(">HH", data)
    table = Table.HOLDING if fc == FunctionCode.READ_HOLDING else Table.INPUT
    words = regs.read(table, address, count)
    return struct.pack(f">BB{len(words)}H", fc, 2 * len(words), *words)


def _write_single(regs: RegisterMap, data: bytes) -> bytes:
    if len(data) != 4:
        raise _malformed("write single")
    address, value = struct.unpack(">HH", data)
    regs.write(address, [value], 1)
    return bytes((FunctionCode.WRITE_SINGLE,)) + data


def _write_multiple(regs: RegisterMap, data: bytes) -> bytes:
    if len(data) < 5:
        raise _malformed("write multiple")
    address, count, nbytes = struct.unpack(">HHB", data[:5])
    if not 1 <= count <= icd.MAX_WRITE_COUNT or nbytes != 2 * count or len(data) != 5 + nbytes:
        raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"write quantity {count}/{nbytes} bytes")
    words = struct.unpack(f">{count}H", data[5:])
    regs.write(address, words, icd.MAX_WRITE_COUNT)
    return struct.pack(">BHH", FunctionCode.WRITE_MULTIPLE, address, count)


def _read_write(regs: RegisterMap, data: bytes) -> bytes:
    if len(data) < 9:
        raise _malformed("read/write")
    raddr, rcount, waddr, wcount, nbytes = struct.unpack(">HHHHB", data[:9])
    if not 1 <= rcount <= icd.MAX_READ_COUNT:
        raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"read quantity {rcount}")
    if (
        not 1 <= wcount <= icd.MAX_FC23_WRITE_COUNT
        or nbytes != 2 * wcount
        or (len(data) != 9 + nbytes)
    ):
        raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"write quantity {wcount}")
    words = struct.unpack(f">{wcount}H", data[9:])
    out = regs.read_write(raddr, rcount, waddr, words)
    return struct.pack(f">BB{len(out)}H", FunctionCode.READ_WRITE_MULTIPLE, 2 * len(out), *out)


def _device_id(data: bytes, objects: dict[int, bytes]) -> bytes:
    if len(data) != 3 or data[0] != icd.MEI_READ_DEVICE_ID:
        if data and data[0] != icd.MEI_READ_DEVICE_ID:
            raise Refusal(ExceptionCode.ILLEGAL_FUNCTION, f"MEI type 0x{data[0]:02X}")
        raise _malformed("device identification")
    read_code, object_id = data[1], data[2]
    if read_code in _READ_CODES_STREAM:
        chosen = {k: v for k, v in objects.items() if k >= object_id} or objects
    elif read_code == _READ_CODE_SINGLE:
        if object_id not in objects:
            raise Refusal(ExceptionCode.ILLEGAL_DATA_ADDRESS, f"object 0x{object_id:02X}")
        chosen = {object_id: objects[object_id]}
    else:
        raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"read device id code {read_code}")
    body = b"".join(bytes((k, len(v))) + v for k, v in sorted(chosen.items()))
    head = bytes(
        (
            FunctionCode.ENCAPSULATED,
            icd.MEI_READ_DEVICE_ID,
            read_code,
            _CONFORMITY_BASIC_INDIVIDUAL,
            0x00,
            0x00,
            len(chosen),
        )
    )
    return head + body
