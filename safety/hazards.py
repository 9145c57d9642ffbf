"""The hazard analysis and the safety requirements, as data that CI keeps true.

Why data and not prose: an auditor's first questions -- which hazards, what controls each, which
requirement states the control with a number, which test proves it -- are answered by joining
these files with the tests' requirement markers (`traction trace`). A hazard with no control, a
software control with no requirement, or a requirement that controls nothing is refused here,
when the files load; a requirement with no passing test is refused by the trace.
"""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Severity = Literal["negligible", "minor", "serious", "critical", "catastrophic"]
Probability = Literal["improbable", "remote", "occasional", "probable", "frequent"]
Layer = Literal[
    "board",
    "host-safety",
    "controller",
    "console",
    "operator-instruction",
    "mechanical-design",
]
Verification = Literal["unit", "property", "closed-loop", "HIL", "benchmark", "inspection"]
OUTSIDE_SOFTWARE: frozenset[str] = frozenset({"operator-instruction", "mechanical-design"})
REQUIREMENT_ID = r"^SR-\d{3}$"
HAZARD_ID = r"^H-\d{2}$"


class HazardsError(ValueError):
    """The hazard or requirement file is invalid or the two disagree; the message names it."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Control(_Strict):
    layer: Layer
    text: str = Field(min_length=1)
    requirements: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _stated(self) -> Self:
        if self.layer not in OUTSIDE_SOFTWARE and not self.requirements:
            raise ValueError(f"a {self.layer} control needs the requirements that state it")
        return self


class Hazard(_Strict):
    id: str = Field(pattern=HAZARD_ID)
    title: str = Field(min_length=1)
    situation: str = Field(min_length=1)
    harm: str = Field(min_length=1)
    causes: tuple[str, ...] = Field(min_length=1)
    severity_before: Severity
    probability_before: Probability
    severity_after: Severity
    probability_after: Probability
    controls: tuple[Control, ...]

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for c in self.controls for r in c.requirements))


class Requirement(_Strict):
    id: str = Field(pattern=REQUIREMENT_ID)
    statement: str = Field(min_length=10)
    hazards: tuple[str, ...] = Field(min_length=1)
    verification: tuple[Verification, ...] = Field(min_length=1)


class HazardFile(_Strict):
    hazard: tuple[Hazard, ...]


class RequirementFile(_Strict):
    requirement: tuple[Requirement, ...]


class SafetyCase(_Strict):
    hazards: tuple[Hazard, ...]
    requirements: tuple[Requirement, ...]

    @model_validator(mode="after")
    def _whole(self) -> Self:
        problems = check_case(self.hazards, self.requirements)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def requirement(self, rid: str) -> Requirement:
        return next(r for r in self.requirements if r.id == rid)

    @property
    def requirement_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.requirements)


def check_case(hazards: tuple[Hazard, ...], requirements: tuple[Requirement, ...]) -> list[str]:
    """Every gap between the two files, each naming its hazard or requirement."""
    problems = []
    hids = [h.id for h in hazards]
    rids = [r.id for r in requirements]
    for kind, ids in (("hazard", hids), ("requirement", rids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append(f"{kind} ids used twice: {', '.join(dupes)}")
    for h in hazards:
        if not h.controls:
            problems.append(f"{h.id} ({h.title}): no risk control")
        for rid in h.requirements:
            if rid not in rids:
                problems.append(f"{h.id}: control names {rid}, which is not a requirement")
    controlled = {rid for h in hazards for rid in h.requirements}
    for r in requirements:
        for hid in r.hazards:
            if hid not in hids:
                problems.append(f"{r.id}: names hazard {hid}, which is not in the hazard file")
        if r.id not in controlled:
            problems.append(f"{r.id}: states no hazard's control (no control names it)")
    return problems


def marker_ids(args: tuple[object, ...]) -> tuple[tuple[str, ...], str]:
    """A `requirement` marker's arguments: the requirement ids, and any descriptive text."""
    ids = tuple(str(a) for a in args if re.fullmatch(REQUIREMENT_ID, str(a)))
    text = " ".join(str(a) for a in args if not re.fullmatch(REQUIREMENT_ID, str(a)))
    return ids, text


def _read(name: str, text: str | None) -> dict[str, object]:
    source = text if text is not None else files("safety").joinpath(name).read_text("utf-8")
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise HazardsError(f"{name}: not valid TOML: {exc}") from exc


def load_case(hazards_toml: str | None = None, requirements_toml: str | None = None) -> SafetyCase:
    """The shipped files (or the given texts), validated and checked against each other."""
    try:
        h = HazardFile.model_validate(_read("hazards.toml", hazards_toml))
        r = RequirementFile.model_validate(_read("requirements.toml", requirements_toml))
        return SafetyCase(hazards=h.hazard, requirements=r.requirement)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise HazardsError("invalid safety case: " + "; ".join(lines)) from exc
