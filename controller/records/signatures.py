"""Signing a session's record: who, when, and what the signature means, in the audit chain.

21 CFR Part 11 asks of an electronic signature: a unique person (11.10(d), 11.100), its
manifestation -- the printed name, the date and time and the meaning -- shown wherever the
record is (11.50), and two components, the name and a secret, given at signing (11.200).
So signing takes the name and the PIN again, even from a signed-in screen, and the
signature is an event in the one hash chain: it cannot be removed or edited unnoticed, and
it binds the record as it stood (the session's chain head when signed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from controller.clinic.local_time import local
from controller.people.roles import Task
from controller.records.accounts import sign_in
from controller.records.chain import ChainedEvent
from controller.records.store import NewEvent, RecordsError, SessionStore, utc_now
from controller.words.catalogue import speaker

SIGNATURE = "signature"  # the events' kind
HANDOVER = "handover at the console"  # how a handover's event begins (console/service.py)
MEANINGS = ("reviewed", "approved")


@dataclass(frozen=True, slots=True)
class Signature:
    signer: str
    role: str
    meaning: str
    signed_at: str  # ISO 8601 UTC
    record_head: str  # the session's chain head that the signature covers

    def words(self) -> str:
        return f"{self.meaning} by {self.signer} ({self.role}) at {local(self.signed_at)}"


def sign_session(
    store: SessionStore, session_id: int, name: str, pin: str, meaning: str
) -> Signature:
    """Sign an ended session's record; AccountError (who) or RecordsError (what) if not."""
    if meaning not in MEANINGS:
        raise RecordsError(f"a signature means one of: {', '.join(MEANINGS)}")
    row = store.session(session_id)
    if row["ended_at"] is None:
        raise RecordsError(f"session {session_id} has not ended: a record is signed once closed")
    user = sign_in(store, name, pin)
    user.require(Task.SIGN)
    if any(s.signer == user.name and s.meaning == meaning for s in signatures(store, session_id)):
        raise RecordsError(f"session {session_id} is already {meaning} by {user.name}")
    signature = Signature(user.name, user.role.value, meaning, utc_now(), str(row["head_hash"]))
    store.append(
        session_id,
        events=[
            NewEvent(
                None,
                SIGNATURE,
                "none",
                f"record signed: {signature.words()}",
                {
                    "signer": signature.signer,
                    "role": signature.role,
                    "meaning": meaning,
                    "signed_at": signature.signed_at,
                    "record_head": signature.record_head,
                },
            )
        ],
    )
    return signature


def signatures(store: SessionStore, session_id: int) -> list[Signature]:
    return [_signature(json.loads(e.data)) for e in store.events(session_id) if e.kind == SIGNATURE]


def people_lines(operator: str, events: list[ChainedEvent], language: str = "en") -> list[str]:
    """Who did what, for the report: who ran it, each handover, each signature."""
    say = speaker(language)
    lines = [say("run by {who}", who=operator)]
    lines += [e.message for e in events if e.message.startswith(HANDOVER)]
    signed = [json.loads(e.data) for e in events if e.kind == SIGNATURE]
    lines += [
        say(
            "{meaning} by {signer} ({role}), {when}",
            meaning=say(d["meaning"]),
            signer=d["signer"],
            role=d["role"],
            when=local(d["signed_at"], language=language),
        )
        for d in signed
    ] or [say("not signed yet")]
    return lines


def signed_sessions(store: SessionStore) -> dict[int, list[str]]:
    """Each signed session's signatures' meanings and signers ("approved by Phil"), for lists."""
    out: dict[int, list[str]] = {}
    for row in store.db.execute(
        "SELECT session_id, data FROM events WHERE kind = ? ORDER BY seq", (SIGNATURE,)
    ):
        data = json.loads(row[1])
        out.setdefault(int(row[0]), []).append(f"{data['meaning']} by {data['signer']}")
    return out


def _signature(data: dict[str, Any]) -> Signature:
    return Signature(
        str(data["signer"]),
        str(data["role"]),
        str(data["meaning"]),
        str(data["signed_at"]),
        str(data["record_head"]),
    )
