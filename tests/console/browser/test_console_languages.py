"""The console in the clinic's language, units and time (issue 26): a German site in lbf, lb and
Berlin time, and a Russian one in kgf, each running a whole treatment. Each screen's words in
the language, numbers as the language writes them (a decimal comma), every force and weight in
the site's unit, times in the site's zone; the record stays in N, kg and UTC and keeps the
session's language for its report. Two consoles, one per site."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.clinic.units import N_PER
from controller.words.catalogue import gettext
from tests.console.browser.conftest import Console, shot, start_console, stop_console
from tests.console.browser.test_console_browser import (
    OPERATOR,
    WAIT_MS,
    open_in_history,
    open_page,
    prepare,
    start,
)
from tests.words.latin import untranslated

VISIBLE = (Path(__file__).with_name("visible_text.js")).read_text(encoding="utf-8")

SCREENS = ("table", "checks", "patients", "prepare", "history")
REF = "P-0077"
GERMAN = {
    "TRACTION_LANGUAGE": "de",
    "TRACTION_FORCE_UNIT": "lbf",
    "TRACTION_WEIGHT_UNIT": "lb",
    "TRACTION_TIME_ZONE": "Europe/Berlin",
}
RUSSIAN = {"TRACTION_LANGUAGE": "ru", "TRACTION_FORCE_UNIT": "kgf"}


def _console(tmp: pytest.TempPathFactory, name: str, env: dict[str, str]) -> Iterator[Console]:
    c = start_console(tmp.mktemp(name), env_extra=env)
    yield c
    stop_console(c)


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    yield from _console(tmp_path_factory, "de", GERMAN)


@pytest.fixture(scope="module")
def russian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    yield from _console(tmp_path_factory, "ru", RUSSIAN)


def _screens(page: Any, language: str) -> None:
    page.wait_for_function(f"document.documentElement.lang === '{language}'", timeout=WAIT_MS)
    for screen in SCREENS:
        page.click(f".tab[data-go={screen}]")
        shot(page, f"{screen}-{language}")
    tabs = [t.strip() for t in page.locator(".tab").all_text_contents()]
    assert gettext(language, "Treatment") in tabs
    assert (page.text_content("#btn-stop") or "").strip() == gettext(language, "STOP")


def _stop_and_acknowledge(page: Any) -> None:
    page.click("#btn-stop")
    page.wait_for_function("window.__state.activity === 'awaiting acknowledgement'", timeout=60_000)
    page.click("#btn-ack")
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)


def _last_session(console: Console) -> tuple[Any, ...]:
    with sqlite3.connect(console.records) as db:
        row: tuple[Any, ...] = db.execute(
            "SELECT language, prescription_json, weight_kg, started_at FROM sessions "
            "ORDER BY id DESC"
        ).fetchone()
    return row


@pytest.mark.requirement("SR-066", "SR-067")
def test_a_german_site_in_lbf_lb_and_berlin_time_shows_and_prescribes_in_them(
    german: Console, browser: Any
) -> None:
    page = open_page(german, browser, locale="de-DE")
    _screens(page, "de")
    page.click(".tab[data-go=patients]")
    assert page.text_content("#p-weight-unit") == "lb"
    page.fill("#p-ref", REF)
    page.fill("#p-name", "L. Pounds")
    page.fill("#p-weight", "154.3")  # 70.0 kg
    page.click("#btn-add-patient")
    page.wait_for_selector(f"#p-table td:text('{REF}')", timeout=WAIT_MS)
    assert "154,3 lb" in (page.text_content("#p-table") or "")

    page.click(".tab[data-go=prepare]")
    page.wait_for_selector(f"#f-registered option[value='{REF}']", state="attached")
    page.select_option("#f-registered", REF)
    assert page.input_value("#f-weight") == "154.3"  # a number input: the page's own format
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
    assert "= 200,2 N" in summary and "(Spitze 45,0 lbf)" in summary, summary
    page.click("#btn-start")
    page.click("#confirm-yes")
    page.wait_for_function(
        "window.__state.live && window.__state.live.phase === 'hold'", timeout=60_000
    )
    assert page.evaluate("window.__state.live.target_n") == pytest.approx(200.2, abs=0.05)
    assert {t.strip() for t in page.locator(".unit").all_text_contents()} == {"lbf"}
    assert page.text_content("#n-set") == "45,0"
    assert page.text_content("#btn-force-up") == "+ 2 lbf"
    page.click("#btn-force-up")
    asked = page.text_content("#confirm-text") or ""
    assert "Kraft um +2 lbf ändern (Soll 45,0 lbf → 47,0 lbf)?" in asked, asked
    page.click("#confirm-yes")
    page.wait_for_function(
        f"Math.abs(window.__state.live.target_n - {200.2 + 2 * N_PER['lbf']}) < 0.1",
        timeout=WAIT_MS,
    )
    assert "154,3 lb ·" in (page.text_content("#n-who") or "")
    shot(page, "treatment-de-lbf")
    _stop_and_acknowledge(page)
    shot(page, "summary-de")

    page.click(".tab[data-go=history]")
    page.fill("#h-patient", REF)
    page.click("#btn-history")
    page.wait_for_selector("#h-table tbody tr", timeout=WAIT_MS)
    when = page.text_content("#h-table tbody tr td:nth-child(2)") or ""
    assert when.endswith(("MEZ", "MESZ", "CET", "CEST", "GMT+1", "GMT+2")), when  # not UTC
    page.click("#h-table tbody tr")
    page.wait_for_selector("#h-detail:not([hidden])", timeout=WAIT_MS)
    assert "154,3 lb" in (page.text_content("#h-facts") or "")
    shot(page, "history-de-lbf")
    page.close()
    language, prescription, weight_kg, started_at = _last_session(german)
    assert language == "de"  # the session's words: its report's
    assert json.loads(prescription)["peak_n"] == pytest.approx(200.2, abs=0.05)
    assert weight_kg == pytest.approx(70.0, abs=0.05) and started_at.endswith("+00:00")


def _english_on(page: Any, where: str, seen: dict[str, str]) -> None:
    """Every text the page shows now that has English in it (data aside), and where."""
    data = [OPERATOR, "P-42", "TT-1", "Traction Table Simulator", "abc"]  # typed or the board's
    for text, words in untranslated(page.evaluate(VISIBLE), data).items():
        seen.setdefault(text, f"{where}: {words}")


@pytest.mark.requirement("SR-067", "SR-068")
def test_a_whole_treatment_in_russian_in_kgf_shows_no_word_left_in_english(
    russian: Console, browser: Any
) -> None:
    """Each screen, a refused force and dose, the treatment, a pause, the stop's alarm, the
    summary and the session in History: any Latin word but data is a word the catalogue lacks."""
    page = open_page(russian, browser, locale="ru-RU")
    _screens(page, "ru")
    english: dict[str, str] = {}
    for screen in SCREENS:
        page.click(f".tab[data-go={screen}]")
        _english_on(page, screen, english)
    prepare(page, force="900")  # above the session limit: refused field by field
    page.wait_for_selector("[data-err=force_n]:not(:empty)", timeout=WAIT_MS)
    page.fill("#f-dose", "abc")
    page.wait_for_selector("[data-err=dose]:not(:empty)", timeout=WAIT_MS)
    _english_on(page, "refused", english)
    page.fill("#f-dose", "")
    start(page)
    page.wait_for_function("window.__state.live.phase === 'hold'", timeout=60_000)
    assert page.text_content("#n-set") == "8,2"  # 80 N in kgf, with a decimal comma
    assert {t.strip() for t in page.locator(".unit").all_text_contents()} == {"кгс"}
    _english_on(page, "treatment", english)
    shot(page, "treatment-ru")
    page.click("#btn-pause")
    page.wait_for_function("window.__state.live.state === 'paused'", timeout=WAIT_MS)
    _english_on(page, "paused", english)
    page.click("#btn-stop")
    page.wait_for_function("window.__state.activity === 'awaiting acknowledgement'", timeout=60_000)
    _english_on(page, "alarm", english)
    page.click("#btn-ack")
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)
    _english_on(page, "summary", english)
    shot(page, "summary-ru")
    open_in_history(page, "P-42")
    page.wait_for_selector("#h-events li", timeout=WAIT_MS)
    _english_on(page, "history", english)
    shot(page, "history-ru")
    page.close()
    assert not english, "\n".join(f"{where}: {text!r}" for text, where in english.items())
    assert _last_session(russian)[0] == "ru"
