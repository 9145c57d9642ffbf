"""The store's own identity, for identifiers that stay unique across a clinic's tables.

Session 7 exists at every table; the store's random UID (meta `store_uid`, made with the
store, kept by a backup and its restore) tells them apart, and so makes a push idempotent.
"""

from __future__ import annotations

import uuid

from controller.records.store import SessionStore

_KINDS = ("sessions", "observations", "device", "patients")


def store_uid(store: SessionStore) -> uuid.UUID:
    row = store.db.execute("SELECT value FROM meta WHERE key = 'store_uid'").fetchone()
    return uuid.UUID(hex=str(row[0]))


def system(store: SessionStore, kind: str) -> str:
    """The identifier system of one kind of the store's things: a URI of its own."""
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(_KINDS)}")
    return f"urn:uuid:{uuid.uuid5(store_uid(store), kind)}"


def entry_url(system_uri: str, value: str) -> str:
    """A bundle entry's stable fullUrl for identifier (system, value)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{system_uri}|{value}')}"
