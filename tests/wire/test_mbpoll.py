"""An independent Modbus master (Debian's mbpoll) against `traction sim`, over TCP and the pty.

This is the outsider's view: nothing of ours on the client side. mbpoll numbers registers
from 1 (`-r 1` is address 0); `-t 3` is the input table, `-t 4` the holding table.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from firmware_bridge import icd
from sim.server import Endpoints, SimServer

pytestmark = pytest.mark.skipif(
    shutil.which("mbpoll") is None, reason="mbpoll not installed (apt-get install mbpoll)"
)
TIMEOUT_S = 10


def mbpoll(
    ep: Endpoints, mode: str, *args: str, write: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Poll once; `write` values (given after the device, as mbpoll wants) make it a write."""
    if mode == "tcp":
        assert ep.tcp is not None
        link = ["-m", "tcp", "-p", str(ep.tcp[1])]
        where = ep.tcp[0]
    else:
        assert ep.rtu is not None
        link = ["-m", "rtu", "-b", "115200", "-d", "8", "-P", "even", "-s", "1"]
        where = ep.rtu
    cmd = ["mbpoll", *link, "-a", "1", "-1", "-o", "1", *args, where, *write]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def values(out: str) -> dict[int, int]:
    """mbpoll's `[ref]: value` lines -> {ref: value}."""
    found = {}
    for line in out.splitlines():
        if line.startswith("[") and "]:" in line:
            ref, rest = line[1:].split("]:", 1)
            found[int(ref)] = int(rest.split()[0])
    return found


@pytest.mark.parametrize("mode", ["tcp", "rtu"])
def test_mbpoll_reads_the_telemetry_block(served: tuple[SimServer, Endpoints], mode: str) -> None:
    _, ep = served
    result = mbpoll(ep, mode, "-t", "3", "-r", "1", "-c", "18")
    assert result.returncode == 0, result.stdout + result.stderr
    regs = values(result.stdout)
    assert sorted(regs) == list(range(1, 19))
    assert regs[1] == icd.ICD_VERSION
    status = icd.Status(regs[2])
    assert icd.Status.BRAKE_ENGAGED in status and icd.Status.AT_HOME in status
    assert regs[3] == 0  # no fault


@pytest.mark.parametrize("mode", ["tcp", "rtu"])
def test_mbpoll_reads_the_mirror_and_identity(
    served: tuple[SimServer, Endpoints], mode: str
) -> None:
    _, ep = served
    mirror = values(mbpoll(ep, mode, "-t", "4", "-r", "101", "-c", "1").stdout)
    assert mirror == {101: icd.ICD_VERSION}
    identity = values(mbpoll(ep, mode, "-t", "3", "-r", "33", "-c", "7").stdout)
    assert identity[34] == 100000 % 65536 and identity[33] == 100000 // 65536
    assert identity[39] == 500


@pytest.mark.parametrize("mode", ["tcp", "rtu"])
@pytest.mark.parametrize(
    ("args", "write", "message"),
    [
        (["-t", "3", "-r", "19", "-c", "1"], (), "Illegal data address"),  # input 18 undefined
        (["-t", "4", "-r", "5", "-c", "1"], (), "Illegal data address"),  # holding 4 undefined
        (["-t", "4", "-r", "101"], ("7",), "Illegal data address"),  # mirror is read-only
        (["-t", "4", "-r", "9"], ("5",), "Illegal data value"),  # WATCHDOG_MS 5 < 20
        (["-t", "4", "-r", "1"], ("16",), "Illegal data value"),  # CONTROL reserved bit 4
        (["-t", "4", "-r", "10"], ("1",), "Illegal data value"),  # reserved register 9
    ],
)
def test_mbpoll_gets_the_icd_exceptions(
    served: tuple[SimServer, Endpoints],
    mode: str,
    args: list[str],
    write: tuple[str, ...],
    message: str,
) -> None:
    _, ep = served
    result = mbpoll(ep, mode, *args, write=write)
    assert result.returncode != 0
    # the board's exception, as mbpoll reports a failed transaction (not a usage error)
    assert f"failed: {message}" in result.stdout + result.stderr


@pytest.mark.parametrize("mode", ["tcp", "rtu"])
def test_mbpoll_writes_a_valid_configuration_value(
    served: tuple[SimServer, Endpoints], mode: str
) -> None:
    server, ep = served
    result = mbpoll(ep, mode, "-t", "4", "-r", "9", write=("250",))
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.call(lambda: server.board.firmware.config[icd.WATCHDOG_MS]) == 250
