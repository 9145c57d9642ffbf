"""Test helpers: drive the real bridge against the simulator the way a host would."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from controller.app.composition import open_link
from controller.app.simulated_table import ready_simulated_table
from firmware_bridge import Command, InterlockConfig, TableLink, icd
from firmware_bridge.icd import Control, FaultCode
from firmware_bridge.values import Telemetry
from sim.board import SimBoard
from sim.injection import inject

PERIOD_S = 0.01
READY_URL = "sim://"
TEST_INTERLOCKS = InterlockConfig(
    watchdog_s=0.1,
    force_trip_n=600.0,
    velocity_limit_m_s=0.02,
    release_speed_m_s=0.01,
    release_force_n=10.0,
)
PULL = Command(Control.ENABLE, 0.01)
HOLD = Command(Control.ENABLE, 0.0)
IDLE = Command(Control.NONE, 0.0)


@dataclass
class SimSession:
    """A host that drives the board directly, for tests of the board's own rules.

    `run` writes any command block with FC23 through the link's transport (a raw master with
    its own heartbeat): the board must be testable with commands the safety gate would never
    approve. Tests of the link and the safety layer use `TableLink.cycle` instead.
    """

    link: TableLink
    board: SimBoard
    trace: list[Telemetry] = field(default_factory=list)
    seq: int = 0

    def raw_cycle(self, command: Command) -> Telemetry:
        self.seq = (self.seq + 1) % 65536
        words = self.link.transport.read_write(
            icd.MIRROR_OFFSET + icd.TELEMETRY.start,
            icd.TELEMETRY.count,
            icd.COMMAND.start,
            command.to_words(self.seq),
        )
        return Telemetry.from_words(words)

    def run(self, command: Command, seconds: float) -> Telemetry:
        """Send `command` once per control period for `seconds` of (virtual) time.

        Returns the telemetry of the last cycle; time has then advanced by `seconds`.
        """
        clock = self.link.clock
        deadline = clock.now()
        tel = None
        for _ in range(max(1, round(seconds / PERIOD_S))):
            tel = self.raw_cycle(command)
            self.trace.append(tel)
            deadline += PERIOD_S
            clock.sleep_until(deadline)
        assert tel is not None
        return tel

    def pull_to(self, force_n: float, timeout_s: float = 20.0) -> Telemetry:
        clock = self.link.clock
        end = clock.now() + timeout_s
        while clock.now() < end:
            tel = self.run(PULL, PERIOD_S)
            if tel.force_n >= force_n or tel.fault is not FaultCode.NONE:
                return tel
        raise AssertionError(f"force {force_n} N not reached in {timeout_s} s")

    def wait(self, seconds: float) -> None:
        """Host silent: time passes with no transaction."""
        self.link.clock.sleep_until(self.link.clock.now() + seconds)

    def inject(self, name: str, **params: object) -> None:
        inject(self.board, name, params)

    def until(self, predicate: object, command: Command, timeout_s: float) -> Telemetry:
        clock = self.link.clock
        end = clock.now() + timeout_s
        while True:
            tel = self.run(command, PERIOD_S)
            if predicate(tel):  # type: ignore[operator]
                return tel
            if clock.now() >= end:
                raise AssertionError(f"condition not met within {timeout_s} s; last {tel}")


def open_sim_session(
    url: str = "sim://?seed=1", interlocks: InterlockConfig = TEST_INTERLOCKS, tare: bool = True
) -> SimSession:
    opened = open_link(url)
    assert opened.board is not None
    link = opened.link
    link.connect()
    link.configure_interlocks(interlocks)
    if tare:
        link.tare()
    return SimSession(link, opened.board)


def ready_records(store: Path) -> Path:
    """A records store whose maintenance log lets treatments start today: the real
    calibration verification and daily check, done by the simulated technician on a simulated
    table (virtual time, tens of milliseconds). Tests of the gate itself start from nothing."""
    from safety.limits import load_limits

    assert ready_simulated_table(store, READY_URL, load_limits().device_max_force_n, str)
    return store
