"""Protocols saved from a session into the library, beside the built-in presets.

A clinician who has found what suits a patient keeps it under a name: the protocol as the
session ran it, its times as changed during the session and its forces moved by the
technician's force change. A saved protocol is in newtons like a preset and is prescribed the
same way (scaled to a patient by a dose, checked against the limits for each patient), so it
never raises a limit. It is never edited or overwritten: a change is saved under a new name,
and the record of where it came from (session, who, when) stays with it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from controller.protocols.checks import TREATMENT_FORCE_FIELDS
from controller.protocols.library import load_protocol, presets
from controller.protocols.models import ProtocolFile
from controller.records.store import RecordsError, SessionStore, utc_now

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.+-]{0,79}")  # a name, never a path


def as_run(store: SessionStore, session_id: int) -> tuple[ProtocolFile, list[str]]:
    """The session's protocol with the technician's changes, and those changes in words."""
    row = store.session(session_id)
    entry = ProtocolFile.model_validate_json(row["protocol_json"])
    protocol: dict[str, Any] = entry.protocol.model_dump(mode="json")
    changes: list[str] = []
    offset = 0.0
    for event in store.events(session_id):
        data = json.loads(event.data)
        if "protocol_as_run" in data:  # a change of times (Treatment.retime)
            protocol = json.loads(data["protocol_as_run"])
            changes.append(event.message)
        elif "offset_n" in data and "delta_n" in data:  # a force change: the sum so far
            offset = float(data["offset_n"])
    if offset:
        for step in protocol["steps"] if protocol["kind"] == "program" else [protocol]:
            for name in TREATMENT_FORCE_FIELDS:
                if name in step:
                    step[name] = round(step[name] + offset, 1)
        changes.append(f"forces {offset:+g} N")
    try:
        run = ProtocolFile.model_validate(
            {
                "name": entry.name,
                "description": entry.description,
                "protocol": protocol,
                "emg_gate": entry.emg_gate,
            }
        )
    except ValidationError as exc:
        raise RecordsError(
            f"session {session_id}: its protocol as run is not valid: {exc}"
        ) from exc
    return run, changes


def save_from_session(
    store: SessionStore, session_id: int, name: str, by: str, description: str = ""
) -> ProtocolFile:
    """Saved under `name` (RecordsError: a bad or taken name, an unknown session)."""
    name, by = name.strip(), by.strip()
    if not by:
        raise RecordsError("saving a protocol needs the name of whoever saves it")
    if not NAME.fullmatch(name):
        raise RecordsError(
            f"protocol name {name!r}: 1-80 letters, digits, spaces and _ . + -, "
            "starting with a letter or digit"
        )
    if name in presets() or find_saved(store, name) is not None:
        raise RecordsError(f"protocol name {name!r} is taken: choose another")
    run, changes = as_run(store, session_id)
    started = str(store.session(session_id)["started_at"])[:10]
    origin = f"saved from session {session_id} of {started}" + (
        f" as run ({'; '.join(changes)})" if changes else ""
    )
    saved = ProtocolFile(
        name=name,
        description=f"{description.strip()} ({origin})" if description.strip() else origin,
        protocol=run.protocol,
        emg_gate=run.emg_gate,
    )
    with store.db:
        store.db.execute(
            "INSERT INTO saved_protocols "
            "(name, description, protocol_json, from_session, saved_by, saved_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (name, saved.description, saved.model_dump_json(), session_id, by, utc_now()),
        )
    return saved


def saved_rows(store: SessionStore) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in store.db.execute(
            "SELECT name, description, from_session, saved_by, saved_at "
            "FROM saved_protocols ORDER BY name"
        )
    ]


def find_saved(store: SessionStore, name: str) -> ProtocolFile | None:
    row = store.db.execute(
        "SELECT protocol_json FROM saved_protocols WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else ProtocolFile.model_validate_json(row[0])


def library(store: SessionStore) -> dict[str, ProtocolFile]:
    """Presets and saved protocols by name (names never collide: saving refuses it)."""
    saved = {
        r[0]: ProtocolFile.model_validate_json(r[1])
        for r in store.db.execute("SELECT name, protocol_json FROM saved_protocols")
    }
    return {**presets(), **saved}


def resolve(store: SessionStore, name_or_path: str) -> ProtocolFile:
    """A preset, a saved protocol, or a TOML file (ProtocolError naming what exists)."""
    return load_protocol(name_or_path, library(store))
