"""Where the table, the limits, the records and the logs are: command line, environment,
site file, defaults -- in that order; a bad site file is refused naming the file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controller.app.site_config import SiteConfigError, site_config


def test_defaults_put_records_and_logs_in_the_user_data_dir(tmp_path: Path) -> None:
    env = {"TRACTION_CONFIG": str(tmp_path / "none.toml"), "XDG_DATA_HOME": str(tmp_path)}
    site = site_config(env=env)
    assert site.device == "sim://" and site.limits is None
    assert site.records == tmp_path / "traction" / "records.sqlite3"
    assert site.logs == tmp_path / "traction" / "traction.log.jsonl"
    assert site.reports == tmp_path / "traction" / "reports"


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
