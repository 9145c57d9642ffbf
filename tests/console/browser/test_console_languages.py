"""The console in German and in Russian (issue 26, first part): a site's language on every
screen's own words, a treatment run in it, and numbers as the language writes them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from controller.words.catalogue import gettext
from tests.console.browser.conftest import Console, shot, start_console, stop_console
from tests.console.browser.test_console_browser import WAIT_MS, open_page, start

SCREENS = ("table", "checks", "patients", "prepare", "history")


# (language, force unit, how the language writes the 80 N hold in that unit)
SITES = [("de", "N", "80"), ("ru", "kgf", "8,2")]


@pytest.fixture(scope="module", params=SITES, ids=[s[0] for s in SITES])
def speaking(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Console]]:
    language, unit, held = request.param
    env = {"TRACTION_LANGUAGE": language, "TRACTION_FORCE_UNIT": unit}
    c = start_console(tmp_path_factory.mktemp(language), env_extra=env)
    yield language, held, c
    stop_console(c)


@pytest.mark.requirement("SR-067")
def test_a_whole_treatment_in_the_sites_language(
    speaking: tuple[str, str, Console], browser: Any
) -> None:
    language, held, console = speaking
    page = open_page(console, browser)
    page.wait_for_function(f"document.documentElement.lang === '{language}'", timeout=WAIT_MS)
    for screen in SCREENS:
        page.click(f".tab[data-go={screen}]")
        shot(page, f"{screen}-{language}")
    tabs = page.locator(".tab").all_text_contents()
    assert gettext(language, "Treatment") in [t.strip() for t in tabs]
    assert (page.text_content("#btn-stop") or "").strip() == gettext(language, "STOP")
    start(page)
    page.wait_for_function("window.__state.live.phase === 'hold'", timeout=60_000)
    assert page.text_content("#n-set") == held  # 8,2 kgf: a decimal comma in Russian
    shot(page, f"treatment-{language}")
    page.click("#btn-stop")
    page.wait_for_function("window.__state.activity === 'awaiting acknowledgement'", timeout=60_000)
    page.click("#btn-ack")
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)
    shot(page, f"summary-{language}")
    page.close()
    with sqlite3.connect(console.records) as db:  # the session's language: its report's
        (recorded,) = db.execute("SELECT language FROM sessions ORDER BY id DESC").fetchone()
    assert recorded == language
