"""`traction patients add | list | show | edit`: the patient register.

A treatment for a registered patient takes the weight from here (`traction run --patient
REF`), so the weight is entered once with the date it was measured, and an edit keeps the
previous entry. Exit codes: 0 done, 2 invalid input (the message names the field).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, get_args

from controller.app.site_config import SiteConfigError, site_config
from controller.cli.identity import acting, add_identity_args
from controller.clinic.dose import Prescription
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
        return _act(args, store)
    except (PatientError, AccountError) as exc:
        sys.stderr.write(f"traction patients: refused: {exc}\n")
        return EXIT_INVALID
    finally:
        store.close()


def _act(args: argparse.Namespace, store: SessionStore) -> int:
    out = sys.stdout.write
    if args.action in ("add", "edit"):
        by = acting(args, store, Task.REGISTER, getattr(args, "by", None))
    if args.action == "add":
        data = {"ref": args.ref, "weight_date": date.today(), **_given(args)}
        patient = add_patient(store, validated(data))
        out(f"registered {_line(patient)}\n")
    elif args.action == "list":
        for patient in list_patients(store):
            out(_line(patient) + "\n")
    elif args.action == "edit":
        changes = _given(args)
        if not changes:
            raise PatientError("nothing to change: give --name, --weight, --region, ...")
        patient = edit_patient(store, args.ref, changes, by)
        out(f"changed {_line(patient)}\n")
    elif args.action == "progress":
        from controller.records.progress import draw_progress  # matplotlib: only when drawing

        patient = get_patient(store, args.ref)
        path = args.out or store.path.parent / "reports" / f"progress-{patient.ref}.png"
        seen = draw_progress(store, patient, path)
        out(f"progress of {patient.ref} over {len(seen)} sessions: {path} (and .pdf)\n")
    else:
        _show(store, get_patient(store, args.ref), as_json=args.json)
    return 0


def _line(p: Patient) -> str:
    height = f", {p.height_cm:g} cm" if p.height_cm else ""
    return (
        f"{p.ref:<12} {p.name:<24} {p.weight_kg:g} kg (measured {p.weight_date}){height}, "
        f"{'/'.join(p.regions)}"
    )


def _show(store: SessionStore, p: Patient, *, as_json: bool) -> None:
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
    out = sys.stdout.write
    out(_line(p) + "\n")
    if p.notes:
        out(f"notes: {p.notes}\n")
    out(f"registered {p.created_at}; {len(changes_of(store, p.id))} change(s) kept\n")
    for r in rows:
        given = (
            Prescription.model_validate_json(r["prescription_json"]).describe()
            if r["prescription_json"]
            else "-"
        )
        out(f"  session {r['id']}  {r['started_at'][:16]}  {r['protocol_name']}: {given}; ")
        out(f"{r['outcome']}\n")
    if not rows:
        out("  no sessions yet\n")
