"""Registers <-> raw integers <-> SI values, derived only from the ICD declarations.

Decoding refuses anything that is not exactly one whole block of 16-bit words, so that a
malformed reply can never become a half-decoded snapshot.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from firmware_bridge.errors import DecodeError, EncodeError
from firmware_bridge.icd import Block, Register


class BlockCodec:
    """Packs and unpacks one block with precompiled structs (the control cycle's hot path)."""

    __slots__ = ("_values", "_words", "block", "count")

    def __init__(self, block: Block) -> None:
        self.block = block
        self.count = block.count
        self._words = struct.Struct(f">{block.count}H")
        self._values = struct.Struct(block.struct_format)

    def decode(self, words: Sequence[int]) -> tuple[int, ...]:
        """Words as read off the wire -> raw values in register order."""
        if len(words) != self.count:
            raise DecodeError(
                f"{self.block.name}: expected {self.block.count} registers, got {len(words)}"
            )
        try:
            return self._values.unpack(self._words.pack(*words))
        except struct.error as exc:
            raise DecodeError(f"{self.block.name}: register out of 16-bit range ({exc})") from exc

    def encode(self, raws: Sequence[int]) -> list[int]:
        """Raw values in register order -> words to write."""
        if len(raws) != len(self.block.registers):
            raise EncodeError(
                f"{self.block.name}: expected {len(self.block.registers)} values, got {len(raws)}"
            )
        try:
            return list(self._words.unpack(self._values.pack(*raws)))
        except struct.error as exc:
            for reg, raw in zip(self.block.registers, raws, strict=True):
                check_raw(reg, raw)
            raise EncodeError(f"{self.block.name}: {exc}") from exc


def check_raw(reg: Register, raw: int) -> int:
    if not reg.kind.min <= raw <= reg.kind.max:
        raise EncodeError(
            f"{reg.name}: raw value {raw} outside {reg.kind.name} range "
            f"[{reg.kind.min}, {reg.kind.max}]"
        )
    return raw


def to_raw(reg: Register, si: float) -> int:
    """SI value -> raw count, rounded to the register's resolution; never silently clipped."""
    if not math.isfinite(si):
        raise EncodeError(f"{reg.name}: value {si!r} is not a finite number")
    return check_raw(reg, round(si / reg.scale))


def to_si(reg: Register, raw: int) -> float:
    return raw * reg.scale


def encode_value(reg: Register, raw: int) -> list[int]:
    """One value -> its words (high word first for 32-bit values)."""
    check_raw(reg, raw)
    packed = struct.pack(">" + reg.kind.struct_code, raw)
    return list(struct.unpack(f">{reg.words}H", packed))


def decode_value(reg: Register, words: Sequence[int]) -> int:
    if len(words) != reg.words:
        raise DecodeError(f"{reg.name}: expected {reg.words} registers, got {len(words)}")
    try:
        packed = struct.pack(f">{reg.words}H", *words)
    except struct.error as exc:
        raise DecodeError(f"{reg.name}: register out of 16-bit range ({exc})") from exc
    value: int = struct.unpack(">" + reg.kind.struct_code, packed)[0]
    return value
