"""A disk that refuses writes mid-session: an alarm and a controlled stop, nothing silent.

The failure is real: the demo runs with RLIMIT_FSIZE below what the store will need, so the
kernel refuses SQLite's write (EFBIG) part-way through the treatment.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from bench.campaign.kills import demo_command
from controller.records.store import SessionStore

ROOT = Path(__file__).resolve().parents[2]
FILE_LIMIT_BYTES = 3 * 1024 * 1024  # the 15-minute demo's store grows past 7 MB


def limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT_BYTES, FILE_LIMIT_BYTES))


@pytest.mark.requirement("SR-018")
def test_a_failed_write_stops_the_session_with_an_alarm(tmp_path: Path) -> None:
    db = tmp_path / "records.sqlite3"
    proc = subprocess.run(
        demo_command(db),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_file_size,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ALARM: records could not be written" in proc.stderr
    # the treatment was stopped early, with its ramp down and release, not run to its end
    summary = next(line for line in proc.stdout.splitlines() if line.startswith("session "))
    assert summary.startswith("session stopped, released: the records could not be"), summary
    planned, ran = (float(w) for w in _numbers(summary)[:2])
    assert ran < planned - 60.0, summary
    # what the store refused is beside it, not lost
    (rescued,) = tmp_path.glob("records.sqlite3.unsaved-session-*.jsonl")
    lines = [json.loads(x) for x in rescued.read_text().splitlines()]
    assert any("sample" in x for x in lines) and any("end" in x for x in lines)
    # and what it had committed before the failure is intact
    store = SessionStore(db)
    assert store.verify() == []
    assert len(store.samples(1)) > 0


def _numbers(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w.replace(".", "", 1).isdigit()]
