"""The reaction: a trip latches, the board's release is requested at once, commands stop.

The supervisor is the safety layer's face to the control loop. Per cycle: `observe` the
snapshot first (a trip sends the release request immediately, out of cycle, before the
controller runs), then `command` turns the controller's proposal into the only thing the link
will write. A reset needs every cause gone and an operator's acknowledgement; it never
starts motion (the gate holds the drive idle until a treatment is started again), and the
controller must restart its setpoint from `restart_force_n`, the force measured at reset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from firmware_bridge.approval import ApprovedCommand
from firmware_bridge.errors import LinkError
from firmware_bridge.values import Telemetry
from safety.faults import Trip
from safety.gate import HOLD, IDLE, RELEASE, CommandGate
from safety.limits import SafetyLimits
from safety.monitor import Monitor, Observation

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ResetOutcome:
    accepted: bool
    causes: tuple[str, ...] = ()


class SafetySupervisor:
    def __init__(
        self,
        limits: SafetyLimits,
        *,
        force_limit_n: float,
        hw_force_max_n: float,
        request_release: Callable[[], None],
    ) -> None:
        if force_limit_n > limits.device_max_force_n:
            raise ValueError(f"force limit {force_limit_n} N above the device maximum")
        self.limits = limits
        self.force_limit_n = force_limit_n
        self.monitor = Monitor(limits, force_limit_n, hw_force_max_n)
        self.gate = CommandGate(limits, force_limit_n)
        self._request_release = request_release
        self.trips: list[Trip] = []
        self.armed = False
        self.release_sent = False
        self.release_requests = 0
        self.restart_force_n: float | None = None

    @property
    def tripped(self) -> bool:
        return bool(self.trips)

    def observe(self, obs: Observation) -> list[Trip]:
        new = self.monitor.check(obs)
        if obs.telemetry is not None:
            self.gate.observe(obs.telemetry)
        if new:
            self.trips.extend(new)
            self.armed = False
            for trip in new:
                log.error(
                    "safety trip",
                    fault=trip.fault.name,
                    code=trip.fault.code,
                    priority=trip.priority.value,
                    evidence=trip.evidence,
                    t=trip.time_s,
                )
        if self.trips and not self.release_sent:
            self._send_release()
        return new

    def _send_release(self) -> None:
        self.release_requests += 1
        try:
            self._request_release()
        except LinkError as exc:
            log.error("release request failed; retrying next cycle", error=str(exc))
            return
        self.release_sent = True

    def command(self, proposal_m_s: float, tel: Telemetry | None) -> ApprovedCommand:
        """The only command the link will write this cycle."""
        if self.tripped:
            return RELEASE
        if tel is None:  # this cycle's reply was lost: hold still, keep the heartbeat going
            return HOLD if self.armed else IDLE
        return self.gate.approve(proposal_m_s, tel, tripped=False, armed=self.armed)

    def start_treatment(self) -> None:
        if self.tripped:
            raise PermissionError("a safety trip is latched: reset first")
        self.armed = True

    def stop_treatment(self) -> None:
        self.armed = False

    def reset(self, tel: Telemetry | None, *, acknowledged_by: str) -> ResetOutcome:
        """Clear the latch if every cause is gone and an operator acknowledged it."""
        causes = list(self.monitor.causes_present(tel))
        if not acknowledged_by.strip():
            causes.append("no operator acknowledgement")
        if causes:
            return ResetOutcome(False, tuple(causes))
        assert tel is not None
        log.warning("safety reset", by=acknowledged_by, cleared=[t.fault.name for t in self.trips])
        self.trips.clear()
        self.monitor.clear()
        self.release_sent = False
        self.armed = False
        self.restart_force_n = tel.force_n
        return ResetOutcome(True)
