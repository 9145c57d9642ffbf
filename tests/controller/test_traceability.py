"""The matrix: tests found by their requirement markers in JUnit XML; every gap named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from controller.app.traceability import Trace, read_junit
from safety.hazards import load_case

ROOT = Path(__file__).resolve().parents[2]
CASE = load_case()


def junit(path: Path, cases: list[tuple[str, str, list[str]]]) -> Path:
    """A JUnit XML file as pytest writes it: (test name, outcome, requirement ids)."""
    body = []
    for name, outcome, ids in cases:
        props = "".join(f'<property name="requirement" value="{i}"/>' for i in ids)
        extra = {"failed": "<failure message='x'/>", "skipped": "<skipped message='x'/>"}.get(
            outcome, ""
        )
        body.append(
            f'<testcase classname="tests.t" name="{name}" time="0.1">'
            f"<properties>{props}</properties>{extra}</testcase>"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="pytest">'
        + "".join(body)
        + "</testsuite></testsuites>"
    )
    return path


def every_requirement(outcome: str = "passed") -> list[tuple[str, str, list[str]]]:
    return [(f"test_{r.id}", outcome, [r.id]) for r in CASE.requirements]


def test_all_requirements_proved_means_no_gap(tmp_path: Path) -> None:
    trace = Trace(CASE, read_junit(junit(tmp_path / "a" / "junit.xml", every_requirement())))
    assert trace.problems() == []
    text = trace.markdown()
    assert "H-05" in text and "SR-007" in text and "None." in text


def test_a_requirement_whose_marker_was_removed_is_a_gap_named(tmp_path: Path) -> None:
    cases = [c for c in every_requirement() if c[2] != ["SR-012"]]
    trace = Trace(CASE, read_junit(junit(tmp_path / "a" / "junit.xml", cases)))
    (gap,) = trace.problems()
    assert gap.startswith("SR-012 (controls H-09, H-11): no test")


def test_a_failed_or_only_skipped_test_is_not_proof(tmp_path: Path) -> None:
    cases = every_requirement()
    cases[0] = (cases[0][0], "failed", cases[0][2])
    cases[1] = (cases[1][0], "skipped", cases[1][2])
    trace = Trace(CASE, read_junit(junit(tmp_path / "a" / "junit.xml", cases)))
    assert [p.split(" ")[0] for p in trace.problems()] == ["SR-001", "SR-002"]
    assert "FAIL" in trace.problems()[0] and "not run" in trace.problems()[1]


def test_a_test_naming_an_unknown_requirement_is_a_gap(tmp_path: Path) -> None:
    cases = [*every_requirement(), ("test_x", "passed", ["SR-999"])]
    trace = Trace(CASE, read_junit(junit(tmp_path / "a" / "junit.xml", cases)))
    assert trace.problems() == ["tests.t::test_x names SR-999, which is not a requirement"]


def test_the_trace_command_writes_the_matrix_and_fails_on_a_gap(tmp_path: Path) -> None:
    def trace(*files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "controller.cli.main",
                "trace",
                *map(str, files),
                "--out",
                str(tmp_path / "m.md"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    ok = trace(junit(tmp_path / "ok" / "junit.xml", every_requirement()))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "m.md").read_text().startswith("# Traceability matrix")
    gap = trace(junit(tmp_path / "gap" / "junit.xml", every_requirement()[1:]))
    assert gap.returncode == 1 and "gap: SR-001" in gap.stderr
    assert trace().returncode == 1  # no results at all: nothing is proved
