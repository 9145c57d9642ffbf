"""Who may do what at the table: four roles, and the tasks each role may do (pure).

Why a table and not checks spread through the commands: the console, the command line and
the records all ask the same question ("may this person do this?") and must get the same
answer, with the same reason. STOP, PAUSE, acknowledging an alarm and pausing its sound are
not tasks here: nobody is ever refused them.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    TECHNICIAN = "technician"
    PHYSIOTHERAPIST = "physiotherapist"
    SERVICE = "service"
    ADMINISTRATOR = "administrator"


class Task(StrEnum):
    """What a person asks, in words a refusal can say ("... needs the ... role")."""

    TREAT = "running a treatment"
    DAILY_CHECK = "the daily check"
    HOME = "moving the carriage home"
    NOTE = "a note after a session"
    PRESCRIBE = "a new prescription"
    REGISTER = "changing the patient register"
    SAVE_PROTOCOL = "saving a protocol into the library"
    SIGN = "signing a session's record"
    CALIBRATE = "the calibration verification"
    BACKUP = "a backup of the records"
    RESTORE = "restoring the records from a backup"
    ACCOUNTS = "managing accounts"


_T, _P, _S, _A = Role.TECHNICIAN, Role.PHYSIOTHERAPIST, Role.SERVICE, Role.ADMINISTRATOR
MAY: dict[Task, frozenset[Role]] = {
    Task.TREAT: frozenset({_T, _P}),
    Task.DAILY_CHECK: frozenset({_T, _P, _S}),
    Task.HOME: frozenset({_T, _P, _S}),
    Task.NOTE: frozenset({_T, _P}),
    Task.PRESCRIBE: frozenset({_P}),
    Task.REGISTER: frozenset({_P}),
    Task.SAVE_PROTOCOL: frozenset({_P}),
    Task.SIGN: frozenset({_P}),
    Task.CALIBRATE: frozenset({_S}),
    Task.BACKUP: frozenset({_A, _S}),
    Task.RESTORE: frozenset({_A}),
    Task.ACCOUNTS: frozenset({_A}),
}
ORDER = (_T, _P, _S, _A)  # how roles are listed to people


def role_of(text: str) -> Role:
    """A role from its name; ValueError names the four."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a role: one of {', '.join(r.value for r in ORDER)}"
        ) from None


def refusal(name: str, role: Role, task: Task) -> str | None:
    """None when `role` may do `task`; else the reason, naming the role(s) it needs."""
    allowed = MAY[task]
    if role in allowed:
        return None
    needed = " or ".join(r.value for r in ORDER if r in allowed)
    return f"{task} needs the {needed} role; {name} is signed in as {role.value}"
