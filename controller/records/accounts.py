"""The table's accounts, in its records store: who may sign in, with which role.

Kept in the store beside the sessions because the records name people, and the names must
mean one account each for as long as the records are kept: an account is disabled, never
deleted, and a name is never given to a second account. Every change to an account is kept
(account_changes), with who made it. Until the first administrator exists the store is
open: actions are recorded under a typed name, as before accounts (docs/people.md).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from controller.people.pins import (
    check_new_pin,
    hash_pin,
    new_token,
    pin_matches,
    spend_a_hash,
    token_digest,
)
from controller.people.roles import Role, Task, refusal
from controller.records.store import SessionStore, utc_now
from controller.words.catalogue import checked

log = structlog.get_logger(__name__)

LOCKOUT_FAILURES = 5  # wrong PINs in a row before the account locks
LOCKOUT_S = 300.0  # how long it stays locked (or until an administrator resets the PIN)
NAME_MAX = 60
FIRST = "(first start)"  # who made the first administrator


class AccountError(ValueError):
    """An account request that cannot be done; the message says why, in a person's words."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    disabled: bool = False
    language: str | None = None  # the console's words for this person; None: the site's

    def refusal(self, task: Task) -> str | None:
        return refusal(self.name, self.role, task)

    def require(self, task: Task) -> None:
        why = self.refusal(task)
        if why:
            raise AccountError(why)

    @property
    def signature(self) -> str:
        """How the user is shown in the records: name and role."""
        return f"{self.name} ({self.role.value})"


def accounts_exist(store: SessionStore) -> bool:
    """Whether the store is closed: once an administrator exists, everyone signs in."""
    row = store.db.execute(
        "SELECT 1 FROM users WHERE role = ? LIMIT 1", (Role.ADMINISTRATOR.value,)
    ).fetchone()
    return row is not None


def clean_name(name: str) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise AccountError("an account needs a name")
    if len(text) > NAME_MAX:
        raise AccountError(f"a name has at most {NAME_MAX} characters")
    return text


def add_user(store: SessionStore, name: str, role: Role, pin: str, *, by: User | None) -> User:
    """A new account. Without `by`, only the first administrator, on a store with none."""
    name = clean_name(name)
    if by is None:
        if accounts_exist(store):
            raise AccountError("accounts exist: an administrator adds the next one")
        if role is not Role.ADMINISTRATOR:
            raise AccountError("the first account is the administrator's")
    else:
        by.require(Task.ACCOUNTS)
    try:
        check_new_pin(pin, name)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    maker = FIRST if by is None else by.name
    try:
        with store.writing():
            store.db.execute(
                "INSERT INTO users (name, role, pin_hash, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, role.value, hash_pin(pin), utc_now(), maker),
            )
            _changed(store, maker, name, f"account made, role {role.value}")
    except sqlite3.IntegrityError:
        raise AccountError(f"{name!r} is taken: a name belongs to one account, for good") from None
    return User(name, role)


def users(store: SessionStore) -> list[sqlite3.Row]:
    return store.db.execute(
        "SELECT name, role, disabled, failures, locked_until, created_at, created_by "
        "FROM users ORDER BY id"
    ).fetchall()


def active_names(store: SessionStore) -> list[str]:
    """The names that may sign in, for the sign-in's name keys (the table's own staff)."""
    rows = store.db.execute("SELECT name FROM users WHERE disabled = 0 ORDER BY name").fetchall()
    return [str(r[0]) for r in rows]


def account_changes(store: SessionStore) -> list[sqlite3.Row]:
    return store.db.execute("SELECT * FROM account_changes ORDER BY id").fetchall()


def find_user(store: SessionStore, name: str) -> User:
    row = _row(store, name)
    if row is None:
        raise AccountError(f"no account named {name!r}")
    return _user(row)


def sign_in(store: SessionStore, name: str, pin: str, *, now: datetime | None = None) -> User:
    """The account, when the PIN is right and the account may sign in; else AccountError.

    The same words for an unknown name and a wrong PIN (they must not tell which names
    exist); a locked or disabled account says so, since its owner must go to an administrator.
    """
    now = now or datetime.now(UTC)
    row = _row(store, clean_name(name) if name.strip() else "")
    if row is None:
        spend_a_hash(pin)
        raise AccountError("name or PIN not recognised")
    if row["disabled"]:
        raise AccountError(f"the account {row['name']} is disabled: ask an administrator")
    locked = row["locked_until"]
    if locked and datetime.fromisoformat(locked) > now:
        left = (datetime.fromisoformat(locked) - now).total_seconds()
        raise AccountError(
            f"the account {row['name']} is locked after {LOCKOUT_FAILURES} wrong PINs: "
            f"try again in {max(1, round(left / 60))} min, or ask an administrator"
        )
    if not pin_matches(pin, row["pin_hash"]):
        failures = int(row["failures"]) + 1
        until = (
            (now + timedelta(seconds=LOCKOUT_S)).isoformat()
            if failures >= LOCKOUT_FAILURES
            else None
        )
        with store.writing():
            store.db.execute(
                "UPDATE users SET failures = ?, locked_until = ? WHERE id = ?",
                (0 if until else failures, until, row["id"]),
            )
            if until:
                _changed(store, "(sign-in)", row["name"], f"locked after {failures} wrong PINs")
        # the person is told; the log keeps it (a lockout is an account change as well)
        log.info("sign-in refused", account=row["name"], failures=failures, locked=bool(until))
        if until:
            raise AccountError(
                f"the account {row['name']} is now locked for {LOCKOUT_S / 60:g} min "
                f"after {LOCKOUT_FAILURES} wrong PINs"
            )
        raise AccountError("name or PIN not recognised")
    if row["failures"] or row["locked_until"]:
        with store.writing():
            store.db.execute(
                "UPDATE users SET failures = 0, locked_until = NULL WHERE id = ?", (row["id"],)
            )
    return _user(row)


def set_pin(store: SessionStore, name: str, pin: str, *, by: User) -> None:
    """A new PIN: the account's own, or any account's by an administrator (which unlocks it)."""
    target = find_user(store, name)
    if by.name.lower() != target.name.lower():
        by.require(Task.ACCOUNTS)
    try:
        check_new_pin(pin, target.name)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    with store.writing():
        store.db.execute(
            "UPDATE users SET pin_hash = ?, failures = 0, locked_until = NULL WHERE name = ?",
            (hash_pin(pin), target.name),
        )
        store.db.execute(
            "DELETE FROM user_tokens WHERE user_id = (SELECT id FROM users WHERE name = ?)",
            (target.name,),
        )
        _changed(store, by.name, target.name, "PIN changed (its token files revoked)")


def set_role(store: SessionStore, name: str, role: Role, *, by: User) -> None:
    by.require(Task.ACCOUNTS)
    target = find_user(store, name)
    if target.role is Role.ADMINISTRATOR and role is not Role.ADMINISTRATOR:
        _keep_an_administrator(store, target.name)
    with store.writing():
        store.db.execute("UPDATE users SET role = ? WHERE name = ?", (role.value, target.name))
        _changed(store, by.name, target.name, f"role {target.role.value} -> {role.value}")


SITE_LANGUAGE = "the site's"  # an account's language when it has none of its own


def set_language(store: SessionStore, name: str, language: str | None, *, by: User) -> None:
    """The person's own language at the console (None: the site's); their own, or an
    administrator's change."""
    target = find_user(store, name)
    if by.name != target.name:
        by.require(Task.ACCOUNTS)
    if language is not None:
        checked(language)
    with store.writing():
        store.db.execute("UPDATE users SET language = ? WHERE name = ?", (language, target.name))
        _changed(store, by.name, target.name, f"language {language or SITE_LANGUAGE}")


def disable(store: SessionStore, name: str, *, by: User) -> None:
    """The account can no longer sign in; its name stays on every record it is in."""
    by.require(Task.ACCOUNTS)
    target = find_user(store, name)
    if target.role is Role.ADMINISTRATOR:
        _keep_an_administrator(store, target.name)
    with store.writing():
        store.db.execute("UPDATE users SET disabled = 1 WHERE name = ?", (target.name,))
        store.db.execute(
            "DELETE FROM user_tokens WHERE user_id = (SELECT id FROM users WHERE name = ?)",
            (target.name,),
        )
        _changed(store, by.name, target.name, "disabled")


def issue_token(store: SessionStore, name: str, *, by: User) -> str:
    """A token for a script's or a HIL run's token file; it acts with the account's role."""
    target = find_user(store, name)
    if by.name.lower() != target.name.lower():
        by.require(Task.ACCOUNTS)
    if target.disabled:
        raise AccountError(f"the account {target.name} is disabled")
    token = new_token()
    with store.writing():
        store.db.execute(
            "INSERT INTO user_tokens VALUES ((?), (SELECT id FROM users WHERE name = ?), ?)",
            (token_digest(token), target.name, utc_now()),
        )
        _changed(store, by.name, target.name, "token file issued")
    return token


def by_token(store: SessionStore, token: str) -> User:
    row = store.db.execute(
        "SELECT u.* FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_sha256 = ?",
        (token_digest(token),),
    ).fetchone()
    if row is None:
        raise AccountError("the token file is not recognised (revoked, or for another table)")
    if row["disabled"]:
        raise AccountError(f"the account {row['name']} is disabled: ask an administrator")
    return _user(row)


def _keep_an_administrator(store: SessionStore, leaving: str) -> None:
    others = store.db.execute(
        "SELECT COUNT(*) FROM users WHERE role = ? AND disabled = 0 AND name != ?",
        (Role.ADMINISTRATOR.value, leaving),
    ).fetchone()[0]
    if not others:
        raise AccountError(f"{leaving} is the last administrator: add another one first")


def _row(store: SessionStore, name: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = store.db.execute(
        "SELECT * FROM users WHERE name = ?", (name,)
    ).fetchone()
    return row


def _user(row: sqlite3.Row) -> User:
    return User(str(row["name"]), Role(row["role"]), bool(row["disabled"]), row["language"])


def _changed(store: SessionStore, by: str, name: str, change: str) -> None:
    store.db.execute(
        "INSERT INTO account_changes (at, by, name, change) VALUES (?, ?, ?, ?)",
        (utc_now(), by, name, change),
    )
    log.info("account changed", account=name, by=by, change=change)
