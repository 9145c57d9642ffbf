"""Raw Modbus frames on real sockets and ptys, for what a well-behaved client would never send."""

from __future__ import annotations

import os
import select
import socket
import struct
import time

from sim.rtu_server import with_crc

REPLY_WAIT_S = 0.3


def tcp_request(port: int, pdu: bytes, unit: int = 1, tid: int = 7) -> bytes | None:
    """Send one MBAP frame; the reply PDU, or None when the board stays silent."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu)
        sock.settimeout(REPLY_WAIT_S)
        try:
            header = _recv_exactly(sock, 7)
        except TimeoutError:
            return None
        rtid, pid, length, runit = struct.unpack(">HHHB", header)
        assert (rtid, pid, runit) == (tid, 0, unit)
        return _recv_exactly(sock, length - 1)


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class RtuPort:
    """The pty opened raw (no termios games): bytes in, bytes out."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> RtuPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def exchange(self, frame: bytes, wait_s: float = REPLY_WAIT_S) -> bytes:
        os.write(self.fd, frame)
        out = b""
        end = time.monotonic() + wait_s
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                out += os.read(self.fd, 512)
                end = min(end, time.monotonic() + 0.02)  # a reply ends with a short silence
        return out

    def request(self, unit: int, pdu: bytes) -> bytes:
        return self.exchange(with_crc(bytes((unit,)) + pdu))
