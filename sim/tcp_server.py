"""Modbus TCP framing (MBAP) in front of the simulated board.

Requests of one connection are answered in order; the board work of each request runs
without an await, so no other connection can slip in between the write and the read of an
FC23 (ICD 1: coherence).
"""

from __future__ import annotations

import asyncio
import struct

import structlog

from sim.board import SimBoard
from sim.clock import BoardTime

log = structlog.get_logger(__name__)

_MBAP = struct.Struct(">HHHB")
_MAX_PDU = 253


class TcpFrontEnd:
    def __init__(self, board: SimBoard, time: BoardTime) -> None:
        self.board = board
        self.time = time
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        self.connections += 1
        try:
            while True:
                header = await reader.readexactly(_MBAP.size)
                tid, pid, length, unit = _MBAP.unpack(header)
                if pid != 0 or not 2 <= length <= _MAX_PDU + 1:
                    log.warning("bad MBAP header, closing", peer=peer, pid=pid, length=length)
                    return
                pdu = await reader.readexactly(length - 1)
                self.time.catch_up()
                reply = self.board.serve(unit, pdu)
                if reply is None:
                    continue  # another unit id: no answer at all (ICD 3.1)
                fate = self.board.reply_fate(has_crc=False)
                if fate.drop:
                    continue
                if fate.delay_s:
                    await asyncio.sleep(fate.delay_s)
                writer.write(_MBAP.pack(tid, 0, len(reply) + 1, unit) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.connections -= 1
            writer.close()
