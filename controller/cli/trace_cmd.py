"""`traction trace`: write the traceability matrix and fail on any gap (exit 1).

Exit codes: 0 every hazard controlled and every requirement proved by a passing test; 1 a gap
(each named on stderr); 2 the hazard or requirement files are invalid, or a JUnit file cannot
be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.etree.ElementTree import ParseError

from controller.app.traceability import Trace, read_junit
from safety.hazards import HazardsError, load_case

EXIT_GAP = 1
EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("trace", help="hazards -> requirements -> tests: write the matrix")
    p.add_argument("junit", nargs="*", type=Path, help="JUnit XML files of the test runs")
    p.add_argument("--out", type=Path, default=Path("docs/traceability.md"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    err = sys.stderr.write
    try:
        case = load_case()
        runs = [run for path in args.junit for run in read_junit(path)]
    except HazardsError as exc:
        err(f"traction trace: {exc}\n")
        return EXIT_INVALID
    except (OSError, ParseError) as exc:
        err(f"traction trace: cannot read test results: {exc}\n")
        return EXIT_INVALID
    trace = Trace(case, runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(trace.markdown(), encoding="utf-8")
    problems = trace.problems()
    sys.stdout.write(
        f"traceability: {len(case.hazards)} hazards, {len(case.requirements)} requirements, "
        f"{len(runs)} test results -> {args.out}; gaps: {len(problems)}\n"
    )
    for p in problems:
        err(f"traction trace: gap: {p}\n")
    return EXIT_GAP if problems else 0
