"""The dose the patient actually received, from the recorded samples: pure.

What a clinician compares from visit to visit is not the protocol but what was delivered:
how long the patient was held at the prescribed force, the force-time integral of the whole
pull, and how closely the holds followed their target. Computed from the record alone, so
any reviewer gets the same figures from the same store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from controller.clinic.units import Units
from controller.words.catalogue import number, said, speaker

HOLD_SUFFIX = "hold"  # phases named "hold", "step 2: hold", ...


@dataclass(frozen=True, slots=True)
class Delivered:
    time_at_force_s: float  # in hold phases
    force_time_n_s: float  # integral of the measured force over the session
    hold_error_mean_n: float | None  # mean |measured - target| in the holds
    peak_n: float  # highest measured force

    def lines(self, units: Units | None = None, language: str = "en") -> list[str]:
        """In the site's force unit, with the record's newtons beside it when that is not N;
        in the session's language."""
        u = units or Units()
        say = speaker(language)

        def both(newtons: float, digits: int) -> str:
            shown = said(language, u.show_force(newtons, digits))
            record = said(language, f"{newtons:.{digits}f} N")
            return shown if u.force == "N" else f"{shown} ({record})"

        err = "-" if self.hold_error_mean_n is None else both(self.hold_error_mean_n, 2)
        minutes, kns = f"{self.time_at_force_s / 60:.1f}", f"{self.force_time_n_s / 1000:.1f}"
        return [
            say("time at force {minutes} min", minutes=number(language, minutes)),
            say("force-time integral {kns} kN s", kns=number(language, kns)),
            say("hold error mean {error}", error=err),
            say("peak measured {peak}", peak=both(self.peak_n, 1)),
        ]


def delivered(samples: Sequence[Any]) -> Delivered:
    """`samples`: rows with t_s, target_n, force_a_n, force_b_n, phase (the store's)."""
    at_force = integral = 0.0
    errors: list[float] = []
    peak = 0.0
    for a, b in pairwise(samples):
        dt = b["t_s"] - a["t_s"]
        force = _larger(a["force_a_n"], a["force_b_n"])
        if force is None:
            continue
        integral += force * dt
        peak = max(peak, force)
        if str(a["phase"]).endswith(HOLD_SUFFIX):
            at_force += dt
            if a["target_n"] is not None:
                errors.append(abs(force - a["target_n"]))
    return Delivered(at_force, integral, sum(errors) / len(errors) if errors else None, peak)


def _larger(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None


def stiffness_n_mm(samples: Sequence[Any], slack_n: float = 20.0) -> float | None:
    """The patient's stiffness as the record shows it: the least-squares slope of measured
    force against carriage position while the force was rising above the slack (N/mm)."""
    xs: list[float] = []
    ys: list[float] = []
    for s in samples:
        force = _larger(s["force_a_n"], s["force_b_n"])
        rising = "ramp" in str(s["phase"]) and force is not None and force > slack_n
        if rising and force is not None and s["position_m"] is not None:
            xs.append(s["position_m"] * 1e3)
            ys.append(force)
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
