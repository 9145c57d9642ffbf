"""The clinic's time zone: every time a person reads is the clinic's; the store keeps UTC.

The site's `time_zone` (an IANA name, e.g. Europe/Berlin; default: this machine's) is set for
the whole process at the start of each command (TZ), so that the day of a daily check, a
weight's date and every time printed follow the clock on the clinic's wall.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from babel.dates import format_date, format_time

LOCALTIME = Path("/etc/localtime")


def use_clinic_time(zone: str | None) -> None:
    if zone:
        os.environ["TZ"] = zone
        time.tzset()


def zone_name() -> str:
    """This process's zone as an IANA name, for the console's page (Intl's timeZone)."""
    if os.environ.get("TZ"):
        return os.environ["TZ"].lstrip(":")
    try:
        target = str(LOCALTIME.resolve())
    except OSError:
        return "UTC"
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def local(utc_iso: str | None, seconds: bool = False, language: str = "en") -> str:
    """A stored UTC time as the clinic reads it: '2026-12-07 21:18 CET' in English (as the
    commands' scripts read it), '07.12.2026, 21:18 CET' in German: Babel's medium date and
    short time in other languages."""
    if not utc_iso:
        return "-"
    at = datetime.fromisoformat(utc_iso)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    at = at.astimezone()
    if language == "en":
        return at.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
    clock = format_time(at, "medium" if seconds else "short", locale=language)
    return f"{format_date(at, 'medium', locale=language)}, {clock} {at.strftime('%Z')}"
