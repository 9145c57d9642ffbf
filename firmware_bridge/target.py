"""Target URLs: where the board is, parsed and checked before anything is opened.

`tcp://HOST:PORT?unit=1`, `rtu:///dev/ttyUSB0?baud=115200&parity=E&unit=1` and `sim://`.
The bridge only parses `sim://` (its query is kept as opaque options); what it means is
decided by the composition root, so the bridge never depends on the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from firmware_bridge import icd
from firmware_bridge.errors import TargetError

# A cycle's reply takes about 1 ms over TCP and about 7 ms of wire time at 115200 baud RTU
# (FC23: 139 transactions/s of capacity, docs/architecture.md); 25 ms allows 3.5x that. Short
# enough that a lost reply is one counted link failure, not a stalled loop, and that three of
# them are counted before the board's 100 ms watchdog (safety/link_timing.py checks the
# timeout of every session's URL against its limits).
DEFAULT_TIMEOUT_S = 0.025
_PARITIES = ("N", "E", "O")


@dataclass(frozen=True, slots=True)
class TcpTarget:
    host: str
    port: int = icd.DEFAULT_TCP_PORT
    unit: int = icd.DEFAULT_UNIT_ID
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}?unit={self.unit}"


@dataclass(frozen=True, slots=True)
class RtuTarget:
    device: str
    baud: int = icd.DEFAULT_BAUD
    parity: str = icd.DEFAULT_PARITY
    bytesize: int = 8
    stopbits: int = 1
    unit: int = icd.DEFAULT_UNIT_ID
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def url(self) -> str:
        return f"rtu://{self.device}?baud={self.baud}&parity={self.parity}&unit={self.unit}"


@dataclass(frozen=True, slots=True)
class SimTarget:
    options: dict[str, str] = field(default_factory=dict)
    unit: int = icd.DEFAULT_UNIT_ID

    @property
    def url(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return "sim://" + (f"?{query}" if query else "")


Target = TcpTarget | RtuTarget | SimTarget


def parse_target(url: str) -> Target:
    """Parse a target URL; any unknown scheme, option or bad value is a TargetError."""
    parts = urlsplit(url)
    try:
        query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False))
    except ValueError as exc:
        raise TargetError(f"{url}: bad query: {exc}") from exc
    unit = _int(
        query.pop("unit", str(icd.DEFAULT_UNIT_ID)), "unit", url, icd.UNIT_ID_MIN, icd.UNIT_ID_MAX
    )
    if parts.scheme == "sim":
        return SimTarget(options=query, unit=unit)
    timeout = _float(query.pop("timeout", str(DEFAULT_TIMEOUT_S)), "timeout", url)
    if parts.scheme == "tcp":
        if not parts.hostname:
            raise TargetError(f"{url}: tcp target needs a host, e.g. tcp://127.0.0.1:5020")
        try:
            port = parts.port or icd.DEFAULT_TCP_PORT
        except ValueError as exc:
            raise TargetError(f"{url}: bad port: {exc}") from exc
        _no_more(query, url)
        return TcpTarget(parts.hostname, port, unit, timeout)
    if parts.scheme == "rtu":
        device = parts.path or parts.netloc
        if not device:
            raise TargetError(f"{url}: rtu target needs a device, e.g. rtu:///dev/ttyUSB0")
        baud = _int(query.pop("baud", str(icd.DEFAULT_BAUD)), "baud", url, 1, 10_000_000)
        if baud not in icd.SUPPORTED_BAUDS:
            raise TargetError(
                f"{url}: baud {baud} not supported by the board "
                f"(one of {', '.join(map(str, icd.SUPPORTED_BAUDS))})"
            )
        parity = query.pop("parity", icd.DEFAULT_PARITY).upper()
        if parity not in _PARITIES:
            raise TargetError(f"{url}: parity must be one of N, E, O")
        _no_more(query, url)
        return RtuTarget(device=device, baud=baud, parity=parity, unit=unit, timeout_s=timeout)
    raise TargetError(f"{url}: unknown scheme {parts.scheme!r} (use tcp://, rtu:// or sim://)")


def _no_more(query: dict[str, str], url: str) -> None:
    if query:
        raise TargetError(f"{url}: unknown option(s): {', '.join(sorted(query))}")


def _int(text: str, name: str, url: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise TargetError(f"{url}: {name} must be an integer, got {text!r}") from exc
    if not low <= value <= high:
        raise TargetError(f"{url}: {name} {value} outside [{low}, {high}]")
    return value


def _float(text: str, name: str, url: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise TargetError(f"{url}: {name} must be a number, got {text!r}") from exc
    if not 0 < value <= 10:
        raise TargetError(f"{url}: {name} {value} s outside (0, 10]")
    return value
