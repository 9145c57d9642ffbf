"""The message catalogues: one gettext catalogue per language (locale/LANG/LC_MESSAGES/
traction.po), read with Babel, for the Python side and, as JSON, for the console's page.

The message ids are the English words as they are shown, so English needs no catalogue and a
word missing from another language's shows in English rather than as an id; the tests refuse a
word shown by the page that a catalogue lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = {"en": "English", "de": "Deutsch", "ru": "Русский"}  # the language's own name
DEFAULT = "en"
LOCALE = Path(__file__).with_name("locale")
DOMAIN = "traction"


class LanguageError(ValueError):
    """A language the table has no catalogue for; the message lists those it has."""


def checked(language: str) -> str:
    if language not in LANGUAGES:
        raise LanguageError(
            f"language {language!r}: one of {', '.join(f'{k} ({v})' for k, v in LANGUAGES.items())}"
        )
    return language


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def messages(language: str) -> dict[str, str]:
    """msgid -> msgstr of every translated message (English: none, the ids are English)."""
    if checked(language) == DEFAULT:
        return {}
    with po_path(language).open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


def gettext(language: str, words: str) -> str:
    return messages(language).get(words, words)


@cache
def _templates(language: str) -> list[tuple[re.Pattern[str], list[str], str]]:
    """The catalogue's entries with {parts}, most specific first, as patterns (console.js's
    `said` does the same for the page)."""
    out = []
    for english, shown in messages(language).items():
        names = re.findall(r"\{(\w+)\}", english)
        if not names:
            continue
        pattern = "(.+?)".join(re.escape(part) for part in re.split(r"\{\w+\}", english))
        out.append((re.compile(f"^{pattern}$"), names, shown))
    return sorted(out, key=lambda t: -len(t[0].pattern))


def said(language: str, text: str) -> str:
    """Words the table wrote in English, in `language`: the catalogue's entry, or one of its
    templates with the parts as written; else the English."""
    if language == DEFAULT:
        return text  # the ids are English: no lookup, no patterns
    table = messages(language)
    if text in table:
        return table[text]
    for pattern, names, shown in _templates(language):
        m = pattern.match(text)
        if m:
            return _filled(shown, dict(zip(names, m.groups(), strict=True)))
    return text


def _filled(words: str, parts: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda w: parts.get(w.group(1), w.group(0)), words)


def speaker(language: str) -> Callable[..., str]:
    """say(words, **parts): the words in `language`, {parts} filled in (the ids: English)."""

    def say(words: str, **parts: object) -> str:
        return gettext(language, words).format(**parts)

    return say
