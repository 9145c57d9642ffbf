"""Opening a session's recorder, for every front end: no treatment without its record.

Closing the record and drawing the report belong to the session owner
(`TreatmentSession.finish`); a report that cannot be drawn is a warning (the records are safe
in the store and `traction sessions report ID` can draw it again), never a lost outcome.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from controller.records.prescribing import ClinicalStart
from controller.records.recorder import SessionRecorder


def default_operator() -> str:
    """The signed-in user of this computer, when no operator is named."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_recorder(
    records: Path,
    *,
    device_url: str,
    operator: str | None,
    patient_ref: str | None,
    clinical: ClinicalStart | None = None,
    language: str = "en",
) -> SessionRecorder:
    """Raises RecordsError when the store cannot be used: no treatment without its record."""
    return SessionRecorder(
        records,
        operator=operator or default_operator(),
        patient_ref=patient_ref or "",
        device_url=device_url,
        clinical=clinical,
        language=language,
    )
