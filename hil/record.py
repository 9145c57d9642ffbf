"""One test record per run (OpenHTF's idea): JSON for machines, Markdown for a reviewer.

The JSON holds the target, the software version, the board's identity, and for every test
its requirement, outcome, duration, measurements with limits, operator prompts and answers,
skip reason and plots. The Markdown report says the same with the force plots inline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hil.measurements import Measurement
from hil.operator import Prompt
from hil.targets import Target
from safety.hazards import load_case


@dataclass
class TestResult:
    nodeid: str
    requirement: str
    outcome: str = "not run"  # passed | failed | skipped | error
    requirements: list[str] = field(default_factory=list)  # SR-nnn ids the test proves
    duration_s: float = 0.0
    measurements: list[Measurement] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    message: str = ""

    def as_dict(self, root: Path) -> dict[str, Any]:
        return {
            "test": self.nodeid,
            "requirement": self.requirement,
            "requirements": self.requirements,
            "outcome": self.outcome,
            "duration_s": round(self.duration_s, 3),
            "measurements": [m.as_dict() for m in self.measurements],
            "operator_prompts": [
                {k: getattr(p, k) for k in p.__slots__} | {"confirmed": p.confirmed}
                for p in self.prompts
            ],
            "plots": [str(p.relative_to(root)) for p in self.plots],
            "message": self.message,
        }


@dataclass
class RunRecord:
    target: Target
    target_file: str
    out: Path
    software_version: str
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    board_identity: dict[str, Any] | None = None
    results: dict[str, TestResult] = field(default_factory=dict)

    def result(self, nodeid: str, requirement: str = "") -> TestResult:
        if nodeid not in self.results:
            self.results[nodeid] = TestResult(nodeid, requirement)
        elif requirement:
            self.results[nodeid].requirement = requirement
        return self.results[nodeid]

    @property
    def outcome(self) -> str:
        outcomes = {r.outcome for r in self.results.values()}
        return "FAIL" if outcomes & {"failed", "error"} else "PASS"

    def write(self) -> tuple[Path, Path]:
        self.out.mkdir(parents=True, exist_ok=True)
        doc = {
            "outcome": self.outcome,
            "target": self.target.model_dump(mode="json"),
            "target_file": self.target_file,
            "software_version": self.software_version,
            "board_identity": self.board_identity,
            "started": self.started,
            "ended": datetime.now(UTC).isoformat(timespec="seconds"),
            "counts": self._counts(),
            "tests": [r.as_dict(self.out) for r in self.results.values()],
            "traceability": self.traceability(),
        }
        record = self.out / "record.json"
        record.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        report = self.out / "report.md"
        report.write_text(self._markdown(doc), encoding="utf-8")
        return record, report

    def _counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results.values():
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        return counts

    def traceability(self) -> list[dict[str, Any]]:
        """The requirements this target's tests prove: requirement, hazards, tests, result."""
        rows = []
        for req in load_case().requirements:
            tests = [r for r in self.results.values() if req.id in r.requirements]
            if not tests:
                continue
            outcomes = {r.outcome for r in tests}
            verdict = (
                "FAIL"
                if outcomes & {"failed", "error"}
                else "pass"
                if "passed" in outcomes
                else "not run"
            )
            rows.append(
                {
                    "requirement": req.id,
                    "statement": req.statement,
                    "hazards": list(req.hazards),
                    "tests": [r.nodeid.split("::")[-1] for r in tests],
                    "result": verdict,
                }
            )
        return rows

    def _matrix(self, rows: list[dict[str, Any]]) -> list[str]:
        out = ["## Safety requirements on this target", ""]
        out += ["| requirement | hazards | tests | result |", "| --- | --- | --- | --- |"]
        for row in rows:
            names = ", ".join(f"`{t}`" for t in row["tests"])
            out.append(
                f"| {row['requirement']} {row['statement']} | {', '.join(row['hazards'])} | "
                f"{names} | {row['result']} |"
            )
        return out

    def _markdown(self, doc: dict[str, Any]) -> str:
        board = self.board_identity or {}
        lines = [
            f"# HIL test report: {self.target.name} -- {self.outcome}",
            "",
            f"- target file: `{self.target_file}` ({self.target.kind}, "
            f"capabilities: {', '.join(sorted(self.target.capabilities)) or 'none'})",
            f"- software: {self.software_version}",
            "- timing limits: "
            + ("enforced" if self.target.enforce_timing else "recorded, not enforced"),
            f"- board: {board.get('vendor', '?')} {board.get('product_code', '?')} rev "
            f"{board.get('revision', '?')}, ICD 0x{int(board.get('icd_version', 0)):04X}",
            f"- run: {doc['started']} to {doc['ended']}; "
            + ", ".join(f"{n} {k}" for k, n in sorted(doc["counts"].items())),
            "",
            "| test | requirement | outcome | time |",
            "| --- | --- | --- | ---: |",
        ]
        for r in self.results.values():
            lines.append(
                f"| `{r.nodeid.split('::')[-1]}` | {r.requirement} | {r.outcome.upper()} | "
                f"{r.duration_s:.1f} s |"
            )
        lines += ["", *self._matrix(doc["traceability"])]
        for r in self.results.values():
            lines += ["", f"## {r.nodeid.split('::')[-1]}: {r.outcome.upper()}", ""]
            if r.requirement:
                lines.append(f"Requirement: {r.requirement}")
                lines.append("")
            if r.message:
                lines += [f"> {r.message.splitlines()[0][:300]}", ""]
            if r.measurements:
                lines += ["| measurement | value | limits | result |", "| --- | ---: | --- | --- |"]
                lines += [
                    f"| {m.name} | {m.shown()} | {m.limits()} | {m.verdict} |"
                    for m in r.measurements
                ]
                lines.append("")
            for p in r.prompts:
                answer = "no answer (timed out)" if p.answer is None else repr(p.answer)
                lines.append(f"- operator ({p.source}, {p.asked_at}): {p.question} -> {answer}")
            lines += [f"![{plot.name}]({plot.relative_to(self.out)})" for plot in r.plots]
        return "\n".join(lines) + "\n"
