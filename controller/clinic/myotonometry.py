"""Myotonometry beside the pain scores: the muscles' tone measured by hand before and after.

Why: the literature judges traction's effect by "tonus metric and EMG"; a clinic with a
myotonometer (MyotonPRO and the like) measures the paravertebral muscles' natural frequency
(Hz) and dynamic stiffness (N/m) before and after the session. The table only keeps what is
measured, beside the pain scores, as notes to the sealed record; it never acts on them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

WHEN = ("before", "after")


class Myotonometry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    frequency_hz: float = Field(ge=5.0, le=50.0)  # the range myotonometers report
    stiffness_n_m: float = Field(ge=50.0, le=3000.0)

    def describe(self) -> str:
        return f"{self.frequency_hz:g} Hz, {self.stiffness_n_m:g} N/m"


def parse_myotonometry(text: str) -> Myotonometry:
    """`FREQUENCY_HZ,STIFFNESS_N_M` (e.g. `15.2,310`); ValueError naming what is wrong."""
    parts = [
        p.strip().lower().removesuffix("hz").removesuffix("n/m").strip() for p in text.split(",")
    ]
    if len(parts) != 2:
        raise ValueError(f"{text!r}: give FREQUENCY_HZ,STIFFNESS_N_M, e.g. 15.2,310")
    try:
        return Myotonometry(frequency_hz=float(parts[0]), stiffness_n_m=float(parts[1]))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{text!r}: {problems}") from None
        raise ValueError(f"{text!r}: the frequency and the stiffness are numbers") from None
