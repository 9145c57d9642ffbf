"""Accounts in the table's store: the first administrator, PINs, the lockout, disabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.people.roles import Role, Task
from controller.records.accounts import (
    LOCKOUT_FAILURES,
    LOCKOUT_S,
    AccountError,
    User,
    account_changes,
    accounts_exist,
    add_user,
    by_token,
    disable,
    issue_token,
    set_pin,
    set_role,
    sign_in,
    users,
)
from controller.records.store import SessionStore

pytestmark = pytest.mark.requirement("SR-058")


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "records.sqlite3")


@pytest.fixture
def admin(store: SessionStore) -> User:
    return add_user(store, "Ada", Role.ADMINISTRATOR, "9173", by=None)


def test_the_first_account_is_the_administrators_and_closes_the_table(store: SessionStore) -> None:
    assert not accounts_exist(store)
    with pytest.raises(AccountError, match="the first account is the administrator's"):
        add_user(store, "Tess", Role.TECHNICIAN, "2468", by=None)
    add_user(store, "Ada", Role.ADMINISTRATOR, "9173", by=None)
    assert accounts_exist(store)
    with pytest.raises(AccountError, match="an administrator adds the next one"):
        add_user(store, "Eve", Role.ADMINISTRATOR, "5555x", by=None)


def test_only_an_administrator_adds_and_a_name_is_one_account_for_good(
    store: SessionStore, admin: User
) -> None:
    tess = add_user(store, "Tess", Role.TECHNICIAN, "2468", by=admin)
    with pytest.raises(AccountError, match="managing accounts needs the administrator role"):
        add_user(store, "Tom", Role.TECHNICIAN, "1357", by=tess)
    with pytest.raises(AccountError, match="is taken"):
        add_user(store, "tess", Role.PHYSIOTHERAPIST, "1357", by=admin)  # names ignore case


@pytest.mark.parametrize(
    ("pin", "why"),
    [
        ("12", "4 to 64"),
        ("x" * 65, "4 to 64"),
        (" 1234", "space"),
        ("tess", "name"),
        ("1111", "repeat"),
    ],
)
def test_a_weak_pin_is_refused(store: SessionStore, admin: User, pin: str, why: str) -> None:
    with pytest.raises(AccountError, match=why):
        add_user(store, "Tess", Role.TECHNICIAN, pin, by=admin)


def test_pins_are_stored_only_as_scrypt_hashes(store: SessionStore, admin: User) -> None:
    stored = store.db.execute("SELECT pin_hash FROM users").fetchone()[0]
    assert stored.startswith("scrypt$") and "9173" not in stored
    assert sign_in(store, "ada", "9173") == admin


def test_an_unknown_name_and_a_wrong_pin_say_the_same(store: SessionStore, admin: User) -> None:
    with pytest.raises(AccountError) as unknown:
        sign_in(store, "Nobody", "9173")
    with pytest.raises(AccountError) as wrong:
        sign_in(store, "Ada", "0000")
    assert str(unknown.value) == str(wrong.value) == "name or PIN not recognised"


def test_wrong_pins_lock_the_account_for_a_while(store: SessionStore, admin: User) -> None:
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    for _ in range(LOCKOUT_FAILURES - 1):
        with pytest.raises(AccountError, match="not recognised"):
            sign_in(store, "Ada", "0000", now=now)
    with pytest.raises(AccountError, match="now locked for 5 min"):
        sign_in(store, "Ada", "0000", now=now)
    with pytest.raises(AccountError, match="is locked"):  # the right PIN too, while locked
        sign_in(store, "Ada", "9173", now=now + timedelta(seconds=LOCKOUT_S - 1))
    assert sign_in(store, "Ada", "9173", now=now + timedelta(seconds=LOCKOUT_S + 1)) == admin
    assert any("locked after" in c["change"] for c in account_changes(store))


def test_a_disabled_account_keeps_its_name_and_cannot_sign_in(
    store: SessionStore, admin: User
) -> None:
    add_user(store, "Tess", Role.TECHNICIAN, "2468", by=admin)
    token = issue_token(store, "Tess", by=admin)
    disable(store, "Tess", by=admin)
    with pytest.raises(AccountError, match="disabled"):
        sign_in(store, "Tess", "2468")
    with pytest.raises(AccountError, match="not recognised"):
        by_token(store, token)  # its token files were revoked with it
    assert [r["name"] for r in users(store)] == ["Ada", "Tess"]  # never deleted


def test_the_last_administrator_cannot_be_disabled_or_demoted(
    store: SessionStore, admin: User
) -> None:
    with pytest.raises(AccountError, match="last administrator"):
        disable(store, "Ada", by=admin)
    with pytest.raises(AccountError, match="last administrator"):
        set_role(store, "Ada", Role.SERVICE, by=admin)


def test_a_token_acts_with_its_accounts_role_and_a_new_pin_revokes_it(
    store: SessionStore, admin: User
) -> None:
    tess = add_user(store, "Tess", Role.TECHNICIAN, "2468", by=admin)
    token = issue_token(store, "Tess", by=tess)  # one's own token needs no administrator
    assert by_token(store, token) == tess
    assert tess.refusal(Task.CALIBRATE) is not None
    set_pin(store, "Tess", "8642", by=tess)
    with pytest.raises(AccountError):
        by_token(store, token)
    with pytest.raises(AccountError, match="administrator role"):
        set_pin(store, "Ada", "1234", by=tess)  # another's PIN: the administrator's task
