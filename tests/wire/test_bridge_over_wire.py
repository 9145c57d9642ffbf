"""The real bridge over real sockets and a real pty, against `traction sim` in real time."""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Callable, Iterator

import pytest

from controller.app.composition import open_link
from controller.core.realtime import realtime_thread
from firmware_bridge import TableLink
from firmware_bridge.errors import (
    ConnectError,
    DecodeError,
    LinkTimeout,
    ModbusExceptionReply,
    StaleReply,
)
from firmware_bridge.icd import FaultCode, Status
from safety import gate
from safety.limits import load_limits
from safety.supervisor import SafetySupervisor
from sim.injection import inject
from sim.server import Endpoints, SimServer
from tests.helpers import TEST_INTERLOCKS
from tests.wire.loopback_server import LoopbackServer

ENABLE = gate.HOLD  # approved: drive enabled, carriage held
IDLE = gate.IDLE  # link-fault tests idle the drive: a lost cycle would trip the watchdog


def connected(url: str) -> TableLink:
    link = open_link(url).link
    link.connect()
    link.configure_interlocks(TEST_INTERLOCKS)
    return link


@pytest.fixture(params=["tcp", "rtu"])
def wire(
    request: pytest.FixtureRequest, served: tuple[SimServer, Endpoints]
) -> Iterator[tuple[SimServer, TableLink]]:
    server, ep = served
    link = connected(ep.tcp_url if request.param == "tcp" else ep.rtu_url)
    yield server, link
    link.close()


def test_session_over_the_wire(wire: tuple[SimServer, TableLink]) -> None:
    _server, link = wire
    ident = link.identity
    assert ident is not None and ident.product_code == "TT-1" and ident.icd_version == 0x0100
    assert ident.limits.force_max_n == 1000.0 and ident.limits.sample_rate_hz == 500
    assert link.read_interlocks() == TEST_INTERLOCKS
    tel = link.tare()
    supervisor = SafetySupervisor(
        load_limits(),
        force_limit_n=400.0,
        hw_force_max_n=ident.limits.force_max_n,
        request_release=link.release_now,
    )
    supervisor.start_treatment()
    seen = [tel]

    def control() -> None:  # as a session's loop runs: beside CI's other runs, a loop at
        with realtime_thread():  # ordinary priority was held off past the board's watchdog
            for _ in range(50):
                seen.append(link.cycle(supervisor.command(0.01, seen[-1])))
                link.clock.sleep_until(link.clock.now() + 0.01)

    thread = threading.Thread(target=control)
    thread.start()
    thread.join()
    tel = seen[-1]
    assert tel.has(Status.DRIVE_ENABLED) and tel.velocity_m_s > 0, tel.fault
    assert tel.position_m > 0.0001
    link.cycle(gate.IDLE)


def test_fault_injected_from_outside_reaches_the_host(wire: tuple[SimServer, TableLink]) -> None:
    server, link = wire
    link.tare()
    link.cycle(ENABLE)
    server.call(lambda: inject(server.board, "patient-press"))
    tel = link.cycle(ENABLE)
    assert tel.has(Status.PATIENT_STOP)
    link.clock.sleep_until(link.clock.now() + 0.02)
    assert link.cycle(ENABLE).fault is FaultCode.PATIENT_STOP


def test_dropped_reply_is_a_timeout_and_the_next_cycle_is_fresh(
    wire: tuple[SimServer, TableLink],
) -> None:
    server, link = wire
    link.cycle(IDLE)
    server.call(lambda: inject(server.board, "link-drop", {"count": 1}))
    with pytest.raises(LinkTimeout):
        link.cycle(IDLE)
    tel = link.cycle(IDLE)
    assert tel.fault is FaultCode.NONE


def test_late_reply_is_never_taken_for_a_later_one(wire: tuple[SimServer, TableLink]) -> None:
    server, link = wire
    link.cycle(IDLE)
    server.call(lambda: inject(server.board, "link-delay", {"delay_ms": 150, "count": 1}))
    with pytest.raises(LinkTimeout):
        link.cycle(IDLE)
    link.clock.sleep_until(link.clock.now() + 0.1)  # the late reply is now in flight/arrived
    tel = None
    for _ in range(3):
        try:
            tel = link.cycle(IDLE)
            break
        except (LinkTimeout, StaleReply):
            continue
    assert tel is not None  # the link recovers within a few cycles ...
    # ... and what it returned is the answer to *its* request (echo checked by the link)


def test_corrupted_crc_on_rtu_is_a_timeout(served: tuple[SimServer, Endpoints]) -> None:
    server, ep = served
    link = connected(ep.rtu_url)
    server.call(lambda: inject(server.board, "link-crc", {"count": 1}))
    with pytest.raises(LinkTimeout):
        link.cycle(IDLE)
    assert link.cycle(IDLE).fault is FaultCode.NONE
    link.close()


def test_board_refusal_is_a_typed_error(wire: tuple[SimServer, TableLink]) -> None:
    _, link = wire
    link.tare()
    link.cycle(ENABLE)
    with pytest.raises(ModbusExceptionReply) as err:
        link.configure_interlocks(TEST_INTERLOCKS)  # while enabled
    assert err.value.code == 3
    link.cycle(IDLE)


def test_nothing_listening_is_a_connect_error() -> None:
    link = open_link("tcp://127.0.0.1:1?timeout=0.2").link
    with pytest.raises(ConnectError):
        link.connect()
    with pytest.raises(ConnectError):
        open_link("rtu:///dev/does-not-exist").link.connect()


# --- malformed replies from a board that misbehaves on the wire ---------------------------
class ScriptedBoard:
    """A TCP peer on loopback that answers every request with `reply(request_pdu)`."""

    def __init__(self, reply: Callable[[bytes], bytes], after: bytes = b"") -> None:
        self.reply = reply
        self.after = after  # bytes sent after each whole frame (a stream that is no frames)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    tid, _, length, unit = struct.unpack(">HHHB", await reader.readexactly(7))
                    pdu = self.reply(await reader.readexactly(length - 1))
                    frame = struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu
                    writer.write(frame + self.after)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        self.server = LoopbackServer(handle, "scripted-board")
        self.port = self.server.port

    def stop(self) -> None:
        self.server.stop()


def _fc23_reply(registers: list[int]) -> bytes:
    return struct.pack(f">BB{len(registers)}H", 0x17, 2 * len(registers), *registers)


def _telemetry(echo: int, **over: int) -> list[int]:
    regs = [0x0100, 0x1C41, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 150, 250, echo, 0, 0, 100]
    for index, value in over.items():
        regs[int(index.lstrip("r"))] = value
    return regs


@pytest.mark.parametrize(
    ("make_reply", "error"),
    [
        (lambda echo: _fc23_reply(_telemetry(echo)[:17]), DecodeError),  # one register short
        (lambda echo: _fc23_reply(_telemetry(echo, r2=42)), DecodeError),  # unknown fault code
        (lambda echo: _fc23_reply(_telemetry(echo, r1=0xE000)), DecodeError),  # undefined bits
        (lambda echo: _fc23_reply(_telemetry(echo, r15=5)), DecodeError),  # reserved not 0
        (lambda echo: _fc23_reply(_telemetry(echo + 1)), StaleReply),  # not our heartbeat
        (lambda echo: b"\x97\x04", ModbusExceptionReply),  # device failure exception
        (lambda echo: b"\x03\x02\x00\x00", DecodeError),  # another function's reply
        (lambda echo: b"\x17\xff\x00", DecodeError),  # byte count beyond the frame
        (lambda echo: _fc23_reply(_telemetry(echo)) + b"\x00\x00", DecodeError),  # extra bytes
        (
            lambda echo: b"\x17\x22" + _fc23_reply(_telemetry(echo))[2:],
            DecodeError,
        ),  # byte count short of the data that follows
    ],
    ids=[
        "short",
        "fault42",
        "status-bits",
        "reserved",
        "stale",
        "exception",
        "wrong-fc",
        "bytecount",
        "extra-bytes",
        "bytecount-short",
    ],
)
def test_malformed_replies_become_typed_errors_never_snapshots(
    make_reply: Callable[[int], bytes], error: type[Exception]
) -> None:
    def reply(pdu: bytes) -> bytes:
        seq = struct.unpack(">H", pdu[12:14])[0]  # CMD_SEQ in the FC23 write half
        return make_reply(seq)

    board = ScriptedBoard(reply)
    try:
        link = open_link(f"tcp://127.0.0.1:{board.port}?timeout=0.2").link
        link.transport.open()
        with pytest.raises(error):
            link.cycle(ENABLE)
        link.close()
    finally:
        board.stop()


@pytest.mark.requirement("SR-047")
def test_bytes_after_a_whole_frame_are_a_link_fault_not_a_reply() -> None:
    """A board that appends bytes after each complete TCP frame: the stream does not parse as
    frames, so every such reply is refused (pymodbus alone would drop the bytes unseen)."""

    def reply(pdu: bytes) -> bytes:
        return _fc23_reply(_telemetry(struct.unpack(">H", pdu[12:14])[0]))

    board = ScriptedBoard(reply, after=b"\x00\x01")
    try:
        link = open_link(f"tcp://127.0.0.1:{board.port}?timeout=0.2").link
        link.transport.open()
        for _ in range(3):
            with pytest.raises(DecodeError, match="after the reply"):
                link.cycle(ENABLE)
        link.close()
    finally:
        board.stop()
