"""Target URLs: the three schemes parse, and every malformed URL is refused with its reason."""

from __future__ import annotations

import pytest

from firmware_bridge.errors import TargetError
from firmware_bridge.target import RtuTarget, SimTarget, TcpTarget, parse_target


def test_tcp() -> None:
    assert parse_target("tcp://127.0.0.1:5020?unit=3") == TcpTarget("127.0.0.1", 5020, 3)
    assert parse_target("tcp://board.local") == TcpTarget("board.local", 5020)
    assert parse_target("tcp://10.0.0.5:502?timeout=0.25") == TcpTarget("10.0.0.5", 502, 1, 0.25)


def test_rtu() -> None:
    t = parse_target("rtu:///dev/ttyUSB0?baud=57600&parity=e&unit=2")
    assert t == RtuTarget("/dev/ttyUSB0", baud=57600, parity="E", unit=2)
    assert parse_target("rtu:///dev/ttyUSB0") == RtuTarget("/dev/ttyUSB0", 115200, "E")


def test_sim_keeps_its_options_opaque() -> None:
    t = parse_target("sim://?patient=cervical&seed=4")
    assert t == SimTarget({"patient": "cervical", "seed": "4"})
    assert parse_target("sim://").url == "sim://"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://x", "unknown scheme"),
        ("tcp://", "needs a host"),
        ("tcp://h:notaport", "bad port"),
        ("tcp://h:5020?unit=0", "unit 0 outside"),
        ("tcp://h:5020?unit=248", "unit 248 outside"),
        ("tcp://h:5020?unit=x", "unit must be an integer"),
        ("tcp://h:5020?colour=red", "unknown option"),
        ("tcp://h:5020?timeout=0", "timeout 0.0 s outside"),
        ("rtu://", "needs a device"),
        ("rtu:///dev/ttyUSB0?baud=9600", "baud 9600 not supported"),
        ("rtu:///dev/ttyUSB0?parity=X", "parity"),
    ],
)
def test_bad_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(TargetError, match=reason):
        parse_target(url)
