"""`traction sessions list | show | export | report | note | save | verify`: the records.

Opening the store marks sessions whose process died as interrupted first, so what is listed
is what is true. Exit codes: 0 done, 1 verification found problems, 2 invalid input (no such
session, unreadable store).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from controller.app.site_config import SiteConfig, SiteConfigError, site_config
from controller.cli.identity import Pins, acting, add_identity_args
from controller.clinic.local_time import local
from controller.clinic.myotonometry import WHEN, Myotonometry, parse_myotonometry
from controller.people.roles import Task
from controller.people.token_file import USER_ENV
from controller.records.accounts import AccountError
from controller.records.export import export_csv, export_json, forget_report
from controller.records.patients import add_note
from controller.records.saved_protocols import save_from_session
from controller.records.schema import SchemaError
from controller.records.signatures import MEANINGS, sign_session, signatures
from controller.records.store import RecordsError, SessionStore
from controller.words.catalogue import said, speaker

EXIT_PROBLEMS = 1
EXIT_INVALID = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sessions", help="list, show, export, report and verify session records")
    p.add_argument("--records", type=Path, default=None, help="records store (SQLite file)")
    acts = p.add_subparsers(dest="action", required=True)
    acts.add_parser("list", help="every session, newest last")
    show = acts.add_parser("show", help="one session: who, what, limits, outcome, events")
    show.add_argument("id", type=int)
    exp = acts.add_parser(
        "export", help="samples as CSV, the whole session as JSON, or sessions as FHIR"
    )
    exp.add_argument("id", type=int, nargs="?", default=None)
    fmt = exp.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_const", const="csv", dest="format")
    fmt.add_argument("--json", action="store_const", const="json", dest="format")
    fmt.add_argument(
        "--fhir",
        action="store_const",
        const="fhir",
        dest="format",
        help="a FHIR R4B transaction bundle: the session, or --patient's, or --since/--until's",
    )
    exp.add_argument("--patient", default=None, help="with --fhir: every session of a patient")
    exp.add_argument("--since", type=date.fromisoformat, default=None, help="YYYY-MM-DD (UTC)")
    exp.add_argument("--until", type=date.fromisoformat, default=None, help="YYYY-MM-DD (UTC)")
    exp.add_argument("--out", type=Path, default=None, help="file (default: standard output)")
    rep = acts.add_parser("report", help="draw the session's force report (PNG)")
    rep.add_argument("id", type=int)
    rep.add_argument("--out", type=Path, default=None, help="PNG file (default: reports dir)")
    note = acts.add_parser("note", help="after the session: pain after (NRS 0-10), comments")
    note.add_argument("id", type=int)
    note.add_argument("--pain-after", type=int, choices=range(11), default=None, metavar="0-10")
    note.add_argument("--comment", default=None, help="the patient's own words")
    for when in WHEN:
        note.add_argument(
            f"--myo-{when}",
            type=_myotonometry,
            default=None,
            metavar="HZ,N/M",
            help=f"myotonometry {when} the session: frequency (Hz), stiffness (N/m)",
        )
    note.add_argument("--by", default=None, help="who notes it (default: the login name)")
    save = acts.add_parser("save", help="save the session's protocol, as run, into the library")
    save.add_argument("id", type=int)
    save.add_argument("--name", required=True, help="the library name (not a preset's)")
    save.add_argument("--description", default="", help="what it is for")
    save.add_argument("--by", default=None, help="who saves it (default: the login name)")
    sign = acts.add_parser("sign", help="sign a closed session's record (name and PIN again)")
    sign.add_argument("id", type=int)
    sign.add_argument("--meaning", choices=MEANINGS, required=True, help="what the signature means")
    ver = acts.add_parser("verify", help="check the audit hash chain and the database")
    ver.add_argument("id", type=int, nargs="?", default=None)
    for action in (note, save, sign):
        add_identity_args(action)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        site = site_config(cli={"records": str(args.records) if args.records else None})
        store = SessionStore(site.records)
    except (SiteConfigError, RecordsError, SchemaError) as exc:
        sys.stderr.write(f"traction sessions: {exc}\n")
        return EXIT_INVALID
    try:
        return _act(args, site, store)
    except RecordsError as exc:
        sys.stderr.write(f"traction sessions: {said(site.language, str(exc))}\n")
        return EXIT_INVALID
    except AccountError as exc:
        refused = speaker(site.language)("refused: {why}", why=said(site.language, str(exc)))
        sys.stderr.write(f"traction sessions: {refused}\n")
        return EXIT_INVALID
    finally:
        store.close()


def _export_fhir(args: argparse.Namespace, site: SiteConfig, store: SessionStore) -> int:
    from controller.records.fhir.session_bundle import (  # fhir.resources: 0.15 s
        session_bundle,
        sessions_between,
    )

    if args.id is not None:
        ids = [args.id]
    elif args.patient or args.since or args.until:
        ids = sessions_between(store, args.patient, args.since, args.until)
    else:
        raise RecordsError("name a session, --patient REF, or --since/--until dates")
    if not ids:
        raise RecordsError("no ended session matches")
    text = session_bundle(store, ids, site.patient_system).model_dump_json(
        exclude_none=True, indent=1
    )
    if args.out is None:
        sys.stdout.write(text + "\n")
    else:
        args.out.write_text(text + "\n", encoding="utf-8")
        told = speaker(site.language)(
            "{n} session(s) as FHIR R4B written to {path}", n=len(ids), path=args.out
        )
        sys.stdout.write(told + "\n")
    return 0


def _act(args: argparse.Namespace, site: SiteConfig, store: SessionStore) -> int:
    out, lang = sys.stdout.write, site.language
    say = speaker(lang)
    if args.action == "list":
        rows = store.sessions()
        if not rows:
            out(say("no sessions in {records}", records=site.records) + "\n")
        for r in rows:
            line = say(
                "{protocol} patient {ref} operator {who} {outcome}",
                protocol=f"{said(lang, r['protocol_name']):<24}",
                ref=f"{r['patient_ref'] or '-':<10}",
                who=f"{r['operator']:<10}",
                outcome=said(lang, r["outcome"]),
            )
            out(f"{r['id']:>5}  {local(r['started_at'], language=lang)}  {line}\n")
        return 0
    if args.action == "show":
        r = store.session(args.id)
        for key in r.keys():  # noqa: SIM118 - sqlite3.Row iterates values, not keys
            if key not in ("protocol_json", "head_hash"):
                out(f"{key:<17} {r[key]}\n")
        out(f"{'protocol':<17} {r['protocol_json']}\n")
        out(f"{'samples':<17} {len(store.samples(args.id))}\nevents:\n")
        for e in store.events(args.id):
            t = "      -" if e.t_s is None else f"{e.t_s:7.2f}"
            out(f"  {e.seq:>6} {t} s  {e.kind:<8} {e.priority:<6} {e.message}\n")
        return 0
    if args.action == "export":
        if args.format == "fhir":
            return _export_fhir(args, site, store)
        if args.id is None:
            raise RecordsError("name the session to export (a patient or dates: with --fhir)")
        export = export_json if args.format == "json" else export_csv
        if args.out is None:
            export(store, args.id, sys.stdout)
        else:
            with args.out.open("w", encoding="utf-8", newline="") as f:
                n = export(store, args.id, f)
            out(say("session {id}: {n} samples written to {path}", id=args.id, n=n, path=args.out))
            out("\n")
        return 0
    if args.action == "report":
        from controller.records.report import draw_report  # matplotlib: only when drawing

        report = draw_report(store, args.id, args.out or site.report_path(args.id), site.units)
        pdf = report.path.with_suffix(".pdf").name
        out(say("report: {path} (and {pdf})", path=report.path, pdf=pdf) + "\n")
        return 0
    if args.action == "note":
        return _note(args, store, lang)
    if args.action == "sign":
        return _sign(args, site, store)  # in the site's language: its words below
    if args.action == "save":
        by = acting(args, store, Task.SAVE_PROTOCOL, args.by)
        saved = save_from_session(store, args.id, args.name, by, args.description)
        out(
            say(
                "saved as {name} in the library: {description}",
                name=repr(saved.name),
                description=saved.description,
            )
            + "\n"
        )
        return 0
    problems = store.verify(args.id)
    scope = (
        say("session {id}", id=args.id)
        if args.id is not None
        else say("all {n} sessions", n=len(store.sessions()))
    )
    if problems:
        out(say("VERIFY FAILED ({scope} in {records}):", scope=scope, records=site.records) + "\n")
        for p in problems:
            out(f"  - {p}\n")
        return EXIT_PROBLEMS
    verified = say(
        "verified: {scope} in {records}: audit chain of {n} events intact, every session's "
        "record matches its chained start, integrity_check ok",
        scope=scope,
        records=site.records,
        n=len(store.events()),
    )
    out(verified + "\n")
    for row in [store.session(args.id)] if args.id is not None else store.sessions():
        for s in signatures(store, int(row["id"])):
            out(f"  {say('session {id}', id=row['id'])}: {said(lang, s.words())}\n")
    return 0


def _sign(args: argparse.Namespace, site: SiteConfig, store: SessionStore) -> int:
    """Two components at signing (21 CFR 11.200): the name and the PIN, asked again."""
    pins = Pins(args)
    name = args.user or os.environ.get(USER_ENV)
    if not name:
        raise AccountError("name the signing account with --user: a signature is a person's")
    signature = sign_session(store, args.id, name, pins.ask(f"PIN for {name}: "), args.meaning)
    forget_report(site.report_path(args.id))  # drawn again with the signature
    say = speaker(site.language)
    sys.stdout.write(
        f"{say('session {id}', id=args.id)}: {said(site.language, signature.words())}\n"
    )
    return 0


def _note(args: argparse.Namespace, store: SessionStore, language: str) -> int:
    """Added beside the sealed record, never into it: the chain stays as the session left it."""
    by = acting(args, store, Task.NOTE, args.by)
    myo = {w: getattr(args, f"myo_{w}") for w in WHEN}
    if args.pain_after is None and not args.comment and not any(myo.values()):
        sys.stderr.write(
            "traction sessions note: give --pain-after, --comment, --myo-before or --myo-after\n"
        )
        return EXIT_INVALID
    if args.pain_after is not None:
        add_note(store, args.id, by, "pain_after", {"pain": args.pain_after})
    for when, measured in myo.items():
        if measured is not None:
            add_note(store, args.id, by, f"myotonometry_{when}", measured.model_dump())
    if args.comment:
        add_note(store, args.id, by, "comment", {"text": args.comment})
    told = speaker(language)(
        "session {id}: noted (the report shows it when drawn again)", id=args.id
    )
    sys.stdout.write(told + "\n")
    return 0


def _myotonometry(text: str) -> Myotonometry:
    try:
        return parse_myotonometry(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
