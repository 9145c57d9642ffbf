"""The clinic's units and time zone at the console (issue 26): a site set to lbf, lb and
Europe/Berlin shows and prescribes in them; the record stays in N, kg and UTC."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from controller.clinic.units import N_PER
from tests.console.browser.conftest import Console, shot, start_console, stop_console
from tests.console.browser.test_console_browser import WAIT_MS, open_page

REF = "P-0077"
SITE = {
    "TRACTION_FORCE_UNIT": "lbf",
    "TRACTION_WEIGHT_UNIT": "lb",
    "TRACTION_TIME_ZONE": "Europe/Berlin",
}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    c = start_console(tmp_path_factory.mktemp("lbf"), env_extra=SITE)
    yield c
    stop_console(c)


@pytest.mark.requirement("SR-066")
def test_a_site_in_lbf_and_lb_shows_and_prescribes_in_them(clinic: Console, browser: Any) -> None:
    page = open_page(clinic, browser)
    page.click(".tab[data-go=patients]")
    assert page.text_content("#p-weight-unit") == "lb"
    page.fill("#p-ref", REF)
    page.fill("#p-name", "L. Pounds")
    page.fill("#p-weight", "154.3")  # 70.0 kg
    page.click("#btn-add-patient")
    page.wait_for_selector(f"#p-table td:text('{REF}')", timeout=WAIT_MS)
    assert "154.3 lb" in (page.text_content("#p-table") or "")

    page.click(".tab[data-go=prepare]")
    page.wait_for_selector(f"#f-registered option[value='{REF}']", state="attached")
    page.select_option("#f-registered", REF)
    assert page.input_value("#f-weight") == "154.3"
    page.select_option("#f-preset", "lumbar-static")
    page.fill("[data-field=duration_s]", "90")
    assert "lbf" in (page.text_content("[data-in-site=force_n]") or "")  # the preset's N, in lbf
    page.fill("#f-dose", "45lbf")
    page.fill("#f-angle", "10")
    page.select_option("#f-position", "supine, knees flexed")
    page.select_option("#f-harness", "lumbar pelvic")
    page.select_option("#f-split", "released")
    page.select_option("#f-pain", "4")
    page.check("#f-none")
    page.wait_for_selector("#btn-start:not([disabled])", timeout=WAIT_MS)
    summary = page.text_content("#plan-summary") or ""
    assert "= 200.2 N" in summary and "(peak 45.0 lbf)" in summary, summary
    page.click("#btn-start")
    page.click("#confirm-yes")
    page.wait_for_function(
        "window.__state.live && window.__state.live.phase === 'hold'", timeout=60_000
    )
    assert page.evaluate("window.__state.live.target_n") == pytest.approx(200.2, abs=0.05)
    assert {t.strip() for t in page.locator(".unit").all_text_contents()} == {"lbf"}
    assert page.text_content("#n-set") == "45.0"
    assert page.text_content("#btn-force-up") == "+ 2 lbf"
    page.click("#btn-force-up")
    asked = page.text_content("#confirm-text") or ""
    assert "by +2 lbf (set force 45.0 lbf → 47.0 lbf)" in asked, asked
    page.click("#confirm-yes")
    step = 2 * N_PER["lbf"]
    page.wait_for_function(
        f"Math.abs(window.__state.live.target_n - {200.2 + step}) < 0.1", timeout=WAIT_MS
    )
    assert "lb ·" in (page.text_content("#n-who") or "")
    shot(page, "treatment-lbf")
    page.click("#btn-stop")
    page.wait_for_function("window.__state.activity === 'awaiting acknowledgement'", timeout=60_000)
    page.click("#btn-ack")
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)

    page.click(".tab[data-go=history]")
    page.fill("#h-patient", REF)
    page.click("#btn-history")
    page.wait_for_selector("#h-table tbody tr", timeout=WAIT_MS)
    when = page.text_content("#h-table tbody tr td:nth-child(2)") or ""
    assert when.endswith(("CET", "CEST", "GMT+1", "GMT+2")), when  # Berlin's, not UTC
    page.click("#h-table tbody tr")
    page.wait_for_selector("#h-detail:not([hidden])", timeout=WAIT_MS)
    assert "154.3 lb" in (page.text_content("#h-facts") or "")
    shot(page, "history-lbf")
    page.close()
    with sqlite3.connect(clinic.records) as db:  # the record: N, kg, UTC
        row = db.execute(
            "SELECT prescription_json, weight_kg, started_at FROM sessions ORDER BY id DESC"
        ).fetchone()
    assert json.loads(row[0])["peak_n"] == pytest.approx(200.2, abs=0.05)
    assert row[1] == pytest.approx(70.0, abs=0.05) and row[2].endswith("+00:00")
