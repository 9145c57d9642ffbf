"""From what the clinician prescribed to the protocol the table runs, for a registered patient.

One path for the command line and the console: the patient's weight comes from the register
(a form cannot type a different one), the region must be one the patient is registered for,
the dose scales the template within the limits, and the set-up and the checklist are
required for a registered patient. "Repeat last" starts from the patient's last session that
ran: its protocol and dose re-applied to today's weight, its set-up; the checklist and the
pain score are asked anew, and nothing starts without the technician's confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.clinic.dose import Dose, Prescription, prescribe
from controller.clinic.setup import Checks, Setup, confirmed
from controller.people.roles import Task
from controller.protocols.checks import session_force_limit
from controller.protocols.models import ProtocolFile
from controller.records.accounts import accounts_exist, find_user
from controller.records.patients import Patient, PatientError, get_patient, last_treatment
from controller.records.store import SessionStore
from controller.words.catalogue import DEFAULT as DEFAULT_LANGUAGE
from controller.words.catalogue import number, said, speaker
from safety.limits import SafetyLimits


@dataclass(frozen=True, slots=True)
class ClinicalStart:
    """What the session's record carries besides the protocol (SessionInfo's extra fields)."""

    patient_id: int | None
    prescription_json: str
    setup_json: str | None
    checks_json: str | None


@dataclass(frozen=True, slots=True)
class PlannedSession:
    entry: ProtocolFile  # scaled for this patient: what will run
    weight_kg: float
    prescription: Prescription
    patient: Patient | None = None
    setup: Setup | None = None
    checks: Checks | None = None

    def clinical(self) -> ClinicalStart:
        return ClinicalStart(
            None if self.patient is None else self.patient.id,
            self.prescription.model_dump_json(),
            None if self.setup is None else self.setup.model_dump_json(),
            None if self.checks is None else self.checks.model_dump_json(),
        )

    def summary(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        """The lines a technician confirms before the start, in `language`."""
        say, lines = speaker(language), []
        if self.patient is not None:
            p = self.patient
            lines.append(
                say(
                    "patient {ref} ({name}), {weight} kg measured {date}",
                    ref=p.ref,
                    name=p.name,
                    weight=number(language, f"{p.weight_kg:g}"),
                    date=p.weight_date,
                )
            )
        lines.append(
            say(
                "protocol {name} ({region})",
                name=said(language, self.entry.name),
                region=say(self.entry.protocol.region),
            )
        )
        lines.append(
            say("force: {prescription}", prescription=said(language, self.prescription.describe()))
        )
        if self.setup is not None:
            s = self.setup
            lines.append(
                say(
                    "set-up: pull at {angle} deg, {position}, {harness} harness, "
                    "split table {split}",
                    angle=number(language, f"{s.angle_deg:g}"),
                    position=say(s.position),
                    harness=say(s.harness),
                    split=say(s.split_table),
                )
            )
        if self.checks is not None and self.checks.pain_before is not None:
            lines.append(say("pain before: {pain}/10", pain=self.checks.pain_before))
        return lines


def plan_session(
    store: SessionStore,
    entry: ProtocolFile,
    limits: SafetyLimits,
    *,
    patient_ref: str | None,
    weight_kg: float | None,
    dose: Dose | None,
    setup: Setup | None,
    checks: Checks | None,
    fit: bool = True,
) -> PlannedSession:
    """Raises PatientError, ProtocolError or NotConfirmed with a message naming the field;
    `fit`: a template too strong for the patient may be fitted (see clinic/dose.py)."""
    region = entry.protocol.region
    patient = None
    if patient_ref:
        patient = get_patient(store, patient_ref)
        if weight_kg is not None and abs(weight_kg - patient.weight_kg) > 1e-9:
            raise PatientError(
                f"weight: the register says {patient.weight_kg:g} kg (measured "
                f"{patient.weight_date}); weigh the patient and edit the register "
                f"(`traction patients edit {patient.ref} --weight KG`), not the session"
            )
        if region not in patient.regions:
            raise PatientError(
                f"region: {patient.ref} is registered for {', '.join(patient.regions)}, "
                f"not {region}"
            )
        if setup is None:
            raise PatientError("set-up: angle, position, harness and split table are required")
        if checks is None:
            raise PatientError("checks: the contraindication checklist must be confirmed")
        confirmed(checks)
        weight_kg = patient.weight_kg
    if weight_kg is None:
        raise PatientError("weight: give the patient's weight, or a registered patient")
    limit = session_force_limit(limits, region, weight_kg)
    scaled, prescription = prescribe(entry, dose, weight_kg, limit, fit=fit)
    return PlannedSession(scaled, weight_kg, prescription, patient, setup, checks)


@dataclass(frozen=True, slots=True)
class LastTreatment:
    session_id: int
    entry: ProtocolFile
    dose: Dose | None
    setup: Setup | None
    started_at: str


def last_of(store: SessionStore, patient_ref: str) -> LastTreatment:
    patient = get_patient(store, patient_ref)
    row = last_treatment(store, patient.id)
    if row is None:
        raise PatientError(f"{patient_ref}: no earlier treatment to repeat")
    before = Prescription.model_validate_json(row["prescription_json"])
    return LastTreatment(
        int(row["id"]),
        before.template_entry,
        before.dose,
        None if row["setup_json"] is None else Setup.model_validate_json(row["setup_json"]),
        str(row["started_at"]),
    )


def may_prescribe(store: SessionStore, operator: str, plan: PlannedSession) -> None:
    """A new dose is the physiotherapist's: anyone else may run a template as written (or
    fitted down to the patient's limit) or repeat the patient's last prescription exactly.
    Raises AccountError naming the role; nothing is checked on an open store."""
    if not accounts_exist(store):
        return
    user = find_user(store, operator)
    if user.refusal(Task.PRESCRIBE) is None or plan.prescription.dose is None:
        return
    if plan.patient is not None:
        row = last_treatment(store, plan.patient.id)
        if row is not None:
            before = Prescription.model_validate_json(row["prescription_json"])
            same = (
                before.dose == plan.prescription.dose
                and before.template_entry == plan.prescription.template_entry
            )
            if same:
                return
    user.require(Task.PRESCRIBE)
