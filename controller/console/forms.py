"""The Prepare screen's form: a preset or a protocol file, edited, checked as `traction check`.

Why here and not in the browser: the rules are the ones every other path uses (the pydantic
models, then `check_protocol` against the limits for this patient); the page only shows
what they said, each refusal beside its own field. Nothing in a form can raise a limit: the
limits come from the limits file, the weight and the region, never from the request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from controller.clinic.dose import parse_dose
from controller.clinic.setup import Checks, NotConfirmed, Setup
from controller.protocols.checks import CheckedProtocol, ProtocolError, check_protocol
from controller.protocols.library import parse_protocol_text, presets
from controller.protocols.models import ProtocolFile
from controller.records.patients import PatientError
from controller.records.prescribing import PlannedSession, plan_session
from controller.records.store import SessionStore
from safety.limits import SafetyLimits

KINDS = frozenset({"static", "intermittent", "progressive", "regressive", "cyclic", "program"})
WHOLE = ""  # a refusal of the protocol as a whole, not of one field


class FormError(ValueError):
    """The form cannot become a checked protocol; `fields` says why, field by field."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k or 'protocol'}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True, slots=True)
class Prepared:
    entry: ProtocolFile
    checked: CheckedProtocol
    weight_kg: float
    plan: PlannedSession | None = None  # the prescription, patient, set-up and checks


def editable_fields(entry: ProtocolFile) -> dict[str, float | int | None]:
    """The numbers a technician may change, by path (`hold_s`, `steps[1].hold_s`)."""
    proto = entry.protocol.model_dump()
    if proto["kind"] != "program":
        return _numbers(proto, "")
    out: dict[str, float | int | None] = {}
    for i, step in enumerate(proto["steps"]):
        out.update(_numbers(step, f"steps[{i}]."))
    return out


def _numbers(data: dict[str, Any], prefix: str) -> dict[str, float | int | None]:
    return {
        prefix + k: v
        for k, v in data.items()
        if v is None or (isinstance(v, int | float) and not isinstance(v, bool))
    }


def source_entry(
    preset: str | None,
    toml_text: str | None,
    filename: str = "upload",
    entry_json: Any = None,
    library: dict[str, ProtocolFile] | None = None,
) -> ProtocolFile:
    """A preset or saved protocol by name (`library`: presets and the store's saved ones), an
    uploaded TOML file, or a stored template ("repeat last")."""
    if entry_json:
        try:
            return ProtocolFile.model_validate(entry_json)
        except ValidationError as exc:
            raise FormError(_pydantic_fields(exc)) from exc
    if toml_text:
        try:
            return parse_protocol_text(toml_text, filename)
        except ProtocolError as exc:
            raise FormError({WHOLE: str(exc)}) from exc
    library = presets() if library is None else library
    if preset not in library:
        known = ", ".join(sorted(library))
        raise FormError({"preset": f"no protocol {preset!r}; the library: {known}"})
    return library[str(preset)]


def prepare_form(
    entry: ProtocolFile,
    values: dict[str, Any],
    weight_kg: Any,
    limits: SafetyLimits,
    *,
    store: SessionStore | None = None,
    clinical: dict[str, Any] | None = None,
) -> Prepared:
    """The entry with the form's values, prescribed for this patient (`clinical`: a
    registered patient, a dose, the set-up and the checks), then checked."""
    clinical = clinical or {}
    registered = str(clinical.get("patient") or "").strip()
    weight = None if registered else _weight(weight_kg)
    data = entry.protocol.model_dump()
    known = editable_fields(entry)
    problems: dict[str, str] = {}
    for path, raw in values.items():
        if path not in known:
            problems[path] = "not a field of this protocol"
            continue
        if raw in (None, "") and known[path] is None:
            continue
        number = _number(raw)
        if number is None:
            problems[path] = f"{raw!r} is not a number"
            continue
        _assign(data, path, number)
    if problems:
        raise FormError(problems)
    try:
        edited = ProtocolFile.model_validate(
            {
                "name": entry.name,
                "description": entry.description,
                "protocol": data,
                "emg_gate": entry.emg_gate,
            }
        )
    except ValidationError as exc:
        raise FormError(_pydantic_fields(exc)) from exc
    plan = None
    if store is not None:
        typed = edited.protocol != entry.protocol  # forces typed for this patient: explicit
        plan = _plan(
            store,
            edited,
            limits,
            registered=registered,
            weight=weight,
            clinical=clinical,
            fit=not typed,
        )
        edited, weight = plan.entry, plan.weight_kg
    assert weight is not None  # a registered patient's comes from the plan
    try:
        checked = check_protocol(edited.protocol, limits, weight)
    except ProtocolError as exc:
        raise FormError(exc.fields) from exc
    return Prepared(edited, checked, weight, plan)


_PLAN_FIELDS = {"weight": "weight_kg", "region": "f-region", "set-up": "setup", "checks": "checks"}


def _plan(
    store: SessionStore,
    entry: ProtocolFile,
    limits: SafetyLimits,
    *,
    registered: str,
    weight: float | None,
    clinical: dict[str, Any],
    fit: bool,
) -> PlannedSession:
    problems: dict[str, str] = {}
    dose = None
    if str(clinical.get("dose") or "").strip():
        try:
            dose = parse_dose(str(clinical["dose"]))
        except ValueError as exc:
            problems["dose"] = str(exc)
    setup = None
    raw_setup = clinical.get("setup") or {}
    if any(v not in (None, "") for v in raw_setup.values()):
        try:
            setup = Setup.model_validate(raw_setup)
        except ValidationError as exc:
            for e in exc.errors():
                problems[f"setup.{e['loc'][0]}"] = str(e["msg"])
    pain = clinical.get("pain_before")
    try:
        checks = Checks(
            contraindications_none=bool(clinical.get("contraindications_none")),
            pain_before=None if pain in (None, "") else int(pain),
        )
    except (ValidationError, ValueError):
        problems["pain_before"] = "a whole number from 0 to 10 (NRS)"
        checks = None
    if problems:
        raise FormError(problems)
    try:
        return plan_session(
            store,
            entry,
            limits,
            patient_ref=registered or None,
            weight_kg=weight,
            dose=dose,
            setup=setup,
            checks=checks if registered else None,
            fit=fit,
        )
    except (PatientError, NotConfirmed) as exc:
        head = str(exc).split(":", 1)[0]
        raise FormError({_PLAN_FIELDS.get(head, "patient"): str(exc)}) from exc
    except ProtocolError as exc:
        raise FormError(exc.fields) from exc


def profile_points(checked: CheckedProtocol) -> list[tuple[float, float]]:
    """The planned force profile as the corners of its segments (what the page draws)."""
    prof = checked.profile
    points = [(0.0, prof.segments[0].start_n)]
    for start, seg in zip(prof.starts, prof.segments, strict=True):
        points.append((round(start + seg.duration_s, 3), round(seg.end_n, 2)))
    return points


def _weight(raw: Any) -> float:
    number = _number(raw)
    if number is None or number <= 0:
        raise FormError({"weight_kg": "the patient's weight in kg is required (a number above 0)"})
    return number


def _number(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _assign(data: dict[str, Any], path: str, value: float) -> None:
    if path.startswith("steps[") and data["kind"] == "program":
        index, name = path[len("steps[") :].split("].", 1)
        target = data["steps"][int(index)]
    else:
        target, name = data, path
    old = target.get(name)
    target[name] = int(value) if isinstance(old, int) and value.is_integer() else value


def _pydantic_fields(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        parts = [p for p in err["loc"] if p != "protocol" and p not in KINDS]
        path = ""
        for p in parts:
            path += f"[{p}]" if isinstance(p, int) else (f".{p}" if path else str(p))
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.setdefault(path if path.rsplit(".", 1)[-1] not in ("", "steps") else WHOLE, msg)
    return out
