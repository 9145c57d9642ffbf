"""What the console's table owner is doing: one typed state, shown to every page."""

from __future__ import annotations

import enum


class Activity(enum.StrEnum):
    """A string value: the page shows it, and the API carries it, as it is."""

    STARTING = "starting"
    IDLE = "idle"
    PREPARING = "preparing"  # a treatment asked for: record, self-test, tare
    TREATING = "treating"
    AWAITING = "awaiting acknowledgement"  # a session ended: its alarms wait for a technician
    HOMING = "homing"
    CHECKING = "checking"  # the daily check, step by step
