"""Modbus RTU on a pseudo-terminal: any RTU master can open the printed device path.

Framing: a request of a known function code is complete when its length (fixed, or given
by its byte count) has arrived, so the reply does not wait for the 3.5-character silence;
anything else (an unknown function code, garbage) is taken as one frame once the line has
been silent for t3.5, as the Modbus serial line spec defines. A frame with a bad CRC or for
another unit id is dropped without an answer (ICD 3.1). A pty has no baud rate: the line
parameters (115200 8E1) are whatever the master sets and are not emulated.

Linux quirk handled here: the pty driver silently drops PARENB, and a later tcsetattr whose
only change is PARENB then fails with EINVAL -- so a master that opens with 8E1 a second
time (pyserial, libmodbus) cannot open the pty. The server keeps the slave's recorded speed
at a parking value whenever it can, so every open changes the speed and succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import termios
import tty

import structlog

from sim.board import SimBoard
from sim.clock import BoardTime

log = structlog.get_logger(__name__)

T35_S = 0.00175  # Modbus serial line: fixed 1.75 ms above 19200 baud
_READ_CHUNK = 512
_MIN_FRAME = 4
_PARKING_SPEED = termios.B9600
_PARK_PERIOD_S = 0.01
# Known request lengths: function code -> fixed length, or (byte-count offset, header size).
_FIXED = {0x03: 8, 0x04: 8, 0x06: 8, 0x2B: 7}
_COUNTED = {0x10: (6, 9), 0x17: (10, 13)}


def crc16(data: bytes) -> int:
    """Modbus CRC-16 (poly 0xA001, init 0xFFFF), as sent: low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(frame: bytes) -> bytes:
    return frame + crc16(frame).to_bytes(2, "little")


def expected_length(buf: bytes) -> int | None:
    """Length of the request starting at buf[0], when it can be known from its header."""
    if len(buf) < 2:
        return None
    fc = buf[1]
    if fc in _FIXED:
        return _FIXED[fc]
    if fc in _COUNTED:
        offset, header = _COUNTED[fc]
        return header + buf[offset] if len(buf) > offset else None
    return None


class RtuPty:
    def __init__(self, board: SimBoard, time: BoardTime) -> None:
        self.board = board
        self.time = time
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave, termios.TCSANOW)
        self.path = os.ttyname(self._slave)
        os.set_blocking(self._master, False)
        self._buf = b""
        self._silence: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._parker: asyncio.Task[None] | None = None
        self.frames_dropped = 0
        self._park_speed()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._master, self._on_readable)
        self._parker = self._loop.create_task(self._park_forever())

    async def _park_forever(self) -> None:
        while True:
            self._park_speed()
            await asyncio.sleep(_PARK_PERIOD_S)

    def _park_speed(self) -> None:
        try:
            attrs = termios.tcgetattr(self._slave)
            if attrs[4] != _PARKING_SPEED or attrs[5] != _PARKING_SPEED:
                attrs[4] = attrs[5] = _PARKING_SPEED
                termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        except termios.error:
            pass

    def close(self) -> None:
        if self._parker is not None:
            self._parker.cancel()
        if self._loop is not None:
            self._loop.remove_reader(self._master)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, _READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # no master side open yet (EIO); the next open brings data again
        self._buf += data
        if self._silence is not None:
            self._silence.cancel()
        while True:
            need = expected_length(self._buf)
            if need is None or len(self._buf) < need:
                break
            frame, self._buf = self._buf[:need], self._buf[need:]
            if not self._process(frame):
                self._buf = b""  # lost sync: wait for the line to go quiet
                break
        if self._buf and self._loop is not None:
            self._silence = self._loop.call_later(T35_S, self._on_silence)

    def _on_silence(self) -> None:
        frame, self._buf = self._buf, b""
        self._silence = None
        if len(frame) >= _MIN_FRAME:
            self._process(frame)
        else:
            self.frames_dropped += 1

    def _process(self, frame: bytes) -> bool:
        """Answer one frame; False when it was not a valid frame (bad CRC)."""
        body, crc = frame[:-2], int.from_bytes(frame[-2:], "little")
        if crc16(body) != crc:
            self.frames_dropped += 1
            return False
        self.time.catch_up()
        reply = self.board.serve(body[0], body[1:])
        if reply is None:
            return True
        fate = self.board.reply_fate(has_crc=True)
        if fate.drop:
            return True
        out = with_crc(bytes((body[0],)) + reply)
        if fate.corrupt:
            out = out[:-2] + bytes((out[-2] ^ 0xFF, out[-1] ^ 0xFF))
        if fate.delay_s and self._loop is not None:
            self._loop.call_later(fate.delay_s, self._send, out)
        else:
            self._send(out)
        return True

    def _send(self, out: bytes) -> None:
        try:
            os.write(self._master, out)
        except OSError as exc:
            log.warning("rtu write failed", error=str(exc))
