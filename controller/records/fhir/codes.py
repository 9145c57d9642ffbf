"""The code systems and codes the table's FHIR resources use, in one place.

Standard codes where a standard has one (CPT for the procedure, SNOMED CT for the body site,
LOINC for the pain score and body weight, UCUM for units); the table's own figures (dose,
hold error, relaxation) have none, so they are coded in the manufacturer's code system.
"""

from __future__ import annotations

from dataclasses import dataclass

CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# The manufacturer's code system for what no standard codes; `.invalid` (RFC 2606) until the
# manufacturer's own domain is registered, so that it can never resolve to someone else's.
TABLE_CODES = "http://traction-table.invalid/fhir/CodeSystem/traction"

TRACTION_CPT = ("97012", "Application of a modality to 1 or more areas; traction, mechanical")
PAIN_NRS_LOINC = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
BODY_WEIGHT_LOINC = ("29463-7", "Body weight")
BODY_SITES = {
    "lumbar": ("122496007", "Lumbar spine structure"),
    "cervical": ("122494005", "Cervical spine structure"),
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One of the table's figures as an Observation: its code, words and UCUM unit."""

    code: str
    display: str
    unit: str  # UCUM


PRESCRIBED_PEAK = Figure("prescribed-peak-force", "Prescribed peak traction force", "N")
DELIVERED_PEAK = Figure("delivered-peak-force", "Delivered peak traction force", "N")
TIME_AT_FORCE = Figure("time-at-force", "Time held at the prescribed force", "s")
FORCE_TIME = Figure("force-time-integral", "Force-time integral of the session", "N.s")
HOLD_ERROR = Figure("hold-error-mean", "Mean absolute force error in the holds", "N")
RELAXATION_INDEX = Figure("relaxation-index", "Relaxation index in the holds", "%")
STIFFNESS_CHANGE = Figure("stiffness-change", "Stiffness change, first to last ramp", "%")
EMG_REDUCTION = Figure("emg-hold-reduction", "Muscle activity, first to last hold", "%")
