"""People at the console, in a real browser: sign-in on large keys, a refused role, the lock
with STOP still working, a handover mid-treatment, and a physiotherapist's signature."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.people.roles import Role
from controller.records.accounts import add_user
from controller.records.store import SessionStore
from tests.console.browser.conftest import Console, shot, start_console, stop_console, track
from tests.console.browser.test_console_browser import WAIT_MS, start

ADMIN, TECH, PHYSIO = ("Ada", "9173"), ("Tess", "2468"), ("Phil", "1357")


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A console whose table has an administrator, a technician and a physiotherapist."""
    tmp = tmp_path_factory.mktemp("people")
    store = SessionStore(tmp / "records.sqlite3")  # the store start_console makes ready
    try:
        admin = add_user(store, ADMIN[0], Role.ADMINISTRATOR, ADMIN[1], by=None)
        add_user(store, TECH[0], Role.TECHNICIAN, TECH[1], by=admin)
        add_user(store, PHYSIO[0], Role.PHYSIOTHERAPIST, PHYSIO[1], by=admin)
    finally:
        store.close()
    c = start_console(tmp)
    yield c
    stop_console(c)


def sign_in(page: Any, who: tuple[str, str]) -> None:
    """Name and PIN on keys (as on the table's touch screen: nothing typed)."""
    page.wait_for_selector("#signin:not([hidden])", timeout=WAIT_MS)
    page.click(f"#si-names button.name:text-is('{who[0]}')")
    assert page.input_value("#si-name") == who[0]
    for digit in who[1]:
        page.click(f"#si-keys button[data-key='{digit}']")
    page.click("#si-ok")
    page.wait_for_function(
        f"document.getElementById('who-name').textContent === {json.dumps(who[0])} "
        "&& document.getElementById('signin').hidden",
        timeout=WAIT_MS,
    )


def open_signed_in(console: Console, browser: Any, who: tuple[str, str]) -> Any:
    page = track(browser.new_page(viewport={"width": 1280, "height": 800}))
    page.goto(console.url)
    page.wait_for_function("window.__state && window.__state.table.accounts", timeout=WAIT_MS)
    shot(page, "sign-in")
    sign_in(page, who)
    page.wait_for_function("document.body.dataset.activity === 'idle'", timeout=WAIT_MS)
    return page


@pytest.mark.requirement("SR-057")
def test_a_wrong_pin_is_refused_and_nothing_is_signed_in(staffed: Console, browser: Any) -> None:
    page = track(browser.new_page(viewport={"width": 1280, "height": 800}))
    page.goto(staffed.url)
    page.wait_for_selector("#signin:not([hidden])", timeout=WAIT_MS)
    page.fill("#si-name", TECH[0])
    for digit in "0000":
        page.click(f"#si-keys button[data-key='{digit}']")
    page.click("#si-ok")
    page.wait_for_function(
        "document.getElementById('si-error').textContent.includes('not recognised')",
        timeout=WAIT_MS,
    )
    assert page.is_visible("#signin") and not page.is_visible("#btn-lock")
    page.close()


@pytest.mark.requirement("SR-058")
def test_a_technician_is_refused_what_is_the_physiotherapists(
    staffed: Console, browser: Any
) -> None:
    page = open_signed_in(staffed, browser, TECH)
    page.click(".tab[data-go=patients]")
    page.fill("#p-ref", "P-77")
    page.fill("#p-name", "A. Patient")
    page.fill("#p-weight", "70")
    page.check(".p-region[value=lumbar]")
    page.click("#btn-add-patient")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-perr]')].some((e) => "
        "e.textContent.includes('needs the physiotherapist role'))",
        timeout=WAIT_MS,
    )
    shot(page, "refused-role")
    page.close()


@pytest.mark.requirement("SR-057", "SR-059", "SR-060")
def test_locked_mid_treatment_stop_works_handover_is_recorded_and_the_physio_signs(
    staffed: Console, browser: Any
) -> None:
    page = open_signed_in(staffed, browser, TECH)
    start(page)
    page.wait_for_function("window.__state.live.phase === 'hold'", timeout=WAIT_MS)

    # the technician badges out: the screens lock, the treatment goes on
    page.click("#btn-lock")
    page.wait_for_selector("#signin:not([hidden])", timeout=WAIT_MS)
    assert page.evaluate("window.__state.live.state") == "running"  # a lock never stops it

    # the physiotherapist takes over the running treatment: the record says so
    sign_in(page, PHYSIO)
    page.click("#btn-lock")
    page.wait_for_selector("#signin:not([hidden])", timeout=WAIT_MS)
    shot(page, "locked-mid-treatment")
    assert page.is_enabled("#btn-stop") and page.is_enabled("#btn-pause")  # never locked
    assert page.is_disabled("#btn-force-up") and page.is_disabled("#btn-resume")  # a person's

    # locked, nobody signed in: STOP stops it, and the alarm is acknowledged, no sign-in asked
    page.click("#btn-stop")
    page.wait_for_function("window.__state.live.state === 'stopping'", timeout=2_000)
    page.wait_for_function(
        "window.__state.activity === 'awaiting acknowledgement'", timeout=WAIT_MS
    )
    page.click("#btn-ack")
    page.wait_for_function("window.__state.activity === 'idle'", timeout=WAIT_MS)
    sid = int(page.evaluate("window.__state.summary.session_id"))

    # the physiotherapist signs the closed record, giving the PIN again
    sign_in(page, PHYSIO)
    page.click(".tab[data-go=history]")
    page.click("#btn-history")
    page.click(f"#h-table tbody tr[data-sid='{sid}']")
    page.wait_for_selector("#btn-sign:not([disabled])", timeout=WAIT_MS)
    page.select_option("#h-meaning", "reviewed")
    page.click("#btn-sign")
    for digit in PHYSIO[1]:
        page.click(f"#sign-keys button[data-key='{digit}']")
    shot(page, "signature")
    page.click("#sign-yes")
    page.wait_for_function(
        "document.getElementById('h-signed').textContent.includes('reviewed by Phil')",
        timeout=WAIT_MS,
    )
    page.close()

    events = _events(staffed.records, sid)
    assert _session(staffed.records, sid)["operator"] == TECH[0]
    assert any("handover at the console: Tess to Phil" in m for _, m, _ in events)
    stops = [d for _, m, d in events if "stop" in m.lower() and "operator" in d.get("by", "")]
    assert stops, events  # STOP was recorded, in the name of the screen's last holder
    signed = [d for kind, _, d in events if kind == "signature"]
    assert signed == [
        {
            "signer": "Phil",
            "role": "physiotherapist",
            "meaning": "reviewed",
            "signed_at": signed[0]["signed_at"],
            "record_head": signed[0]["record_head"],
        }
    ]
    store = SessionStore(staffed.records, recover=False)
    try:
        assert store.verify(sid) == []
    finally:
        store.close()


def _events(records: Path, sid: int) -> list[tuple[str, str, dict[str, Any]]]:
    db = sqlite3.connect(records)
    try:
        rows = db.execute(
            "SELECT kind, message, data FROM events WHERE session_id = ? ORDER BY seq", (sid,)
        ).fetchall()
    finally:
        db.close()
    return [(k, m, json.loads(d)) for k, m, d in rows]


def _session(records: Path, sid: int) -> dict[str, Any]:
    db = sqlite3.connect(records)
    db.row_factory = sqlite3.Row
    try:
        return dict(db.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone())
    finally:
        db.close()
