"""What `run` and `demo` share about records: open the recorder, close it, draw the report.

The report is drawn when the session ends so that the command can say where it is; a
report that cannot be drawn is a warning (the records are safe in the store and
`traction sessions report ID` can draw it again), never a reason to lose the outcome.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import structlog

from controller.records.recorder import SessionRecorder
from controller.records.store import SessionStore
from controller.runner import Outcome
from controller.site_config import SiteConfig

log = structlog.get_logger(__name__)


def default_operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_recorder(
    site: SiteConfig, *, device_url: str, operator: str | None, patient_ref: str | None
) -> SessionRecorder:
    """Raises RecordsError when the store cannot be used: no treatment without its record."""
    return SessionRecorder(
        site.records,
        operator=operator or default_operator(),
        patient_ref=patient_ref or "",
        device_url=device_url,
    )


def close_recording(
    recorder: SessionRecorder, site: SiteConfig, outcome: Outcome | BaseException, now: float
) -> Path | None:
    """End the session's record with its outcome; returns the report's path when drawn."""
    if recorder.session_id == 0:  # refused before the session began: nothing to close
        recorder.writer.close()
        return None
    if isinstance(outcome, Outcome):
        recorder.sync(outcome.treatment, now)
        recorder.finish(outcome.label, outcome.treatment.states.state, now)
    else:
        recorder.finish(f"error: {type(outcome).__name__}: {outcome}", "unknown", now)
    if recorder.error is not None:
        return None
    from controller.records.report import draw_report  # matplotlib: ~0.4 s, only when drawing

    path = site.report_path(recorder.session_id)
    store = SessionStore(site.records, recover=False)
    try:
        draw_report(store, recorder.session_id, path)
    except (OSError, ValueError, RuntimeError) as exc:
        log.warning("report not drawn", error=str(exc), session_id=recorder.session_id)
        return None
    finally:
        store.close()
    return path
