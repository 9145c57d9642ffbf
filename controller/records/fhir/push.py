"""One ended session to the clinic's FHIR server, to the right patient or not at all.

The patient is found on the server by the register's reference in the clinic's identifier
system: exactly one patient, whose name is the register's when the register knows the
patient. None, several, or another name: the session is not sent (a record filed under the
wrong patient is worse than one that waits), and the words say what to correct. Each
resource is a conditional create on its own identifier, so a push repeated after a failure
half-way, or on a second table, creates nothing twice.
"""

from __future__ import annotations

from typing import Any

from controller.records.fhir.client import FhirClient
from controller.records.fhir.session_bundle import session_bundle
from controller.records.patients import PatientError, get_patient
from controller.records.store import SessionStore


class NotPushed(RuntimeError):
    """The session cannot go to this server as the records stand; the message says why."""


def push_session(
    store: SessionStore, session_id: int, client: FhirClient, patient_system: str
) -> str:
    """Send one ended session; its Procedure's reference on the server ("Procedure/id")."""
    bundle = session_bundle(store, [session_id], patient_system)
    ref = str(store.session(session_id)["patient_ref"])
    patient = server_patient(store, client, patient_system, ref)
    made: dict[str, str] = {}  # the bundle's fullUrl -> the server's "Kind/id"
    procedure = ""
    for entry in bundle.entry or []:
        assert entry.resource is not None and entry.request is not None  # built so above
        kind = entry.resource.get_resource_type()
        resource = entry.resource.model_dump(mode="json", exclude_none=True)
        resolved = _resolved(resource, made, patient_system, patient)
        made[str(entry.fullUrl)], _ = client.create(kind, resolved, str(entry.request.ifNoneExist))
        if kind == "Procedure":
            procedure = made[str(entry.fullUrl)]
    return procedure


def server_patient(store: SessionStore, client: FhirClient, system: str, ref: str) -> str:
    """The server's one patient with identifier (system, ref): "Patient/id"; NotPushed if
    none, several, or a name the register does not have."""
    found = client.search("Patient", identifier=f"{system}|{ref}")
    if not found:
        raise NotPushed(f"patient {ref} is not on the health record's server ({system})")
    if len(found) > 1:
        raise NotPushed(f"patient {ref}: {len(found)} patients on the server carry it")
    try:
        registered = get_patient(store, ref).name
    except PatientError:
        registered = None  # a session from before the register: the identifier alone
    names = [human_name(n) for n in found[0].get("name", [])]
    if registered is not None and _plain(registered) not in {_plain(n) for n in names}:
        raise NotPushed(
            f"patient {ref}: the register says {registered!r}, the server "
            f"{' / '.join(names) or 'no name'!r}; correct the one that is wrong, then sync again"
        )
    return f"Patient/{found[0]['id']}"


def human_name(name: dict[str, Any]) -> str:
    if name.get("text"):
        return str(name["text"])
    return " ".join([*name.get("given", []), name.get("family", "")]).strip()


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())


def _resolved(value: Any, made: dict[str, str], system: str, patient: str) -> Any:
    """`value` with the bundle's own references replaced by the server's, and the patient's
    identifier reference given the server's patient."""
    if isinstance(value, list):
        return [_resolved(v, made, system, patient) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _resolved(v, made, system, patient) for k, v in value.items()}
    if out.get("reference") in made:
        out["reference"] = made[out["reference"]]
    identifier = out.get("identifier")
    if isinstance(identifier, dict) and identifier.get("system") == system:
        out["reference"] = patient
    return out
