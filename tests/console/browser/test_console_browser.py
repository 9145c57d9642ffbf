"""The console in a real browser against the simulated table, as a technician uses it."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.console.browser.conftest import Console, shot, state, track

pytestmark = pytest.mark.requirement("SR-026")
OPERATOR = "tech-7"
WAIT_MS = 30_000


def open_page(
    console: Console, browser: Any, *, idle: bool = True, locale: str | None = None
) -> Any:
    """A page with the operator's name in; `idle`: wait until the table is idle; `locale`: the
    kiosk's browser's (its own hints, as in a date field, follow it)."""
    page = track(browser.new_page(viewport={"width": 1280, "height": 800}, locale=locale))
    page.goto(console.url)
    page.fill("#operator", OPERATOR)
    page.dispatch_event("#operator", "change")
    ready = "document.body.dataset.activity === 'idle'" if idle else "window.__state"
    page.wait_for_function(ready, timeout=WAIT_MS)
    return page


def open_in_history(page: Any, patient: str) -> None:
    """History's newest session of `patient`, its detail open."""
    page.click(".tab[data-go=history]")
    page.fill("#h-patient", patient)
    page.click("#btn-history")
    page.wait_for_selector("#h-table tbody tr", timeout=WAIT_MS)
    page.click("#h-table tbody tr")
    page.wait_for_selector("#h-detail:not([hidden])", timeout=WAIT_MS)


def live(page: Any) -> dict[str, Any]:
    return page.evaluate("window.__state.live")  # type: ignore[no-any-return]


def prepare(page: Any, *, force: str = "80", duration: str = "60", weight: str = "75") -> None:
    page.click(".tab[data-go=prepare]")
    page.fill("#f-patient", "P-42")
    page.fill("#f-weight", weight)
    page.select_option("#f-region", "lumbar")
    page.select_option("#f-preset", "lumbar-static")
    page.fill("[data-field=force_n]", force)
    page.fill("[data-field=duration_s]", duration)
    page.dispatch_event("[data-field=duration_s]", "input")


def start(page: Any, **kw: str) -> None:
    """Home the carriage when it is away (a stop releases without homing), then start."""
    if page.evaluate("window.__state.table.at_home") is False:
        page.click(".tab[data-go=table]")
        page.click("#btn-home")
        page.click("#confirm-yes")
        page.wait_for_function("window.__state.table.at_home === true", timeout=60_000)
        page.wait_for_function("window.__state.activity === 'idle'", timeout=WAIT_MS)
    prepare(page, **kw)
    page.wait_for_selector("#btn-start:not([disabled])", timeout=WAIT_MS)
    page.click("#btn-start")
    page.click("#confirm-yes")
    page.wait_for_function("document.body.dataset.screen === 'treatment'", timeout=WAIT_MS)
    page.wait_for_function(
        "window.__state.live && window.__state.live.state === 'running'", timeout=WAIT_MS
    )


def test_the_table_screen_shows_the_board_and_the_limits(console: Console, browser: Any) -> None:
    page = open_page(console, browser)
    assert page.text_content("#t-link") == "connected"
    assert "TT-1" in (page.text_content("#t-identity") or "")
    assert "sha256" in (page.text_content("#t-hash") or "")
    assert page.text_content("#t-home") == "at home"
    assert page.is_disabled("#btn-stop")  # visible, and nothing to stop
    shot(page, "table")
    page.close()


@pytest.mark.requirement("SR-003")
def test_a_refused_parameter_shows_its_rule_and_starts_nothing(
    console: Console, browser: Any
) -> None:
    page = open_page(console, browser)
    prepare(page, force="900")
    page.wait_for_function(
        "document.querySelector('[data-err=force_n]').textContent.includes('limit')",
        timeout=WAIT_MS,
    )
    rule = page.text_content("[data-err=force_n]") or ""
    assert "above the session force limit 441.3 N" in rule
    assert page.is_disabled("#btn-start")
    shot(page, "prepare-refused")
    prepare(page, force="80")
    page.wait_for_selector("#btn-start:not([disabled])", timeout=WAIT_MS)
    shot(page, "prepare")
    assert page.evaluate("window.__state.activity") == "idle"
    page.close()


def test_run_pause_resume_stop_and_acknowledge(console: Console, browser: Any) -> None:
    page = open_page(console, browser)
    start(page)
    page.wait_for_function(
        "window.__state.live.phase === 'hold' && window.__state.live.timer_s > 1", timeout=WAIT_MS
    )
    first = live(page)
    page.wait_for_timeout(1500)
    later = live(page)
    assert later["timer_s"] > first["timer_s"]  # the countdown moves
    assert page.evaluate("window.__console.painted") > 10  # and the curve is redrawn
    shot(page, "treatment")

    page.click("#btn-pause")
    page.wait_for_function("window.__state.live.state === 'paused'", timeout=WAIT_MS)
    held = live(page)
    page.wait_for_timeout(1500)
    still = live(page)
    assert still["timer_s"] == held["timer_s"]  # the timer is frozen
    assert abs(still["force_n"] - held["force_n"]) < 10  # the force is held
    page.click("#btn-resume")
    page.wait_for_function("window.__state.live.state === 'running'", timeout=WAIT_MS)

    page.click("#btn-stop")  # no confirmation
    page.wait_for_function("window.__state.live.state === 'stopping'", timeout=2_000)
    page.wait_for_function(
        "window.__state.activity === 'awaiting acknowledgement'", timeout=WAIT_MS
    )
    assert page.evaluate("window.__state.live.state") == "stopped"  # never "complete"
    assert page.evaluate("document.body.dataset.audio") == "low"
    banner = page.text_content("#banner-text") or ""
    assert "stopped early by operator tech-7, released" in banner and "complete" not in banner
    # the summary is on screen at the end, the alarm still to be acknowledged
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)
    shot(page, "treatment-complete-alarm")
    page.click("#btn-ack")
    outcome = page.text_content("#s-outcome") or ""
    assert "stopped early by operator tech-7" in outcome
    page.wait_for_function("document.querySelector('#s-report').complete", timeout=WAIT_MS)
    shot(page, "summary")
    page.close()


@pytest.mark.requirement("SR-063")
def test_history_lists_exports_and_verifies(console: Console, browser: Any) -> None:
    page = open_page(console, browser)
    open_in_history(page, "P-42")
    assert "tech-7" in (page.text_content("#h-facts") or "")
    with page.expect_download() as download:
        page.click("#h-csv")
    assert download.value.suggested_filename.endswith(".csv")
    with page.expect_download() as download:  # the health record's bundle, as it validates
        page.click("#h-fhir")
    bundle = Bundle.model_validate_json(Path(download.value.path()).read_text())
    assert bundle.type == "transaction" and bundle.entry
    with page.expect_download() as download:
        page.click("#h-pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.click("#btn-verify")
    page.wait_for_function(
        "document.querySelector('#h-verify').textContent.length > 0", timeout=WAIT_MS
    )
    assert (page.text_content("#h-verify") or "").startswith("verified")
    page.fill("#h-patient", "nobody")
    page.click("#btn-history")
    page.wait_for_function("document.querySelectorAll('#h-table tbody tr').length === 0")
    page.fill("#h-patient", "")
    page.click("#btn-history")
    page.wait_for_selector("#h-table tbody tr", timeout=WAIT_MS)
    page.click("#h-table tbody tr")
    page.wait_for_function("document.querySelector('#h-report').complete", timeout=WAIT_MS)
    shot(page, "history")
    page.close()


@pytest.mark.requirement("SR-027", "SR-045")
def test_closing_the_browser_mid_treatment_stops_after_the_grace(
    console: Console, browser: Any
) -> None:
    page = open_page(console, browser)
    start(page)
    page.wait_for_function("window.__state.live.phase === 'hold'", timeout=WAIT_MS)
    closed = time.monotonic()
    page.close()  # every console client gone
    db = sqlite3.connect(console.records)
    deadline = closed + 60
    messages: list[str] = []
    while time.monotonic() < deadline:
        messages = [r[0] for r in db.execute("SELECT message FROM events ORDER BY seq")]
        if any(m.startswith("console lost") for m in messages) and any(
            "board release done" in m for m in messages[-6:]
        ):
            break
        time.sleep(0.5)
    assert any(m.startswith("console lost") for m in messages), messages[-10:]
    lost_at = messages.index(next(m for m in messages if m.startswith("console lost")))
    assert any("stop: running -> stopping" in m for m in messages[lost_at:])
    # the record's outcome is final at the end, before anyone acknowledged it (SR-045)
    last = "SELECT outcome, last_state FROM sessions ORDER BY id DESC LIMIT 1"
    (outcome, last_state) = db.execute(last).fetchone()
    assert (outcome, last_state) == ("stopped early by console lost", "stopped")
    page = open_page(console, browser, idle=False)
    page.wait_for_function("window.__state.alarms.banner !== null", timeout=WAIT_MS)
    alarms = page.text_content("#alarm-list") or ""
    assert "console lost" in alarms and "the console was lost" in alarms
    assert "treatment complete" not in alarms
    # the technician who comes back sees what happened to the session just stopped
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)
    assert "the console was lost" in (page.text_content("#s-outcome") or "")
    page.click("#btn-ack")
    page.wait_for_function("window.__state.activity === 'idle'", timeout=WAIT_MS)
    page.close()


@pytest.mark.requirement("SR-028", "SR-035")
def test_a_patient_press_shows_a_high_priority_alarm(console: Console, browser: Any) -> None:
    """Last in the module: the board latches its fault."""
    page = open_page(console, browser)
    start(page)
    page.wait_for_function("window.__state.live.force_n > 40", timeout=WAIT_MS)
    console.inject("patient-press")
    page.wait_for_function(
        "window.__state.alarms.banner && window.__state.alarms.banner.priority === 'high'",
        timeout=WAIT_MS,
    )
    assert "flash-fast" in (page.get_attribute("#banner", "class") or "")
    assert page.evaluate("document.body.dataset.audio") == "high"
    shot(page, "alarm-high")
    page.click("#btn-audio")
    page.wait_for_function("document.body.dataset.audio === 'paused'", timeout=WAIT_MS)
    page.click("#btn-ack")
    page.wait_for_function("document.body.dataset.audio === 'off'", timeout=WAIT_MS)
    assert int(str(state(page)["updates"])) > 0
    # the patient's stop holds the session, released; asked and acknowledged, it resumes
    assert page.evaluate("window.__state.live.state") == "patient_stopped"
    console.inject("patient-release")
    page.wait_for_selector("#btn-resume:not([disabled])", timeout=WAIT_MS)
    page.wait_for_function(
        "[...document.querySelectorAll('#event-list li')]"
        ".some((li) => li.textContent.includes('board release done'))",
        timeout=60_000,
    )
    page.click("#btn-resume")
    assert "asked the patient" in (page.text_content("#confirm-text") or "")
    page.click("#confirm-yes")
    page.wait_for_function("window.__state.live.state === 'running'", timeout=WAIT_MS)
    shot(page, "treatment-resumed")
    page.click("#btn-stop")
    page.wait_for_function("window.__state.activity === 'awaiting acknowledgement'", timeout=60_000)
    page.click("#btn-ack")
    page.close()
