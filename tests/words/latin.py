"""English left in a Russian text: the test that no word shown to a person is missing from
the catalogue. Russian is written in Cyrillic, so any Latin word on a Russian screen, report or
message is either data (a name, a reference, an address, a hash) or a word the catalogue lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Latin that is not English: the names of standards and formats, and what a person reads as a
# code (PIN), in Russian as in English
NOT_ENGLISH = frozenset(
    {"CSV", "JSON", "FHIR", "PDF", "PNG", "UTC", "ICD", "PIN", "SHA", "sha256", "NRS", "EMG"}
)
# data: URLs, file paths, register addresses, a command's options and commands quoted
_ADDRESS = re.compile(r"\w+://\S*|(?:/[\w.-]+)+|\b0x[0-9a-fA-F]+|--[\w-]+|`[^`]*`")
_HEX = re.compile(r"[0-9a-f]{16,}|(?=[0-9a-f]*\d)[0-9a-f]{6,}")  # hashes and ids
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def english_words(text: str, data: Iterable[str] = ()) -> list[str]:
    """The Latin words of `text` that are neither data (`data`: the names, references and
    values the test itself typed or the table reports) nor the names of standards."""
    allowed = NOT_ENGLISH | {w for d in data for w in _WORD.findall(d)}
    text = _ADDRESS.sub(" ", text)
    return [w for w in _WORD.findall(text) if w not in allowed and not _HEX.fullmatch(w)]


def untranslated(texts: Iterable[str], data: Iterable[str] = ()) -> dict[str, list[str]]:
    """Each text with English in it, and its English words."""
    data = list(data)
    return {t: words for t in texts if (words := english_words(t, data))}
