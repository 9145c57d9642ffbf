"""Where the table, the limits, the records and the logs are: command line, environment,
site file, defaults -- in that order; a bad site file is refused naming the file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controller.app.site_config import SiteConfigError, site_config


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "TRACTION_CONFIG": str(tmp_path / "none.toml"),
        "TRACTION_SYSTEM_CONFIG": str(tmp_path / "no-etc.toml"),
        "XDG_DATA_HOME": str(tmp_path / "login"),
        **more,
    }


def test_defaults_put_the_one_store_in_the_tables_data_dir(tmp_path: Path) -> None:
    site = site_config(env=_env(tmp_path, TRACTION_SYSTEM_DATA=str(tmp_path / "var-lib")))
    assert site.device == "sim://" and site.limits is None
    assert site.scope == "table"
    assert site.records == tmp_path / "var-lib" / "records.sqlite3"
    assert site.logs == tmp_path / "var-lib" / "traction.log.jsonl"
    assert site.reports == tmp_path / "var-lib" / "reports"
    assert site.backups == tmp_path / "var-lib" / "backups"


def test_without_the_tables_dir_the_store_is_the_logins_own_and_says_so(tmp_path: Path) -> None:
    unmakeable = tmp_path / "no" / "such" / "dir"  # its parent does not exist: cannot be made
    site = site_config(env=_env(tmp_path, TRACTION_SYSTEM_DATA=str(unmakeable)))
    assert site.scope == "login"
    assert site.records == tmp_path / "login" / "traction" / "records.sqlite3"


def test_the_users_site_file_is_read_over_the_tables(tmp_path: Path) -> None:
    etc = tmp_path / "etc.toml"
    etc.write_text('device = "tcp://10.0.0.5:502"\nmains_hz = "60"\nlock_after_s = "300"\n')
    mine = tmp_path / "mine.toml"
    mine.write_text('device = "tcp://10.0.0.6:502"\n')
    site = site_config(
        env=_env(tmp_path, TRACTION_SYSTEM_CONFIG=str(etc), TRACTION_CONFIG=str(mine))
    )
    assert site.device == "tcp://10.0.0.6:502"  # the user's file over the table's
    assert site.mains_hz == 60.0 and site.lock_after_s == 300.0  # the table's where unsaid


def test_a_lock_time_outside_its_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match="lock_after_s 5: from 15 to 1800 s"):
        site_config(env=_env(tmp_path, TRACTION_LOCK_AFTER_S="5"))


def test_a_simulated_table_records_in_its_own_store_unless_one_is_named(tmp_path: Path) -> None:
    site = site_config(env=_env(tmp_path, TRACTION_SYSTEM_DATA=str(tmp_path / "var-lib")))
    assert site.for_simulator().records == tmp_path / "var-lib" / "demo" / "records.sqlite3"
    named = site_config(env=_env(tmp_path, TRACTION_RECORDS=str(tmp_path / "mine.sqlite3")))
    assert named.for_simulator().records == tmp_path / "mine.sqlite3"


def test_command_line_beats_environment_beats_site_file(tmp_path: Path) -> None:
    site_file = tmp_path / "site.toml"
    site_file.write_text('device = "tcp://10.0.0.5:502"\nrecords = "/data/site.sqlite3"\n')
    env = {"TRACTION_CONFIG": str(site_file), "TRACTION_RECORDS": "/data/env.sqlite3"}
    site = site_config(env=env)
    assert site.device == "tcp://10.0.0.5:502"
    assert site.records == Path("/data/env.sqlite3")
    assert site.logs == Path("/data/traction.log.jsonl")  # beside the records
    site = site_config(cli={"records": "/data/cli.sqlite3", "device": None}, env=env)
    assert site.records == Path("/data/cli.sqlite3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("recrods = 'x'\n", "unknown key(s) recrods"),
        ("records = 3\n", "must be text"),
        ("records = \n", "cannot read"),
    ],
)
def test_a_bad_site_file_is_refused_by_name(tmp_path: Path, text: str, message: str) -> None:
    site_file = tmp_path / "site.toml"
    site_file.write_text(text)
    with pytest.raises(SiteConfigError, match=re.escape(message)) as err:
        site_config(env={"TRACTION_CONFIG": str(site_file)})
    assert str(site_file) in str(err.value)
