"""Who runs a HIL suite on a real table: the account of a token file, as for any script.

A real table's store with accounts names the person behind every treatment, a HIL run's
too: `--token-file FILE` (or TRACTION_TOKEN_FILE) names an account whose role may run a
treatment, and the run's sessions are recorded as "NAME (HIL)". The built-in simulator's
runs, and a table whose store has no accounts yet, are recorded as "hil".
"""

from __future__ import annotations

import os
from pathlib import Path

from controller.app.site_config import site_config
from controller.people.roles import Task
from controller.people.token_file import TOKEN_ENV, read_token
from controller.records.accounts import AccountError, accounts_exist, by_token
from controller.records.store import RecordsError, SessionStore
from hil.targets import Target

UNNAMED = "hil"


def acting(target: Target, token_file: str | None, records: Path | None = None) -> str:
    """The name a run's sessions are recorded with; ValueError says what is missing."""
    if target.kind == "builtin-sim":
        return UNNAMED
    path = records or site_config().records
    if not path.exists():
        return UNNAMED
    try:
        store = SessionStore(path, recover=False)
    except RecordsError as exc:
        raise ValueError(str(exc)) from exc
    try:
        if not accounts_exist(store):
            return UNNAMED
        given = token_file or os.environ.get(TOKEN_ENV)
        if not given:
            raise ValueError(
                f"{path} has accounts: run HIL on this table with --token-file FILE "
                "(traction users token NAME --to FILE)"
            )
        user = by_token(store, read_token(Path(given)))
        user.require(Task.TREAT)
    except AccountError as exc:
        raise ValueError(str(exc)) from exc
    finally:
        store.close()
    return f"{user.name} (HIL)"
