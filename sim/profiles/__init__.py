"""Simulated patients as data (patients.toml), validated on load."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PROFILE = "lumbar-average"


class PatientProfile(BaseModel):
    """One patient on one table. `stiffness_scale` multiplies every spring (0.3x-3x studies)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    region: Literal["lumbar", "cervical"]
    weight_kg: float = Field(gt=0, le=300)
    slack_m: float = Field(ge=0, le=0.1)
    cable_k1_n_m: float = Field(gt=0)
    cable_k2_n_m2: float = Field(ge=0)
    spine_k_n_m: float = Field(gt=0)
    creep_k_n_m: float = Field(gt=0)
    creep_tau_s: float = Field(gt=0)
    friction_coulomb_n: float = Field(ge=0)
    friction_viscous_n_s_m: float = Field(gt=0)
    stiffness_scale: float = Field(default=1.0, gt=0, le=10)

    def scaled(self, stiffness: float) -> PatientProfile:
        return self.model_copy(update={"stiffness_scale": self.stiffness_scale * stiffness})


@cache
def _table() -> dict[str, dict[str, object]]:
    text = files("sim.profiles").joinpath("patients.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def profile_names() -> list[str]:
    return sorted(_table())


def load_profile(name: str) -> PatientProfile:
    table = _table()
    if name not in table:
        raise KeyError(f"unknown patient profile {name!r}; known: {', '.join(profile_names())}")
    return PatientProfile(name=name, **table[name])  # type: ignore[arg-type]
