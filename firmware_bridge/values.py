"""Typed values in SI units, the only form in which board data leaves the bridge.

Raw counts (cN, um, ms) never travel further up: the controller and the safety layer think in
newtons, metres and seconds, and the conversion is made here, once, from the ICD's scales.
Telemetry and Command are immutable NamedTuples rather than pydantic models because they are
built every control cycle; the validation they need (known fault code, no undefined status
bit) is done while decoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from firmware_bridge import icd
from firmware_bridge.codec import BlockCodec, check_raw, to_raw, to_si
from firmware_bridge.errors import DecodeError, EncodeError
from firmware_bridge.icd import Control, FaultCode, Status

TELEMETRY_CODEC = BlockCodec(icd.TELEMETRY)
IDENTITY_CODEC = BlockCodec(icd.IDENTITY)
COMMAND_CODEC = BlockCodec(icd.COMMAND)
CONFIG_CODEC = BlockCodec(icd.CONFIG)

_FAULTS = {f.value: f for f in FaultCode}
_FITTED = int(Status.CHANNEL_B_FITTED)
_STATUS_CACHE: dict[int, Status] = {}  # at most 2**13 distinct values
_SCALE_FORCE_A = icd.FORCE_A.scale
_SCALE_FORCE_B = icd.FORCE_B.scale
_SCALE_POSITION = icd.POSITION.scale
_SCALE_VELOCITY = icd.VELOCITY.scale
_SCALE_CURRENT = icd.MOTOR_CURRENT.scale
_SCALE_TEMP = icd.DRIVE_TEMP.scale
_SCALE_UPTIME = icd.UPTIME_MS.scale


class Telemetry(NamedTuple):
    """One coherent snapshot of the board (one firmware tick).

    A NamedTuple rather than a frozen dataclass: one is built every control cycle, and a
    frozen dataclass's per-field object.__setattr__ made construction the cycle's largest cost.
    """

    icd_version: int
    status: Status
    fault: FaultCode
    sample_seq: int
    force_a_n: float
    force_b_n: float
    position_m: float
    velocity_m_s: float
    motor_current_a: float
    drive_temp_c: float
    cmd_seq_echo: int
    uptime_s: float

    @classmethod
    def from_words(cls, words: list[int] | tuple[int, ...]) -> Telemetry:
        (ver, status, fault, seq, fa, fb, pos, vel, cur, temp, echo, reserved, up) = (
            TELEMETRY_CODEC.decode(words)
        )
        if status & ~icd.STATUS_DEFINED_MASK:
            raise DecodeError(f"STATUS has undefined bits set: 0x{status:04X}")
        fault_code = _FAULTS.get(fault)
        if fault_code is None:
            raise DecodeError(f"FAULT_CODE {fault} is not defined by the ICD")
        if reserved != 0:
            raise DecodeError(f"reserved register 15 reads {reserved}, expected 0")
        flags = _STATUS_CACHE.get(status)
        if flags is None:
            flags = _STATUS_CACHE[status] = Status(status)
        return cls(  # positional, in field order: this runs every control cycle
            ver,
            flags,
            fault_code,
            seq,
            fa * _SCALE_FORCE_A,
            fb * _SCALE_FORCE_B,
            pos * _SCALE_POSITION,
            vel * _SCALE_VELOCITY,
            cur * _SCALE_CURRENT,
            temp * _SCALE_TEMP,
            echo,
            up * _SCALE_UPTIME,
        )

    def has(self, flag: Status) -> bool:
        return bool(self.status._value_ & flag._value_)

    @property
    def force_n(self) -> float:
        """The larger of the fitted channels: the conservative reading of the pull."""
        if self.status._value_ & _FITTED:
            a, b = self.force_a_n, self.force_b_n
            return a if a > b else b
        return self.force_a_n


class Command(NamedTuple):
    """What the host asks of the board this cycle; the link adds the heartbeat (CMD_SEQ)."""

    control: Control = Control.NONE
    velocity_m_s: float = 0.0

    def to_words(self, seq: int) -> list[int]:
        if int(self.control) & ~icd.CONTROL_DEFINED_MASK:
            raise EncodeError(f"CONTROL has undefined bits set: 0x{int(self.control):04X}")
        return COMMAND_CODEC.encode(
            (int(self.control), seq, to_raw(icd.VELOCITY_CMD, self.velocity_m_s))
        )


@dataclass(frozen=True, slots=True)
class HardwareLimits:
    force_max_n: float
    velocity_max_m_s: float
    travel_max_m: float
    sample_rate_hz: int

    @classmethod
    def from_words(cls, words: list[int] | tuple[int, ...]) -> HardwareLimits:
        fmax, vmax, tmax, rate = IDENTITY_CODEC.decode(words)
        if fmax <= 0 or vmax <= 0 or tmax <= 0 or rate <= 0:
            raise DecodeError(
                f"hardware limits must be positive: force {fmax} cN, velocity {vmax} um/s, "
                f"travel {tmax} um, sample rate {rate} Hz"
            )
        return cls(
            force_max_n=to_si(icd.HW_FORCE_MAX, fmax),
            velocity_max_m_s=to_si(icd.HW_VELOCITY_MAX, vmax),
            travel_max_m=to_si(icd.HW_TRAVEL_MAX, tmax),
            sample_rate_hz=rate,
        )

    def raw(self, reg: icd.Register) -> int:
        si = {
            icd.HW_FORCE_MAX: self.force_max_n,
            icd.HW_VELOCITY_MAX: self.velocity_max_m_s,
            icd.HW_TRAVEL_MAX: self.travel_max_m,
        }[reg]
        return to_raw(reg, si)


@dataclass(frozen=True, slots=True)
class BoardIdentity:
    vendor: str
    product_code: str
    revision: str
    icd_version: int
    limits: HardwareLimits


@dataclass(frozen=True, slots=True)
class InterlockConfig:
    """The board's interlock configuration (layer 1 of the safety design), in SI units."""

    watchdog_s: float
    force_trip_n: float
    velocity_limit_m_s: float
    release_speed_m_s: float
    release_force_n: float

    def to_raw(self) -> tuple[int, ...]:
        return (
            to_raw(icd.WATCHDOG_MS, self.watchdog_s),
            0,
            to_raw(icd.FORCE_TRIP, self.force_trip_n),
            to_raw(icd.VELOCITY_LIMIT, self.velocity_limit_m_s),
            to_raw(icd.RELEASE_SPEED, self.release_speed_m_s),
            to_raw(icd.RELEASE_FORCE, self.release_force_n),
        )

    def to_words(self, limits: HardwareLimits) -> list[int]:
        """Words for the configuration block, refused here if the board would refuse them."""
        raws = self.to_raw()
        values = dict(zip(icd.CONFIG.registers, raws, strict=True))
        for reg, rng in icd.CONFIG_RANGES.items():
            low = _bound(rng.low, values, limits)
            high = _bound(rng.high, values, limits)
            if not low <= values[reg] <= high:
                raise EncodeError(
                    f"{reg.name}: {values[reg]} {reg.unit} outside the board's range "
                    f"[{low}, {high}] {reg.unit}"
                )
        return CONFIG_CODEC.encode(raws)

    @classmethod
    def from_words(cls, words: list[int] | tuple[int, ...]) -> InterlockConfig:
        wd, _reserved, trip, vlim, rspeed, rforce = CONFIG_CODEC.decode(words)
        return cls(
            watchdog_s=to_si(icd.WATCHDOG_MS, wd),
            force_trip_n=to_si(icd.FORCE_TRIP, trip),
            velocity_limit_m_s=to_si(icd.VELOCITY_LIMIT, vlim),
            release_speed_m_s=to_si(icd.RELEASE_SPEED, rspeed),
            release_force_n=to_si(icd.RELEASE_FORCE, rforce),
        )

    @classmethod
    def power_on(cls) -> InterlockConfig:
        return cls.from_words(
            CONFIG_CODEC.encode([icd.CONFIG_POWER_ON[r] for r in icd.CONFIG.registers])
        )


def _bound(bound: int | icd.Register, values: dict[icd.Register, int], hw: HardwareLimits) -> int:
    if isinstance(bound, int):
        return bound
    if bound in values:
        return values[bound]
    return check_raw(bound, hw.raw(bound))
