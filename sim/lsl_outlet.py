"""The simulated amplifier on Lab Streaming Layer: what `traction sim` streams by default.

Why a real LSL outlet: the host reads a real amplifier through liblsl, so the simulator
offers the same -- a stream of type "EMG", two channels labelled as the host expects, in
microvolts, at 1000 Hz, with each sample stamped on LSL's clock at the time the simulated
muscles produced it. A stream-lost injection stops the pushes; a late one pushes them late.

liblsl reads its configuration once per process: whoever starts the outlet configures it
first (controller/muscles/lsl_source.py `configure_lsl`: discovery on this machine only).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pylsl

from sim.board import SimBoard

STREAM_TYPE = "EMG"
DEFAULT_NAME = "traction-sim-emg"
CHANNELS = ("paravertebral-left", "paravertebral-right")
UNIT = "microvolts"
PUSH_EVERY_S = 0.02
CHUNK_SAMPLES = 20


class EmgOutlet:
    """Pushes what the board's simulated amplifier has produced; call `push` periodically
    from the board's own thread."""

    def __init__(self, board: SimBoard, *, name: str = DEFAULT_NAME, source_id: str = "") -> None:
        if board.emg is None:
            raise ValueError("the simulated patient has no muscles to stream")
        self.board = board
        self.emg = board.emg
        info = pylsl.StreamInfo(
            name,
            STREAM_TYPE,
            len(CHANNELS),
            self.emg.rate_hz,
            pylsl.cf_float32,
            source_id or f"{name}-{board.seed}",
        )
        channels = info.desc().append_child("channels")
        for label in CHANNELS:
            ch = channels.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", UNIT)
            ch.append_child_value("type", "EMG")
        info.desc().append_child("acquisition").append_child_value("manufacturer", "simulator")
        self.name = name
        self.push_every_s = PUSH_EVERY_S
        with _ordinary_priority():  # liblsl's threads take their creator's scheduling
            self._outlet = pylsl.StreamOutlet(info, CHUNK_SAMPLES)
        # the board's time zero on LSL's clock: a sample at board time t is stamped origin + t
        self._origin = pylsl.local_clock() - board.elapsed_s
        self.pushed = 0

    def push(self) -> None:
        for chunk in self.emg.take(self.board.elapsed_s):
            n = chunk.samples.shape[0]
            first = self._origin + chunk.first_s
            stamps = [first + i / self.emg.rate_hz for i in range(n)]
            self._outlet.push_chunk(chunk.samples.astype("float32").tolist(), stamps)
            self.pushed += n

    def close(self) -> None:
        del self._outlet


@contextlib.contextmanager
def _ordinary_priority() -> Iterator[None]:
    """The calling thread at ordinary priority meanwhile. Why: a board run at SCHED_FIFO
    (`chrt -f 40 traction sim`) gave liblsl's own threads that priority too, and beside a
    real-time control loop the machine then held CPUs off for up to 12 ms (286 stalls in 90 s
    against none; bench/loop_jitter.py --emg). Streaming is not the board's real-time work."""
    try:
        policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    except (AttributeError, OSError):
        yield
        return
    if policy == os.SCHED_OTHER:
        yield
        return
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    try:
        yield
    finally:
        with contextlib.suppress(PermissionError, OSError):
            os.sched_setscheduler(0, policy, param)
