"""The limits profile: defaults, validation that names the field and the rule, the fingerprint."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.values import HardwareLimits
from safety.interlocks import board_interlocks
from safety.limits import STANDARD_GRAVITY, LimitsError, load_limits, parse_limits

HW = HardwareLimits(force_max_n=1000.0, velocity_max_m_s=0.05, travel_max_m=0.3, sample_rate_hz=500)


def defaults() -> dict[str, object]:
    text = files("safety").joinpath("default_limits.toml").read_text()
    data: dict[str, object] = tomllib.loads(text)
    return data


def with_change(section: str | None, key: str, value: object) -> dict[str, object]:
    data = defaults()
    if section is None:
        data[key] = value
    else:
        inner = dict(data[section])  # type: ignore[call-overload]
        inner[key] = value
        data[section] = inner
    return data


@pytest.mark.requirement("SR-001")
def test_defaults_follow_the_commercial_maxima() -> None:
    limits = load_limits()
    assert limits.lumbar.max_force_n == 890.0
    assert limits.cervical.max_force_n == 222.0
    assert limits.device_max_force_n == 890.0


@pytest.mark.requirement("SR-017")
def test_fingerprint_is_stable_and_changes_with_any_value(tmp_path: Path) -> None:
    a = load_limits()
    assert a.fingerprint() == load_limits().fingerprint()
    assert len(a.fingerprint()) == 64
    assert parse_limits(with_change("rates", "max_force_rate_up_n_s", 99.0)).fingerprint() != (
        a.fingerprint()
    )


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("lumbar", "max_force_n", 950.0, "lumbar.max_force_n: 950.0 N exceeds device_max_force_n"),
        ("cervical", "max_body_weight_share", 1.5, "cervical.max_body_weight_share"),
        (None, "device_max_force_n", 2000.0, "device_max_force_n"),
        ("rates", "max_force_rate_up_n_s", -1.0, "rates.max_force_rate_up_n_s"),
        ("board", "release_force_n", 25.0, "board.release_force_n: 25.0 N must be below"),
        ("board", "watchdog_s", 0.001, "board.watchdog_s"),
        ("liveness", "stale_cycles", 0, "liveness.stale_cycles"),
        ("motion", "max_speed_m_s", 0.2, "motion.max_speed_m_s"),
        ("stiffness", "assumed_n_m", 1.0, "stiffness.assumed_n_m"),
        ("rates", "surprise", 1.0, "rates.surprise"),
        ("liveness", "max_cycle_gap_s", 0.1, "liveness.max_cycle_gap_s: 0.1 s must be below"),
    ],
)
@pytest.mark.requirement("SR-017")
def test_invalid_profiles_are_refused_naming_field_and_rule(
    section: str | None, key: str, value: object, message: str
) -> None:
    with pytest.raises(LimitsError, match=message.replace(".", r"\.")):
        parse_limits(with_change(section, key, value))


@pytest.mark.requirement("SR-017")
def test_missing_section_and_bad_files_are_refused(tmp_path: Path) -> None:
    data = defaults()
    del data["tracking"]
    with pytest.raises(LimitsError, match="tracking: Field required"):
        parse_limits(data)
    bad = tmp_path / "limits.toml"
    bad.write_text("device_max_force_n = [")
    with pytest.raises(LimitsError, match="not valid TOML"):
        load_limits(bad)
    with pytest.raises(LimitsError, match="cannot read"):
        load_limits(tmp_path / "absent.toml")


@pytest.mark.requirement("SR-001")
@given(st.floats(1, 300), st.sampled_from(["lumbar", "cervical"]))
def test_session_limit_never_exceeds_any_cap(weight_kg: float, region: str) -> None:
    limits = load_limits()
    limit = limits.force_limit_n(region, weight_kg)  # type: ignore[arg-type]
    reg = limits.region(region)  # type: ignore[arg-type]
    assert limit <= limits.device_max_force_n
    assert limit <= reg.max_force_n
    assert limit <= reg.max_body_weight_share * weight_kg * STANDARD_GRAVITY + 1e-9


def test_session_limit_refuses_impossible_weights() -> None:
    with pytest.raises(LimitsError, match="weight_kg"):
        load_limits().force_limit_n("lumbar", 0.0)


@pytest.mark.requirement("SR-024")
@given(st.floats(20, 890))
def test_board_trip_sits_above_the_host_limit_within_the_board(limit_n: float) -> None:
    cfg = board_interlocks(load_limits(), limit_n, HW)
    assert limit_n < cfg.force_trip_n <= HW.force_max_n
    cfg.to_words(HW)  # the board accepts it


def test_board_trip_refused_when_no_room_is_left() -> None:
    tight = HardwareLimits(
        force_max_n=400.0, velocity_max_m_s=0.05, travel_max_m=0.3, sample_rate_hz=500
    )
    with pytest.raises(LimitsError, match="no room"):
        board_interlocks(load_limits(), 400.0, tight)
