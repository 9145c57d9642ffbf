"""The command gate: the only maker of ApprovedCommand, the only thing the link will write.

Pure where it decides: `allowed_velocity` is a function of the proposal, the measured state
and the limits. It clamps speed; it never lets a pull reach the force limit (it stops
pulling early enough that the carriage's lag cannot carry the force past it), never lets the
force rise or fall faster than the rate limits allow, and never pulls past the travel limit.
With a latched trip only the release request is approved; before a treatment is started (or
after a reset) only a command that does not move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware_bridge.approval import ApprovedCommand, claim_approval_key
from firmware_bridge.icd import Control, Status
from firmware_bridge.values import Command, Telemetry
from safety.limits import SafetyLimits

_KEY = claim_approval_key()
IDLE = ApprovedCommand(Command(Control.NONE, 0.0), _KEY)
RELEASE = ApprovedCommand(Command(Control.RELEASE, 0.0), _KEY)
HOLD = ApprovedCommand(Command(Control.ENABLE, 0.0), _KEY)


@dataclass(frozen=True, slots=True)
class GateParams:
    """The limits the gate needs, as plain floats (it runs every control cycle)."""

    max_speed_m_s: float
    max_travel_m: float
    rate_up_n_s: float
    rate_down_n_s: float
    stop_horizon_s: float
    slack_min_n: float
    slack_speed_m_s: float

    @classmethod
    def from_limits(cls, limits: SafetyLimits) -> GateParams:
        return cls(
            max_speed_m_s=limits.motion.max_speed_m_s,
            max_travel_m=limits.motion.max_travel_m,
            rate_up_n_s=limits.rates.max_force_rate_up_n_s,
            rate_down_n_s=limits.rates.max_force_rate_down_n_s,
            stop_horizon_s=limits.rates.stop_horizon_s,
            slack_min_n=limits.plausibility.slack_min_n,
            slack_speed_m_s=limits.motion.slack_speed_m_s,
        )


def allowed_velocity(
    proposal_m_s: float,
    *,
    force_n: float,
    position_m: float,
    stiffness_n_m: float,
    force_limit_n: float,
    params: GateParams,
) -> float:
    """The fastest carriage velocity the limits allow toward the proposal."""
    if not math.isfinite(proposal_m_s):
        return 0.0  # a NaN or infinite proposal moves nothing
    vmax = params.max_speed_m_s
    v = vmax if proposal_m_s > vmax else (-vmax if proposal_m_s < -vmax else proposal_m_s)
    if v > 0.0:
        if force_n >= force_limit_n or position_m >= params.max_travel_m:
            return 0.0
        headroom = (force_limit_n - force_n) / (stiffness_n_m * params.stop_horizon_s)
        by_rate = params.rate_up_n_s / stiffness_n_m
        if force_n < params.slack_min_n and by_rate < params.slack_speed_m_s:
            by_rate = params.slack_speed_m_s
        return min(v, by_rate, headroom)
    if v < 0.0:
        floor = -params.rate_down_n_s / stiffness_n_m
        return v if v > floor else floor
    return 0.0


class StiffnessEstimate:
    """dF/dx of the patient, learned from the carriage's own motion while the harness is taut."""

    def __init__(self, limits: SafetyLimits) -> None:
        self.model = limits.stiffness
        self.slack_n = limits.plausibility.slack_min_n
        self.learned_n_m = self.model.assumed_n_m
        self.planning_n_m = self._planning()
        self._anchor: tuple[float, float] | None = None

    def _planning(self) -> float:
        m = self.model
        return min(m.max_n_m, max(m.min_n_m, self.learned_n_m * m.safety_factor))

    def update(self, position_m: float, force_n: float) -> None:
        if force_n < self.slack_n:
            self._anchor = None
            return
        if self._anchor is None:
            self._anchor = (position_m, force_n)
            return
        x0, f0 = self._anchor
        dx = position_m - x0
        if abs(dx) < self.model.learn_step_m:
            return
        k = (force_n - f0) / dx
        if k > 0:
            k = min(self.model.max_n_m, max(self.model.min_n_m, k))
            self.learned_n_m = 0.5 * self.learned_n_m + 0.5 * k
            self.planning_n_m = self._planning()
        self._anchor = (position_m, force_n)


class CommandGate:
    def __init__(self, limits: SafetyLimits, force_limit_n: float) -> None:
        self.params = GateParams.from_limits(limits)
        self.force_limit_n = force_limit_n
        self.stiffness = StiffnessEstimate(limits)

    def observe(self, tel: Telemetry) -> None:
        self.stiffness.update(tel.position_m, tel.force_n)

    def approve(
        self, proposal_m_s: float, tel: Telemetry, *, tripped: bool, armed: bool
    ) -> ApprovedCommand:
        if tripped:
            return RELEASE
        if not armed or not tel.has(Status.TARED):
            return IDLE
        v = allowed_velocity(
            proposal_m_s,
            force_n=tel.force_n,
            position_m=tel.position_m,
            stiffness_n_m=self.stiffness.planning_n_m,
            force_limit_n=self.force_limit_n,
            params=self.params,
        )
        return ApprovedCommand(Command(Control.ENABLE, v), _KEY)
