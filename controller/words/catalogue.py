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
from babel.numbers import get_decimal_symbol

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


def said(language: str, text: str, _depth: int = 0) -> str:
    """Words the table wrote in English, in `language`: the catalogue's entry; or one of its
    templates, each part said again ("paused by {who}" with who "operator Ann"); or a quantity
    ("12.5 mm") with the language's decimal sign and unit; else the English."""
    if language == DEFAULT:
        return text  # the ids are English: no lookup, no patterns
    table = messages(language)
    if text in table:
        return table[text]
    if m := QUANTITY.match(text):
        return _quantity(language, m)
    if _depth > 0 and NUMBER.match(text):  # a number as a part of a template's words
        return number(language, text)
    if _depth >= MAX_DEPTH:
        return text
    for pattern, names, shown in _templates(language):
        m = pattern.match(text)
        if m:
            parts = {
                n: said(language, v, _depth + 1) for n, v in zip(names, m.groups(), strict=True)
            }
            return _filled(shown, parts)
    return text


# a number and a unit as the table writes them ("5.4 s", "-12 %"): said with the language's
# decimal sign and the unit's symbol (the units are catalogue entries: "N" is "Н" in Russian)
UNITS = (
    "N/mm",
    "N/s",
    "N/m",
    "kgf",
    "lbf",
    "kg",
    "lb",
    "mm",
    "cm",
    "uV",
    "Hz",
    "deg",
    "min",
    "N",
    "s",
    "%",
)
QUANTITY = re.compile(rf"^([-+]?\d+(?:\.\d+)?)( ?)({'|'.join(re.escape(u) for u in UNITS)})$")
NUMBER = re.compile(r"^[-+]?\d+\.\d+$")
MAX_DEPTH = 3  # parts of parts of parts: enough for any words the table writes


def _quantity(language: str, m: re.Match[str]) -> str:
    return f"{number(language, m.group(1))}{m.group(2)}{gettext(language, m.group(3))}"


def number(language: str, digits: str) -> str:
    """A number as written ("12.5"), with the language's decimal sign (12,5 in German)."""
    return digits.replace(".", decimal_sign(language))


@cache
def decimal_sign(language: str) -> str:
    return str(get_decimal_symbol(language))


def _filled(words: str, parts: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda w: parts.get(w.group(1), w.group(0)), words)


Speaker = Callable[..., str]  # say(words, **parts) in one language


def speaker(language: str) -> Speaker:
    """say(words, **parts): the words in `language`, {parts} filled in (the ids: English)."""

    def say(words: str, **parts: object) -> str:
        return gettext(language, words).format(**parts)

    return say
