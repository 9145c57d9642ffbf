"""The audit trail's hash chain, pure: every event carries the hash of the one before it.

One chain runs through the whole store (not one per session), so removing a whole session's
events breaks it too. Each hash covers the event exactly as stored (the data column is
canonical JSON text), so verifying needs no re-serialisation that could differ between
versions. A chain without a secret key detects accidental and casual changes -- an edited,
deleted or reordered row -- not a forger who recomputes every later hash; that needs a
signed head kept off the machine (noted in docs/records.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(data: Mapping[str, Any]) -> str:
    """The one JSON spelling of an event's data (sorted keys, no spaces, no NaN)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    """An event row as stored."""

    seq: int
    session_id: int
    at: str  # wall clock, ISO 8601 UTC
    t_s: float | None  # session clock
    kind: str
    priority: str
    message: str
    data: str  # canonical JSON
    prev_hash: str
    hash: str


def event_hash(prev_hash: str, body: Sequence[object]) -> str:
    """SHA-256 over the previous hash and the row's fields in their stored order
    (seq, session_id, at, t_s, kind, priority, message, data)."""
    text = json.dumps([prev_hash, *body], separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recompute(e: ChainedEvent) -> str:
    return event_hash(
        e.prev_hash, (e.seq, e.session_id, e.at, e.t_s, e.kind, e.priority, e.message, e.data)
    )


SEALED_BEFORE_MUSCLES = 10  # the sample columns of stores before schema 5


def _nothing(values: Sequence[object]) -> bool:
    return all(v is None for v in values)


def samples_digest(rows: Iterable[Sequence[object]]) -> str:
    """SHA-256 over a session's sample rows in cycle order, every value by its repr (exact
    for floats). Sealed into the chain when the session ends, so that the samples -- too many
    to chain one by one -- cannot be edited or deleted unnoticed afterwards either."""
    digest = hashlib.sha256()
    for full in rows:
        # the columns added later (the muscles') count only where they hold something, so
        # a session sealed before they existed verifies as it was sealed
        row = full[:SEALED_BEFORE_MUSCLES] if _nothing(full[SEALED_BEFORE_MUSCLES:]) else full
        digest.update(("\x1f".join(repr(v) for v in row) + "\n").encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    """Where a chain (or one session's part of it) must end: its last seq and hash."""

    count: int
    last_hash: str | None


def verify_chain(events: Iterable[ChainedEvent], head: Head) -> list[str]:
    """Every problem found in the whole chain, in seq order; empty when it is intact.

    `events` must be in seq order as read from the store. A gap in seq is a deleted row; a
    prev_hash that does not match the previous row is a removed or reordered row; a hash
    that does not match its row's content is an edited row; a chain shorter than its head
    says is a deleted tail.
    """
    problems: list[str] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for e in events:
        count += 1
        if e.seq != expected_seq:
            problems.append(
                f"event seq {expected_seq}..{e.seq - 1} missing (deleted rows)"
                if e.seq > expected_seq
                else f"event seq {e.seq} out of order (expected {expected_seq})"
            )
        if e.prev_hash != prev:
            problems.append(
                f"event seq {e.seq}: does not follow the event before it "
                "(a row was removed, inserted or reordered)"
            )
        if recompute(e) != e.hash:
            problems.append(f"event seq {e.seq}: content does not match its hash (edited)")
        expected_seq, prev = e.seq + 1, e.hash
    if count != head.count or (head.count and prev != head.last_hash):
        problems.append(
            f"the chain holds {count} events but its head records {head.count} "
            "(events at the end were deleted, or the head was edited)"
        )
    return problems


def verify_session(events: list[ChainedEvent], head: Head, session_id: int) -> list[str]:
    """One session's share of the chain against the head kept in its session row."""
    mine = [e for e in events if e.session_id == session_id]
    last = mine[-1].hash if mine else None
    if len(mine) != head.count or last != head.last_hash:
        return [
            f"session {session_id}: {len(mine)} events in the chain, its record says "
            f"{head.count} (its events were deleted or its record edited)"
        ]
    return []
