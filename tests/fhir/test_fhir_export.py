"""A session as a FHIR R4B bundle (issue 26): what a health record needs of it, validated with
fhir.resources, and never more of the patient than the register's reference."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from fhir.resources.R4B.bundle import Bundle

from controller.cli.main import main
from controller.records.delivered import delivered
from controller.records.fhir import codes
from controller.records.fhir.session_bundle import session_bundle, sessions_between
from controller.records.store import RecordsError, SessionStore
from tests.fhir.conftest import NAME, PAIN_AFTER, PAIN_BEFORE, treat

pytestmark = pytest.mark.requirement("SR-063")


def _export(
    store_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> Bundle:
    out = tmp_path / "bundle.json"
    code = main(
        ["sessions", "--records", str(store_file), "export", *args, "--fhir", "--out", str(out)]
    )
    assert code == 0, capsys.readouterr()
    return Bundle.model_validate_json(out.read_text())


def _by_kind(bundle: Bundle) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    kinds: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for entry in bundle.entry or []:
        resource = json.loads(entry.resource.model_dump_json(exclude_none=True))  # type: ignore[union-attr]
        resource["_fullUrl"] = entry.fullUrl
        kinds.setdefault(resource["resourceType"], []).append(resource)
    return kinds


def test_a_session_as_fhir_validates_and_says_the_dose_pain_and_device(
    store_file: Path, treated: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = treated[1]
    bundle = _export(store_file, tmp_path, capsys, str(sid))
    assert bundle.type == "transaction"
    kinds = _by_kind(bundle)
    (procedure,) = kinds["Procedure"]
    assert procedure["status"] == "completed"
    assert procedure["code"]["coding"][0] == {"system": codes.CPT, "code": "97012"}
    assert procedure["bodySite"][0]["coding"][0]["code"] == codes.BODY_SITES["lumbar"][0]
    assert procedure["subject"] == {
        "identifier": {"system": procedure["subject"]["identifier"]["system"], "value": "P-7"}
    }
    (device,) = kinds["Device"]
    (metric,) = kinds["DeviceMetric"]
    assert metric["calibration"][0]["state"] == "calibrated"
    assert metric["source"]["reference"] == device["_fullUrl"]
    obs = {o["identifier"][0]["value"].split("/", 1)[1]: o for o in kinds["Observation"]}
    for o in obs.values():
        assert o["device"]["reference"] == device["_fullUrl"]
        assert o["partOf"][0]["reference"] == procedure["_fullUrl"]
        assert o["subject"] == procedure["subject"]
    assert obs["pain-before"]["valueInteger"] == PAIN_BEFORE
    assert obs["pain-after"]["valueInteger"] == PAIN_AFTER
    assert obs["pain-before"]["code"]["coding"][0]["code"] == codes.PAIN_NRS_LOINC[0]
    store = SessionStore(store_file)
    dose = delivered(store.samples(sid))
    store.close()
    assert obs["delivered-peak-force"]["valueQuantity"]["value"] == pytest.approx(
        dose.peak_n, abs=1e-3
    )
    assert obs["delivered-peak-force"]["valueQuantity"]["code"] == "N"
    assert obs["time-at-force"]["valueQuantity"]["value"] == pytest.approx(
        dose.time_at_force_s, abs=1e-3
    )
    assert obs["prescribed-peak-force"]["valueQuantity"]["value"] == pytest.approx(
        0.25 * 70 * 9.80665, abs=0.5
    )
    assert "hold-error-mean" in obs and "relaxation-index" in obs
    assert obs["body-weight"]["valueQuantity"] == {
        "value": 70.0,
        "unit": "kg",
        "system": codes.UCUM,
        "code": "kg",
    }
    text = bundle.model_dump_json()
    assert NAME not in text  # the register's reference, never the name


def test_every_entry_is_a_conditional_create_on_its_own_identifier(
    store_file: Path, treated: tuple[Path, int]
) -> None:
    store = SessionStore(store_file)
    bundle = session_bundle(store, [treated[1]])
    store.close()
    seen = set()
    for entry in bundle.entry or []:
        assert entry.request is not None and entry.request.method == "POST"
        ident = entry.resource.identifier[0]  # type: ignore[union-attr]
        condition = parse_qs(str(entry.request.ifNoneExist))
        assert condition == {"identifier": [f"{ident.system}|{ident.value}"]}
        key = (ident.system, ident.value)
        assert key not in seen
        seen.add(key)


def test_identifiers_differ_between_tables_and_stay_with_a_store(
    tmp_path: Path, store_file: Path
) -> None:
    other = SessionStore(tmp_path / "other.sqlite3")
    mine = SessionStore(store_file)
    try:
        from controller.records.fhir.table_identity import system

        assert system(other, "sessions") != system(mine, "sessions")
        again = SessionStore(store_file, recover=False)
        assert system(again, "sessions") == system(mine, "sessions")
        again.close()
    finally:
        other.close()
        mine.close()


def test_a_session_still_running_is_not_exported(
    store_file: Path, treated: tuple[Path, int]
) -> None:
    db = sqlite3.connect(store_file)
    db.execute("UPDATE sessions SET ended_at = NULL WHERE id = ?", (treated[1],))
    db.commit()
    db.close()
    store = SessionStore(store_file, recover=False)
    with pytest.raises(RecordsError, match="has not ended"):
        session_bundle(store, [treated[1]])
    store.close()


def test_by_patient_and_by_dates(
    store_file: Path, treated: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = treat(store_file)
    store = SessionStore(store_file)
    assert sessions_between(store, "P-7") == [treated[1], second]
    assert sessions_between(store, "P-9") == []
    day = str(store.session(second)["started_at"])[:10]
    store.close()
    bundle = _export(store_file, tmp_path, capsys, "--patient", "P-7")
    assert len(_by_kind(bundle)["Procedure"]) == 2
    assert len(_by_kind(bundle)["Device"]) == 1  # the table once
    bundle = _export(store_file, tmp_path, capsys, "--since", day, "--until", day)
    assert len(_by_kind(bundle)["Procedure"]) == 2
    assert (
        main(
            ["sessions", "--records", str(store_file), "export", "--fhir", "--until", "2000-01-01"]
        )
        == 2
    )
    assert "no ended session matches" in capsys.readouterr().err
