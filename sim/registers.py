"""The board's Modbus data model: which addresses exist, who may write them, and what is refused.

Every request is checked whole before anything changes (ICD 3.1: "nothing of that request
is written"), and every read is served from one firmware tick (ICD 1: coherence) because the
firmware only moves between requests. Register numbers come from the ICD declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from firmware_bridge import icd
from firmware_bridge.codec import BlockCodec, decode_value
from firmware_bridge.errors import DecodeError
from firmware_bridge.icd import ExceptionCode, Register, Table
from sim.firmware import Firmware


class Refusal(Exception):
    """The board answers with a Modbus exception; nothing changed."""

    def __init__(self, code: ExceptionCode, why: str) -> None:
        super().__init__(f"{code.name}: {why}")
        self.code = code
        self.why = why


@dataclass(frozen=True, slots=True)
class _Segment:
    start: int
    count: int
    words: Callable[[], list[int]]


class RegisterMap:
    def __init__(self, firmware: Firmware) -> None:
        self.fw = firmware
        self._telemetry_cache: tuple[int, list[int]] = (-1, [])
        telemetry, identity = self.telemetry_words, self.identity_words
        mirror = icd.MIRROR_OFFSET
        self._segments: dict[Table, tuple[_Segment, ...]] = {
            Table.INPUT: (
                _Segment(icd.TELEMETRY.start, icd.TELEMETRY.count, telemetry),
                _Segment(icd.IDENTITY.start, icd.IDENTITY.count, identity),
            ),
            Table.HOLDING: (
                _Segment(icd.COMMAND.start, icd.COMMAND.count, self.command_words),
                _Segment(icd.CONFIG.start, icd.CONFIG.count, self.config_words),
                _Segment(mirror + icd.TELEMETRY.start, icd.TELEMETRY.count, telemetry),
                _Segment(mirror + icd.IDENTITY.start, icd.IDENTITY.count, identity),
            ),
        }

    # --- images ---------------------------------------------------------------------------
    def telemetry_words(self) -> list[int]:
        fw = self.fw
        version, words = self._telemetry_cache
        if version == fw.version:
            return words
        phys = fw.physics
        ra, rb = fw.raw_a, fw.raw_b
        fa = 0 if ra is None else round((ra - fw.tare_a) * _PER_CN)
        fb = 0 if not fw.channel_b_fitted or rb is None else round((rb - fw.tare_b) * _PER_CN)
        current = round(phys.motor_current_a * _PER_MA)
        temp = round(phys.temp_c * _PER_DECI_C)
        words = _TELEMETRY.encode(
            (
                _ICD_VERSION,
                fw.status(),
                fw.fault.value,
                fw.sample_seq,
                _I32_MIN if fa < _I32_MIN else (_I32_MAX if fa > _I32_MAX else fa),
                _I32_MIN if fb < _I32_MIN else (_I32_MAX if fb > _I32_MAX else fb),
                round(phys.x * _PER_UM),
                round(phys.v * _PER_UM),
                _I16_MIN if current < _I16_MIN else (_I16_MAX if current > _I16_MAX else current),
                _I16_MIN if temp < _I16_MIN else (_I16_MAX if temp > _I16_MAX else temp),
                fw.seq_echo,
                0,
                round(fw.time_s * _PER_MS) & 0xFFFF_FFFF,
            )
        )
        self._telemetry_cache = (fw.version, words)
        return words

    def identity_words(self) -> list[int]:
        return _encode(icd.IDENTITY, self.fw.identity)

    def command_words(self) -> list[int]:
        fw = self.fw
        return _encode(
            icd.COMMAND,
            {icd.CONTROL: fw.control, icd.CMD_SEQ: fw.cmd_seq, icd.VELOCITY_CMD: fw.velocity_cmd},
        )

    def config_words(self) -> list[int]:
        return _encode(icd.CONFIG, self.fw.config.values)

    # --- access -----------------------------------------------------------------------------
    def read(self, table: Table, address: int, count: int) -> list[int]:
        out: list[int] = []
        for seg, lo, hi in self.check_read(table, address, count):
            out.extend(seg.words()[lo:hi])
        return out

    def check_read(self, table: Table, address: int, count: int) -> list[tuple[_Segment, int, int]]:
        """Refuse a bad read before anything is computed or written; return its pieces."""
        if not 1 <= count <= icd.MAX_READ_COUNT:
            raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"read quantity {count}")
        pieces = []
        addr, end = address, address + count
        while addr < end:
            seg = self._segment(table, addr)
            if seg is None:
                raise Refusal(ExceptionCode.ILLEGAL_DATA_ADDRESS, f"{table.value} {addr} undefined")
            take = min(end, seg.start + seg.count) - addr
            pieces.append((seg, addr - seg.start, addr - seg.start + take))
            addr += take
        return pieces

    def _segment(self, table: Table, addr: int) -> _Segment | None:
        for seg in self._segments[table]:
            if seg.start <= addr < seg.start + seg.count:
                return seg
        return None

    def check_write(self, address: int, words: Sequence[int], max_count: int) -> Callable[[], None]:
        """Validate a write completely; return the action that applies it."""
        count = len(words)
        if not 1 <= count <= max_count:
            raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"write quantity {count}")
        if address == _COMMAND_START and count == _COMMAND_COUNT:
            return self._command_fast_path(words)
        values = self._values(address, words)
        control = values.get(icd.CONTROL)
        if control is not None and control & ~icd.CONTROL_DEFINED_MASK:
            raise Refusal(
                ExceptionCode.ILLEGAL_DATA_VALUE, f"CONTROL reserved bits 0x{control:04X}"
            )
        config = {r: v for r, v in values.items() if r in icd.CONFIG_POWER_ON}
        if config:
            self._check_config(config)
        return lambda: self._apply(values, config)

    def _command_fast_path(self, words: Sequence[int]) -> Callable[[], None]:
        """The every-cycle write of the whole command block, without the generic walk."""
        control, seq, velocity = self._decode_command(words)
        return lambda: self.fw.write_command(control, seq, velocity)

    @staticmethod
    def _decode_command(words: Sequence[int]) -> tuple[int, int, int]:
        try:
            control, seq, velocity = _COMMAND.decode(words)
        except DecodeError as exc:
            raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, str(exc)) from exc
        if control & ~icd.CONTROL_DEFINED_MASK:
            raise Refusal(
                ExceptionCode.ILLEGAL_DATA_VALUE, f"CONTROL reserved bits 0x{control:04X}"
            )
        return control, seq, velocity

    def read_write(
        self, read_address: int, read_count: int, write_address: int, words: Sequence[int]
    ) -> list[int]:
        """FC23: the whole request is checked first, the write applied, then the read served."""
        if (
            read_address == _TELEMETRY_MIRROR
            and read_count == _TELEMETRY_COUNT
            and write_address == _COMMAND_START
            and len(words) == _COMMAND_COUNT
        ):  # the control cycle's transaction: same rules, no generic walk
            control, seq, velocity = self._decode_command(words)
            self.fw.write_command(control, seq, velocity)
            return self.telemetry_words()
        apply = self.check_write(write_address, words, icd.MAX_FC23_WRITE_COUNT)
        if not 1 <= read_count <= icd.MAX_READ_COUNT:
            raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, f"read quantity {read_count}")
        self.check_read(Table.HOLDING, read_address, read_count)
        apply()
        return self.read(Table.HOLDING, read_address, read_count)

    def write(self, address: int, words: Sequence[int], max_count: int) -> None:
        self.check_write(address, words, max_count)()

    def _values(self, address: int, words: Sequence[int]) -> dict[Register, int]:
        end = address + len(words)
        values: dict[Register, int] = {}
        first = _WRITABLE.get(address)
        if first is not None and first.address != address:
            raise Refusal(ExceptionCode.ILLEGAL_DATA_ADDRESS, f"write splits 32-bit {first.name}")
        addr = address
        while addr < end:
            reg = _WRITABLE.get(addr)
            if reg is None:
                why = (
                    f"holding {addr} is read-only"
                    if self._segment(Table.HOLDING, addr)
                    else (f"holding {addr} undefined")
                )
                raise Refusal(ExceptionCode.ILLEGAL_DATA_ADDRESS, why)
            if reg.end > end:
                raise Refusal(ExceptionCode.ILLEGAL_DATA_ADDRESS, f"write splits 32-bit {reg.name}")
            values[reg] = decode_value(reg, words[addr - address : reg.end - address])
            addr = reg.end
        return values

    def _check_config(self, config: dict[Register, int]) -> None:
        if self.fw.enabled:
            raise Refusal(ExceptionCode.ILLEGAL_DATA_VALUE, "configuration write while enabled")
        merged = {**self.fw.config.values, **config}
        for reg, rng in icd.CONFIG_RANGES.items():
            low = _bound(rng.low, merged, self.fw.identity)
            high = _bound(rng.high, merged, self.fw.identity)
            if not low <= merged[reg] <= high:
                raise Refusal(
                    ExceptionCode.ILLEGAL_DATA_VALUE,
                    f"{reg.name}={merged[reg]} outside [{low}, {high}]",
                )

    def _apply(self, values: dict[Register, int], config: dict[Register, int]) -> None:
        fw = self.fw
        if config:
            fw.write_config(config)
        if icd.CMD_SEQ in values:
            fw.write_cmd_seq(values[icd.CMD_SEQ])
        if icd.VELOCITY_CMD in values:
            fw.write_velocity(values[icd.VELOCITY_CMD])
        if icd.CONTROL in values:
            fw.write_control(values[icd.CONTROL])


_TELEMETRY = BlockCodec(icd.TELEMETRY)
_COMMAND = BlockCodec(icd.COMMAND)
_COMMAND_START = icd.COMMAND.start
_COMMAND_COUNT = icd.COMMAND.count
_TELEMETRY_MIRROR = icd.MIRROR_OFFSET + icd.TELEMETRY.start
_TELEMETRY_COUNT = icd.TELEMETRY.count
_PER_CN = 1.0 / icd.FORCE_A.scale
_PER_UM = 1.0 / icd.POSITION.scale
_PER_MS = 1.0 / icd.UPTIME_MS.scale
_PER_MA = 1.0 / icd.MOTOR_CURRENT.scale
_PER_DECI_C = 1.0 / icd.DRIVE_TEMP.scale
_ICD_VERSION = icd.ICD_VERSION
_I16_MIN = icd.I16.min
_I16_MAX = icd.I16.max
_I32_MIN = icd.I32.min
_I32_MAX = icd.I32.max
_WRITABLE: dict[int, Register] = {}
for _block in icd.HOLDING_BLOCKS:
    for _reg in _block.registers:
        for _a in range(_reg.address, _reg.end):
            _WRITABLE[_a] = _reg


def _bound(
    bound: int | Register, merged: dict[Register, int], identity: dict[Register, int]
) -> int:
    if isinstance(bound, int):
        return bound
    return merged[bound] if bound in merged else identity[bound]


_CODECS = {b.name: BlockCodec(b) for b in (*icd.INPUT_BLOCKS, *icd.HOLDING_BLOCKS)}


def _encode(block: icd.Block, raws: dict[Register, int]) -> list[int]:
    """A whole block through the bridge's codec (the same packing the host decodes)."""
    return _CODECS[block.name].encode(tuple(raws[reg] for reg in block.registers))
