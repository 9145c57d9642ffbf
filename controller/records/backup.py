"""Backups of the table's store, taken while it runs, and restoring one.

Why SQLite's online backup API and not a file copy: the store is a WAL database written
while a treatment runs, and a copied file can miss the WAL's last commits or be torn in the
middle of a checkpoint; the backup API copies a consistent snapshot page by page. A backup
is verified before it is kept (the hash chain, every session's seal, SQLite's integrity
check) and carries the SHA-256 of its bytes beside it, so that a restore refuses a file
that was changed or cut short since. A restored store cannot vouch for the table's
calibration since the backup was taken: it starts with readiness asking for a calibration
verification and a daily check again (meta 'restored_at', read by records/maintenance.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from controller.records.store import RUNNING, RecordsError, SessionStore, utc_now

log = structlog.get_logger(__name__)

PREFIX, SUFFIX, DIGEST_SUFFIX = "records-", ".sqlite3", ".sha256"
KEEP = 14  # backups kept in a folder: two weeks of a nightly job
# The whole store in one step: one read transaction, a consistent snapshot, and in WAL mode
# the writers go on meanwhile. In steps, every commit by another connection between two
# steps restarts the copy from its first page: on a store written every second, a large
# store's backup never ended (bench.people, 200 sessions).
PAGES_PER_STEP = -1
RESTORED_AT = "restored_at"


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    sha256: str
    sessions: int
    chain_count: int
    removed: tuple[Path, ...] = ()  # older backups rotated out
    recorded: bool = True  # noted in the store (False: the store stayed busy past its bound)


def backup(store_path: Path, to_dir: Path, *, by: str, keep: int = KEEP) -> Backup:
    """A verified copy of the store in `to_dir`, the oldest beyond `keep` removed."""
    if keep < 1:
        raise RecordsError("keep at least one backup")
    if not store_path.exists():
        raise RecordsError(f"{store_path}: no records store to back up")
    to_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = to_dir / f"{PREFIX}{stamp}{SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    _online_copy(store_path, partial)
    try:
        sessions, chain_count = verify_store_file(partial)
    except RecordsError:
        partial.unlink(missing_ok=True)
        raise
    digest = _sha256(partial)
    _sync(partial)
    partial.rename(final)
    final.with_name(final.name + DIGEST_SUFFIX).write_text(f"{digest}  {final.name}\n")
    _sync(to_dir)  # the new name on disk too
    removed = _rotate(to_dir, keep)
    recorded = _record(store_path, final, by, sessions, chain_count)
    log.info("records backed up", path=str(final), sessions=sessions, events=chain_count)
    return Backup(final, digest, sessions, chain_count, removed, recorded)


def _record(store_path: Path, final: Path, by: str, sessions: int, chain_count: int) -> bool:
    """The backup noted in the store (the Table screen shows its age). A store kept busy past
    its bound does not undo a good backup: it is said, and the screen shows the one before."""
    try:
        live = SessionStore(store_path, recover=False)
        try:
            with live.writing() as db:
                db.execute(
                    "INSERT INTO backups (at, path, by, sessions, chain_count) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (utc_now(), str(final), by, sessions, chain_count),
                )
        finally:
            live.close()
    except (sqlite3.OperationalError, RecordsError) as exc:
        log.warning("backup made but not noted in the store", path=str(final), error=str(exc))
        return False
    return True


def check_backup(path: Path) -> tuple[int, int]:
    """(sessions, events) of a backup that verifies; RecordsError naming what does not."""
    digest_file = path.with_name(path.name + DIGEST_SUFFIX)
    if not path.is_file():
        raise RecordsError(f"{path}: no such backup")
    if not digest_file.is_file():
        raise RecordsError(f"{path}: its {DIGEST_SUFFIX} file is missing: not a verified backup")
    expected = digest_file.read_text().split()[0] if digest_file.read_text().split() else ""
    if _sha256(path) != expected:
        raise RecordsError(f"{path}: its bytes differ from those recorded when it was taken")
    scratch = path.with_name(path.name + ".checking")
    shutil.copyfile(path, scratch)  # opening a store writes to it; the backup stays as taken
    try:
        return verify_store_file(scratch)
    finally:
        for leftover in (scratch, *(scratch.with_name(scratch.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def restore(path: Path, store_path: Path, *, by: str, replace_newer: bool = False) -> Path | None:
    """Put a verified backup in the store's place; returns where the replaced store went.

    Refused while a session runs on the store, and, unless `replace_newer`, over a store
    with more audit events than the backup (restoring would lose them)."""
    sessions, chain_count = check_backup(path)
    kept: Path | None = None
    if store_path.exists():
        live = SessionStore(store_path)
        try:
            running = live.db.execute(
                "SELECT COUNT(*) FROM sessions WHERE outcome = ?", (RUNNING,)
            ).fetchone()[0]
            count = int(
                live.db.execute("SELECT value FROM meta WHERE key = 'chain_count'").fetchone()[0]
            )
        finally:
            live.close()
        if running:
            raise RecordsError("a session is running on this table: restore when it has ended")
        if count > chain_count and not replace_newer:
            raise RecordsError(
                f"the store here has {count} audit events, the backup {chain_count}: restoring "
                "would lose the newer records (--replace-newer if that is what you mean)"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = store_path.with_name(f"{store_path.name}.before-restore-{stamp}")
        _checkpoint(store_path)
        store_path.rename(kept)
        for side in ("-wal", "-shm"):
            store_path.with_name(store_path.name + side).unlink(missing_ok=True)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    incoming = store_path.with_name(store_path.name + ".restoring")
    shutil.copyfile(path, incoming)
    _sync(incoming)
    incoming.rename(store_path)
    restored = SessionStore(store_path, recover=False)
    try:
        with restored.writing() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (RESTORED_AT, utc_now()))
        problems = restored.verify()
    finally:
        restored.close()
    if problems:  # cannot happen after check_backup; if it does, say so loudly
        raise RecordsError(f"{store_path}: restored store does not verify: {problems[0]}")
    log.info("records restored", backup=str(path), by=by, sessions=sessions, events=chain_count)
    return kept


def copy_verified(source: Path, target: Path) -> tuple[int, int]:
    """A live store copied to a new place with the backup API, verified there."""
    if target.exists():
        raise RecordsError(f"{target}: a store is already there")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    _online_copy(source, partial)
    try:
        counted = verify_store_file(partial)
    except RecordsError:
        partial.unlink(missing_ok=True)
        raise
    _sync(partial)
    partial.rename(target)
    return counted


def last_backup(store: SessionStore) -> tuple[str, str] | None:
    """(when, where) of the store's latest backup, or None."""
    row = store.db.execute("SELECT at, path FROM backups ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (str(row["at"]), str(row["path"]))


def backups_in(to_dir: Path) -> list[Path]:
    return sorted(to_dir.glob(f"{PREFIX}*{SUFFIX}"))


def verify_store_file(path: Path) -> tuple[int, int]:
    """(sessions, events) of a store file that verifies. Opening it writes to it (the journal
    mode): only for a copy not yet kept as a backup; a kept backup is checked by
    check_backup, on a scratch copy."""
    try:
        store = SessionStore(path, recover=False)
    except RecordsError as exc:
        raise RecordsError(f"{path}: not a readable records store: {exc}") from exc
    try:
        problems = store.verify()
        sessions = int(store.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
        count = int(
            store.db.execute("SELECT value FROM meta WHERE key = 'chain_count'").fetchone()[0]
        )
        store.db.execute("PRAGMA journal_mode=DELETE")
    finally:
        store.close()
    if problems:
        raise RecordsError(f"{path}: does not verify ({len(problems)} problem(s)): {problems[0]}")
    return sessions, count


def _online_copy(store_path: Path, partial: Path) -> None:
    source = sqlite3.connect(store_path, timeout=10)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=PAGES_PER_STEP)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise RecordsError(f"{store_path}: copy failed: {exc}") from exc
    finally:
        source.close()


def _rotate(to_dir: Path, keep: int) -> tuple[Path, ...]:
    old = backups_in(to_dir)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
        path.with_name(path.name + DIGEST_SUFFIX).unlink(missing_ok=True)
    return tuple(old)


def _checkpoint(path: Path) -> None:
    db = sqlite3.connect(path, timeout=10)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
