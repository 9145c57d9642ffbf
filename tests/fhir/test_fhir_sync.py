"""`traction sync` against a validating FHIR server (fhirstarter, in a process of its own on
127.0.0.1): sessions pushed once and read back, only to the one right patient, a bounded
queue that survives restarts, and the register filled from the server (issue 26)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.app.site_config import SiteConfigError, site_config
from controller.cli.main import main
from controller.cli.sync_cmd import _push
from controller.console.records_desk import table_facts
from controller.records.fhir import codes
from controller.records.fhir.client import FhirClient, FhirServer
from controller.records.fhir.outbox import MAX_TRIES, sync_state
from controller.records.fhir.table_identity import system
from controller.records.patients import get_patient
from controller.records.store import SessionStore
from tests.fhir.conftest import CLINIC, NAME, PAIN_AFTER, PATIENT, TOKEN, HealthRecord


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    token = tmp_path / "fhir.token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    monkeypatch.setenv("TRACTION_FHIR_TOKEN_FILE", str(token))
    monkeypatch.setenv("TRACTION_PATIENT_SYSTEM", CLINIC)
    yield token


def sync(
    store_file: Path, url: str, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    os.environ["TRACTION_FHIR_URL"] = url
    try:
        code = main(["sync", "--records", str(store_file), *args])
    finally:
        del os.environ["TRACTION_FHIR_URL"]
    said = capsys.readouterr()
    return code, said.out + said.err


@pytest.mark.requirement("SR-063", "SR-065")
def test_a_session_is_pushed_read_back_and_pushed_twice_created_once(
    store_file: Path,
    treated: tuple[Path, int],
    health_record: HealthRecord,
    site: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    patient = health_record.add_patient("P-7", NAME)
    code, said = sync(store_file, health_record.url, capsys, "--sessions-only")
    assert code == 0, said
    assert f"session {treated[1]}: sent (Procedure/" in said
    created = health_record.created()
    assert created["Procedure"] == 1 and created["Device"] == 1
    assert created["DeviceMetric"] == 1 and created["Observation"] >= 8
    store = SessionStore(store_file)
    sessions = system(store, "sessions")
    store.close()
    found, _ = health_record.call("GET", f"/Procedure?identifier={sessions}|{treated[1]}")
    (procedure,) = [e["resource"] for e in found["entry"]]
    assert procedure["subject"]["reference"] == patient
    assert procedure["code"]["coding"][0]["code"] == "97012"
    device = procedure["usedReference"][0]["reference"]
    obs, _ = health_record.call("GET", f"/Observation?subject={patient}&code={codes.LOINC}|72514-3")
    pains = sorted(e["resource"]["valueInteger"] for e in obs["entry"])
    assert pains == sorted([PAIN_AFTER, 6])
    assert {e["resource"]["device"]["reference"] for e in obs["entry"]} == {device}
    assert {e["resource"]["partOf"][0]["reference"] for e in obs["entry"]} == {
        f"Procedure/{procedure['id']}"
    }
    # again, as after a restart: nothing waits, nothing new; forced again: nothing created
    code, said = sync(store_file, health_record.url, capsys, "--sessions-only")
    assert (code, said) == (0, "health record: 1 session(s) sent, none waiting\n")
    db = SessionStore(store_file)
    db.db.execute("UPDATE fhir_pushes SET sent_at = NULL")
    db.db.commit()
    db.close()
    code, said = sync(store_file, health_record.url, capsys, "--sessions-only")
    assert code == 0 and f"session {treated[1]}: sent" in said
    assert health_record.created() == created


@pytest.mark.requirement("SR-064")
def test_a_session_waits_unless_the_server_holds_the_one_right_patient(
    store_file: Path,
    treated: tuple[Path, int],
    health_record: HealthRecord,
    site: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, said = sync(store_file, health_record.url, capsys, "--sessions-only")
    assert code == 1
    assert "patient P-7 is not on the health record's server" in said
    health_record.add_patient("P-7", "Somebody Else")
    code, said = sync(store_file, health_record.url, capsys, "--sessions-only")
    assert code == 1
    assert "the register says 'B. Pseudonym', the server 'Somebody Else'" in said
    health_record.add_patient("P-7", NAME)
    code, said = sync(store_file, health_record.url, capsys, "--sessions-only")
    assert code == 1 and "2 patients on the server carry it" in said
    health_record.add_patient("P-7", NAME, system="urn:oid:9.9.9")  # another system
    assert "Procedure" not in health_record.created()
    store = SessionStore(store_file)
    state = sync_state(store)
    store.close()
    assert state.waiting == 1 and state.sent == 0 and "2 patients" in str(state.last_error)


@pytest.mark.requirement("SR-065")
def test_an_unreachable_server_is_tried_a_bounded_number_of_times_then_given_up(
    store_file: Path, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    for attempt in range(1, MAX_TRIES + 1):
        code, said = sync(store_file, url, capsys, "--sessions-only")
        assert code == 1 and f"try {attempt} of {MAX_TRIES}" in said
    assert "given up after 10 tries (traction sync --retry)" in said
    shown = table_facts(store_file, synced=True)[2]  # the console's Table screen
    assert shown is not None
    assert shown["trouble"] and "1 given up after 10 tries" in shown["words"]
    code, said = sync(store_file, url, capsys, "--sessions-only")
    assert code == 1 and "not sent" not in said  # given up: not tried again by the timer
    code, said = sync(store_file, url, capsys, "--sessions-only", "--retry")
    assert "1 given-up session(s) to be tried again" in said
    assert f"try 1 of {MAX_TRIES}" in said  # a new round of tries, as a person asked


@pytest.mark.requirement("SR-065")
def test_a_wrong_token_is_refused_and_the_session_waits(
    store_file: Path, health_record: HealthRecord, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    health_record.add_patient("P-7", NAME)
    site.write_text("not-the-token\n")
    code, said = sync(store_file, health_record.url, capsys, "--sessions-only")
    assert code == 1 and "refused (401)" in said
    site.chmod(0o644)
    code, said = sync(store_file, health_record.url, capsys)
    assert code == 2 and "readable by others; chmod 600" in said


@pytest.mark.requirement("SR-065")
@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://ehr.example.org/fhir", True),
        ("http://127.0.0.1:8080/fhir", True),
        ("http://localhost/fhir", True),
        ("http://ehr.example.org/fhir", False),
        ("ftp://ehr.example.org/fhir", False),
    ],
)
def test_patient_records_never_cross_a_network_in_the_clear(
    url: str, ok: bool, tmp_path: Path
) -> None:
    env = {"TRACTION_FHIR_URL": url, "TRACTION_SYSTEM_DATA": str(tmp_path)}
    if ok:
        assert site_config(env=env).fhir_url == url
    else:
        with pytest.raises(SiteConfigError, match="https://, or http:// to this machine only"):
            site_config(env=env)


@pytest.mark.requirement("SR-064")
def test_a_patient_registered_on_the_server_is_in_the_register_after_sync(
    store_file: Path, health_record: HealthRecord, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anna = health_record.add_patient("P-21", "Anna Weber")
    health_record.add_patient("P-22", "No Weight Yet")
    health_record.add_patient("P-7", NAME)  # already here: left as the register has it
    for value, unit, when in ((176.0, "[lb_av]", "2026-11-02"), (81.5, "kg", "2026-11-30")):
        health_record.weigh(anna, value, unit, when)
    health_record.order(anna, "cervical")
    code, said = sync(store_file, health_record.url, capsys, "--patients-only")
    assert code == 0, said
    assert "patients: 1 added to the register (P-21), 1 already in it" in said
    assert "P-22: not added: no body weight on the server" in said
    store = SessionStore(store_file)
    added = get_patient(store, "P-21")
    kept = get_patient(store, "P-7")
    store.close()
    assert added.name == "Anna Weber" and added.weight_kg == 81.5
    assert str(added.weight_date) == "2026-11-30" and added.regions == ("cervical",)
    assert kept.weight_kg == PATIENT["weight_kg"]


def test_sync_without_a_configured_server_says_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--records", str(tmp_path / "r.sqlite3")]) == 2
    assert "set fhir_url and patient_system in the site file" in capsys.readouterr().err


@pytest.mark.requirement("SR-065")
def test_one_sync_run_is_bounded_and_leaves_the_rest_for_the_next(
    store_file: Path, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # nobody listens: every request fails at once
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    config = site_config(env={**os.environ, "TRACTION_FHIR_URL": url})
    store = SessionStore(store_file)
    client = FhirClient(FhirServer(url, TOKEN))
    try:
        _push(store, client, config, client.server, run_s=0.0)
        assert "1 session(s) left for the next sync (a run's bound: 0 s)" in capsys.readouterr().out
        assert sync_state(store).waiting == 1 and sync_state(store).last_error is None  # not tried
    finally:
        client.close()
        store.close()
