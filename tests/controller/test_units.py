"""The clinic's units and time zone (issue 26): what people read and write; the record stays in
N, kg and UTC."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.app.site_config import SiteConfigError, site_config
from controller.clinic.dose import parse_dose
from controller.clinic.local_time import local, use_clinic_time, zone_name
from controller.clinic.units import FORCE_STEP, N_PER, Units
from controller.records.delivered import Delivered

pytestmark = pytest.mark.requirement("SR-066")


@given(st.sampled_from(sorted(N_PER)), st.floats(min_value=0, max_value=5000))
def test_a_force_shown_and_written_back_is_the_same_newtons(unit: str, newtons: float) -> None:
    u = Units(force=unit)
    assert u.newtons(u.force_value(newtons)) == pytest.approx(newtons, rel=1e-12, abs=1e-9)
    assert u.show_force(newtons).endswith(f" {unit}")  # never a number without its unit


def test_the_units_people_know() -> None:
    assert Units("lbf").show_force(200.17) == "45.00 lbf"
    assert Units("kgf").show_force(245.17, 1) == "25.0 kgf"
    assert Units("N").show_force(None) == "- N"
    assert Units(weight="lb").show_weight(70.0) == "154.3 lb"
    assert parse_dose("45lbf").newtons(70) == pytest.approx(200.17, abs=0.01)
    assert parse_dose("20 kgf").newtons(70) == pytest.approx(196.13, abs=0.01)
    assert str(parse_dose("45 lbf")) == "45 lbf" and str(parse_dose("25kg")) == "25 kgf"
    with pytest.raises(ValueError, match="kgf, lbf or N"):
        parse_dose("45")  # a bare number: its unit would be a guess


def test_a_force_step_is_the_units_and_never_above_10_n() -> None:
    for unit in N_PER:
        step = Units(unit).step_n
        assert step <= 10.0 and step == FORCE_STEP[unit] * N_PER[unit]


def test_the_report_says_the_sites_unit_with_the_records_newtons() -> None:
    dose = Delivered(time_at_force_s=600, force_time_n_s=120_000, hold_error_mean_n=1.5, peak_n=200)
    assert "peak measured 45.0 lbf (200.0 N)" in dose.lines(Units("lbf"))
    assert "hold error mean 0.34 lbf (1.50 N)" in dose.lines(Units("lbf"))
    assert "peak measured 200.0 N" in dose.lines()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"TRACTION_FORCE_UNIT": "lb"}, "force_unit 'lb': one of N, kgf, lbf"),
        ({"TRACTION_WEIGHT_UNIT": "stone"}, "weight_unit 'stone': one of kg, lb"),
        ({"TRACTION_TIME_ZONE": "Europe/Nowhere"}, "time_zone 'Europe/Nowhere': an IANA"),
    ],
)
def test_an_unknown_unit_or_zone_is_refused(env: dict[str, str], said: str, tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match=said):
        site_config(env={"TRACTION_SYSTEM_DATA": str(tmp_path), **env})


@pytest.fixture
def berlin() -> Iterator[None]:
    before = os.environ.get("TZ")
    use_clinic_time("Europe/Berlin")
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_times_are_the_clinics_and_the_store_keeps_utc(berlin: None) -> None:
    assert zone_name() == "Europe/Berlin"
    assert local("2026-12-07T20:30:00.000000+00:00") == "2026-12-07 21:30 CET"
    assert local("2026-07-07T20:30:00+00:00", seconds=True) == "2026-07-07 22:30:00 CEST"
    assert local(None) == "-"
