"""Prescribed force as clinicians write it: % of body weight, kg, lb or N.

Traction is prescribed as a share of body weight (lumbar 25-50 % on a split table, cervical
7-15 %) or as a mass in kg or lb; the table pulls in newtons. A Dose keeps what was written
and converts with standard gravity, so the record can say both ("40 % BW of 62 kg = 243.2 N").
A preset is a template: the dose sets its highest force and every other treatment force
scales with it (rest, base, start and end forces keep their proportion); a preset given no
dose that is too strong for this patient is scaled down to FIT_SHARE of the patient's limit,
and the scale is shown. An explicit dose above the limit is refused, never quietly lowered.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from controller.protocols.checks import TREATMENT_FORCE_FIELDS, ProtocolError
from controller.protocols.models import Program, ProtocolFile

STANDARD_GRAVITY_M_S2 = 9.80665
KG_PER_LB = 0.45359237
FIT_SHARE = 0.9  # a preset too strong for the patient is scaled to this share of the limit
FORCE_DIGITS = 1  # scaled forces are rounded to 0.1 N
Unit = Literal["%BW", "kg", "lb", "N"]
# kgf and lbf are the force of a kg and a lb under standard gravity: the same doses
_UNITS: dict[str, Unit] = {
    **{"%bw": "%BW", "%": "%BW", "kg": "kg", "kgf": "kg", "lb": "lb", "lbs": "lb", "lbf": "lb"},
    "n": "N",
    # as the console's languages write them (the catalogue's symbols): German % KG
    # (Körpergewicht); Russian % МТ (масса тела), кг, кгс, фунт, фунт-с, Н
    **{"%kg": "%BW", "%мт": "%BW", "кг": "kg", "кгс": "kg", "фунт": "lb", "фунт-с": "lb"},
    "н": "N",
}
_DOSE = re.compile(
    r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(%\s*bw|%\s*kg|%\s*мт|%|kgf?|lbf|lbs?|n|кгс?|фунт-с|фунт|н)\s*$",
    re.IGNORECASE,
)
TREATMENT_FORCES = TREATMENT_FORCE_FIELDS
_SHOWN = {"%BW": "% BW", "kg": "kgf", "lb": "lbf"}  # a dose in kg or lb is a force: kgf, lbf


class Dose(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    value: float = Field(gt=0, le=1000)
    unit: Unit

    def newtons(self, weight_kg: float) -> float:
        if self.unit == "N":
            return self.value
        if self.unit == "kg":
            return self.value * STANDARD_GRAVITY_M_S2
        if self.unit == "lb":
            return self.value * KG_PER_LB * STANDARD_GRAVITY_M_S2
        return self.value / 100 * weight_kg * STANDARD_GRAVITY_M_S2

    def describe(self, weight_kg: float) -> str:
        given = f"{self.value:g} % BW of {weight_kg:g} kg" if self.unit == "%BW" else str(self)
        return f"{given} = {self.newtons(weight_kg):.1f} N"

    def __str__(self) -> str:
        return f"{self.value:g} {_SHOWN.get(self.unit, self.unit)}"


def parse_dose(text: str) -> Dose:
    """'40%BW', '40 %', '25 kg', '25,5 kgf', '55 lb', '55 lbf', '240 N', '25 кгс' -> Dose;
    anything else is refused (a bare number too: its unit would be a guess)."""
    m = _DOSE.match(text)
    if m is None:
        raise ValueError(
            f"{text!r}: write the force as % of body weight, kgf, lbf or N, e.g. 40%BW, 25kgf, "
            f"55lbf, 240N"
        )
    unit = _UNITS[re.sub(r"\s+", "", m.group(2)).lower()]
    value = float(m.group(1).replace(",", "."))  # 25,5 as German and Russian write it
    if unit == "%BW" and value > 100:
        raise ValueError(f"{text!r}: above 100 % of body weight")
    return Dose(value=value, unit=unit)


class Prescription(BaseModel):
    """What was prescribed and what it became for this patient; stored with the session."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    template: str  # the preset or protocol it started from
    template_entry: ProtocolFile  # ... as it was then: "repeat last" scales the same template
    dose: Dose | None  # as written; None: the template's own forces
    weight_kg: float
    peak_n: float  # the highest treatment force after scaling
    scale: float  # every treatment force of the template multiplied by this
    why: str  # "dose", "template", or "fitted to the patient's limit"

    def describe(self) -> str:
        if self.dose is not None:
            return (
                f"{self.dose.describe(self.weight_kg)} (template {self.template} x{self.scale:.3f})"
            )
        if self.scale != 1:
            return f"{self.template} scaled x{self.scale:.3f} to {self.peak_n:.1f} N: {self.why}"
        return f"{self.template} as written, peak {self.peak_n:.1f} N"


def peak_force_n(entry: ProtocolFile) -> float:
    steps = entry.protocol.steps if isinstance(entry.protocol, Program) else [entry.protocol]
    return max(
        float(getattr(s, name)) for s in steps for name in TREATMENT_FORCES if hasattr(s, name)
    )


def scaled(entry: ProtocolFile, scale: float) -> ProtocolFile:
    """The template with every treatment force times `scale` (slack and rates unchanged)."""

    def one(step: BaseModel) -> dict[str, object]:
        data = step.model_dump()
        for name in TREATMENT_FORCES:
            if name in data:
                data[name] = round(data[name] * scale, FORCE_DIGITS)
        return data

    proto = entry.protocol
    if isinstance(proto, Program):
        body: dict[str, object] = {"kind": "program", "steps": [one(s) for s in proto.steps]}
    else:
        body = one(proto)
    return ProtocolFile.model_validate(
        {
            "name": entry.name,
            "description": entry.description,
            "protocol": body,
            "emg_gate": entry.emg_gate,
        }
    )


def prescribe(
    entry: ProtocolFile,
    dose: Dose | None,
    weight_kg: float,
    limit_n: float,
    *,
    fit: bool = True,
) -> tuple[ProtocolFile, Prescription]:
    """The protocol to run for this patient, and the prescription that says how it came.

    `fit` False: the forces were typed for this patient (an edited form), so they are
    explicit and a peak above the limit is left for the protocol check to refuse."""
    peak = peak_force_n(entry)
    if dose is not None:
        want = dose.newtons(weight_kg)
        if want > limit_n:
            raise ProtocolError(
                f"dose = {dose.describe(weight_kg)}: above the session force limit "
                f"{limit_n:.1f} N for {weight_kg:g} kg",
                {"dose": f"{dose.describe(weight_kg)}: above the limit {limit_n:.1f} N"},
            )
        scale, why = want / peak, "dose"
    elif peak > limit_n and fit:
        scale, why = (
            FIT_SHARE * limit_n / peak,
            (f"fitted to {FIT_SHARE:.0%} of the limit {limit_n:.1f} N for {weight_kg:g} kg"),
        )
    else:
        scale, why = 1.0, "template"
    out = scaled(entry, scale) if scale != 1.0 else entry
    return out, Prescription(
        template=entry.name,
        template_entry=entry,
        dose=dose,
        weight_kg=weight_kg,
        peak_n=round(peak_force_n(out), 1),
        scale=round(scale, 4),
        why=why,
    )
