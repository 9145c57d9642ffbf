"""Bringing a table to the point where a treatment may start, the same way everywhere.

Connect (identity, ICD version, hardware limits), derive the board's interlocks from the
safety limits for this patient and read them back, tare, and build the safety supervisor
whose release request goes straight to this link. The session self-test of the controller
issue builds on this.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware_bridge import BoardIdentity, InterlockConfig, TableLink, Telemetry
from safety.interlocks import configure_board
from safety.limits import Region, SafetyLimits
from safety.supervisor import SafetySupervisor


@dataclass(frozen=True, slots=True)
class Prepared:
    identity: BoardIdentity
    limits: SafetyLimits
    force_limit_n: float
    interlocks: InterlockConfig
    telemetry: Telemetry
    supervisor: SafetySupervisor


def prepare(link: TableLink, limits: SafetyLimits, *, region: Region, weight_kg: float) -> Prepared:
    identity = link.connect()
    force_limit = limits.force_limit_n(region, weight_kg)
    interlocks = configure_board(link, limits, force_limit)
    telemetry = link.tare()
    supervisor = SafetySupervisor(
        limits,
        force_limit_n=force_limit,
        hw_force_max_n=identity.limits.force_max_n,
        request_release=link.release_now,
    )
    return Prepared(identity, limits, force_limit, interlocks, telemetry, supervisor)
