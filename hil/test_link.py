"""Link, identity, interlocks and tare: what must hold before any treatment may start."""

from __future__ import annotations

import time
from dataclasses import asdict

import pytest

from firmware_bridge import icd
from firmware_bridge.icd import Status
from hil.measurements import Measurements
from hil.record import RunRecord
from hil.table import HilTable
from safety.interlocks import board_interlocks, configure_board
from safety.limits import load_limits

PERIOD_S = 0.01  # the control period: one transaction must fit in it
TRANSACTIONS = 200
TARE_RESIDUAL_N = 1.0


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return 1e3 * ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@pytest.mark.requirement("ICD 1, 6: the board answers on its link, identifies itself, ICD v1.0")
def test_link_and_identity(table: HilTable, measure: Measurements, hil_run: RunRecord) -> None:
    link = table.open_link()
    identity = link.connect()
    hil_run.board_identity = asdict(identity)
    measure("icd_version", f"0x{identity.icd_version:04X}", equals=f"0x{icd.ICD_VERSION:04X}")
    measure("hw_force_max", identity.limits.force_max_n, "N", low=500.0)
    measure("sample_rate", identity.limits.sample_rate_hz, "Hz", low=100.0)
    times = []
    for _ in range(TRANSACTIONS):
        t = time.perf_counter()
        link.read_telemetry()
        times.append(time.perf_counter() - t)
    measure(
        "telemetry_read_p99",
        _ms(times, 99),
        "ms",
        high=PERIOD_S * 1e3,
        doc="one transaction must fit in a 10 ms control period",
        timing=True,
    )
    measure("telemetry_read_max", _ms(times, 100), "ms", high=4 * PERIOD_S * 1e3, timing=True)


@pytest.mark.requirement(
    "SR-024", "Safety 2: interlocks derived from the limits are written and read back"
)
def test_interlocks_are_written_and_read_back(table: HilTable, measure: Measurements) -> None:
    link = table.open_link()
    link.connect()
    limits = load_limits()
    force_limit = limits.force_limit_n("lumbar", table.target.weight_kg)
    wanted = board_interlocks(limits, force_limit, link.limits)
    got = configure_board(link, limits, force_limit)
    back = link.read_interlocks()
    registers = {
        "watchdog_s": (icd.WATCHDOG_MS, "s"),
        "force_trip_n": (icd.FORCE_TRIP, "N"),
        "velocity_limit_m_s": (icd.VELOCITY_LIMIT, "m/s"),
        "release_speed_m_s": (icd.RELEASE_SPEED, "m/s"),
        "release_force_n": (icd.RELEASE_FORCE, "N"),
    }
    for name, (reg, unit) in registers.items():
        want, count = getattr(wanted, name), reg.scale  # within one count of the register
        measure(f"{name} read back", getattr(back, name), unit, low=want - count, high=want + count)
    assert got == back
    measure("force_trip_above_host_limit", back.force_trip_n - force_limit, "N", low=0.0)
    measure("force_trip_within_board", back.force_trip_n, "N", high=link.limits.force_max_n)


@pytest.mark.requirement("ICD 5: tare at home with nothing pulling zeroes both channels")
def test_tare_zeroes_the_load_cells(table: HilTable, measure: Measurements) -> None:
    link = table.open_link()
    link.connect()
    before = link.read_telemetry()
    measure("at_home_before_tare", str(before.has(Status.AT_HOME)), equals="True")
    after = link.tare()
    measure("tared", str(after.has(Status.TARED)), equals="True")
    measure("force_a_after_tare", abs(after.force_a_n), "N", high=TARE_RESIDUAL_N)
    if after.has(Status.CHANNEL_B_FITTED):
        measure("force_b_after_tare", abs(after.force_b_n), "N", high=TARE_RESIDUAL_N)
