"""Prescriptions as clinicians write them, the patient register and "repeat last" (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.clinic.dose import (
    FIT_SHARE,
    Dose,
    parse_dose,
    peak_force_n,
    prescribe,
    scaled,
)
from controller.clinic.setup import Checks, NotConfirmed, Setup
from controller.protocols.checks import ProtocolError, check_protocol
from controller.protocols.library import load_protocol, presets
from controller.records.patients import (
    PatientError,
    add_patient,
    changes_of,
    edit_patient,
    get_patient,
    validated,
)
from controller.records.prescribing import plan_session
from controller.records.store import SessionStore
from safety.limits import load_limits

pytestmark = pytest.mark.requirement("SR-033")
LIMITS = load_limits()
SETUP = Setup(
    angle_deg=10, position="supine, knees flexed", harness="lumbar pelvic", split_table="released"
)
CHECKED = Checks(contraindications_none=True, pain_before=5)


@pytest.mark.parametrize(
    ("text", "weight", "newtons"),
    [
        ("40%BW", 62, 243.2),
        ("40 % bw", 62, 243.2),
        ("40%", 62, 243.2),
        ("25kg", 80, 245.2),
        ("55 lb", 80, 244.7),
        ("240N", 80, 240.0),
    ],
)
def test_a_dose_as_written_becomes_newtons(text: str, weight: float, newtons: float) -> None:
    assert parse_dose(text).newtons(weight) == pytest.approx(newtons, abs=0.05)


@pytest.mark.parametrize("text", ["forty", "40", "40 stone", "-5kg", "140%BW", ""])
def test_a_dose_in_no_known_unit_is_refused_with_the_forms_that_work(text: str) -> None:
    with pytest.raises(ValueError, match=r"40%BW|above 100|greater than"):
        parse_dose(text)


def test_40_percent_of_62_kg_runs_at_243_newtons_and_says_both() -> None:
    entry, rx = prescribe(load_protocol("lumbar-static"), parse_dose("40%BW"), 62.0, 400.0)
    assert entry.protocol.force_n == pytest.approx(243.2)  # type: ignore[union-attr]
    assert rx.describe().startswith("40 % BW of 62 kg = 243.2 N")
    assert rx.peak_n == pytest.approx(243.2)


@given(
    preset=st.sampled_from(sorted(presets())),
    weight=st.floats(min_value=30, max_value=150),
)
def test_a_preset_without_a_dose_never_leaves_the_limits_and_says_its_scale(
    preset: str, weight: float
) -> None:
    template = load_protocol(preset)
    limit = LIMITS.force_limit_n(template.protocol.region, weight)
    entry, rx = prescribe(template, None, weight, limit)
    assert peak_force_n(entry) <= limit
    if peak_force_n(template) > limit:
        assert rx.scale == pytest.approx(FIT_SHARE * limit / peak_force_n(template), rel=1e-3)
        assert "fitted to 90% of the limit" in rx.describe()
    else:
        assert entry == template and rx.scale == 1.0


@given(
    preset=st.sampled_from(sorted(presets())),
    scale=st.floats(min_value=0.3, max_value=1.5),
)
def test_scaling_keeps_every_force_in_proportion_and_nothing_else_changes(
    preset: str, scale: float
) -> None:
    template = load_protocol(preset)
    out = scaled(template, scale)
    assert peak_force_n(out) == pytest.approx(peak_force_n(template) * scale, abs=0.06)
    before = template.protocol.model_dump()
    after = out.protocol.model_dump()
    assert before.keys() == after.keys()
    for key in ("ramp_up_n_s", "ramp_down_n_s", "slack_take_up_n"):
        if key in before:
            assert before[key] == after[key]


def test_an_explicit_dose_above_the_limit_is_refused_not_lowered() -> None:
    with pytest.raises(ProtocolError, match=r"dose = 70 % BW of 62 kg = 425.6 N: above"):
        prescribe(load_protocol("lumbar-static"), Dose(value=70, unit="%BW"), 62.0, 364.8)


def test_a_light_patient_gets_the_preset_scaled_within_the_limit_and_it_checks() -> None:
    weight = 40.0
    template = load_protocol("lumbar-intermittent")
    limit = LIMITS.force_limit_n("lumbar", weight)
    entry, _ = prescribe(template, None, weight, limit)
    checked = check_protocol(entry.protocol, LIMITS, weight)  # the preset alone is refused
    assert checked.profile.peak_n <= limit
    with pytest.raises(ProtocolError):
        check_protocol(template.protocol, LIMITS, weight)


# --- the register --------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    s = SessionStore(tmp_path / "records.sqlite3")
    add_patient(
        s,
        validated(
            {
                "ref": "P-0042",
                "name": "A. Pseudonym",
                "weight_kg": 62,
                "weight_date": "2026-11-30",
                "regions": ["lumbar"],
            }
        ),
    )
    return s


def test_a_registered_patients_weight_comes_from_the_register(store: SessionStore) -> None:
    plan = plan_session(
        store,
        load_protocol("lumbar-static"),
        LIMITS,
        patient_ref="P-0042",
        weight_kg=None,
        dose=parse_dose("40%BW"),
        setup=SETUP,
        checks=CHECKED,
    )
    assert plan.weight_kg == 62
    assert plan.entry.protocol.force_n == pytest.approx(243.2)  # type: ignore[union-attr]
    assert "patient P-0042 (A. Pseudonym), 62 kg measured 2026-11-30" in plan.summary()
    with pytest.raises(PatientError, match="the register says 62 kg"):
        plan_session(
            store,
            load_protocol("lumbar-static"),
            LIMITS,
            patient_ref="P-0042",
            weight_kg=70,
            dose=None,
            setup=SETUP,
            checks=CHECKED,
        )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"protocol": "cervical-intermittent"}, "registered for lumbar, not cervical"),
        ({"setup": None}, "set-up"),
        ({"checks": None}, "checklist must be confirmed"),
        ({"checks": Checks(contraindications_none=False)}, "do not treat"),
        ({"patient_ref": "P-9999"}, "no patient 'P-9999'"),
    ],
)
def test_a_registered_patients_session_needs_region_setup_and_checklist(
    store: SessionStore, changes: dict[str, object], match: str
) -> None:
    kwargs: dict[str, object] = {
        "patient_ref": "P-0042",
        "weight_kg": None,
        "dose": None,
        "setup": SETUP,
        "checks": CHECKED,
    }
    protocol = str(changes.pop("protocol", "lumbar-static"))
    kwargs.update(changes)
    with pytest.raises((PatientError, NotConfirmed), match=match):
        plan_session(store, load_protocol(protocol), LIMITS, **kwargs)  # type: ignore[arg-type]


def test_an_edit_keeps_the_entry_before_it_and_dates_a_new_weight(store: SessionStore) -> None:
    before = get_patient(store, "P-0042")
    after = edit_patient(store, "P-0042", {"weight_kg": 64.5}, "tech-3")
    assert after.weight_kg == 64.5 and after.weight_date > before.weight_date
    kept = changes_of(store, before.id)
    assert len(kept) == 1 and kept[0]["by"] == "tech-3"
    assert '"weight_kg":62.0' in kept[0]["before_json"]
    with pytest.raises(PatientError, match="weight_kg"):
        edit_patient(store, "P-0042", {"weight_kg": 5}, "tech-3")
    with pytest.raises(PatientError, match="cannot edit ref"):
        edit_patient(store, "P-0042", {"ref": "P-1"}, "tech-3")


def test_a_reference_is_registered_once(store: SessionStore) -> None:
    with pytest.raises(PatientError, match="already registered"):
        add_patient(
            store,
            validated(
                {
                    "ref": "P-0042",
                    "name": "B",
                    "weight_kg": 70,
                    "weight_date": "2026-12-01",
                    "regions": ["lumbar"],
                }
            ),
        )


def test_forces_typed_for_the_patient_are_never_fitted_down() -> None:
    template = load_protocol("lumbar-static")
    entry, rx = prescribe(template, None, 40.0, 235.4, fit=False)
    assert entry == template and rx.scale == 1.0  # left for the protocol check to refuse
    with pytest.raises(ProtocolError, match="above the session force limit"):
        check_protocol(entry.protocol, LIMITS, 40.0)
