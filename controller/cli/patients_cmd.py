"""`traction patients add | list | show | edit`: the patient register.

A treatment for a registered patient takes the weight from here (`traction run --patient
REF`), so the weight is entered once with the date it was measured, and an edit keeps the
previous entry. Exit codes: 0 done, 2 invalid input (the message names the field).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_args

from controller.app.site_config import SiteConfigError, site_config
from controller.cli.identity import acting, add_identity_args
from controller.clinic.dose import Prescription
from controller.clinic.local_time import local
from controller.clinic.units import Units
from controller.people.roles import Task
from controller.records.accounts import AccountError
from controller.records.patients import (
    Patient,
    PatientError,
    add_patient,
    changes_of,
    edit_patient,
    get_patient,
    list_patients,
    sessions_of,
    validated,
)
from controller.records.store import RecordsError, SessionStore
from controller.words.catalogue import said, speaker
from safety.limits import Region

EXIT_INVALID = 2


def _fields(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--name", required=required, help="name or pseudonym")
    p.add_argument("--weight", type=float, required=required, metavar="KG")
    p.add_argument("--weighed", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--height", type=float, default=None, metavar="CM")
    p.add_argument(
        "--region",
        action="append",
        choices=get_args(Region),
        required=required,
        help="treated region (repeat for both)",
    )
    p.add_argument("--notes", default=None)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("patients", help="the patient register: add, list, show, edit")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    acts = p.add_subparsers(dest="action", required=True)
    add = acts.add_parser("add", help="register a patient")
    add.add_argument("ref", help="the clinic's reference (letters, digits, . _ -)")
    _fields(add, required=True)
    acts.add_parser("list", help="every registered patient")
    show = acts.add_parser("show", help="one patient, their sessions and changes")
    show.add_argument("ref")
    show.add_argument("--json", action="store_true")
    prog = acts.add_parser("progress", help="the patient's sessions on one page (PNG and PDF)")
    prog.add_argument("ref")
    prog.add_argument("--out", type=Path, default=None, help="PNG file (default: reports dir)")
    edit = acts.add_parser("edit", help="change a patient's entry (the old one is kept)")
    edit.add_argument("ref")
    _fields(edit, required=False)
    edit.add_argument("--by", default=None, help="who changes it (default: the login name)")
    add_identity_args(add)
    add_identity_args(edit)
    p.set_defaults(run=run)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    names = {
        "name": "name",
        "weight": "weight_kg",
        "weighed": "weight_date",
        "height": "height_cm",
        "region": "regions",
        "notes": "notes",
    }
    return {
        field: getattr(args, flag)
        for flag, field in names.items()
        if getattr(args, flag, None) is not None
    }


def run(args: argparse.Namespace) -> int:
    try:
        site = site_config(cli={"records": str(args.records) if args.records else None})
        store = SessionStore(site.records)
    except (SiteConfigError, RecordsError) as exc:
        sys.stderr.write(f"traction patients: {exc}\n")
        return EXIT_INVALID
    try:
        return _act(args, store, Shown(site.language, site.units))
    except (PatientError, AccountError) as exc:
        refused = said(site.language, str(exc))
        sys.stderr.write(
            f"traction patients: {speaker(site.language)('refused: {why}', why=refused)}\n"
        )
        return EXIT_INVALID
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class Shown:
    """How the register is shown: in the site's language and weight unit."""

    language: str
    units: Units

    def say(self, words: str, **parts: object) -> str:
        return speaker(self.language)(words, **parts)

    def line(self, p: Patient) -> str:
        weight = said(self.language, self.units.show_weight(p.weight_kg))
        height = said(self.language, f"{p.height_cm:g} cm") if p.height_cm else ""
        regions = "/".join(self.say(r) for r in p.regions)
        measured = self.say("{weight} (measured {date})", weight=weight, date=p.weight_date)
        return f"{p.ref:<12} {p.name:<24} {measured}{', ' + height if height else ''}, {regions}"


def _act(args: argparse.Namespace, store: SessionStore, shown: Shown) -> int:
    out, say = sys.stdout.write, shown.say
    if args.action in ("add", "edit"):
        by = acting(args, store, Task.REGISTER, getattr(args, "by", None))
    if args.action == "add":
        data = {"ref": args.ref, "weight_date": date.today(), **_given(args)}
        patient = add_patient(store, validated(data))
        out(say("registered {patient}", patient=shown.line(patient)) + "\n")
    elif args.action == "list":
        for patient in list_patients(store):
            out(shown.line(patient) + "\n")
    elif args.action == "edit":
        changes = _given(args)
        if not changes:
            raise PatientError("nothing to change: give --name, --weight, --region, ...")
        patient = edit_patient(store, args.ref, changes, by)
        out(say("changed {patient}", patient=shown.line(patient)) + "\n")
    elif args.action == "progress":
        from controller.records.progress import draw_progress  # matplotlib: only when drawing

        patient = get_patient(store, args.ref)
        path = args.out or store.path.parent / "reports" / f"progress-{patient.ref}.png"
        seen = draw_progress(store, patient, path)
        told = say(
            "progress of {ref} over {n} sessions: {path} (and .pdf)",
            ref=patient.ref,
            n=len(seen),
            path=path,
        )
        out(told + "\n")
    else:
        _show(store, get_patient(store, args.ref), shown, as_json=args.json)
    return 0


def _show(store: SessionStore, p: Patient, shown: Shown, *, as_json: bool) -> None:
    rows = sessions_of(store, p.id)
    if as_json:
        data = {
            **p.model_dump(mode="json"),
            "sessions": [
                {
                    "id": r["id"],
                    "started_at": r["started_at"],
                    "protocol": r["protocol_name"],
                    "outcome": r["outcome"],
                    "prescription": json.loads(r["prescription_json"] or "null"),
                    "setup": json.loads(r["setup_json"] or "null"),
                }
                for r in rows
            ],
            "changes": len(changes_of(store, p.id)),
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out, say, lang = sys.stdout.write, shown.say, shown.language
    out(shown.line(p) + "\n")
    if p.notes:
        out(say("notes: {notes}", notes=p.notes) + "\n")
    changes = len(changes_of(store, p.id))
    out(
        say(
            "registered {when}; {n} change(s) kept",
            when=local(p.created_at, language=lang),
            n=changes,
        )
        + "\n"
    )
    for r in rows:
        given = (
            Prescription.model_validate_json(r["prescription_json"]).describe()
            if r["prescription_json"]
            else "-"
        )
        when = local(r["started_at"], language=lang)
        protocol, outcome = said(lang, r["protocol_name"]), said(lang, r["outcome"])
        session = say("session {id}", id=r["id"])
        out(f"  {session}  {when}  {protocol}: {said(lang, given)}; {outcome}\n")
    if not rows:
        out(f"  {say('no sessions yet')}\n")
