"""The table under test: where it is (resource), how to reach it (link), how to act on it.

For the built-in target the suite starts `traction sim` (free loopback ports, its own
process, real time) for every test, so each test starts from a powered-on board with the
carriage at home, and stops it afterwards. For a real table the URL comes from the target
file, and the carriage is brought home (`controller.core.homing`) before each test. Physical
actions (the patient switch, the e-stop) are done by the simulator's control
interface when the target has automated switches, or asked of the operator when the target
lists the step; a test that can do neither is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from controller.app.composition import open_link
from controller.core.homing import home
from firmware_bridge import TableLink
from hil.operator import Operator, Prompt
from hil.targets import Capability, OperatorStep, Target
from safety.limits import load_limits
from sim.announcement import keep_draining, read_announcement
from sim.control_client import request

SIM_STOP_TIMEOUT_S = 10.0
_STREAMS = itertools.count(1)
SIM_PRIORITY = 40


@dataclass(frozen=True, slots=True)
class Actuation:
    at_s: float  # monotonic clock, the link's clock on hardware and `traction sim`
    how: str  # "automated" or "operator"
    prompt: Prompt | None = None


class HilTable:
    def __init__(self, target: Target, operator: Operator, *, emg: bool = False) -> None:
        self.target = target
        self.with_emg = emg  # the built-in simulator streams its patient's muscles
        self.operator = operator
        self.acting = "hil"  # the name its sessions are recorded with (hil/people.py)
        self.proc: subprocess.Popen[str] | None = None
        self.device = target.device or ""
        self.emg = target.emg  # the muscle signal's URL (the simulator's: from its announcement)
        self.control: tuple[str, int] | None = None
        self.links: list[TableLink] = []

    # --- lifetime ------------------------------------------------------------------------------
    def start(self) -> None:
        if self.target.kind != "builtin-sim":
            self._bring_home()  # the previous test left the carriage where its release ended
            return
        args = ["--tcp", "127.0.0.1:0", "--control", "127.0.0.1:0"]
        if self.target.wire == "rtu":
            args += ["--no-tcp", "--rtu-pty"]
        if not self.target.has(Capability.CHANNEL_B):
            args += ["--no-channel-b"]
        if self.with_emg:  # a stream of its own: suites run side by side
            args += ["--emg-name", f"traction-hil-{os.getpid()}-{next(_STREAMS)}"]
        else:
            args += ["--no-emg"]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "controller.cli.main",
                "sim",
                *args,
                "--patient",
                self.target.patient,
                "--seed",
                str(self.target.seed),
                "--variant",
                self.target.variant,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        said = read_announcement(self.proc.stdout)
        keep_draining(self.proc.stdout)
        self.device = said.urls[0] if said.urls else ""
        self.control = said.control
        self.emg = said.emg_url
        if not self.device or self.control is None:
            self.stop()
            raise RuntimeError("traction sim did not say where it listens")
        self._board_priority(self.proc.pid)

    @staticmethod
    def _board_priority(pid: int) -> None:
        """A board is a real-time device; on a shared machine the simulated one is given
        SCHED_FIFO where permitted, so that a stall of the machine is not taken for the
        board's (and an RTU frame is not split by a descheduled reader). Below the host's
        control thread (controller.core.realtime.REALTIME_PRIORITY)."""
        with contextlib.suppress(PermissionError, OSError, AttributeError):
            os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(SIM_PRIORITY))

    def _bring_home(self) -> None:
        link = open_link(self.device).link
        try:
            home(link, load_limits(), weight_kg=self.target.weight_kg)
        finally:
            link.close()

    def stop(self) -> None:
        for link in self.links:
            link.close()
        self.links.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=SIM_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def open_link(self) -> TableLink:
        link = open_link(self.device).link
        self.links.append(link)
        return link

    # --- acting on the table -------------------------------------------------------------------
    def inject(self, name: str, **params: object) -> None:
        """Fault injection on the built-in simulator (the test declared the capability)."""
        if self.control is None:
            pytest.skip(f"target '{self.target.name}' has no simulator control interface")
        reply = request(self.control, {"op": "inject", "name": name, "params": params})
        if not reply.get("ok"):
            raise RuntimeError(f"injection {name} refused: {reply.get('error')}")

    def injection(self, name: str, **params: object) -> Actuation:
        """An injection as an action on the table, time-stamped for reaction measurements."""
        at = time.monotonic()
        self.inject(name, **params)
        return Actuation(at, "automated")

    def actuate(
        self, step: OperatorStep, injection: str, question: str, *, once: bool = False
    ) -> Actuation:
        """A physical action: by the operator where the target lists the step, else by the
        simulator's automated switches, else the test cannot run here."""
        if self.target.needs_operator(step):
            ask = self.operator.ask_once if once else self.operator.ask
            prompt = ask(step, question)
            if prompt.source == "script" and self.control is not None:
                self.inject(injection)  # the scripted stand-in does what the person would
            if not prompt.confirmed:
                if prompt.source == "nobody":
                    why = "no terminal to ask on, and no --operator-script answer"
                elif prompt.answer is None:
                    why = f"no answer within {self.operator.timeout_s:g} s"
                else:
                    why = f"answer: {prompt.answer!r}"
                pytest.skip(f"operator step '{step.value}' not confirmed ({why})")
            return Actuation(time.monotonic(), "operator", prompt)
        if self.target.has(Capability.AUTOMATED_SWITCHES):
            return self.injection(injection)
        pytest.skip(
            f"target '{self.target.name}' has no automated switches and no operator step "
            f"'{step.value}'"
        )

    def ensure_test_load(self) -> None:
        """Something to pull against: the simulated patient, or a test spring on the bench."""
        if self.target.has(Capability.TEST_LOAD):
            return
        if self.target.needs_operator(OperatorStep.ATTACH_TEST_LOAD):
            self.actuate(
                OperatorStep.ATTACH_TEST_LOAD,
                "heal-all",
                "Attach the test load (spring fixture) to the harness, nobody on the table.",
                once=True,
            )
            return
        pytest.skip(f"target '{self.target.name}' has no test load and no operator step for it")
