"""A HIL run on a real table with accounts names its person through a token file."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.people.roles import Role
from controller.people.token_file import write_token
from controller.records.accounts import add_user, issue_token
from controller.records.store import SessionStore
from hil.people import acting
from hil.targets import Target

pytestmark = pytest.mark.requirement("SR-058")
TABLE = Target(name="bench table", kind="table", device="tcp://127.0.0.1:9")


def test_a_real_tables_run_is_recorded_in_its_token_accounts_name(tmp_path: Path) -> None:
    db = tmp_path / "records.sqlite3"
    assert acting(TABLE, None, db) == "hil"  # no store yet: nobody to name
    store = SessionStore(db)
    admin = add_user(store, "Ada", Role.ADMINISTRATOR, "9173", by=None)
    add_user(store, "Tess", Role.TECHNICIAN, "2468", by=admin)
    add_user(store, "Sam", Role.SERVICE, "8642", by=admin)
    tess, sam = tmp_path / "tess.token", tmp_path / "sam.token"
    write_token(tess, issue_token(store, "Tess", by=admin))
    write_token(sam, issue_token(store, "Sam", by=admin))
    store.close()
    with pytest.raises(ValueError, match="--token-file"):
        acting(TABLE, None, db)
    assert acting(TABLE, str(tess), db) == "Tess (HIL)"
    with pytest.raises(ValueError, match="running a treatment needs the technician"):
        acting(TABLE, str(sam), db)
    tess.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        acting(TABLE, str(tess), db)
    builtin = Target(name="sim", kind="builtin-sim")
    assert acting(builtin, None, db) == "hil"  # the simulator's own runs
