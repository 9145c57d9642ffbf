"""The clinical screens in a real browser (issue 13): the gate and the daily check, the patient
register, a prescription in % of body weight with set-up and checklist, pain after, repeat last.

One console for the module, calibrated but without today's check, so the tests run in order
as a morning at the clinic does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.browser.conftest import Console, shot, start_console, stop_console
from tests.console.browser.test_console_browser import WAIT_MS, live, open_page, prepare, start

REF = "P-0042"


@pytest.fixture(scope="module")
def morning(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    c = start_console(tmp_path_factory.mktemp("morning"), daily_check=False)
    yield c
    stop_console(c)


@pytest.mark.requirement("SR-030")
@pytest.mark.requirement("SR-032")
def test_no_treatment_before_the_daily_check_then_the_check_from_the_console(
    morning: Console, browser: Any
) -> None:
    page = open_page(morning, browser)
    page.wait_for_function("window.__state.table.readiness.length > 0", timeout=WAIT_MS)
    assert "NOT ready" in (page.text_content("#t-ready") or "")
    assert "today's daily check is missing" in (page.text_content("#t-ready-why") or "")
    assert page.is_visible("#btn-go-checks")
    shot(page, "table-not-ready")
    prepare(page)
    page.wait_for_selector("#btn-start:not([disabled])", timeout=WAIT_MS)
    page.click("#btn-start")
    page.click("#confirm-yes")
    page.wait_for_function(
        "document.querySelector('#reply').textContent.includes('not ready to treat')",
        timeout=WAIT_MS,
    )
    assert page.evaluate("window.__state.activity") == "idle"

    page.click(".tab[data-go=table]")
    page.click("#btn-go-checks")
    page.click("#btn-daily")
    for step in ("traction cord inspected", "harness inspected"):  # only a person can say
        page.wait_for_selector("#c-answer:not([hidden])", timeout=WAIT_MS)
        assert "Inspect" in (page.text_content("#c-step") or "")
        shot(page, "checks-step")
        page.click("#c-yes")
        page.wait_for_function(
            f"document.querySelector('#c-done').textContent.includes('{step}')",
            timeout=WAIT_MS,
        )
    page.wait_for_function(
        "document.querySelector('#c-result').textContent.includes('passed')", timeout=WAIT_MS
    )
    done = page.text_content("#c-done") or ""
    for step in ("patient switch pressed", "e-stop opened", "faults reset"):
        assert f"{step}: " in done
    shot(page, "checks-passed")
    page.wait_for_function("window.__state.table.readiness.length === 0", timeout=WAIT_MS)
    page.click(".tab[data-go=table]")
    assert "Ready" in (page.text_content("#t-ready") or "")
    page.close()


@pytest.mark.requirement("SR-033")
@pytest.mark.requirement("SR-034")
def test_a_registered_patient_prescribed_in_percent_of_body_weight_runs_at_243_n(
    morning: Console, browser: Any
) -> None:
    page = open_page(morning, browser)
    page.click(".tab[data-go=patients]")
    page.fill("#p-ref", REF)
    page.fill("#p-name", "A. Pseudonym")
    page.fill("#p-weight", "62")
    page.click("#btn-add-patient")
    page.wait_for_selector(f"#p-table td:text('{REF}')", timeout=WAIT_MS)
    shot(page, "patients")

    page.click(".tab[data-go=prepare]")
    page.wait_for_selector(f"#f-registered option[value='{REF}']", state="attached")
    page.select_option("#f-registered", REF)
    assert page.input_value("#f-weight") == "62" and page.is_disabled("#f-weight")
    page.select_option("#f-preset", "lumbar-static")
    page.fill("[data-field=duration_s]", "120")
    page.fill("#f-dose", "40%BW")
    page.fill("#f-angle", "10")
    page.select_option("#f-position", "supine, knees flexed")
    page.select_option("#f-harness", "lumbar pelvic")
    page.select_option("#f-split", "released")
    page.select_option("#f-pain", "6")
    page.wait_for_function(
        "document.querySelector('[data-err=checks]').textContent.includes('checklist')",
        timeout=WAIT_MS,
    )
    assert page.is_disabled("#btn-start")  # the checklist is not confirmed yet
    page.check("#f-none")
    page.wait_for_selector("#btn-start:not([disabled])", timeout=WAIT_MS)
    assert "40 % BW of 62 kg = 243.2 N" in (page.text_content("#plan-summary") or "")
    shot(page, "prepare-patient")
    page.click("#btn-start")
    assert "243.2 N" in (page.text_content("#confirm-text") or "")
    page.click("#confirm-yes")
    page.wait_for_function(
        "window.__state.live && window.__state.live.phase === 'hold'", timeout=60_000
    )
    assert page.evaluate("window.__state.live.target_n") == pytest.approx(243.2, abs=0.05)
    page.click("#btn-stop")
    page.wait_for_function("window.__state.activity === 'awaiting acknowledgement'", timeout=60_000)
    page.click("#btn-ack")
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)
    page.select_option("#s-pain", "3")
    page.fill("#s-comment", "felt looser")
    page.click("#btn-note")
    page.wait_for_function(
        "document.querySelector('#s-noted').textContent.includes('saved')", timeout=WAIT_MS
    )
    shot(page, "summary-pain")
    with sqlite3.connect(morning.records) as db:
        row = db.execute(
            "SELECT id, prescription_json, setup_json, checks_json, patient_ref FROM sessions "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        notes = db.execute("SELECT kind FROM session_notes WHERE session_id = ?", (row[0],))
        kinds = [n[0] for n in notes]
    rx = json.loads(row[1])
    assert rx["dose"] == {"value": 40.0, "unit": "%BW"} and rx["peak_n"] == pytest.approx(243.2)
    assert json.loads(row[2])["harness"] == "lumbar pelvic"
    assert json.loads(row[3])["pain_before"] == 6
    assert row[4] == REF and kinds == ["pain_after", "comment"]

    # the next visit: repeat last fills it, one confirmation starts it
    page.wait_for_function("window.__state.activity === 'idle'", timeout=WAIT_MS)
    page.click(".tab[data-go=prepare]")
    page.select_option("#f-registered", "")
    page.select_option("#f-registered", REF)
    page.click("#btn-repeat")
    page.wait_for_function(
        "document.querySelector('#f-repeat').textContent.includes('repeating session')",
        timeout=WAIT_MS,
    )
    assert page.input_value("#f-dose") == "40%BW"
    assert page.input_value("#f-harness") == "lumbar pelvic"
    page.wait_for_function(
        "document.querySelector('[data-err=checks]').textContent.includes('checklist')",
        timeout=WAIT_MS,
    )
    assert page.is_disabled("#btn-start")  # the checklist is asked anew
    page.check("#f-none")
    page.wait_for_selector("#btn-start:not([disabled])", timeout=WAIT_MS)
    page.click("#btn-start")
    confirm = page.text_content("#confirm-text") or ""
    assert "protocol lumbar-static" in confirm and "40 % BW of 62 kg = 243.2 N" in confirm
    assert "pain before" not in confirm  # asked anew, not carried
    shot(page, "prepare-repeat")
    page.click("#confirm-no")  # declined: nothing starts
    assert page.evaluate("window.__state.activity") == "idle"
    page.close()


@pytest.mark.requirement("SR-036")
@pytest.mark.requirement("SR-037")
def test_times_changed_mid_session_then_the_protocol_saved_from_the_summary(
    morning: Console, browser: Any
) -> None:
    page = open_page(morning, browser)
    start(page, duration="60")
    page.wait_for_function(  # 3 s into the hold
        "window.__state.live.phase === 'hold' && window.__state.live.phase_left_s < 57",
        timeout=60_000,
    )
    before = live(page)["total_s"]
    page.click("#btn-times")
    page.wait_for_selector("#times:not([hidden])", timeout=WAIT_MS)
    assert page.is_hidden("[data-time=rest_s]") and page.is_hidden("[data-time=hold_s]")
    assert page.input_value("#t-total_s") == "60"  # a static protocol: its hold is its total
    page.click("#btn-stop", trial=True, timeout=2_000)  # STOP is never behind a dialog
    page.fill("#t-total_s", "1")  # less than has run: refused beside the field
    page.click("#btn-times-review")
    page.wait_for_function(
        "document.querySelector('#terr-total_s').textContent.includes('press STOP')",
        timeout=WAIT_MS,
    )
    page.fill("#t-total_s", "15")
    page.click("#btn-times-review")
    page.wait_for_selector("#confirm:not([hidden])", timeout=WAIT_MS)
    text = page.text_content("#confirm-text") or ""
    assert "Change total time 15 s?" in text and "→" in text
    page.click("#btn-stop", trial=True, timeout=2_000)
    shot(page, "times-confirm")
    page.click("#confirm-yes")
    page.wait_for_function(f"window.__state.live.total_s < {before - 40}", timeout=WAIT_MS)
    assert page.is_hidden("#times")
    page.wait_for_function(
        "[...document.querySelectorAll('#event-list li')]"
        ".some((li) => li.textContent.includes('times: total time 15 s'))",
        timeout=WAIT_MS,
    )
    page.wait_for_function(  # it ends by itself, 15 s after the hold began
        "window.__state.activity === 'awaiting acknowledgement'", timeout=60_000
    )
    page.click("#btn-ack")
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)
    assert "complete" in (page.text_content("#s-outcome") or "")
    page.fill("#s-save-name", "static-15s")
    page.fill("#s-save-desc", "short first visit")
    page.click("#btn-save-protocol")
    page.wait_for_function(
        "document.querySelector('#s-saved').textContent.includes('saved from session')",
        timeout=WAIT_MS,
    )
    page.locator("#s-saved").scroll_into_view_if_needed()
    shot(page, "summary-saved-protocol")
    page.fill("#s-save-name", "static-15s")  # the same name again: refused, the first kept
    page.click("#btn-save-protocol")
    page.wait_for_function(
        "document.querySelector('#reply').textContent.includes('is taken')", timeout=WAIT_MS
    )
    page.wait_for_function("window.__state.activity === 'idle'", timeout=WAIT_MS)
    page.click(".tab[data-go=prepare]")
    page.select_option("#f-registered", "")
    page.select_option("#f-region", "lumbar")
    page.wait_for_selector("#f-preset option[value='static-15s']", state="attached")
    assert "(saved)" in (page.text_content("#f-preset option[value='static-15s']") or "")
    page.select_option("#f-preset", "static-15s")
    assert page.input_value("[data-field=duration_s]") == "15"
    assert "short first visit" in (page.text_content("#f-description") or "")
    page.close()
