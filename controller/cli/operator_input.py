"""Keys and signals become session events, picked up by the control thread each cycle.

A reader thread turns keys into events (p pause, r resume, s stop, + / - force up or
down). Ctrl-C (SIGINT) is the technician's "stop" -- a controlled ramp down; SIGTERM, SIGHUP
(a closed terminal) and any second signal are "stop_now": the process is being ended, so the
board's release is asked for at once and the process ends within the release bound
(docs/controller.md) -- never tension left on the patient. Each request says who made it,
because the record must tell the technician's Ctrl-C from a shutdown of the machine or a
lost terminal. The control loop never blocks on input: it drains the queue once per cycle.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import sys
import termios
import threading
import tty
from collections.abc import Iterator
from types import FrameType
from typing import NamedTuple

from controller.core.end_reason import EndReason

KEYS = {
    "p": "pause",
    "r": "resume",
    "s": "stop",
    "+": "force_up",
    "-": "force_down",
    "a": "acknowledge",
}
FORCE_EVENTS = {"force_up": 1.0, "force_down": -1.0}
OPERATOR = "operator"
SIGNALLED_BY = {
    signal.SIGINT: OPERATOR,  # Ctrl-C at the table's terminal
    signal.SIGTERM: "system (SIGTERM)",
    signal.SIGHUP: "terminal closed (SIGHUP)",
}


class Request(NamedTuple):
    event: str
    by: str
    cause: EndReason = EndReason.STOPPED_BY_OPERATOR  # a stop by the system says so


class OperatorInput:
    def __init__(self) -> None:
        self.events: queue.SimpleQueue[Request] = queue.SimpleQueue()
        self.signals = 0

    def drain(self) -> list[Request]:
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.signals += 1
        sig = signal.Signals(signum)
        urgent = sig is not signal.SIGINT or self.signals > 1
        by = SIGNALLED_BY.get(sig, OPERATOR)
        cause = EndReason.STOPPED_BY_OPERATOR if by == OPERATOR else EndReason.STOPPED_BY_SYSTEM
        self.events.put(Request("stop_now" if urgent else "stop", by, cause))

    def _read_keys(self) -> None:
        while True:
            ch = sys.stdin.read(1)
            if not ch:
                return
            event = KEYS.get(ch.lower())
            if event:
                self.events.put(Request(event, OPERATOR))

    @contextlib.contextmanager
    def attached(self) -> Iterator[OperatorInput]:
        previous = {s: signal.signal(s, self._on_signal) for s in SIGNALLED_BY}
        saved = None
        if sys.stdin.isatty():
            saved = termios.tcgetattr(sys.stdin.fileno())
            tty.setcbreak(sys.stdin.fileno())
            threading.Thread(target=self._read_keys, name="operator-keys", daemon=True).start()
        try:
            yield self
        finally:
            if saved is not None:
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
