"""Judging a calibration verification: the load cell's readings against reference weights.

Pure: the procedure (controller/maintenance/procedures.py) collects the readings, this
decides. A plan is refused before anything is hung if it cannot see a gain error across the
range (too few loads, all light, or bunched together); each reading passes within
max(1 %, 1 N) of its reference, on both channels, and the cell must return to zero after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from controller.maintenance.policy import (
    COVERAGE_SHARE,
    MIN_LOADS,
    SPREAD_SHARE,
    STANDARD_GRAVITY_M_S2,
    TOLERANCE_MIN_N,
    TOLERANCE_SHARE,
    UNLOADED_N,
)


def newtons(kg: float) -> float:
    return kg * STANDARD_GRAVITY_M_S2


def tolerance_n(reference_n: float) -> float:
    return max(TOLERANCE_SHARE * reference_n, TOLERANCE_MIN_N)


def plan_problems(loads_kg: Sequence[float], device_max_n: float) -> list[str]:
    """Why these reference loads cannot verify the calibration (empty: they can)."""
    loads = sorted(set(loads_kg))
    problems = []
    if any(kg <= 0 for kg in loads):
        problems.append("every reference load must be above 0 kg")
        return problems
    if len(loads) < MIN_LOADS:
        problems.append(f"{len(loads)} distinct reference load(s): at least {MIN_LOADS} needed")
    if loads and newtons(loads[-1]) < COVERAGE_SHARE * device_max_n:
        problems.append(
            f"the heaviest load {loads[-1]:g} kg ({newtons(loads[-1]):.0f} N) is below "
            f"{COVERAGE_SHARE:.0%} of the table's maximum {device_max_n:g} N: the range is "
            f"not covered"
        )
    if len(loads) >= 2 and loads[0] > SPREAD_SHARE * loads[-1]:
        problems.append(
            f"the lightest load {loads[0]:g} kg is above {SPREAD_SHARE:.0%} of the heaviest "
            f"{loads[-1]:g} kg: spread the loads across the range"
        )
    return problems


@dataclass(frozen=True, slots=True)
class Reading:
    reference_kg: float
    force_a_n: float
    force_b_n: float | None  # None: channel B not fitted

    @property
    def reference_n(self) -> float:
        return newtons(self.reference_kg)

    def errors_n(self) -> dict[str, float]:
        out = {"A": self.force_a_n - self.reference_n}
        if self.force_b_n is not None:
            out["B"] = self.force_b_n - self.reference_n
        return out


@dataclass(frozen=True, slots=True)
class PointVerdict:
    reference_kg: float
    reference_n: float
    force_a_n: float
    force_b_n: float | None
    tolerance_n: float
    worst_error_n: float
    passed: bool


@dataclass(slots=True)
class Verdict:
    passed: bool
    points: list[PointVerdict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "points": [asdict(p) for p in self.points],
            "problems": list(self.problems),
        }


def judge(readings: Sequence[Reading], unloaded: Reading | None, device_max_n: float) -> Verdict:
    """Every reading within tolerance on every channel, and zero again once unloaded."""
    problems = plan_problems([r.reference_kg for r in readings], device_max_n)
    points = []
    for r in readings:
        tol = tolerance_n(r.reference_n)
        errors = r.errors_n()
        worst = max(errors.values(), key=abs)
        ok = all(abs(e) <= tol for e in errors.values())
        points.append(
            PointVerdict(
                r.reference_kg, round(r.reference_n, 3), r.force_a_n, r.force_b_n, tol, worst, ok
            )
        )
        if not ok:
            bad = ", ".join(f"{ch} {e:+.2f} N" for ch, e in errors.items() if abs(e) > tol)
            problems.append(
                f"{r.reference_kg:g} kg ({r.reference_n:.1f} N): {bad}, outside ±{tol:.2f} N"
            )
    if unloaded is None:
        problems.append("the return to zero after the loads was not measured")
    else:
        off = {ch: e for ch, e in unloaded.errors_n().items() if abs(e) > UNLOADED_N}
        if off:
            problems.append(
                "unloaded again, the cell reads "
                + ", ".join(f"{ch} {e:+.2f} N" for ch, e in off.items())
                + f" (more than {UNLOADED_N:g} N from zero: hysteresis or creep)"
            )
    return Verdict(not problems, points, problems)
