"""Measurements with limits, in the style of OpenHTF: a test records what it measured, in its
unit, against its limits; a measurement outside its limits fails the test after the test body
ran, so every measurement of the test is recorded either way.

Timing measurements (reaction times, transaction times) are enforced where the target says
so (a real table on its bench PC). On a shared machine running the simulator, a stall of the
machine is not a fault of the table; there they are recorded and reported against their
limits, marked "not enforced", and do not fail the test.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Measurement:
    name: str
    value: float | str
    unit: str
    low: float | None = None
    high: float | None = None
    equals: str | None = None
    doc: str = ""
    timing: bool = False
    enforced: bool = True

    @property
    def within(self) -> bool:
        if self.equals is not None:
            return str(self.value) == self.equals
        if isinstance(self.value, str):
            return True  # recorded for the reviewer, nothing to check
        if math.isnan(self.value):
            return False
        if self.low is not None and self.value < self.low:
            return False
        return not (self.high is not None and self.value > self.high)

    @property
    def passed(self) -> bool:
        return self.within or not self.enforced

    @property
    def verdict(self) -> str:
        if self.within:
            return "pass"
        return "FAIL" if self.enforced else "outside (timing not enforced here)"

    def limits(self) -> str:
        if self.equals is not None:
            return f"== {self.equals}"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "+inf" if self.high is None else f"{self.high:g}"
        return f"[{lo}, {hi}] {self.unit}".strip()

    def shown(self) -> str:
        value = self.value if isinstance(self.value, str) else f"{self.value:.4g}"
        return f"{value} {self.unit}".strip()

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "within_limits": self.within, "passed": self.passed}


@dataclass
class Measurements:
    """The current test's measurements (a fixture); call it to record one."""

    enforce_timing: bool = True
    items: list[Measurement] = field(default_factory=list)

    def __call__(
        self,
        name: str,
        value: float | str,
        unit: str = "",
        *,
        low: float | None = None,
        high: float | None = None,
        equals: str | None = None,
        doc: str = "",
        timing: bool = False,
    ) -> Measurement:
        enforced = self.enforce_timing or not timing
        m = Measurement(name, value, unit, low, high, equals, doc, timing, enforced)
        self.items.append(m)
        return m

    @property
    def failed(self) -> list[Measurement]:
        return [m for m in self.items if not m.passed]
