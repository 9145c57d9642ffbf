"""The client side of a simulator's control interface (sim/control_server.py): one JSON
request, one JSON reply, for `traction inject`, HIL and the benchmarks."""

from __future__ import annotations

import json
import socket

TIMEOUT_S = 5.0  # a simulator on this machine answers within milliseconds


def request(control: tuple[str, int], message: dict[str, object]) -> dict[str, object]:
    """One request/reply on the control interface."""
    with socket.create_connection(control, timeout=TIMEOUT_S) as sock:
        sock.sendall(json.dumps(message).encode() + b"\n")
        reply = sock.makefile("rb").readline()
    if not reply:
        raise ConnectionError("control interface closed the connection")
    answer: dict[str, object] = json.loads(reply)
    return answer
