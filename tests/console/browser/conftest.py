"""A real `traction console --device sim://` process and a real headless Chromium (Debian's).

Why a process: the console is what a technician starts; its signal handling, its listener
and its simulator run as they would at the table. Why Debian's Chromium through Playwright:
no browser download at test time (the machine's network is closed), and the browser the
table's kiosk runs. Screenshots of every screen go to test-results/console/ (docs/console.md
shows them).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from controller.app.simulated_table import ready_simulated_table
from safety.limits import load_limits
from sim.announcement import keep_draining
from tests.helpers import ready_records

CHROMIUM = os.environ.get("TRACTION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SHOTS = Path(__file__).resolve().parents[3] / "test-results" / "console"
START_TIMEOUT_S = 30.0


@dataclass
class Console:
    process: subprocess.Popen[str]
    url: str
    control: tuple[str, int]
    records: Path
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """What the console process said last (for a failing test's message)."""
        return "".join(self.log.read_text(encoding="utf-8").splitlines(keepends=True)[-lines:])

    def inject(self, name: str) -> None:
        from sim.control_client import request

        reply = request(self.control, {"op": "inject", "name": name, "params": {}})
        assert reply.get("ok"), reply


def start_console(
    tmp: Path,
    *extra: str,
    daily_check: bool = True,
    device: str = "sim://",
    control: tuple[str, int] | None = None,
    env_extra: dict[str, str] | None = None,
) -> Console:
    """`daily_check` False: calibrated, but today's check left to the technician. `device`
    another table than the console's own simulator, whose `control` address is then given."""
    records = tmp / "records.sqlite3"
    zone = (env_extra or {}).get("TRACTION_TIME_ZONE")
    if daily_check and zone:
        ready_in_zone(records, zone)
    elif daily_check:
        ready_records(records)
    else:
        ready_simulated_table(records, "sim://", load_limits().device_max_force_n, str, daily=False)
    env = {
        **os.environ,
        "TRACTION_RECORDS": str(records),
        "TRACTION_CONFIG": str(tmp / "none"),
        **(env_extra or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "controller.cli.main",
            "console",
            "--device",
            device,
            "--listen",
            "127.0.0.1:0",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if m := re.search(r"--control (\S+):(\d+)", line):
            control = (m.group(1), int(m.group(2)))
        if m := re.match(r"console: (\S+)", line):
            assert control is not None
            log = tmp / "console.log"
            keep_draining(proc.stdout, log.open("w", encoding="utf-8"))
            return Console(proc, m.group(1), control, records, log)
    proc.kill()
    raise RuntimeError(f"traction console did not start: {proc.stdout.read()}")


def ready_in_zone(records: Path, zone: str) -> None:
    """Today's check done on the clinic's day, as its technician would: in a process on the
    site's clock (near midnight UTC, Berlin's day is already the next)."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from pathlib import Path; from tests.helpers import ready_records; "
            f"ready_records(Path({str(records)!r}))",
        ],
        env={**os.environ, "TZ": zone},
        cwd=Path(__file__).resolve().parents[3],
        check=True,
        timeout=START_TIMEOUT_S,
    )


def stop_console(console: Console) -> int:
    console.process.send_signal(signal.SIGTERM)
    try:
        return console.process.wait(timeout=70)
    finally:
        if console.process.poll() is None:
            console.process.kill()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    c = start_console(tmp_path_factory.mktemp("console"))
    yield c
    stop_console(c)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed (make test installs Debian's chromium as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def state(page: object) -> dict[str, object]:
    """What the page holds of the last update (its own copy, as it renders it)."""
    stats: dict[str, object] = json.loads(page.evaluate("JSON.stringify(window.__console)"))  # type: ignore[attr-defined]
    return stats


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test shows what the console process logged last: a timeout in the
    page says only that the screen did not change, the console's log says why."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Console):
                report.sections.append(("console log (last lines)", value.log_tail()))
        if PAGES and not PAGES[-1].is_closed():
            page = PAGES[-1]
            with contextlib.suppress(Exception):  # a crashed page has nothing more to say
                shot(page, f"failed-{item.name}")
                text = page.inner_text("body")
                report.sections.append(("what the page showed", text[:PAGE_TEXT_CHARS]))


PAGES: list[Any] = []  # the pages the tests opened, the newest last
PAGE_TEXT_CHARS = 3000


def track(page: Any) -> Any:
    """Remember a page for the failure report (its screenshot and text)."""
    PAGES.append(page)
    return page
