"""Third-party log lines follow the project's rule: once, then counted, then summarised."""

from __future__ import annotations

import logging

import pytest

from controller.core.logs import OnceThenCount

pytestmark = pytest.mark.requirement("SR-047")


class Kept(logging.Handler):
    def __init__(self, rule: OnceThenCount) -> None:
        super().__init__()
        self.addFilter(rule)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


def test_a_library_line_repeated_every_cycle_is_written_once_then_told_as_a_count() -> None:
    rule = OnceThenCount()
    console, file = Kept(rule), Kept(rule)
    lib = logging.getLogger("pymodbus.logging.test-once")
    lib.propagate = False
    lib.setLevel(logging.DEBUG)
    for handler in (console, file):
        lib.addHandler(handler)
    try:
        for tid in range(400, 600):  # two kinds of line per spoiled reply, as pymodbus writes
            lib.error(f"ERROR: request ask for transaction_id={tid} but got id={tid + 1}, Skip")
            lib.error("No response received after 0 retries, continue with next request")
        assert len(console.lines) == 2 and console.lines == file.lines  # one verdict per line
        told = rule.summarise()
        assert sorted(n for _, _, n in told) == [199, 199]
        assert any("transaction_id=N but got id=N" in text for _, text, _ in told)
        assert rule.summarise() == []  # told once; the next run starts afresh
        lib.error("No response received after 0 retries, continue with next request")
        assert len(console.lines) == 3
    finally:
        for handler in (console, file):
            lib.removeHandler(handler)


def test_the_projects_own_lines_are_never_held_back() -> None:
    rule = OnceThenCount()
    kept = Kept(rule)
    own = logging.getLogger("controller.test-own-lines")
    own.propagate = False
    own.addHandler(kept)
    own.setLevel(logging.DEBUG)
    try:
        for _ in range(5):
            own.warning("no valid reply from the board")
        assert len(kept.lines) == 5
        assert rule.summarise() == []
    finally:
        own.removeHandler(kept)
