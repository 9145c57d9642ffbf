"""The console's words in English, German and Russian (issue 26, first part): every word of the
page in every catalogue, numbers kept, and each person's language at the console."""

from __future__ import annotations

import queue
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import pytest

from controller.app.site_config import SiteConfigError, site_config
from controller.cli.run_cmd import _note_event
from controller.clinic.setup import CONTRAINDICATIONS, Harness, Position, SplitTable
from controller.console.activity import Activity
from controller.core.end_reason import EndReason, SessionEnd
from controller.core.event_words import TRANSITION_WORDS
from controller.core.events import SessionEvent
from controller.core.session_states import State
from controller.maintenance.daily_check import DAILY_STEPS
from controller.maintenance.readiness import Entry, readiness
from controller.people.roles import Role
from controller.records.accounts import (
    AccountError,
    account_changes,
    add_user,
    set_language,
    sign_in,
)
from controller.records.store import SessionStore
from controller.words.catalogue import LANGUAGES, LanguageError, checked, gettext, messages, said
from safety.faults import SafetyFault

PAGE = Path(__file__).resolve().parents[2] / "controller" / "console" / "static" / "index.html"
# what is not a word: the units' symbols (set by the site's units) and file formats
NOT_WORDS = {"N", "kg", "+ 10 N", "\u2212 10 N", "CSV", "JSON"}  # U+2212: the minus sign
pytestmark = pytest.mark.requirement("SR-067")


class _PageWords(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.words: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        self.words |= {v for k, v in attrs if k == "placeholder" and v}

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.words.add(" ".join(data.split()))


def page_words() -> set[str]:
    parser = _PageWords()
    parser.feed(PAGE.read_text(encoding="utf-8"))
    return {w for w in parser.words if re.search(r"[A-Za-z]", w) and w not in NOT_WORDS}


@pytest.mark.parametrize("language", ["de", "ru"])
def test_every_word_of_the_page_is_in_the_catalogue(language: str) -> None:
    table = messages(language)
    missing = sorted(w for w in page_words() if not table.get(w))
    assert not missing, f"{language}: not in the catalogue: {missing}"


@pytest.mark.parametrize("language", ["de", "ru"])
def test_a_translation_keeps_every_number_and_part_of_its_words(language: str) -> None:
    for english, shown in messages(language).items():
        assert re.findall(r"\d+", english) == re.findall(r"\d+", shown), (english, shown)
        assert sorted(re.findall(r"\{\w+\}", english)) == sorted(re.findall(r"\{\w+\}", shown))


def script_words() -> set[str]:
    """What the page writes itself: every tr("...") of its scripts."""
    found: set[str] = set()
    for script in PAGE.parent.glob("*.js"):
        found |= set(re.findall(r'tr\("((?:[^"\\]|\\.)*)"', script.read_text(encoding="utf-8")))
    return found


def table_words() -> set[str]:
    """What the table writes that the page shows: the states, the console's activities, the
    session's events, every fault's instruction, every end of a session with its alarm ("{who}"
    where a name goes), the contraindications, the set-up's choices and the daily check."""
    words = {s.value for s in State} | {a.value for a in Activity}
    for template in TRANSITION_WORDS.values():
        words |= {template.format(by=""), template.format(by=" by {who}")}
    words |= {f.what_to_do for f in SafetyFault if f.what_to_do}
    words |= set(CONTRAINDICATIONS) | {
        x for t in (Position, Harness, SplitTable) for x in get_args(t)
    }
    words |= {step.key for step in DAILY_STEPS} | {step.action.text for step in DAILY_STEPS}
    for reason in EndReason:
        end = SessionEnd(reason, "{who}", 0)
        words |= {end.words, end.outcome} | ({end.alarm[0]} if end.alarm else set())
        words.add(SessionEnd(reason, "{who}", 2).outcome.replace("2", "{n}"))
    return words


@pytest.mark.parametrize("language", ["de", "ru"])
def test_every_word_the_page_writes_or_shows_from_the_table_is_in_the_catalogue(
    language: str,
) -> None:
    table = messages(language)
    missing = sorted(w for w in script_words() | table_words() if not table.get(w))
    assert not missing, f"{language}: not in the catalogue: {missing}"


@pytest.mark.parametrize("language", ["de", "ru"])
def test_why_no_treatment_may_start_is_said_in_the_language(language: str) -> None:
    day = date(2026, 12, 7)
    said_of = [
        *readiness(None, None, day),
        *readiness(Entry(day, False, day, "load 20 kg off by 3 %"), Entry(day, False), day),
        *readiness(Entry(day, True, date(2026, 11, 1)), Entry(day, False, summary="e-stop"), day),
        f"not ready to treat: {'; '.join(readiness(None, None, day))}",
    ]
    for english in said_of:
        shown = said(language, english)
        assert shown != english, english
        assert re.findall(r"\d+", english) == re.findall(r"\d+", shown), (english, shown)


def test_english_is_the_ids_and_an_unknown_word_stays_english() -> None:
    assert messages("en") == {} and gettext("de", "STOP") == "STOPP"
    assert gettext("ru", "STOP") == "СТОП" and gettext("ru", "no such words") == "no such words"
    assert set(LANGUAGES) == {"en", "de", "ru"}
    with pytest.raises(LanguageError, match="'fr': one of en \\(English\\), de \\(Deutsch\\)"):
        checked("fr")


def test_the_site_chooses_a_language_it_has(tmp_path: Path) -> None:
    env = {"TRACTION_SYSTEM_DATA": str(tmp_path)}
    assert site_config(env=env).language == "en"
    assert site_config(env={**env, "TRACTION_LANGUAGE": "ru"}).language == "ru"
    with pytest.raises(SiteConfigError, match="language 'xx'"):
        site_config(env={**env, "TRACTION_LANGUAGE": "xx"})


def test_each_person_reads_the_console_in_their_own_language(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "records.sqlite3")
    admin = add_user(store, "Ada", Role.ADMINISTRATOR, "246813", by=None)
    tess = add_user(store, "Tess", Role.TECHNICIAN, "135791", by=admin)
    assert sign_in(store, "Tess", "135791").language is None  # the site's
    set_language(store, "Tess", "de", by=tess)  # her own
    assert sign_in(store, "Tess", "135791").language == "de"
    add_user(store, "Tom", Role.TECHNICIAN, "975313", by=admin)
    with pytest.raises(AccountError, match="administrator"):
        set_language(store, "Tom", "ru", by=tess)  # not another's, unless an administrator
    set_language(store, "Tom", "ru", by=admin)
    with pytest.raises(LanguageError):
        set_language(store, "Tom", "fr", by=admin)
    set_language(store, "Tess", None, by=tess)
    assert sign_in(store, "Tess", "135791").language is None
    changes = [c["change"] for c in account_changes(store)]
    assert (
        "language de" in changes and "language ru" in changes and "language the site's" in changes
    )
    store.close()


@pytest.mark.parametrize(
    ("language", "todo"),
    [
        ("de", "Verbindung zur Steuerung verloren: prüfen Sie sofort den Patienten"),
        ("ru", "связь с платой потеряна"),
    ],
)
def test_traction_run_says_an_alarm_and_what_to_do_in_the_sites_language(
    language: str, todo: str
) -> None:
    notes: queue.SimpleQueue[str] = queue.SimpleQueue()
    fault = SafetyFault.LINK_FAILURE
    event = SessionEvent(
        1.0,
        "fault",
        "records cannot be written: stopping",
        {"what_to_do": fault.what_to_do},
        "high",
    )
    _note_event(event, notes, language)
    alarm, what = notes.get_nowait(), notes.get_nowait()
    assert alarm.startswith("\a*** HIGH: ") and "records cannot be written" not in alarm
    assert todo in what and what.startswith("    what to do: ")
