"""Surface EMG over Lab Streaming Layer (pylsl, which ships liblsl in its wheel).

Why LSL: it is how Delsys, Noraxon, BITalino, OpenBCI and most research amplifiers stream.
Opening is bounded: the stream is looked for for `timeout` seconds; two streams answering
the same query are refused (the table must not gate on another patient's muscles); the
stream must state a rate that carries the 20-450 Hz band, the two named channels, and a
voltage unit for each. Timestamps are put on this machine's clock by LSL's time correction
(`proc_clocksync`, not dejittered), so a sample's age on arrival is the stream's lag, a
drifting clock included.

liblsl is configured before first use (`LSL_CONFIG`): discovery stays on this machine
(`ResolveScope = machine`, IPv4 only) and in the table's own LSL session, so a lab's other
streams never answer; KnownPeers adds an amplifier on another host when a site names it.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pylsl
from pylsl.util import LostError
from pylsl.util import TimeoutError as LslTimeout

from controller.muscles.source import (
    MIN_RATE_HZ,
    LslTarget,
    MuscleSourceError,
    Pulled,
    parse_muscle_url,
    to_microvolts,
)

SESSION_ID = "traction-table"
LSL_CONFIG = f"""
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
SessionID = {SESSION_ID}
KnownPeers = {{127.0.0.1}}
[log]
level = -2
"""
DUPLICATE_LOOK_S = 1.0  # after the first answer, how long to listen for a second (LSL answers
# a query in waves: a second stream was seen 0.5 s after the first)
BUFFER_S = 10  # the inlet's own buffer, seconds
MIN_STEP_S = 0.2  # a step of the opening that finds its bound spent still gets this long
_configured = threading.Lock()
_done: list[bool] = []


def configure_lsl() -> None:
    """liblsl's configuration, once per process, before any stream is made or looked for."""
    with _configured:
        if not _done:
            pylsl.set_config_content(LSL_CONFIG)
            _done.append(True)


class LslSource:
    def __init__(self, target: LslTarget) -> None:
        self.target = target
        self.url = target.url
        self.rate_hz = 0.0
        self.name = ""
        self._inlet: pylsl.StreamInlet | None = None
        self._columns: tuple[int, int] = (0, 1)
        self._scale = np.ones(2)
        self._most = 1024

    def open(self) -> None:
        configure_lsl()
        t = self.target
        # one bound for the whole opening (and the 1 s look for a second stream): each step
        # waits only for what is left of it
        deadline = time.monotonic() + t.timeout_s

        def left() -> float:
            return max(MIN_STEP_S, deadline - time.monotonic())

        predicate = f"type='{t.stream_type}'" + (f" and name='{t.name}'" if t.name else "")
        found = pylsl.resolve_bypred(predicate, 1, left())
        if not found:
            raise MuscleSourceError(
                f"no EMG stream {self.url} found within {t.timeout_s:g} s: is the amplifier "
                "streaming, on this machine or a known peer?"
            )
        more = pylsl.resolve_bypred(predicate, 2, DUPLICATE_LOOK_S)
        if len({s.uid() for s in [*found, *more]}) > 1:
            names = sorted({f"{s.name()} ({s.source_id()})" for s in [*found, *more]})
            raise MuscleSourceError(
                f"more than one stream answers {self.url}: {', '.join(names)}; name one (name=)"
            )
        inlet = pylsl.StreamInlet(
            found[0],
            max_buflen=BUFFER_S,
            # clock sync only: dejittering fits a line to the stamps and, after a gap in the
            # stream, stamped fresh samples seconds old (a false "late" alarm)
            processing_flags=pylsl.proc_clocksync,
        )
        try:
            info = inlet.info(timeout=left())  # the full header: channels and units
            self._check(info)
            inlet.open_stream(timeout=left())
            inlet.time_correction(timeout=left())
        except (LslTimeout, LostError) as exc:
            inlet.close_stream()
            raise MuscleSourceError(f"{self.url}: the stream did not open: {exc}") from exc
        except MuscleSourceError:
            inlet.close_stream()
            raise
        self._inlet = inlet
        self.name = info.name()

    def _check(self, info: pylsl.StreamInfo) -> None:
        rate = info.nominal_srate()
        if rate < MIN_RATE_HZ:
            raise MuscleSourceError(
                f"{self.url}: stream {info.name()!r} states {rate:g} Hz; at least "
                f"{MIN_RATE_HZ:g} Hz carries the 20-450 Hz band"
            )
        labels, units = [], []
        channel = info.desc().child("channels").child("channel")
        for _ in range(info.channel_count()):
            labels.append(channel.child_value("label"))
            units.append(channel.child_value("unit"))
            channel = channel.next_sibling()
        columns = []
        for wanted in self.target.channels:
            if wanted not in labels:
                raise MuscleSourceError(
                    f"{self.url}: stream {info.name()!r} has no channel {wanted!r} "
                    f"(it has: {', '.join(repr(x) for x in labels) or 'no channel names'})"
                )
            columns.append(labels.index(wanted))
        self._columns = (columns[0], columns[1])
        self._scale = np.array([to_microvolts(units[c]) for c in columns])
        self.rate_hz = rate
        self._most = int(rate * BUFFER_S)  # all that has come: the newest sample says the lag

    def pull(self, now: float) -> Pulled:
        inlet = self._inlet
        if inlet is None:
            raise MuscleSourceError(f"{self.url}: pulled before it was opened")
        try:
            data, stamps = inlet.pull_chunk(timeout=0.0, max_samples=self._most)
        except LostError:  # the watch states the silence as a lost stream
            return Pulled(np.zeros((0, 2)), None)
        if not stamps:
            return Pulled(np.zeros((0, 2)), None)
        samples = np.asarray(data, dtype=float)[:, list(self._columns)] * self._scale
        lag = pylsl.local_clock() - stamps[-1]
        return Pulled(samples, lag)

    def close(self) -> None:
        if self._inlet is not None:
            self._inlet.close_stream()
            self._inlet = None


def lsl_source(url: str) -> LslSource:
    """An LSL source for an `lsl://` URL; MuscleSourceError for any other."""
    target = parse_muscle_url(url)
    if not isinstance(target, LslTarget):
        raise MuscleSourceError(f"muscle signal {url!r}: not a Lab Streaming Layer URL (lsl://)")
    return LslSource(target)
