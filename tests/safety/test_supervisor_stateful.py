"""Stateful property test of the safety supervisor (monitor + gate + latch + reset).

hypothesis drives random telemetry (forces, board bits, frozen samples, lost replies), random
proposals, time steps, treatment starts, failing release requests and reset attempts, and
checks after every step:

- an approved command never pulls at or above the force limit;
- an approved command never pulls while a trip is latched (only the release is approved);
- an approved command never exceeds the speed limit;
- a trip never clears without a reset, and a reset is refused while a cause is present or
  nobody acknowledged it;
- a reset never yields a pull by itself (a treatment must be started again);
- every trip yields a release request, retried every cycle until one gets through.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from firmware_bridge.approval import ApprovedCommand
from firmware_bridge.errors import LinkTimeout
from firmware_bridge.icd import Control, FaultCode, Status
from firmware_bridge.values import Telemetry
from safety.limits import load_limits
from safety.monitor import Observation
from safety.release import ReleaseState
from safety.supervisor import SafetySupervisor
from tests.safety.factory import NORMAL, snapshot

LIMITS = load_limits()
LIMIT_N = 300.0
EXTRA_BITS = st.sampled_from(
    [
        Status.NONE,
        Status.NONE,
        Status.NONE,
        Status.FAULT,
        Status.PATIENT_STOP,
        Status.ESTOP,
        Status.RELEASING,
    ]
)


class SupervisorMachine(RuleBasedStateMachine):
    @initialize(release_fails=st.booleans())
    def setup(self, release_fails: bool) -> None:
        self.release_fails = release_fails
        self.release_attempts = 0
        self.delivered = 0
        self.sup = SafetySupervisor(
            LIMITS, force_limit_n=LIMIT_N, hw_force_max_n=1000.0, request_release=self._release
        )
        self.t = 0.0
        self.seq = 0
        self.tel: Telemetry | None = snapshot(0.0)
        self.approved: ApprovedCommand = self.sup.command(0.0, self.tel)
        self.approved_on: Telemetry | None = self.tel  # the snapshot the approval was made on
        self.model_tripped = False
        self.just_reset = False

    def _release(self) -> None:
        self.release_attempts += 1
        if self.release_fails and self.release_attempts % 2:
            raise LinkTimeout("release lost")
        self.delivered += 1

    @rule(
        force=st.floats(-40.0, 1100.0),
        extra=EXTRA_BITS,
        fresh=st.booleans(),
        lost=st.booleans(),
        dt=st.sampled_from([0.01, 0.01, 0.02, 0.1]),
        active=st.booleans(),
        setpoint=st.one_of(st.none(), st.floats(0, 400)),
    )
    def cycle(  # noqa: PLR0917 - hypothesis passes the drawn values by keyword
        self,
        force: float,
        extra: Status,
        fresh: bool,
        lost: bool,
        dt: float,
        active: bool,
        setpoint: float | None,
    ) -> None:
        self.t += dt
        if fresh:
            self.seq = (self.seq + 1) % 65536
        if lost:
            tel = None
        else:
            fault = FaultCode.WATCHDOG if extra == Status.FAULT else FaultCode.NONE
            tel = snapshot(
                force, status=NORMAL | extra, fault=fault, seq=self.seq, uptime_s=10.0 + self.t
            )
        trips = self.sup.observe(
            Observation(
                self.t, tel, cycle_gap_s=dt, treatment_active=active, target_force_n=setpoint
            )
        )
        if trips:
            self.model_tripped = True
        self.tel = tel if tel is not None else self.tel
        self.just_reset = False

    @rule(proposal=st.floats(-0.1, 0.1))
    def propose(self, proposal: float) -> None:
        self.approved = self.sup.command(proposal, self.tel)
        self.approved_on = self.tel

    @rule()
    def start(self) -> None:
        if self.sup.tripped or self.sup.release.held:
            try:
                self.sup.start_treatment()
            except PermissionError:
                return
            raise AssertionError("a treatment started over a latched trip or a held release")
        self.sup.start_treatment()
        self.just_reset = False

    @rule()
    def policy_wants_release(self) -> None:
        self.sup.request_release(self.t, self.tel, "stop")
        assert self.sup.release.state is not ReleaseState.IDLE
        assert not self.sup.armed

    @rule(ack=st.booleans())
    def reset(self, ack: bool) -> None:
        causes = self.sup.monitor.causes_present(self.tel)
        outcome = self.sup.reset(self.tel, acknowledged_by="technician" if ack else " ")
        if outcome.accepted:
            assert ack and not causes
            self.model_tripped = False
            self.just_reset = True
        else:
            assert causes or not ack

    @precondition(lambda self: self.just_reset)
    @rule(proposal=st.floats(0.0001, 0.1))
    def pull_right_after_reset(self, proposal: float) -> None:
        command = self.sup.command(proposal, self.tel).command
        assert not (command.control & Control.ENABLE and command.velocity_m_s > 0)

    @invariant()
    def approved_command_is_safe(self) -> None:
        command = self.approved.command
        v = command.velocity_m_s
        assert abs(v) <= LIMITS.motion.max_speed_m_s
        pulling = bool(command.control & Control.ENABLE) and v > 0
        if pulling:
            assert self.approved_on is not None and self.approved_on.force_n < LIMIT_N
        fresh = self.sup.command(0.05, self.tel).command
        if self.sup.release.held:  # never dropped before the release is confirmed
            assert fresh.control == Control.RELEASE and fresh.velocity_m_s == 0
        if self.sup.tripped:
            assert not fresh.control & Control.ENABLE and fresh.velocity_m_s == 0

    @invariant()
    def trips_latch_until_reset(self) -> None:
        assert self.sup.tripped == self.model_tripped

    @invariant()
    def every_trip_requests_a_release(self) -> None:
        if self.sup.tripped:  # held in every command (and written at once when it started it)
            assert self.sup.release.state is not ReleaseState.IDLE


TestSupervisor = SupervisorMachine.TestCase
