"""The console's badges: sign-in, the idle lock, badge-out, handover, and what never waits."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from controller.console.refused import Refused
from controller.console.requests import ALWAYS, TASKS, UNSIGNED, acting_name
from controller.console.sign_in import SignIns
from controller.people.roles import Role, Task
from controller.records.accounts import add_user
from controller.records.store import SessionStore

LOCK_S = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_table(tmp_path: Path, clock: Clock) -> SignIns:
    """A store with no accounts yet."""
    db = tmp_path / "open.sqlite3"
    SessionStore(db).close()
    return SignIns(db, LOCK_S, clock)


@pytest.fixture
def signins(tmp_path: Path, clock: Clock) -> SignIns:
    db = tmp_path / "r.sqlite3"
    store = SessionStore(db)
    admin = add_user(store, "Ada", Role.ADMINISTRATOR, "9173", by=None)
    add_user(store, "Tess", Role.TECHNICIAN, "2468", by=admin)
    add_user(store, "Phil", Role.PHYSIOTHERAPIST, "1357", by=admin)
    store.close()
    return SignIns(db, LOCK_S, clock)


@pytest.mark.requirement("SR-058")
def test_a_request_is_done_in_the_badges_name_and_refused_outside_its_role(
    signins: SignIns,
) -> None:
    tess = signins.sign_in("Tess", "2468", None)
    assert signins.actor(tess.badge, Task.TREAT).name == "Tess"
    with pytest.raises(Refused, match="needs the physiotherapist role; Tess"):
        signins.actor(tess.badge, Task.REGISTER)
    with pytest.raises(Refused, match="sign in first"):
        signins.actor("forged", Task.TREAT)
    with pytest.raises(Refused, match="not recognised"):
        signins.sign_in("Tess", "0000", None)


@pytest.mark.requirement("SR-059")
def test_idle_and_badge_out_lock_and_another_sign_in_is_a_handover(
    signins: SignIns, clock: Clock
) -> None:
    tess = signins.sign_in("Tess", "2468", None)
    clock.now = LOCK_S - 1
    signins.actor(tess.badge, Task.TREAT)  # a request: the idle time counts again from here
    clock.now = 2 * LOCK_S - 2
    signins.actor(tess.badge, Task.TREAT)
    clock.now = 3 * LOCK_S
    with pytest.raises(Refused, match="the screen is locked"):
        signins.actor(tess.badge, Task.TREAT)
    assert not signins.touch(tess.badge)  # too late: a touch does not unlock
    again = signins.sign_in("Tess", "2468", tess.badge)
    clock.now += LOCK_S - 1
    assert signins.touch(again.badge)  # a touch without a request restarts the idle time
    clock.now += LOCK_S - 1
    signins.actor(again.badge, Task.TREAT)
    assert again.handover_from is None  # the same person: no handover
    assert signins.lock(again.badge) is not None
    with pytest.raises(Refused, match="locked"):
        signins.actor(again.badge, Task.TREAT)
    phil = signins.sign_in("Phil", "1357", again.badge)
    assert phil.handover_from == "Tess"
    assert signins.holder(again.badge) is None  # the old badge is gone


@pytest.mark.requirement("SR-057")
@pytest.mark.parametrize("op", sorted(ALWAYS))
def test_stop_pause_and_the_alarms_never_wait_for_a_sign_in(
    signins: SignIns, clock: Clock, op: str
) -> None:
    service = SimpleNamespace(signins=signins)
    assert acting_name(service, op, {}) == UNSIGNED  # type: ignore[arg-type]
    tess = signins.sign_in("Tess", "2468", None)
    signins.lock(tess.badge)
    clock.now = 10 * LOCK_S
    assert acting_name(service, op, {"badge": tess.badge}) == "Tess"  # type: ignore[arg-type]
    assert op not in TASKS


@pytest.mark.requirement("SR-058")
def test_the_first_administrator_from_the_console_closes_the_table(
    tmp_path: Path, clock: Clock
) -> None:
    signins = open_table(tmp_path, clock)
    assert not signins.accounts()
    with pytest.raises(Refused, match="4 to 64"):
        signins.first_administrator("Ada", "12")  # no weak PIN, no default one
    first = signins.first_administrator("Ada", "9173")
    assert first.user.role is Role.ADMINISTRATOR and signins.accounts()
    with pytest.raises(Refused, match="an administrator adds the next one"):
        signins.first_administrator("Eve", "5555x")


@pytest.mark.requirement("SR-058")
def test_an_open_table_takes_the_typed_name_and_a_closed_one_never(
    tmp_path: Path, clock: Clock
) -> None:
    signins = open_table(tmp_path, clock)
    service = SimpleNamespace(signins=signins)
    db = signins.records
    assert acting_name(service, "start", {"operator": "tech-7"}) == "tech-7"  # type: ignore[arg-type]
    store = SessionStore(db)
    add_user(store, "Ada", Role.ADMINISTRATOR, "9173", by=None)
    store.close()
    with pytest.raises(Refused, match="sign in first"):
        acting_name(service, "start", {"operator": "Ada"})  # type: ignore[arg-type]
