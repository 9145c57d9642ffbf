"""The reaction: a trip latches, the board's release is requested at once, commands stop.

The supervisor is the safety layer's face to the control loop. Per cycle: `observe` the
snapshot first (a trip sends the release request immediately, out of cycle, before the
controller runs), then `command` turns the controller's proposal into the only thing the link
will write. It owns the release handshake (safety/release.py): whoever wants the board's
release -- a trip, or a policy's intent carried by the loop -- gets RELEASE held in every
command until the release is seen finished, and RELEASE_TIMEOUT latched if it is not within
its bound. A reset needs every cause gone and an operator's acknowledgement; it never
starts motion (the gate holds the drive idle until a treatment is started again), and the
controller must restart its setpoint from `restart_force_n`, the force measured at reset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from firmware_bridge.approval import ApprovedCommand
from firmware_bridge.errors import LinkError
from firmware_bridge.icd import FaultCode
from firmware_bridge.values import Telemetry
from safety.faults import SafetyFault, Trip
from safety.gate import HOLD, IDLE, RELEASE, CommandGate
from safety.limits import SafetyLimits
from safety.monitor import Monitor, Observation
from safety.release import ReleaseHandshake, ReleaseParams, ReleaseState

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
        self.release = ReleaseHandshake(ReleaseParams.from_limits(limits))
        self.release_requests = 0  # handshakes started
        self.release_write_failed = False
        self.restart_force_n: float | None = None

    @property
    def tripped(self) -> bool:
        return bool(self.trips)

    def observe(self, obs: Observation) -> list[Trip]:
        tel = obs.telemetry
        new = self.monitor.check(obs)
        if tel is not None:
            self.gate.observe(tel)
        if self.release.observe(obs.time_s, tel) is ReleaseState.TIMED_OUT:
            h = self.release
            new.append(
                Trip(
                    SafetyFault.RELEASE_TIMEOUT,
                    obs.time_s,
                    {
                        "reason": h.reason,
                        "waited_s": round(obs.time_s - h.started_s, 3),
                        "force_n": "unknown" if tel is None else round(tel.force_n, 2),
                    },
                )
            )
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
            # the board releases a SENSOR fault to home (forces not trusted): wait for AT_HOME;
            # so too when the host found a channel frozen (its force is not news)
            by_position = (tel is not None and tel.fault is FaultCode.SENSOR) or any(
                t.fault is SafetyFault.CHANNEL_FROZEN for t in new
            )
            reason = "safety trip: " + ", ".join(t.fault.name for t in new)
            if self._request(obs.time_s, tel, reason, by_position=by_position):
                self._send_release_now()
        return new

    def request_release(self, now: float, tel: Telemetry | None, reason: str) -> None:
        """A policy's intent (end of treatment, stop, homing): hold RELEASE until confirmed."""
        if self.release.state is ReleaseState.DONE:
            self.armed = False
            return  # this release is over; a trip or a new start begins a new one
        self._request(now, tel, reason, by_position=False)

    def _request(
        self, now: float, tel: Telemetry | None, reason: str, *, by_position: bool
    ) -> bool:
        self.armed = False
        started = self.release.request(now, tel, reason, by_position=by_position)
        if started:
            self.release_requests += 1
            log.info(
                "release held until confirmed",
                reason=reason,
                bound_s=round(self.release.deadline_s - now, 2),
            )
        return started

    def _send_release_now(self) -> None:
        """Out of cycle, once per handshake: the next cycle's command holds RELEASE anyway."""
        try:
            self._request_release()
        except LinkError as exc:
            if not self.release_write_failed:
                log.error("immediate release write failed; every command holds it", error=str(exc))
            self.release_write_failed = True

    def command(self, proposal_m_s: float, tel: Telemetry | None) -> ApprovedCommand:
        """The only command the link will write this cycle."""
        if self.release.held:
            return RELEASE
        if self.tripped:
            return IDLE
        if tel is None:  # this cycle's reply was lost: hold still, keep the heartbeat going
            return HOLD if self.armed else IDLE
        if self.monitor.same_seq_cycles and proposal_m_s > 0.0:
            # no new load-cell sample since the last snapshot: its force is not news, so
            # nothing pulls on it (hold, or move home) until sampling moves or STALE_DATA trips
            proposal_m_s = 0.0
        return self.gate.approve(proposal_m_s, tel, tripped=False, armed=self.armed)

    def start_treatment(self) -> None:
        if self.tripped:
            raise PermissionError("a safety trip is latched: reset first")
        if self.release.held:
            raise PermissionError("a release is held until confirmed: wait for it")
        self.release.clear()  # a finished release belongs to the last treatment
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
        self.release.clear()
        self.armed = False
        self.restart_force_n = tel.force_n
        return ResetOutcome(True)
