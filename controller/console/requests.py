"""What a technician's page may ask of the control process, and what it is told back.

Why here and not in the web layer: the web server runs in its own process (web_process.py),
and a start, a stop or a time change must be judged where the session runs, on the control
process's own limits and records, never on an object built elsewhere. The page's request
arrives as plain JSON; it is prescribed here through the same path as `traction run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from controller.clinic.local_time import zone_name
from controller.console.forms import FormError, editable_fields, prepare_form, profile_points
from controller.console.forms import Prepared as PreparedForm
from controller.console.forms import source_entry as form_entry
from controller.console.refused import Refused
from controller.console.service import ConsoleService
from controller.people.roles import Task
from controller.records.saved_protocols import library
from controller.records.store import RecordsError, SessionStore
from controller.words.catalogue import checked
from safety.limits import SafetyLimits


def prepare(records: Path, limits: SafetyLimits, m: dict[str, Any]) -> PreparedForm:
    """The Prepare form's request, through the same prescribing path as `traction run`."""
    clinical = m.get("clinical") if isinstance(m.get("clinical"), dict) else {}
    try:
        store = SessionStore(records, recover=False)
    except RecordsError as exc:
        raise FormError({"": f"records store unusable: {exc}"}) from exc
    try:
        entry = form_entry(
            m.get("preset"),
            m.get("toml"),
            str(m.get("filename", "")),
            m.get("entry_json"),
            library(store),
        )
        return prepare_form(
            entry,
            dict(m.get("values") or {}),
            m.get("weight_kg"),
            limits,
            store=store,
            clinical=clinical,
        )
    finally:
        store.close()


def planned(prepared: PreparedForm) -> dict[str, Any]:
    """What the page shows of a checked prescription (the plan beside the form)."""
    checked = prepared.checked
    plan = prepared.plan
    return {
        "ok": True,
        "name": prepared.entry.name,
        "kind": prepared.entry.protocol.kind,
        "region": prepared.entry.protocol.region,
        "fields": editable_fields(prepared.entry),
        "force_limit_n": round(checked.force_limit_n, 1),
        "peak_n": round(checked.profile.peak_n, 1),
        "total_s": round(checked.profile.total_s, 1),
        "points": profile_points(checked),
        "weight_kg": prepared.weight_kg,
        "prescription": None if plan is None else plan.prescription.describe(),
        "summary": [] if plan is None else plan.summary(),
        "patient": None if plan is None or plan.patient is None else plan.patient.ref,
    }


def hello(service: ConsoleService, client: int, update_s: float) -> dict[str, Any]:
    """The first message of a screen: the curve so far and the events so far."""
    count, events = service.events_since(0)
    return {
        "type": "hello",
        "client": client,
        "curve": [list(p) for p in service.live.curve()],
        "events": events,
        "events_seen": count,
        "update_s": update_s,
        "site": {
            **service.site.units.for_page(),
            "time_zone": zone_name(),
            "language": service.site.language,
        },
    }


# Never behind a sign-in, a lock or a role (a locked screen must stop a treatment): done in the
# name of the page's badge holder when there is one, else of "a page nobody signed in on".
ALWAYS = frozenset({"stop", "pause", "acknowledge", "audio_pause"})
UNSIGNED = "a console page (nobody signed in)"
TASKS: dict[str, Task] = {
    "start": Task.TREAT,
    "resume": Task.TREAT,
    "force": Task.TREAT,
    "times": Task.TREAT,
    "daily_check": Task.DAILY_CHECK,
    "step": Task.DAILY_CHECK,
    "home": Task.HOME,
    "note": Task.NOTE,
    "save_protocol": Task.SAVE_PROTOCOL,
    "register": Task.REGISTER,
    "sign": Task.SIGN,
}
BADGE_OPS = frozenset({"sign_in", "first_administrator", "lock", "whoami", "touch"})


def acting_name(service: ConsoleService, op: str, m: dict[str, Any]) -> str:
    """The name a page's request is done in; Refused when nobody may be named for it."""
    signins = service.signins
    badge = m.get("badge")
    badge = badge if isinstance(badge, str) else None
    if op in ALWAYS:
        holder = signins.holder(badge)
        typed = " ".join(str(m.get("operator") or "").split())
        return holder.name if holder is not None else (typed or UNSIGNED)
    task = TASKS.get(op)
    if task is None:
        raise Refused(f"unknown request {op!r}")
    if not signins.accounts():
        return str(m.get("operator") or "")
    return signins.actor(badge, task).name


def badge_op(service: ConsoleService, op: str, m: dict[str, Any]) -> dict[str, Any]:
    """Sign-in, the first administrator, the lock (badge out), and who this page is."""
    signins = service.signins
    badge = m.get("badge") if isinstance(m.get("badge"), str) else None
    if op == "whoami":
        holder = signins.holder(badge)
        return {
            "accounts": signins.accounts(),
            "lock_after_s": signins.lock_after_s,
            "user": None if holder is None else holder.name,
            "role": None if holder is None else holder.role.value,
            "language": None if holder is None else holder.language,
            "names": signins.names() if signins.accounts() else [],
        }
    if op == "touch":
        return {"unlocked": signins.touch(badge)}
    if op == "lock":
        holder = signins.lock(badge)
        return {"locked": True, "user": None if holder is None else holder.name}
    if op == "first_administrator":
        if signins.accounts():
            raise Refused("this table has an administrator: sign in")
        signed = signins.first_administrator(str(m.get("name") or ""), str(m.get("pin") or ""))
        service.owner.refresh_readiness()  # every page asks for sign-in from now on
    else:
        signed = signins.sign_in(str(m.get("name") or ""), str(m.get("pin") or ""), badge)
    if signed.handover_from is not None:
        service.handover(signed.handover_from, signed.user.signature)
    return {
        "badge": signed.badge,
        "user": signed.user.name,
        "role": signed.user.role.value,
        "language": signed.user.language,
        "lock_after_s": signins.lock_after_s,
        "handover_from": signed.handover_from,
    }


def act(service: ConsoleService, op: str, m: dict[str, Any]) -> dict[str, Any]:
    """One request of the page; raises Refused, FormError, ValueError or TypeError."""
    if op in BADGE_OPS:
        return badge_op(service, op, m)
    operator = acting_name(service, op, m)
    if op == "register":
        return {"user": operator}  # the web layer registers the patient in this name
    if op == "sign":
        return {"signed": service.sign(m)}
    if op == "start":
        prepared = prepare(service.site.records, service.limits, m)
        plan = prepared.plan
        if plan is not None:
            service.may_prescribe(operator, plan)
        registered = plan.patient.ref if plan is not None and plan.patient is not None else ""
        service.start_treatment(
            prepared,
            operator,
            registered or str(m.get("patient_ref") or "").strip(),
            checked(str(m.get("language") or service.site.language)),  # the page's words
        )
        return {"planned": planned(prepared)}
    if op == "daily_check":
        service.daily_check(operator)
    elif op == "step":
        service.answer_step(operator, bool(m.get("yes")))
    elif op == "note":
        service.note_after(
            operator, int(m.get("session_id", 0)), m.get("pain_after"), str(m.get("comment") or "")
        )
    elif op == "times":
        values = m.get("values")
        return service.times(
            operator, values if isinstance(values, dict) else {}, bool(m.get("apply"))
        )
    elif op == "save_protocol":
        saved = service.save_protocol(
            operator,
            int(m.get("session_id", 0)),
            str(m.get("name") or ""),
            str(m.get("description") or ""),
        )
        return {"saved": saved}
    elif op in ("pause", "resume", "stop"):
        service.act(op, operator)
    elif op == "force":
        service.act("force", operator, float(m.get("delta_n", 0.0)))
    elif op == "acknowledge":
        return {"acknowledged": service.acknowledge(operator)}
    elif op == "audio_pause":
        if not service.pause_audio(operator):
            raise Refused("no alarm sounding")
    elif op == "home":
        service.home(operator)
    else:
        raise Refused(f"unknown request {op!r}")
    return {}
