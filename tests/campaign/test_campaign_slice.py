"""The campaign's CI slice, run as QA runs it (`python -m bench.campaign --scope ci`): every
fault in two session states on two profiles and board variants, one fault of each kind in
every state, normal sessions with patient movement, and SIGKILLs of a recording process."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from bench.campaign.backends import run_all
from bench.campaign.matrix import STATES, matrix
from bench.campaign.sessions import run_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.requirement("SR-039")
@pytest.mark.timeout(600)
def test_the_ci_slice_is_safe_with_no_false_trip_and_nothing_lost(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.campaign", "--scope", "ci", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with (tmp_path / "campaign.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(matrix("ci"))
    faults = [r for r in rows if r["kind"] == "fault"]
    assert {r["state"] for r in faults} == set(STATES)  # every state is met
    assert all(r["injected"] == "True" for r in faults)  # and the fault reached it
    assert all(r["safe"] == "True" for r in rows)
    assert all(float(r["over_n"]) == 0 for r in rows)
    text = (tmp_path / "campaign.md").read_text(encoding="utf-8")
    assert "**PASS**" in text and "0 false trips" in text


@pytest.mark.requirement("SR-039")
def test_a_cell_is_deterministic() -> None:
    """The same cell twice gives the same row: any backend gives the same table."""
    cell = next(c for c in matrix("ci") if c.kind == "fault" and c.fault == "runaway")
    assert run_cell(cell) == run_cell(cell)


@pytest.mark.requirement("SR-039")
@pytest.mark.timeout(300)
def test_a_dask_cluster_gives_the_local_pool_s_table() -> None:
    cells = [c for c in matrix("ci") if c.kind == "fault"][:6]
    local = list(run_all(cells, "local", workers=2))
    dask = list(run_all(cells, "dask", workers=2))
    assert dask == local
    assert [r.key for r in dask] == [c.key for c in cells]  # in the matrix's order
