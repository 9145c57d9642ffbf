"""The console off this machine: refused without TLS and sign-in; served over TLS by uvicorn."""

from __future__ import annotations

import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from controller.people.roles import Role
from controller.records.accounts import add_user
from controller.records.store import SessionStore
from tests.cli.test_cli import ROOT, TIMEOUT_S
from tests.console.browser.conftest import start_console, stop_console

pytestmark = pytest.mark.requirement("SR-029", "SR-058")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the machine's openssl."""
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def console(records: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "controller.cli.main",
            "console",
            "--device",
            "sim://",
            "--records",
            str(records),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIMEOUT_S,
        check=False,
    )


def test_off_loopback_is_refused_without_tls_or_without_accounts(
    tmp_path: Path, cert: tuple[Path, Path]
) -> None:
    records = tmp_path / "r.sqlite3"
    plain = console(records, "--listen", "0.0.0.0:0")
    assert plain.returncode == 2 and "needs TLS (--tls-cert, --tls-key)" in plain.stderr
    tls = ("--tls-cert", str(cert[0]), "--tls-key", str(cert[1]))
    open_table = console(records, "--listen", "0.0.0.0:0", *tls)
    assert open_table.returncode == 2 and "needs everyone to sign in" in open_table.stderr
    half = console(records, "--listen", "127.0.0.1:0", "--tls-cert", str(cert[0]))
    assert half.returncode == 2 and "needs both" in half.stderr


def test_the_console_is_served_over_tls(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    records = tmp_path / "records.sqlite3"
    store = SessionStore(records)
    add_user(store, "Ada", Role.ADMINISTRATOR, "9173", by=None)
    store.close()
    c = start_console(tmp_path, "--tls-cert", str(cert[0]), "--tls-key", str(cert[1]))
    try:
        assert c.url.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=str(cert[0]))
        with urllib.request.urlopen(c.url, context=trusted, timeout=10) as page:
            assert page.status == 200 and b"Sign in" in page.read()
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # no plain HTTP
            urllib.request.urlopen(c.url.replace("https://", "http://"), timeout=10)
    finally:
        stop_console(c)
