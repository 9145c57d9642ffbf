"""A board that turns bad mid-treatment: a Modbus TCP proxy in front of a real `traction sim`.

It forwards every frame unchanged until `turn_bad()`, then spoils every reply in one way
(the ways QA found a board nobody on the project wrote could misbehave). It keeps each FC23
request's VELOCITY_CMD with its arrival time, and when the first spoiled reply went out, so
a test can prove that no pulling command left the host once the fault was visible.

The proxy runs in a process of its own (`python -m tests.wire.bad_board`), as a board does:
in the test's process its thread would share the GIL with the test's ordinary threads, and
one of them preempted while holding it would hold the "board" off past the host's 25 ms.
"""

from __future__ import annotations

import asyncio
import json
import random
import struct
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sim.server import BOARD_PRIORITY
from tests.wire.loopback_server import LoopbackServer

MBAP = ">HHHB"  # transaction id, protocol id, length (unit + PDU), unit
FC23 = 0x17
LATE_S = 0.030  # past the host's 25 ms transaction timeout
SAMPLE_SEQ_AT = 2 + 3 * 2  # FC23 reply PDU: fc, byte count, then telemetry register 3
VELOCITY_AT = 14  # FC23 request PDU: fc, 4 x u16, byte count, CONTROL, CMD_SEQ, VELOCITY_CMD

WAYS = (
    "wrong-transaction-id",
    "random-bytes",
    "late-replies",
    "bytes-after-frame",
    "frozen-samples",
)


@dataclass
class Seen:
    commands: list[tuple[float, int]] = field(default_factory=list)  # (time, VELOCITY_CMD um/s)
    spoiled: list[float] = field(default_factory=list)  # when each spoiled reply went out


class Proxy:
    """127.0.0.1:port forwards to `upstream`; `turn_bad()` starts spoiling replies `way`."""

    def __init__(self, upstream: tuple[str, int], way: str, seed: int = 0) -> None:
        if way not in WAYS:
            raise ValueError(f"unknown way {way!r}; one of {', '.join(WAYS)}")
        self.upstream, self.way = upstream, way
        self.rng = random.Random(seed)
        self.bad = threading.Event()
        self.seen = Seen()
        self.frozen_seq: bytes | None = None
        self.server = LoopbackServer(self._serve, "bad-board", BOARD_PRIORITY)
        self.port = self.server.port

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def turn_bad(self) -> None:
        self.bad.set()

    async def _serve(self, host_r: asyncio.StreamReader, host_w: asyncio.StreamWriter) -> None:
        board_r, board_w = await asyncio.open_connection(*self.upstream)
        try:
            while True:
                request = await _frame(host_r)
                pdu = request[7:]
                if pdu[0] == FC23 and len(pdu) >= VELOCITY_AT + 4:
                    velocity = struct.unpack(">i", pdu[VELOCITY_AT : VELOCITY_AT + 4])[0]
                    self.seen.commands.append((time.monotonic(), velocity))
                board_w.write(request)
                await board_w.drain()
                reply = await _frame(board_r)
                if self.bad.is_set():
                    reply = await self._spoil(reply)
                    self.seen.spoiled.append(time.monotonic())
                host_w.write(reply)
                await host_w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            host_w.close()
            board_w.close()

    async def _spoil(self, reply: bytes) -> bytes:
        tid, pid, length, unit = struct.unpack(MBAP, reply[:7])
        pdu = reply[7:]
        if self.way == "wrong-transaction-id":
            return struct.pack(MBAP, (tid + 1) & 0xFFFF, pid, length, unit) + pdu
        if self.way == "random-bytes":
            return bytes(self.rng.randrange(256) for _ in range(len(reply)))
        if self.way == "late-replies":
            await asyncio.sleep(LATE_S)
            return reply
        if self.way == "bytes-after-frame":
            return reply + b"\x00\x01\x00"
        if pdu[0] == FC23 and len(pdu) >= SAMPLE_SEQ_AT + 2:  # frozen-samples
            if self.frozen_seq is None:
                self.frozen_seq = pdu[SAMPLE_SEQ_AT : SAMPLE_SEQ_AT + 2]
            pdu = pdu[:SAMPLE_SEQ_AT] + self.frozen_seq + pdu[SAMPLE_SEQ_AT + 2 :]
        return reply[:7] + pdu

    def stop(self) -> None:
        self.server.stop()


class BadBoard:
    """A `Proxy` in its own process; `finish()` stops it and returns what it saw."""

    def __init__(self, upstream: tuple[str, int], way: str, seed: int = 0) -> None:
        if way not in WAYS:
            raise ValueError(f"unknown way {way!r}; one of {', '.join(WAYS)}")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.wire.bad_board", *map(str, (*upstream, way, seed))],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.seen: Seen | None = None

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def turn_bad(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("bad\n")
        self.proc.stdin.flush()

    def finish(self) -> Seen:
        """Stops the proxy; what it saw (times on CLOCK_MONOTONIC, shared by processes)."""
        if self.seen is None:
            out, _ = self.proc.communicate("stop\n", timeout=10)
            said = json.loads(out)
            self.seen = Seen(
                commands=[(t, v) for t, v in said["commands"]], spoiled=said["spoiled"]
            )
        return self.seen

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def main(argv: list[str]) -> None:
    """Serve until "stop" (or end of input) on stdin; "bad" turns the replies bad."""
    host, port, way, seed = argv
    proxy = Proxy((host, int(port)), way, int(seed))
    sys.stdout.write(f"{proxy.port}\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if line.strip() == "bad":
            proxy.turn_bad()
        elif line.strip() == "stop":
            break
    proxy.stop()
    sys.stdout.write(json.dumps(asdict(proxy.seen)) + "\n")


async def _frame(reader: asyncio.StreamReader) -> bytes:
    header = await reader.readexactly(7)
    length = struct.unpack(MBAP, header)[2]
    return header + await reader.readexactly(length - 1)


if __name__ == "__main__":
    main(sys.argv[1:])
