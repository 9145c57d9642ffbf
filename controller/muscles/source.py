"""A muscle-signal source: the second sensor beside the board, behind one small protocol.

Two backends (as the board has TCP, RTU and sim://): Lab Streaming Layer, the way research
surface-EMG amplifiers stream (controller/muscles/lsl_source.py), and the simulator's
muscles in virtual time (wired by the composition root). The URL says which:

    lsl://?type=EMG&name=NAME&channels=LEFT,RIGHT&timeout=5
    sim://

A source hands over raw samples in microvolts, left and right paravertebral, and how late
the newest of them is; it never blocks the control cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol
from urllib.parse import parse_qsl, urlsplit

import numpy as np

DEFAULT_CHANNELS = ("paravertebral-left", "paravertebral-right")
DISCOVERY_BOUND_S = 5.0  # a stream not found within this is refused (a stated bound)
MIN_RATE_HZ = 1000.0  # the 20-450 Hz band needs more than twice 450 Hz
# The units an amplifier may state for its channels, as factors to microvolts.
UNIT_TO_UV = {
    "microvolts": 1.0,
    "microvolt": 1.0,
    "uv": 1.0,
    "µv": 1.0,
    "millivolts": 1e3,
    "mv": 1e3,
    "volts": 1e6,
    "v": 1e6,
}


class MuscleSourceError(RuntimeError):
    """The muscle signal cannot be used: not found, wrong channels or units, bad URL."""


class Pulled(NamedTuple):
    samples: np.ndarray  # (n, 2) uV, left and right; n may be 0
    lag_s: float | None  # how old the newest sample is on arrival (None: no sample yet)


class MuscleSource(Protocol):
    url: str
    rate_hz: float

    def open(self) -> None:
        """Find the stream within its bound and check it; MuscleSourceError if unusable."""

    def pull(self, now: float) -> Pulled:
        """What has arrived since the last pull; never waits."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LslTarget:
    stream_type: str = "EMG"
    name: str = ""
    channels: tuple[str, str] = DEFAULT_CHANNELS
    timeout_s: float = DISCOVERY_BOUND_S

    @property
    def url(self) -> str:
        parts = [f"type={self.stream_type}"]
        if self.name:
            parts.append(f"name={self.name}")
        return "lsl://?" + "&".join(parts)


@dataclass(frozen=True, slots=True)
class SimMusclesTarget:
    options: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return "sim://"


MuscleTarget = LslTarget | SimMusclesTarget


def parse_muscle_url(url: str) -> MuscleTarget:
    """`lsl://?...` or `sim://`; anything else is refused with what is accepted."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.scheme == "sim":
        return SimMusclesTarget(query)
    if parts.scheme != "lsl":
        raise MuscleSourceError(f"muscle signal {url!r}: use lsl://?type=EMG&name=NAME or sim://")
    unknown = set(query) - {"type", "name", "channels", "timeout"}
    if unknown:
        raise MuscleSourceError(
            f"muscle signal {url!r}: unknown option(s) {', '.join(sorted(unknown))}; "
            "known: type, name, channels, timeout"
        )
    channels = DEFAULT_CHANNELS
    if "channels" in query:
        names = tuple(c.strip() for c in query["channels"].split(",") if c.strip())
        if len(names) != 2:
            raise MuscleSourceError(
                f"muscle signal {url!r}: channels= names two channels, left then right"
            )
        channels = (names[0], names[1])
    try:
        timeout = float(query.get("timeout", DISCOVERY_BOUND_S))
    except ValueError:
        raise MuscleSourceError(f"muscle signal {url!r}: timeout= is seconds") from None
    if not 0 < timeout <= 60:
        raise MuscleSourceError(f"muscle signal {url!r}: timeout= is 0-60 s")
    return LslTarget(query.get("type", "EMG") or "EMG", query.get("name", ""), channels, timeout)


def to_microvolts(unit: str) -> float:
    """The factor from a channel's stated unit to uV; MuscleSourceError if not a voltage."""
    factor = UNIT_TO_UV.get(unit.strip().lower())
    if factor is None:
        known = ", ".join(sorted(UNIT_TO_UV))
        raise MuscleSourceError(f"channel unit {unit!r} is not a voltage ({known})")
    return factor
