"""`traction run`'s clinical arguments: patient, dose, set-up, repeat last, the confirmation.

For a registered patient the command shows what will run (the dose as written and in N, the
set-up, the contraindication checklist) and starts only on a typed "yes" within
CONFIRM_S: the same confirmation the console asks for. Without --patient it runs as it
always has, from --weight, with the prescription still recorded.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, get_args

from pydantic import ValidationError

from controller.cli.terminal_technician import ask_yes
from controller.clinic.dose import Dose, parse_dose
from controller.clinic.setup import CONTRAINDICATIONS, Checks, Harness, Position, Setup, SplitTable
from controller.protocols.models import ProtocolFile
from controller.records.patients import PatientError
from controller.records.prescribing import PlannedSession, last_of, plan_session
from controller.records.saved_protocols import resolve
from controller.records.store import SessionStore
from controller.words.catalogue import DEFAULT as DEFAULT_LANGUAGE
from controller.words.catalogue import speaker
from safety.limits import SafetyLimits

CONFIRM_S = 120.0
_SETUP_FLAGS = ("angle", "position", "harness", "split")


class NotStarted(Exception):
    """The technician did not confirm; nothing was sent."""


def _dose(text: str) -> Dose:
    try:
        return parse_dose(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocol", nargs="?", default=None, help="preset, saved protocol or TOML file")
    p.add_argument("--weight", type=float, default=None, metavar="KG", help="(unregistered)")
    p.add_argument("--patient", default=None, metavar="REF", help="a registered patient")
    p.add_argument(
        "--dose", type=_dose, default=None, help="highest force: 40%%BW, 25kg, 55lb or 240N"
    )
    p.add_argument("--repeat-last", action="store_true", help="the patient's last treatment")
    p.add_argument("--angle", type=float, default=None, metavar="DEG", help="angle of pull")
    p.add_argument("--position", choices=get_args(Position), default=None)
    p.add_argument("--harness", choices=get_args(Harness), default=None)
    p.add_argument("--split", choices=get_args(SplitTable), default=None, help="split table")
    p.add_argument("--pain-before", type=int, default=None, metavar="0-10", help="NRS")


def _setup(args: argparse.Namespace, carried: Setup | None) -> Setup | None:
    given = {k: getattr(args, k) for k in _SETUP_FLAGS if getattr(args, k) is not None}
    if not given:
        return carried
    base: dict[str, Any] = carried.model_dump() if carried is not None else {}
    names = {"angle": "angle_deg", "split": "split_table"}
    base.update({names.get(k, k): v for k, v in given.items()})
    try:
        return Setup.model_validate(base)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise PatientError(
            f"set-up: {fields} missing or wrong (--angle, --position, --harness, --split)"
        ) from exc


def plan_from(
    args: argparse.Namespace,
    store: SessionStore,
    limits: SafetyLimits,
    language: str = DEFAULT_LANGUAGE,
) -> PlannedSession:
    """Raises PatientError, ProtocolError or NotConfirmed; nothing has been sent."""
    entry: ProtocolFile | None = None
    dose, setup = args.dose, None
    if args.repeat_last:
        if not args.patient:
            raise PatientError("--repeat-last needs --patient")
        last = last_of(store, args.patient)
        say = speaker(language)
        when = last.started_at
        sys.stdout.write(
            say("repeating session {id} of {when}", id=last.session_id, when=when) + "\n"
        )
        entry, dose, setup = last.entry, args.dose or last.dose, last.setup
    if args.protocol:
        entry = resolve(store, args.protocol)
    if entry is None:
        raise PatientError("protocol: name a preset or file, or --repeat-last with --patient")
    setup = _setup(args, setup)
    checks = (
        Checks(contraindications_none=True, pain_before=args.pain_before) if args.patient else None
    )
    return plan_session(
        store,
        entry,
        limits,
        patient_ref=args.patient,
        weight_kg=args.weight,
        dose=dose,
        setup=setup,
        checks=checks,
    )


def confirm(plan: PlannedSession, language: str = DEFAULT_LANGUAGE) -> None:
    """A registered patient's session is shown and starts only on yes (in `language`)."""
    out, say = sys.stdout.write, speaker(language)
    for line in plan.summary(language):
        out(f"  {line}\n")
    if plan.patient is None:
        return
    out(f"  {say('contraindications (none may apply):')}\n")
    for item in CONTRAINDICATIONS:
        out(f"    - {say(item)}\n")
    out("  " + say("none applies and start? type yes (within {s} s): ", s=f"{CONFIRM_S:g}"))
    sys.stdout.flush()
    if not ask_yes(CONFIRM_S):
        raise NotStarted("not confirmed: nothing was started")
