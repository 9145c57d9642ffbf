"""Who is at the console's screens: sign-in, the lock, handover, and the role of every request.

A page signs in with a name and a PIN and is given a badge (a random token, kept by that page
only). Every request that does something carries the badge; the request is done in the
badge's name and refused, with the reason, if its role may not, if the screen is locked, or
if the badge is unknown. A badge locks after the site's idle time (no request from it) and
when its holder badges out; signing in over a locked or another's screen is a handover, and
a running treatment records it. STOP, PAUSE, acknowledging an alarm and pausing its sound
are never asked for a badge (requests.py): a locked screen must still stop a treatment, and
a lock never stops one.

Until the store has an administrator the table is open (controller/records/accounts.py):
requests carry a typed name and the page offers to make the first administrator.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import structlog

from controller.console.refused import Refused
from controller.people.roles import Role, Task
from controller.records.accounts import (
    AccountError,
    User,
    accounts_exist,
    active_names,
    add_user,
    sign_in,
)
from controller.records.store import RecordsError, SessionStore

log = structlog.get_logger(__name__)

_T = TypeVar("_T")
BADGES_KEPT = 64  # pages signed in at once; the oldest badge goes first


@dataclass(slots=True)
class Badge:
    user: User
    last_s: float  # the holder's last request (the idle lock counts from it)
    locked: bool = False


@dataclass(frozen=True, slots=True)
class SignedIn:
    badge: str
    user: User
    handover_from: str | None  # the name on the screen before, when it was someone else


class SignIns:
    """The badges of the pages signed in, in the control process (where requests are judged)."""

    def __init__(self, records: Path, lock_after_s: float, clock: Callable[[], float]) -> None:
        self.records = records
        self.lock_after_s = lock_after_s
        self.clock = clock
        self._badges: dict[str, Badge] = {}
        self._lock = threading.Lock()

    def accounts(self) -> bool:
        """Whether the table asks for sign-in (an administrator exists)."""
        try:
            store = SessionStore(self.records, recover=False)
        except RecordsError:
            return True  # an unreadable store is never an open table
        try:
            return accounts_exist(store)
        finally:
            store.close()

    def names(self) -> list[str]:
        """Who may sign in: the sign-in's name keys, so that nobody types on a touch screen."""
        return self._with_store(active_names)

    def sign_in(self, name: str, pin: str, before: str | None) -> SignedIn:
        """A new badge for this page; `before`: the page's badge until now, if any."""
        user = self._with_store(lambda store: sign_in(store, str(name), str(pin)))
        now = self.clock()
        with self._lock:
            previous = self._badges.pop(before, None) if before else None
            badge = secrets.token_urlsafe(24)
            self._badges[badge] = Badge(user, now)
            while len(self._badges) > BADGES_KEPT:
                self._badges.pop(next(iter(self._badges)))
        handover = None
        if previous is not None and previous.user.name != user.name:
            handover = previous.user.name
        log.info("console signed in", user=user.name, role=user.role.value, handover=handover)
        return SignedIn(badge, user, handover)

    def first_administrator(self, name: str, pin: str) -> SignedIn:
        """The table's first account, from the console's first start; signed in at once."""
        self._with_store(
            lambda store: add_user(store, str(name), Role.ADMINISTRATOR, str(pin), by=None)
        )
        return self.sign_in(name, pin, None)

    def lock(self, badge: str | None) -> User | None:
        """Badge out: the screen locks; its holder stays named until someone signs in."""
        with self._lock:
            held = self._badges.get(badge or "")
            if held is not None:
                held.locked = True
        return None if held is None else held.user

    def touch(self, badge: str | None) -> bool:
        """The holder touched the screen without asking anything: the idle time starts again
        (unless it had already run out). True when the badge is still unlocked."""
        now = self.clock()
        with self._lock:
            held = self._badges.get(badge or "")
            if held is None or held.locked:
                return False
            if now - held.last_s > self.lock_after_s:
                held.locked = True
                return False
            held.last_s = now
            return True

    def holder(self, badge: str | None) -> User | None:
        """Whose badge this is, locked or not (who pressed STOP on a locked screen)."""
        with self._lock:
            held = self._badges.get(badge or "")
        return None if held is None else held.user

    def actor(self, badge: str | None, task: Task) -> User:
        """The user a request is done for; Refused when nobody is signed in, the screen is
        locked (also after the idle time) or the role may not."""
        now = self.clock()
        with self._lock:
            held = self._badges.get(badge or "")
            if held is None:
                raise Refused(f"sign in first: {task} is done in a person's name")
            if not held.locked and now - held.last_s > self.lock_after_s:
                held.locked = True
                log.info("console locked (idle)", user=held.user.name)
            if held.locked:
                raise Refused(f"the screen is locked: sign in for {task}")
            why = held.user.refusal(task)
            if why:
                raise Refused(why)
            held.last_s = now
            return held.user

    def verify(self, name: str, pin: str) -> User:
        """Name and PIN checked again (a signature's two components), without a new badge."""
        return self._with_store(lambda store: sign_in(store, str(name), str(pin)))

    def _with_store(self, do: Callable[[SessionStore], _T]) -> _T:
        try:
            store = SessionStore(self.records, recover=False)
        except RecordsError as exc:
            raise Refused(f"records store unusable: {exc}") from exc
        try:
            return do(store)
        except AccountError as exc:
            raise Refused(str(exc)) from None
        finally:
            store.close()
