"""The table's one store, made from a login's own store the first time it is needed.

Before the store was the table's, each login kept its own under ~/.local/share/traction. The
first command that finds the table's store missing and this login's store present moves it
in: copied with SQLite's backup API, verified (the hash chain, the seals, the integrity
check) before the login's copy is renamed aside, so that nothing is lost and the audit trail
stays one chain. A second login's older store is left where it is, and said.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import structlog

from controller.app.site_config import RECORDS_FILE, TABLE, SiteConfig, login_data_dir
from controller.records.backup import copy_verified
from controller.records.store import RecordsError

log = structlog.get_logger(__name__)

MOVED_SUFFIX = ".moved-to-table"
TABLE_UMASK = 0o007  # the table's files: read and written by the service's group, not others
LOCK_FILE = ".store.lock"  # held while a login's store is moved in
LOCK_WAIT_S = 120.0  # another command moving a large store in: copy and verify, then done
LOCK_POLL_S = 0.05
STORE_MODE = 0o660  # SQLite gives the store's -wal and -shm files the store file's own mode


def adopt_login_store(
    site: SiteConfig, out: Callable[[str], object], env: Mapping[str, str] | None = None
) -> Path | None:
    """Move this login's store into the table's, once; returns the login store moved. The
    table's store is made (or kept) readable and writable by the group of the table's folder.
    Under a lock: commands started together (a suite's processes) move it once, not twice."""
    if site.scope != TABLE:
        return None
    os.umask(TABLE_UMASK)
    mine = login_data_dir(os.environ if env is None else env) / RECORDS_FILE
    try:
        site.records.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(site.records.parent / LOCK_FILE, os.O_RDWR | os.O_CREAT, STORE_MODE)
    except OSError as exc:
        raise RecordsError(f"{site.records.parent}: cannot use the table's folder: {exc}") from exc
    try:
        _wait_for(lock, site.records.parent / LOCK_FILE)
        return _adopt(site.records, mine, out)
    finally:
        os.close(lock)  # closing releases the lock


def _wait_for(lock: int, path: Path) -> None:
    """The lock within its bound, or RecordsError saying what to look at."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise RecordsError(
                    f"{path}: another command has held the table's store for over "
                    f"{LOCK_WAIT_S:g} s while moving a login's store in; nothing was done: "
                    "find that command (fuser -v on the file) and try again"
                ) from None
            time.sleep(LOCK_POLL_S)


def _adopt(table: Path, mine: Path, out: Callable[[str], object]) -> Path | None:
    if not mine.exists() or mine.resolve() == table.resolve():
        _shared(table)
        return None
    if table.exists() and table.stat().st_size > 0:
        _shared(table)
        out(f"note: this login's older store {mine} is not the table's ({table}); left as it is\n")
        return None
    table.unlink(missing_ok=True)  # an empty file made for the group: nothing in it yet
    try:
        copy_verified(mine, table)
    except RecordsError as exc:
        raise RecordsError(f"could not move {mine} into the table's store: {exc}") from exc
    _shared(table)
    mine.rename(mine.with_name(mine.name + MOVED_SUFFIX))
    for side in ("-wal", "-shm"):
        mine.with_name(mine.name + side).unlink(missing_ok=True)
    log.info("login store moved into the table's", source=str(mine), store=str(table))
    out(f"moved this login's records {mine} into the table's store {table} (chain verified)\n")
    return mine


def _shared(store: Path) -> None:
    """The store file with mode 660, made empty if new (SQLite starts a database in an empty
    file), so that its -wal and -shm files are the group's too, whoever makes them."""
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        if not store.exists():
            os.close(os.open(store, os.O_WRONLY | os.O_CREAT | os.O_EXCL, STORE_MODE))
        if store.stat().st_uid == os.geteuid() and store.stat().st_mode & 0o777 != STORE_MODE:
            store.chmod(STORE_MODE)
    except FileExistsError:
        pass  # another login made it a moment ago
    except OSError as exc:
        raise RecordsError(
            f"{store}: cannot share the table's store with its group: {exc}"
        ) from exc
