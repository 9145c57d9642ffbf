"""One test per row of the ICD's exception table (ICD 3.1), on the wire, against `traction sim`.

The real pymodbus client is used where it can express the request; raw frames where a
correct client refuses to (quantities beyond the Modbus limits, unknown function codes).
After every refusal the test reads back that nothing changed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse

from firmware_bridge import icd
from firmware_bridge.icd import ExceptionCode
from sim.rtu_server import with_crc
from sim.server import Endpoints, SimServer
from tests.wire.raw import RtuPort, tcp_request

ILLEGAL_FUNCTION = bytes((0x01,))
ILLEGAL_ADDRESS = bytes((0x02,))
ILLEGAL_VALUE = bytes((0x03,))


@pytest.fixture
def client(served: tuple[SimServer, Endpoints]) -> Iterator[ModbusTcpClient]:
    _, ep = served
    assert ep.tcp is not None
    c = ModbusTcpClient(ep.tcp[0], port=ep.tcp[1], timeout=1, retries=0)
    assert c.connect()  # type: ignore[no-untyped-call]
    yield c
    c.close()  # type: ignore[no-untyped-call]


def exception_code(rr: object) -> int | None:
    return rr.exception_code if isinstance(rr, ExceptionResponse) else None


def config(c: ModbusTcpClient) -> list[int]:
    rr = c.read_holding_registers(icd.CONFIG.start, count=icd.CONFIG.count, device_id=1)
    assert not rr.isError()
    return list(rr.registers)


# --- 01 ILLEGAL FUNCTION ---------------------------------------------------------------------
@pytest.mark.parametrize("fc", [0x01, 0x02, 0x05, 0x08, 0x0B, 0x11, 0x16, 0x18, 0x41])
def test_function_codes_not_in_the_icd_get_01_over_tcp(
    served: tuple[SimServer, Endpoints], fc: int
) -> None:
    _, ep = served
    assert ep.tcp is not None
    reply = tcp_request(ep.tcp[1], bytes((fc, 0, 0, 0, 1)))
    assert reply == bytes((fc | 0x80,)) + ILLEGAL_FUNCTION


def test_pymodbus_coil_read_gets_01(client: ModbusTcpClient) -> None:
    assert (
        exception_code(client.read_coils(0, count=1, device_id=1)) == ExceptionCode.ILLEGAL_FUNCTION
    )


def test_unknown_mei_type_gets_01(served: tuple[SimServer, Endpoints]) -> None:
    _, ep = served
    assert ep.tcp is not None
    assert tcp_request(ep.tcp[1], bytes((0x2B, 0x0D, 0x01, 0x00))) == b"\xab" + ILLEGAL_FUNCTION


def test_unknown_function_code_gets_01_over_rtu(served: tuple[SimServer, Endpoints]) -> None:
    _, ep = served
    assert ep.rtu is not None
    with RtuPort(ep.rtu) as port:
        assert port.request(1, bytes((0x08, 0, 0, 0x12, 0x34))) == with_crc(b"\x01\x88\x01")


# --- 02 ILLEGAL DATA ADDRESS ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("read", "address", "count"),
    [
        ("input", 18, 1),  # between the telemetry and identity blocks
        ("input", 0, 19),  # runs past the telemetry block
        ("input", 39, 1),  # past the identity block
        ("holding", 4, 1),  # between command and configuration blocks
        ("holding", 18, 1),
        ("holding", 118, 1),  # past the telemetry mirror
        ("holding", 200, 2),
    ],
)
def test_reads_of_undefined_addresses_get_02(
    client: ModbusTcpClient, read: str, address: int, count: int
) -> None:
    op = client.read_input_registers if read == "input" else client.read_holding_registers
    assert (
        exception_code(op(address, count=count, device_id=1)) == ExceptionCode.ILLEGAL_DATA_ADDRESS
    )


@pytest.mark.parametrize(
    ("address", "values"),
    [
        (100, [0]),  # telemetry mirror is read-only
        (132, [0, 0]),  # identity mirror is read-only
        (4, [0]),  # undefined
        (16, [0, 0, 0]),  # runs past the configuration block
        (11, [0]),  # low word of FORCE_TRIP alone: splits a 32-bit value
        (3, [0]),  # low word of VELOCITY_CMD alone
    ],
)
def test_writes_to_read_only_undefined_or_split_addresses_get_02_and_change_nothing(
    client: ModbusTcpClient, address: int, values: list[int]
) -> None:
    before = config(client)
    rr = client.write_registers(address, values, device_id=1)
    assert exception_code(rr) == ExceptionCode.ILLEGAL_DATA_ADDRESS
    assert config(client) == before


def test_single_write_to_mirror_gets_02(client: ModbusTcpClient) -> None:
    assert exception_code(client.write_register(101, 0, device_id=1)) == 2


# --- 03 ILLEGAL DATA VALUE ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "values", "what"),
    [
        (8, [19], "WATCHDOG_MS below 20"),
        (8, [1001], "WATCHDOG_MS above 1000"),
        (9, [1], "reserved register 9 not 0"),
        (10, [0, 999], "FORCE_TRIP below 1000 cN"),
        (10, [0x0001, 0x86A1], "FORCE_TRIP above HW_FORCE_MAX"),
        (12, [0, 99], "VELOCITY_LIMIT below 100"),
        (14, [0, 999], "RELEASE_SPEED below 1000"),
        (16, [0x0001, 0x5F91], "RELEASE_FORCE above FORCE_TRIP (90000)"),
        (0, [0x0010], "CONTROL reserved bit 4"),
        (0, [0x8000], "CONTROL reserved bit 15"),
        (8, [200, 0, 0, 50000, 0, 20000, 0, 10000, 0xFFFF, 0xFFFF], "one bad value in a block"),
    ],
)
def test_out_of_range_values_and_reserved_bits_get_03_and_nothing_is_written(
    client: ModbusTcpClient, address: int, values: list[int], what: str
) -> None:
    before = config(client)
    rr = client.write_registers(address, values, device_id=1)
    assert exception_code(rr) == ExceptionCode.ILLEGAL_DATA_VALUE, what
    assert config(client) == before


def test_configuration_write_while_enabled_gets_03(
    client: ModbusTcpClient, served: tuple[SimServer, Endpoints]
) -> None:
    server, _ = served
    assert not client.write_register(0, int(icd.Control.TARE), device_id=1).isError()
    assert not client.write_registers(0, [int(icd.Control.ENABLE), 1, 0, 0], device_id=1).isError()
    assert server.call(lambda: server.board.firmware.enabled)
    before = config(client)
    assert exception_code(client.write_register(8, 300, device_id=1)) == 3
    assert config(client) == before


@pytest.mark.parametrize(
    "pdu",
    [
        struct.pack(">BHH", 0x04, 0, 126),  # read quantity above 125
        struct.pack(">BHH", 0x03, 100, 0),  # read quantity 0
        struct.pack(">BHHB", 0x10, 8, 124, 248),  # write quantity above 123 (cannot fit a frame)
        struct.pack(">BHHB", 0x10, 8, 0, 0),  # write quantity 0
        struct.pack(">BHHB", 0x10, 8, 2, 3) + bytes(3),  # byte count disagrees with quantity
        struct.pack(">BHHHHB", 0x17, 100, 18, 0, 122, 244),  # FC23 write above 121
        struct.pack(">BHHHHB", 0x17, 100, 126, 0, 1, 2) + bytes(2),  # FC23 read above 125
    ],
    ids=["read126", "read0", "write124", "write0", "bytecount", "fc23write122", "fc23read126"],
)
def test_quantities_outside_the_modbus_limits_get_03(
    served: tuple[SimServer, Endpoints], pdu: bytes
) -> None:
    _, ep = served
    assert ep.tcp is not None
    assert tcp_request(ep.tcp[1], pdu) == bytes((pdu[0] | 0x80,)) + ILLEGAL_VALUE


def test_fc23_is_refused_whole_when_its_read_half_is_bad(client: ModbusTcpClient) -> None:
    seq_before = client.read_holding_registers(1, count=1, device_id=1).registers[0]
    rr = client.readwrite_registers(
        read_address=18,
        read_count=1,
        write_address=0,
        values=[0, (seq_before + 1) % 65536, 0, 0],
        device_id=1,
    )
    assert exception_code(rr) == ExceptionCode.ILLEGAL_DATA_ADDRESS
    assert client.read_holding_registers(1, count=1, device_id=1).registers[0] == seq_before


def test_fc23_writes_before_it_reads(client: ModbusTcpClient) -> None:
    rr = client.readwrite_registers(
        read_address=100, read_count=18, write_address=0, values=[0, 4321, 0, 0], device_id=1
    )
    assert rr.registers[icd.CMD_SEQ_ECHO.address] == 4321


# --- no answer at all ---------------------------------------------------------------------------
def test_other_unit_ids_get_no_answer_over_tcp(served: tuple[SimServer, Endpoints]) -> None:
    _, ep = served
    assert ep.tcp is not None
    read = struct.pack(">BHH", 0x04, 0, 18)
    assert tcp_request(ep.tcp[1], read, unit=1) is not None
    for unit in (0, 2, 247, 255):
        assert tcp_request(ep.tcp[1], read, unit=unit) is None
    assert tcp_request(ep.tcp[1], bytes((0x2B, 0x0E, 0x01, 0x00)), unit=2) is None


def test_bad_crc_and_other_unit_ids_get_no_answer_over_rtu(
    served: tuple[SimServer, Endpoints],
) -> None:
    _, ep = served
    assert ep.rtu is not None
    read = struct.pack(">BHH", 0x04, 0, 18)
    with RtuPort(ep.rtu) as port:
        good = with_crc(b"\x01" + read)
        assert len(port.exchange(good)) == 5 + 36
        assert port.exchange(good[:-1] + bytes((good[-1] ^ 0x01,))) == b""
        assert port.request(2, read) == b""
        assert port.request(0, struct.pack(">BHH", 0x06, 1, 99)) == b""  # broadcast ignored
        assert len(port.exchange(good)) == 5 + 36  # and the line is still in sync


def test_device_identification(client: ModbusTcpClient) -> None:
    rr: Any = client.read_device_information(read_code=1, object_id=0, device_id=1)
    assert not rr.isError()
    assert rr.information[1] == b"TT-1"
    assert rr.information[2] == b"1.0"
    assert rr.information[0]
    single: Any = client.read_device_information(read_code=4, object_id=1, device_id=1)
    assert single.information == {1: b"TT-1"}
    missing = client.read_device_information(read_code=4, object_id=0x05, device_id=1)
    assert exception_code(missing) == ExceptionCode.ILLEGAL_DATA_ADDRESS
