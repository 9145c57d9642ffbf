"""Protocols saved from a session into the library (issue 13): as the session ran them, under a
new name, never overwritten, and prescribed like a preset -- through the real session, the
store and the `traction` command."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from controller.app.composition import open_link
from controller.core.control_loop import CycleRecord
from controller.core.treatment import Treatment
from controller.protocols.checks import ProtocolError
from controller.protocols.models import Intermittent, ProtocolFile
from controller.protocols.retime import Timing
from controller.records.recorder import SessionRecorder
from controller.records.saved_protocols import (
    as_run,
    find_saved,
    library,
    resolve,
    save_from_session,
    saved_rows,
)
from controller.records.store import RecordsError, SessionStore
from controller.run.session import TreatmentSession
from safety.limits import load_limits
from tests.cli.test_cli import traction
from tests.helpers import ready_records

pytestmark = pytest.mark.requirement("SR-037")
PROTOCOL = Intermittent(hold_force_n=120, hold_s=8, rest_force_n=60, rest_s=4, total_s=24)
TECH = "operator tech-4"


def treat(db: Path, *, change: bool) -> int:
    """One session; with `change`, +10 N and a 5 s hold asked in the first hold."""
    url = "sim://?seed=8"
    link = open_link(url).link
    rec = SessionRecorder(db, operator="tech-4", patient_ref="P-9", device_url=url)
    session = TreatmentSession(
        link, ProtocolFile(name="tried", protocol=PROTOCOL), load_limits(), 75.0, recorder=rec
    )
    asked = not change

    def script(treatment: Treatment, _record: CycleRecord) -> None:
        nonlocal asked
        if not asked and treatment.phase == "hold" and treatment.timer_s > 8:
            session.ask("force", TECH, 10.0)
            session.ask("timing", TECH, timing=Timing(hold_s=5))
            asked = True

    outcome = session.run(on_cycle=script)
    session.finish(link.clock.now())
    assert outcome.state.value == "complete"
    return rec.session_id


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return ready_records(tmp_path / "records.sqlite3")


def test_saved_as_run_with_the_changes_listed_and_where_it_came_from(db: Path) -> None:
    sid = treat(db, change=True)
    store = SessionStore(db)
    try:
        run, changes = as_run(store, sid)
        proto = run.protocol
        assert isinstance(proto, Intermittent)
        assert (proto.hold_force_n, proto.rest_force_n, proto.hold_s) == (130, 70, 5)
        assert proto.rest_s == 4 and proto.total_s == 24
        assert changes[-1] == "forces +10 N" and changes[0].startswith("times: hold 5 s")
        saved = save_from_session(store, sid, "P-9 lumbar gentle", "tech-4", "light lumbar")
        assert saved.description.startswith(f"light lumbar (saved from session {sid} of ")
        assert "forces +10 N" in saved.description
        assert find_saved(store, "P-9 lumbar gentle") == saved
        row = saved_rows(store)[0]
        assert (row["from_session"], row["saved_by"]) == (sid, "tech-4")
        assert resolve(store, "P-9 lumbar gentle") == saved
        assert "lumbar-static" in library(store) and "P-9 lumbar gentle" in library(store)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("lumbar-static", "is taken"),  # a preset's
        ("kept", "is taken"),  # saved already: never overwritten
        ("", "1-80 letters"),
        ("../etc/passwd", "1-80 letters"),  # a name, never a path
        ("x" * 81, "1-80 letters"),
    ],
)
def test_a_name_taken_or_not_a_name_is_refused(db: Path, name: str, why: str) -> None:
    sid = treat(db, change=False)
    store = SessionStore(db)
    try:
        first = save_from_session(store, sid, "kept", "tech-4")
        with pytest.raises(RecordsError, match=why):
            save_from_session(store, sid, name, "tech-4")
        assert find_saved(store, "kept") == first
        with pytest.raises(RecordsError, match="no session 99"):
            save_from_session(store, 99, "other", "tech-4")
        with pytest.raises(ProtocolError, match="no such protocol or file; the library:"):
            resolve(store, "nothing-by-that-name")
    finally:
        store.close()
    # the store refuses a second row of one name by itself
    with sqlite3.connect(db) as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO saved_protocols (name, description, protocol_json, from_session, "
            "saved_by, saved_at) VALUES ('kept', '', '{}', 1, 'x', 'now')"
        )


def test_saved_from_the_command_line_then_prescribed_like_a_preset(db: Path) -> None:
    treat(db, change=True)
    rec = ("--records", str(db))
    saved = traction("sessions", *rec, "save", "1", "--name", "gentle-8", "--by", "tech-4")
    assert saved.returncode == 0, saved.stderr
    assert "saved as 'gentle-8' in the library" in saved.stdout
    again = traction("sessions", *rec, "save", "1", "--name", "gentle-8")
    assert again.returncode == 2 and "is taken" in again.stderr
    listed = traction("protocols", *rec)
    assert "gentle-8" in listed.stdout and "[saved by tech-4]" in listed.stdout
    assert "[preset]" in listed.stdout
    ran = traction("run", "gentle-8", "--weight", "70", "--device", "sim://", *rec)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "force: gentle-8 as written, peak 130.0 N" in ran.stdout
    light = traction("run", "gentle-8", "--weight", "20", "--device", "sim://", *rec)
    assert light.returncode == 0, light.stdout + light.stderr  # fitted, as a preset is
    assert "gentle-8 scaled x0.815 to 105.9 N: fitted to 90% of the limit 117.7 N" in light.stdout
    strong = traction(
        "run", "gentle-8", "--weight", "20", "--dose", "130N", "--device", "sim://", *rec
    )
    assert strong.returncode == 2 and "above the session force limit" in strong.stderr
