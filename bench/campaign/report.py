"""The campaign's table (CSV, every cell) and its summary (Markdown, what docs/benchmarks.md
shows): per fault and session state, how many cells ended safe, the worst force beyond the
allowance, detection and release times; normal sessions and false trips; kills and losses."""

from __future__ import annotations

import csv
import dataclasses
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench.campaign.matrix import FAULTS, NOT_RUNTIME, STATES
from bench.campaign.sessions import Result


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    cells: int
    unsafe: int
    over: int  # cells with force beyond the allowance
    false_trips: int
    normal: int
    kills: int
    lost: int  # kills that lost committed records or failed to verify

    @property
    def passed(self) -> bool:
        return not (self.unsafe or self.over or self.false_trips or self.lost)


def verdict(results: Sequence[Result]) -> Verdict:
    faults = [r for r in results if r.kind == "fault"]
    normal = [r for r in results if r.kind == "normal"]
    kills = [r for r in results if r.kind == "kill"]
    return Verdict(
        len(results),
        sum(not r.safe for r in faults + normal),
        sum(r.over_n > 0 for r in faults + normal),
        sum(r.false_trip for r in normal),
        len(normal),
        len(kills),
        sum(not r.safe for r in kills),
    )


def write_csv(results: Sequence[Result], path: Path) -> None:
    names = [f.name for f in dataclasses.fields(Result)]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(names)
        for r in results:
            w.writerow([getattr(r, n) for n in names])


def _ms(values: list[float]) -> str:
    seen = [v for v in values if not math.isnan(v)]
    if not seen:
        return "-"
    return f"{statistics.median(seen) * 1e3:.0f} / {max(seen) * 1e3:.0f}"


def markdown(results: Sequence[Result], title: str, seconds: float, workers: int) -> str:
    v = verdict(results)
    faults = [r for r in results if r.kind == "fault"]
    out = [
        f"## {title}",
        "",
        f"{v.cells} cells in {seconds:.0f} s on {workers} worker(s). "
        f"**{'PASS' if v.passed else 'FAIL'}**: {v.unsafe} unsafe, {v.over} beyond the "
        f"allowance, {v.false_trips} false trips in {v.normal} normal sessions, {v.lost} of "
        f"{v.kills} kills lost committed records or failed to verify.",
        "",
    ]
    if faults:
        by: dict[tuple[str, str], list[Result]] = defaultdict(list)
        for r in faults:
            by[(r.fault, r.state)].append(r)
        states = [s for s in STATES if any(k[1] == s for k in by)]
        out += [
            "Faults x session states: safe cells / cells (every profile, variant and seed "
            "of the scope). A cell is safe when the session ended by itself with the patient "
            "released, or with a high-priority alarm that the release could not be confirmed.",
            "",
            "| fault | " + " | ".join(states) + " | worst beyond allowance | detect ms p50 / max "
            "| release ms p50 / max |",
            "| --- | " + " | ".join("---" for _ in states) + " | --- | --- | --- |",
        ]
        for label, _, _ in FAULTS:
            rows = [r for r in faults if r.fault == label]
            if not rows:
                continue
            cells = []
            for s in states:
                here = by.get((label, s), [])
                cells.append(f"{sum(r.safe for r in here)}/{len(here)}" if here else "-")
            worst = max(r.over_n for r in rows)
            out.append(
                f"| {label} | " + " | ".join(cells) + f" | {worst:.1f} N | "
                f"{_ms([r.detect_s for r in rows])} | {_ms([r.release_s for r in rows])} |"
            )
        out.append("")
        out += [f"- not in the runtime matrix: {k}: {why}" for k, why in NOT_RUNTIME.items()]
        out.append("")
    normal = [r for r in results if r.kind == "normal"]
    if normal:
        out.append(
            f"Normal sessions (every preset on every profile of its region, with patient "
            f"movement): {len(normal)}, false trips {v.false_trips}, worst beyond the "
            f"allowance {max(r.over_n for r in normal):.1f} N."
        )
        out.append("")
    kills = [r for r in results if r.kind == "kill"]
    if kills:
        out.append(
            f"SIGKILL of a recording `traction demo` at random moments: {len(kills)}, "
            f"committed records lost or not verifying: {v.lost}."
        )
        out.append("")
    bad = [r for r in results if not r.safe or r.over_n > 0 or r.false_trip]
    if bad:
        out += ["Cells that failed:", ""]
        out += [f"- {r.key}: {r.outcome} ({r.detail})" for r in bad[:50]]
        out.append("")
    return "\n".join(out)
