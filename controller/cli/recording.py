"""What `run` and `demo` share about records: open the recorder for a session.

Closing the record and drawing the report belong to the session owner
(`TreatmentSession.finish`); a report that cannot be drawn is a warning (the records are safe
in the store and `traction sessions report ID` can draw it again), never a lost outcome.
"""

from __future__ import annotations

import getpass

from controller.records.prescribing import ClinicalStart
from controller.records.recorder import SessionRecorder
from controller.site_config import SiteConfig


def default_operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_recorder(
    site: SiteConfig,
    *,
    device_url: str,
    operator: str | None,
    patient_ref: str | None,
    clinical: ClinicalStart | None = None,
) -> SessionRecorder:
    """Raises RecordsError when the store cannot be used: no treatment without its record."""
    return SessionRecorder(
        site.records,
        operator=operator or default_operator(),
        patient_ref=patient_ref or "",
        device_url=device_url,
        clinical=clinical,
    )
