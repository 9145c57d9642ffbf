"""The muscles at the console: a real LSL stream from another process (`traction sim`, the
simulated amplifier) read by `traction console`, shown in Chromium under the force curve; the
stream lost mid-treatment holds the force and raises a medium alarm."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.announcement import keep_draining, read_announcement
from sim.control_client import request
from tests.console.browser.conftest import Console, shot, start_console, stop_console
from tests.console.browser.test_console_browser import WAIT_MS, live, open_page

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.requirement("SR-055")


class Amplifier:
    """`traction sim` with a relaxed patient's muscles streamed on LSL, in its own process."""

    def __init__(self) -> None:
        self.name = f"traction-test-emg-{os.getpid()}"
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "controller.cli.main", "sim"),
                *("--tcp", "127.0.0.1:0", "--control", "127.0.0.1:0"),
                *("--muscles", "relaxed", "--emg-name", self.name),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        said = read_announcement(self.proc.stdout)
        keep_draining(self.proc.stdout)
        assert said.tcp is not None and said.control is not None and said.emg_url is not None
        self.device = f"tcp://{said.tcp[0]}:{said.tcp[1]}"
        self.control = said.control
        self.emg_url = said.emg_url

    def inject(self, name: str) -> None:
        reply = request(self.control, {"op": "inject", "name": name, "params": {}})
        assert reply.get("ok"), reply

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def amplifier() -> Iterator[Amplifier]:
    a = Amplifier()
    yield a
    a.stop()


@pytest.fixture(scope="module")
def emg_console(
    tmp_path_factory: pytest.TempPathFactory, amplifier: Amplifier
) -> Iterator[Console]:
    c = start_console(
        tmp_path_factory.mktemp("emg-console"),
        "--emg",
        amplifier.emg_url,
        device=amplifier.device,
        control=amplifier.control,
        env_extra={"TRACTION_EMG_BASELINE_S": "3"},
    )
    yield c
    stop_console(c)


def test_a_real_lsl_stream_drives_the_console_and_its_loss_holds_the_force(
    emg_console: Console, amplifier: Amplifier, browser: Any
) -> None:
    page = open_page(emg_console, browser)
    page.click(".tab[data-go=prepare]")
    page.fill("#f-patient", "P-43")
    page.fill("#f-weight", "75")
    page.select_option("#f-region", "lumbar")
    page.select_option("#f-preset", "lumbar-gentle")
    page.fill("[data-field=force_n]", "120")
    page.fill("[data-field=duration_s]", "120")
    page.dispatch_event("[data-field=duration_s]", "input")
    page.wait_for_selector("#btn-start:not([disabled])", timeout=WAIT_MS)
    page.click("#btn-start")
    page.click("#confirm-yes")
    page.wait_for_function("document.body.dataset.screen === 'treatment'", timeout=WAIT_MS)
    # the resting baseline first, then the pull rising or held as the muscles let it
    page.wait_for_function(
        "window.__state.live && window.__state.live.emg_baseline_uv > 0 "
        "&& window.__state.live.force_n > 40",
        timeout=60_000,
    )
    now = live(page)
    assert now["emg_uv"] is not None and now["emg_threshold_uv"] >= 5.0
    assert now["muscles"] in (
        "rising: muscles relaxed",
        "holding: muscles guarding",
        "easing off: muscles still guarding",
    )
    assert page.is_visible("#emg-canvas")
    shot(page, "treatment-emg")

    amplifier.inject("emg-lost")
    page.wait_for_function(
        "window.__state.live.muscles.startsWith('holding: muscle signal lost')", timeout=5_000
    )
    held = live(page)
    alarms = page.evaluate("window.__state.alarms")
    lost = [a for a in alarms["alarms"] if "muscle signal lost" in a["text"]]
    assert lost and lost[0]["priority"] == "medium"
    page.wait_for_timeout(3000)
    later = live(page)
    assert later["target_n"] <= held["target_n"] + 1e-6  # held at no higher force
    assert later["force_n"] <= held["force_n"] + 5.0
    shot(page, "treatment-emg-lost")
    amplifier.inject("emg-heal")
    page.click("#btn-stop")
    page.wait_for_function(
        "window.__state.activity === 'awaiting acknowledgement'", timeout=WAIT_MS
    )
    page.wait_for_function("document.body.dataset.screen === 'summary'", timeout=WAIT_MS)
    for alarm_button in ("#btn-ack",):
        page.click(alarm_button)
    relax = page.text_content("#s-relaxation") or ""
    assert "resting baseline" in relax and "relaxation (force and position" in relax
    shot(page, "summary-emg")
    page.close()
