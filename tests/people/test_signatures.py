"""A physiotherapist's signature on a closed record: two components, in the hash chain."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from controller.clinic.local_time import local
from controller.people.roles import Role
from controller.records.accounts import AccountError, add_user
from controller.records.export import session_document
from controller.records.report import draw_report
from controller.records.signatures import people_lines, sign_session, signatures
from controller.records.store import RecordsError, SessionStore
from tests.records.sessions import recorded

pytestmark = pytest.mark.requirement("SR-060")


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    db = tmp_path / "records.sqlite3"
    recorded(db, operator="Tess")
    s = SessionStore(db)
    admin = add_user(s, "Ada", Role.ADMINISTRATOR, "9173", by=None)
    add_user(s, "Tess", Role.TECHNICIAN, "2468", by=admin)
    add_user(s, "Phil", Role.PHYSIOTHERAPIST, "1357", by=admin)
    return s


def test_a_signature_is_chained_with_its_meaning_and_shown_in_the_export(
    store: SessionStore,
) -> None:
    head_before = store.session(1)["head_hash"]
    signed = sign_session(store, 1, "Phil", "1357", "approved")
    assert (signed.signer, signed.role, signed.meaning) == ("Phil", "physiotherapist", "approved")
    assert signed.record_head == head_before  # it covers the record as it stood
    assert signatures(store, 1) == [signed]
    assert store.verify() == []
    doc = session_document(store, 1)
    assert doc["session"]["signatures"][0]["signer"] == "Phil"
    assert doc["events"][-1]["kind"] == "signature"


@pytest.mark.parametrize(
    ("attempt", "error", "why"),
    [
        (("Phil", "0000", "reviewed"), AccountError, "not recognised"),
        (("Tess", "2468", "reviewed"), AccountError, "needs the physiotherapist role"),
        (("Phil", "1357", "looked at"), RecordsError, "reviewed, approved"),
    ],
)
def test_a_signature_needs_the_pin_the_role_and_a_meaning(
    store: SessionStore, attempt: tuple[str, str, str], error: type[Exception], why: str
) -> None:
    with pytest.raises(error, match=why):
        sign_session(store, 1, *attempt)
    assert signatures(store, 1) == []


def test_the_same_signature_twice_is_refused(store: SessionStore) -> None:
    sign_session(store, 1, "Phil", "1357", "reviewed")
    with pytest.raises(RecordsError, match="already reviewed by Phil"):
        sign_session(store, 1, "Phil", "1357", "reviewed")
    sign_session(store, 1, "Phil", "1357", "approved")  # another meaning is another signature


def test_an_edited_or_removed_signature_fails_verification(store: SessionStore) -> None:
    sign_session(store, 1, "Phil", "1357", "reviewed")
    path = store.path
    store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE events SET data = replace(data, 'Phil', 'Eve') WHERE kind = 'signature'")
    db.commit()
    db.close()
    assert any("edited" in p for p in SessionStore(path).verify())
    db = sqlite3.connect(path)
    db.execute("DELETE FROM events WHERE kind = 'signature'")
    db.commit()
    db.close()
    assert SessionStore(path).verify() != []


def test_the_report_says_who_ran_it_and_who_signed_it(store: SessionStore, tmp_path: Path) -> None:
    assert people_lines("Tess", store.events(1)) == ["run by Tess", "not signed yet"]
    signed = sign_session(store, 1, "Phil", "1357", "approved")
    lines = people_lines("Tess", store.events(1))
    assert lines == [
        "run by Tess",
        f"approved by Phil (physiotherapist), {local(signed.signed_at)}",
    ]
    drawn = draw_report(store, 1, tmp_path / "report.png")  # PNG and PDF with those lines
    assert drawn.path.exists() and drawn.path.with_suffix(".pdf").exists()


def test_a_running_session_cannot_be_signed(tmp_path: Path) -> None:
    s = SessionStore(tmp_path / "r.sqlite3")
    add_user(s, "Phil", Role.ADMINISTRATOR, "1357", by=None)
    with pytest.raises(RecordsError, match="no session 1"):
        sign_session(s, 1, "Phil", "1357", "reviewed")
