"""One store per table: a login's own store moved in once, verified, nothing lost."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

from controller.app import table_store
from controller.app.site_config import site_config
from controller.app.table_store import MOVED_SUFFIX, adopt_login_store
from controller.records.store import RecordsError, SessionStore
from tests.records.sessions import recorded

pytestmark = pytest.mark.requirement("SR-062")


def table_env(tmp_path: Path) -> dict[str, str]:
    """A machine with a table's data directory and a login with a home of its own."""
    return {
        "TRACTION_CONFIG": str(tmp_path / "none.toml"),
        "TRACTION_SYSTEM_CONFIG": str(tmp_path / "none-etc.toml"),
        "XDG_DATA_HOME": str(tmp_path / "home"),
        "TRACTION_SYSTEM_DATA": str(tmp_path / "var-lib-traction"),
    }


def test_a_logins_store_is_moved_into_the_tables_once(tmp_path: Path) -> None:
    login = tmp_path / "home" / "traction" / "records.sqlite3"
    login.parent.mkdir(parents=True)
    recorded(login)
    env = table_env(tmp_path)
    site = site_config(env=env)
    said: list[str] = []
    assert adopt_login_store(site, said.append, env) == login
    assert not login.exists() and login.with_name(login.name + MOVED_SUFFIX).exists()
    store = SessionStore(site.records)
    try:
        assert store.verify() == [] and len(store.sessions()) == 1
    finally:
        store.close()
    assert "chain verified" in said[0]
    assert adopt_login_store(site, said.append, env) is None  # once
    assert site.records.stat().st_mode & 0o777 == 0o660  # every login of the group writes it


def test_a_new_tables_store_is_made_for_the_group(tmp_path: Path) -> None:
    env = table_env(tmp_path)
    site = site_config(env=env)
    assert adopt_login_store(site, print, env) is None
    assert site.records.stat().st_mode & 0o777 == 0o660
    store = SessionStore(site.records)  # SQLite starts its database in the empty file
    try:
        assert store.verify() == []
        wal = site.records.with_name(site.records.name + "-wal")
        assert wal.stat().st_mode & 0o777 == 0o660  # made by SQLite in the store's mode
    finally:
        store.close()


def test_commands_started_together_move_it_once(tmp_path: Path) -> None:
    """A suite starts several processes at once: one moves the store, none fails."""
    login = tmp_path / "home" / "traction" / "records.sqlite3"
    login.parent.mkdir(parents=True)
    recorded(login)
    env = table_env(tmp_path)
    site = site_config(env=env)
    results: list[object] = []

    def one() -> None:
        try:
            results.append(adopt_login_store(site, lambda _: None, env))
        except Exception as exc:  # the test's point: no command fails
            results.append(exc)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(login) == 1 and results.count(None) == 5, results
    store = SessionStore(site.records)
    try:
        assert store.verify() == [] and len(store.sessions()) == 1
    finally:
        store.close()


def test_a_lock_held_past_its_bound_is_refused_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every wait has a bound: a command stuck holding the move's lock does not hang the rest."""
    env = table_env(tmp_path)
    site = site_config(env=env)
    site.records.parent.mkdir(parents=True)
    held = os.open(site.records.parent / table_store.LOCK_FILE, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    monkeypatch.setattr(table_store, "LOCK_WAIT_S", 0.2)
    try:
        with pytest.raises(RecordsError, match=r"held the table's store for over 0\.2 s"):
            adopt_login_store(site, print, env)
    finally:
        os.close(held)
    assert adopt_login_store(site, print, env) is None  # released: it goes on
