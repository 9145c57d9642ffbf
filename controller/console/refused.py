"""A technician's request the console cannot do now, and the name every action is recorded with."""

from __future__ import annotations

NAME_MAX = 60


class Refused(ValueError):
    """What a technician asked cannot be done now; the message says why."""


def operator_name(operator: str) -> str:
    """The operator's name as recorded: whitespace collapsed, never empty."""
    name = " ".join(str(operator or "").split())
    if not name:
        raise Refused("enter the operator's name: every action is recorded with it")
    return name[:NAME_MAX]
