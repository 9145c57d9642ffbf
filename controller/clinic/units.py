"""The clinic's units for people: force in N, kgf or lbf, weight in kg or lb.

The table, its limits and its records are in newtons and kilograms, always; the site chooses
what people read and write (`force_unit`, `weight_unit`). Every number shown carries its
unit, so that a figure can never be read in the other one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controller.clinic.dose import KG_PER_LB, STANDARD_GRAVITY_M_S2

N_PER = {"N": 1.0, "kgf": STANDARD_GRAVITY_M_S2, "lbf": KG_PER_LB * STANDARD_GRAVITY_M_S2}
KG_PER = {"kg": 1.0, "lb": KG_PER_LB}
FORCE_DIGITS = {"N": 0, "kgf": 1, "lbf": 1}  # what the live display shows: 1 N ~ 0.1 kgf
FORCE_STEP = {"N": 10.0, "kgf": 1.0, "lbf": 2.0}  # the console's force change per press


@dataclass(frozen=True, slots=True)
class Units:
    force: str = "N"
    weight: str = "kg"

    def __post_init__(self) -> None:
        if self.force not in N_PER:
            raise ValueError(f"force_unit {self.force!r}: one of {', '.join(N_PER)}")
        if self.weight not in KG_PER:
            raise ValueError(f"weight_unit {self.weight!r}: one of {', '.join(KG_PER)}")

    def force_value(self, newtons: float) -> float:
        return newtons / N_PER[self.force]

    def newtons(self, value: float) -> float:
        return value * N_PER[self.force]

    def show_force(self, newtons: float | None, digits: int | None = None) -> str:
        """'45.0 lbf'; '-' for no value. N shown alone: the record's own unit."""
        if newtons is None:
            return f"- {self.force}"
        d = FORCE_DIGITS[self.force] + 1 if digits is None else digits
        return f"{self.force_value(newtons):.{d}f} {self.force}"

    def show_weight(self, kg: float) -> str:
        return f"{kg / KG_PER[self.weight]:.1f} {self.weight}"

    @property
    def step_n(self) -> float:
        """The console's force step in N (10 N, 1 kgf = 9.8 N, 2 lbf = 8.9 N): never above 10 N."""
        return FORCE_STEP[self.force] * N_PER[self.force]

    def for_page(self) -> dict[str, Any]:
        """What the console's page needs to show and to step the force."""
        return {
            "force_unit": self.force,
            "n_per_unit": N_PER[self.force],
            "force_digits": FORCE_DIGITS[self.force],
            "force_step": FORCE_STEP[self.force],
            "weight_unit": self.weight,
            "kg_per_unit": KG_PER[self.weight],
        }
