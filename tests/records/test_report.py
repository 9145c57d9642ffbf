"""The report renders for every protocol type, with its phases as bands and its events."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import pytest

from controller.cli.main import main
from controller.records.report import draw_report, event_marks, phase_bands
from controller.records.store import SessionStore
from tests.records.sessions import SHORT, recorded

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("kind", sorted(SHORT))
def test_the_report_renders_for_every_protocol_type(kind: str, tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    outcome, rec = recorded(db, SHORT[kind])
    store = SessionStore(db)
    report = draw_report(store, rec.session_id, tmp_path / "report.png")
    assert report.path.read_bytes()[:8] == PNG_MAGIC
    height, width, _ = matplotlib.image.imread(report.path).shape
    assert width > 1000 and height > 600
    phases = {b.phase for b in report.bands}
    assert {"slack take-up", "release"} <= phases
    planned = {seg.phase for seg in outcome.checked.profile.segments if seg.duration_s > 0.1}
    assert planned <= phases, planned - phases  # every planned phase is drawn as a band
    assert report.samples == len(store.samples(rec.session_id))
    assert report.events == sum(1 for e in store.events(rec.session_id) if e.t_s is not None)
    # the bands cover the session end to end, in order, without gaps
    assert all(a.end_s == b.start_s for a, b in zip(report.bands, report.bands[1:], strict=False))


def test_phase_bands_follow_the_samples() -> None:
    bands = phase_bands([0.0, 1.0, 2.0, 3.0, 4.0], ["a", "a", "b", "b", "a"])
    assert [(b.phase, b.start_s, b.end_s) for b in bands] == [
        ("a", 0.0, 2.0),
        ("b", 2.0, 4.0),
        ("a", 4.0, 4.0),
    ]


def test_events_close_together_share_a_marker_coloured_by_the_worst(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    _, rec = recorded(db)
    events = SessionStore(db).events(rec.session_id)
    marks = event_marks(events, span_s=1000.0)  # the whole short session within 1 %
    assert sum(m.count for m in marks) == sum(1 for e in events if e.t_s is not None)
    assert any(m.colour == "darkorange" for m in marks)  # the completion alarm wins its group


def test_the_cli_draws_exports_and_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "r.sqlite3"
    _, rec = recorded(db, SHORT["cyclic"])
    sid = str(rec.session_id)
    base = ["sessions", "--records", str(db)]
    assert main([*base, "report", sid]) == 0
    png = tmp_path / "reports" / f"session-{sid}.png"
    assert png.read_bytes()[:8] == PNG_MAGIC and str(png) in capsys.readouterr().out
    assert main([*base, "export", sid, "--csv", "--out", str(tmp_path / "s.csv")]) == 0
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0].startswith("cycle,t_s,target_n") and len(lines) > 100
    capsys.readouterr()
    assert main([*base, "export", sid, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["session"]["protocol"]["protocol"]["kind"] == "cyclic"
    assert doc["events"][0]["message"] == "session started"
    assert main([*base, "show", sid]) == 0
    shown = capsys.readouterr().out
    assert "operator          tester" in shown and "session ended: complete" in shown
    assert main([*base, "list"]) == 0
    assert "short-cyclic" in capsys.readouterr().out
    assert main([*base, "show", "99"]) == 2
    assert "no session 99" in capsys.readouterr().err
