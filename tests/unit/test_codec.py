"""The ICD as code: every register round-trips over its full raw range; bad words are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge import icd
from firmware_bridge.codec import BlockCodec, decode_value, encode_value, to_raw, to_si
from firmware_bridge.errors import DecodeError, EncodeError
from firmware_bridge.icd import Control, FaultCode, Status
from firmware_bridge.values import Command, HardwareLimits, InterlockConfig, Telemetry

REGISTERS = icd.all_registers()
BLOCKS = (*icd.INPUT_BLOCKS, *icd.HOLDING_BLOCKS)
word = st.integers(0, 0xFFFF)


@pytest.mark.parametrize("reg", REGISTERS, ids=lambda r: r.name)
@given(data=st.data())
def test_every_register_round_trips_its_full_raw_range(
    reg: icd.Register, data: st.DataObject
) -> None:
    raw = data.draw(st.integers(reg.kind.min, reg.kind.max))
    words = encode_value(reg, raw)
    assert len(words) == reg.words
    assert all(0 <= w <= 0xFFFF for w in words)
    assert decode_value(reg, words) == raw


@pytest.mark.parametrize("reg", REGISTERS, ids=lambda r: r.name)
def test_register_range_edges_and_one_past(reg: icd.Register) -> None:
    for raw in (reg.kind.min, reg.kind.max):
        assert decode_value(reg, encode_value(reg, raw)) == raw
    for raw in (reg.kind.min - 1, reg.kind.max + 1):
        with pytest.raises(EncodeError, match=reg.name):
            encode_value(reg, raw)


@pytest.mark.parametrize("reg", [r for r in REGISTERS if r.words == 2], ids=lambda r: r.name)
def test_32_bit_values_are_high_word_first(reg: icd.Register) -> None:
    assert encode_value(reg, 0x0001_0002) == [0x0001, 0x0002]
    if reg.kind.min < 0:
        assert encode_value(reg, -1) == [0xFFFF, 0xFFFF]
        assert decode_value(reg, [0x8000, 0x0000]) == reg.kind.min


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
@given(data=st.data())
def test_blocks_round_trip(block: icd.Block, data: st.DataObject) -> None:
    codec = BlockCodec(block)
    raws = tuple(data.draw(st.integers(r.kind.min, r.kind.max)) for r in block.registers)
    words = codec.encode(raws)
    assert len(words) == block.count
    assert codec.decode(words) == raws


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_block_refuses_wrong_length_and_non_16_bit_words(block: icd.Block) -> None:
    codec = BlockCodec(block)
    with pytest.raises(DecodeError):
        codec.decode([0] * (block.count - 1))
    with pytest.raises(DecodeError):
        codec.decode([0] * (block.count + 1))
    with pytest.raises(DecodeError):
        codec.decode([0x10000] + [0] * (block.count - 1))


def test_blocks_match_the_icd_addresses() -> None:
    assert (icd.TELEMETRY.start, icd.TELEMETRY.count) == (0, 18)
    assert (icd.IDENTITY.start, icd.IDENTITY.count) == (32, 7)
    assert (icd.COMMAND.start, icd.COMMAND.count) == (0, 4)
    assert (icd.CONFIG.start, icd.CONFIG.count) == (8, 10)


@pytest.mark.parametrize("reg", [r for r in REGISTERS if r.scale != 1.0], ids=lambda r: r.name)
@given(data=st.data())
def test_si_conversion_is_exact_to_one_count(reg: icd.Register, data: st.DataObject) -> None:
    raw = data.draw(st.integers(reg.kind.min, reg.kind.max))
    assert to_raw(reg, to_si(reg, raw)) == raw


def test_si_conversion_refuses_non_finite_and_out_of_range() -> None:
    with pytest.raises(EncodeError):
        to_raw(icd.VELOCITY_CMD, float("nan"))
    with pytest.raises(EncodeError):
        to_raw(icd.VELOCITY_CMD, float("inf"))
    with pytest.raises(EncodeError, match="VELOCITY_CMD"):
        to_raw(icd.VELOCITY_CMD, 1e6)


telemetry_raws = st.tuples(
    st.just(icd.ICD_VERSION),
    st.integers(0, icd.STATUS_DEFINED_MASK),
    st.sampled_from([f.value for f in FaultCode]),
    st.integers(0, 0xFFFF),
    *(st.integers(r.kind.min, r.kind.max) for r in icd.TELEMETRY.registers[4:11]),
    st.just(0),
    st.integers(0, 0xFFFF_FFFF),
)


@given(telemetry_raws)
def test_telemetry_decodes_to_si(raws: tuple[int, ...]) -> None:
    tel = Telemetry.from_words(BlockCodec(icd.TELEMETRY).encode(raws))
    assert int(tel.status) == raws[1]
    assert tel.fault.value == raws[2]
    assert tel.force_a_n == pytest.approx(raws[4] * 0.01)
    assert tel.force_b_n == pytest.approx(raws[5] * 0.01)
    assert tel.position_m == pytest.approx(raws[6] * 1e-6)
    assert tel.velocity_m_s == pytest.approx(raws[7] * 1e-6)
    assert tel.motor_current_a == pytest.approx(raws[8] * 1e-3)
    assert tel.drive_temp_c == pytest.approx(raws[9] * 0.1)
    assert tel.cmd_seq_echo == raws[10]
    assert tel.uptime_s == pytest.approx(raws[12] * 1e-3)


def _telemetry_words(**changes: int) -> list[int]:
    raws = dict.fromkeys(icd.TELEMETRY.registers, 0)
    raws[icd.ICD_VERSION_REG] = icd.ICD_VERSION
    for name, value in changes.items():
        raws[next(r for r in icd.TELEMETRY.registers if r.name == name)] = value
    return BlockCodec(icd.TELEMETRY).encode(tuple(raws.values()))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"STATUS": 1 << 13}, "undefined bits"),
        ({"STATUS": 1 << 15}, "undefined bits"),
        ({"FAULT_CODE": 9}, "FAULT_CODE 9"),
        ({"FAULT_CODE": 0xFFFF}, "FAULT_CODE"),
        ({"RESERVED_15": 1}, "reserved"),
    ],
)
def test_malformed_telemetry_is_refused_whole(changes: dict[str, int], message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        Telemetry.from_words(_telemetry_words(**changes))


@given(st.lists(word, max_size=40).filter(lambda w: len(w) != 18))
def test_telemetry_of_wrong_length_is_refused(words: list[int]) -> None:
    with pytest.raises(DecodeError):
        Telemetry.from_words(words)


def test_force_n_is_the_larger_fitted_channel() -> None:
    fitted = int(Status.CHANNEL_B_FITTED)
    tel = Telemetry.from_words(_telemetry_words(STATUS=fitted, FORCE_A=1000, FORCE_B=1500))
    assert tel.force_n == pytest.approx(15.0)
    tel = Telemetry.from_words(_telemetry_words(STATUS=0, FORCE_A=1000, FORCE_B=1500))
    assert tel.force_n == pytest.approx(10.0)


@given(st.integers(0, 0xF), st.integers(0, 0xFFFF), st.integers(-50000, 50000))
def test_command_words(control: int, seq: int, velocity_um_s: int) -> None:
    words = Command(Control(control), velocity_um_s * 1e-6).to_words(seq)
    assert BlockCodec(icd.COMMAND).decode(words) == (control, seq, velocity_um_s)


def test_command_refuses_undefined_control_bits() -> None:
    with pytest.raises(EncodeError, match="CONTROL"):
        Command(Control(0x10), 0.0).to_words(1)


LIMITS = HardwareLimits(
    force_max_n=1000.0, velocity_max_m_s=0.05, travel_max_m=0.3, sample_rate_hz=500
)


def test_interlock_config_round_trips() -> None:
    cfg = InterlockConfig(0.1, 600.0, 0.02, 0.01, 10.0)
    assert InterlockConfig.from_words(cfg.to_words(LIMITS)) == cfg


@pytest.mark.parametrize(
    ("field", "value", "register"),
    [
        ("watchdog_s", 0.019, "WATCHDOG_MS"),
        ("watchdog_s", 1.001, "WATCHDOG_MS"),
        ("force_trip_n", 9.99, "FORCE_TRIP"),
        ("force_trip_n", 1000.01, "FORCE_TRIP"),
        ("velocity_limit_m_s", 0.000099, "VELOCITY_LIMIT"),
        ("velocity_limit_m_s", 0.050001, "VELOCITY_LIMIT"),
        ("release_speed_m_s", 0.000999, "RELEASE_SPEED"),
        ("release_force_n", 600.01, "RELEASE_FORCE"),
        ("release_force_n", -0.01, "RELEASE_FORCE"),
    ],
)
def test_interlock_config_out_of_board_range_is_refused_before_sending(
    field: str, value: float, register: str
) -> None:
    values = {
        "watchdog_s": 0.1,
        "force_trip_n": 600.0,
        "velocity_limit_m_s": 0.02,
        "release_speed_m_s": 0.01,
        "release_force_n": 10.0,
        field: value,
    }
    with pytest.raises(EncodeError, match=register):
        InterlockConfig(**values).to_words(LIMITS)


def test_power_on_configuration_matches_the_icd() -> None:
    cfg = InterlockConfig.power_on()
    assert cfg == InterlockConfig(0.2, 900.0, 0.02, 0.01, 10.0)
