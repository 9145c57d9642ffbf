"""Every protocol is checked against the safety limits for this patient before it can start.

A refusal names the field, its value and the rule, e.g. `hold_force_n = 500.0 N: above the
session force limit 441.3 N (lumbar, 75 kg)`. A protocol never raises a limit: the limits
come from their own file, the patient's weight and the region, never from the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.protocols.models import (
    MAX_SESSION_S,
    Cyclic,
    Intermittent,
    Program,
    Progressive,
    Regressive,
    Static,
)
from controller.protocols.profile import SetpointProfile, build_profile
from safety.limits import LimitsError, Region, SafetyLimits

TREATMENT_FORCE_FIELDS = (  # the forces a dose scales (controller/clinic/dose.py)
    "force_n",
    "hold_force_n",
    "rest_force_n",
    "start_force_n",
    "end_force_n",
    "peak_force_n",
    "base_force_n",
)
_FORCE_FIELDS = (*TREATMENT_FORCE_FIELDS, "slack_take_up_n")


class ProtocolError(ValueError):
    """A protocol that must not run; the message names field, value and rule.

    `fields` maps each refused field (e.g. `hold_force_n`, `steps[1].rise_s`) to its rule, so
    that a form (the console's Prepare screen) can show each refusal beside its own field;
    a refusal of the protocol as a whole is under "".
    """

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {"": message})


@dataclass(frozen=True, slots=True)
class CheckedProtocol:
    protocol: Static | Intermittent | Progressive | Regressive | Cyclic | Program
    profile: SetpointProfile
    force_limit_n: float
    limits_fingerprint: str


def session_force_limit(limits: SafetyLimits, region: Region, weight_kg: float) -> float:
    """The one session force limit for this patient (SafetyLimits.force_limit_n); a weight
    out of range is refused as the form's weight field."""
    try:
        return limits.force_limit_n(region, weight_kg)
    except LimitsError as exc:
        raise ProtocolError(str(exc), {"weight_kg": str(exc)}) from exc


def check_protocol(
    protocol: Static | Intermittent | Progressive | Regressive | Cyclic | Program,
    limits: SafetyLimits,
    weight_kg: float,
) -> CheckedProtocol:
    limit = session_force_limit(limits, protocol.region, weight_kg)
    steps = protocol.steps if isinstance(protocol, Program) else [protocol]
    problems: list[tuple[str, str]] = []
    for n, step in enumerate(steps, start=1):
        at = f"steps[{n - 1}]." if len(steps) > 1 else ""
        for name in _FORCE_FIELDS:
            value = getattr(step, name, None)
            if value is not None and value > limit:
                problems.append(
                    (
                        f"{at}{name}",
                        f"{value:g} N: above the session force limit {limit:.1f} N "
                        f"({protocol.region}, {weight_kg:g} kg)",
                    )
                )
        if step.ramp_up_n_s > limits.rates.max_force_rate_up_n_s:
            problems.append(
                (
                    f"{at}ramp_up_n_s",
                    f"{step.ramp_up_n_s:g} N/s: above the force-rate "
                    f"limit {limits.rates.max_force_rate_up_n_s:g} N/s",
                )
            )
        if step.ramp_down_n_s > limits.rates.max_force_rate_down_n_s:
            problems.append(
                (
                    f"{at}ramp_down_n_s",
                    f"{step.ramp_down_n_s:g} N/s: above the "
                    f"release-rate limit {limits.rates.max_force_rate_down_n_s:g} N/s",
                )
            )
        if isinstance(step, Cyclic):
            rise = (step.peak_force_n - step.base_force_n) / step.rise_s
            fall = (step.peak_force_n - step.base_force_n) / step.fall_s
            if rise > limits.rates.max_force_rate_up_n_s:
                problems.append(
                    (
                        f"{at}rise_s",
                        f"{step.rise_s:g} s: rising "
                        f"{step.peak_force_n - step.base_force_n:g} N in it is "
                        f"{rise:.1f} N/s, above {limits.rates.max_force_rate_up_n_s:g} N/s",
                    )
                )
            if fall > limits.rates.max_force_rate_down_n_s:
                problems.append(
                    (
                        f"{at}fall_s",
                        f"{step.fall_s:g} s: {fall:.1f} N/s, above "
                        f"{limits.rates.max_force_rate_down_n_s:g} N/s",
                    )
                )
        if step.slack_take_up_n < limits.plausibility.slack_min_n:
            problems.append(
                (
                    f"{at}slack_take_up_n",
                    f"{step.slack_take_up_n:g} N: below the "
                    f"slack minimum {limits.plausibility.slack_min_n:g} N",
                )
            )
    if problems:
        raise ProtocolError(
            "; ".join(f"{field} = {rule}" for field, rule in problems),
            {field: rule for field, rule in reversed(problems)},  # the first rule per field
        )
    profile = build_profile(protocol)
    if profile.total_s > MAX_SESSION_S:
        raise ProtocolError(f"session length = {profile.total_s / 60:.1f} min: above 99 min")
    return CheckedProtocol(protocol, profile, limit, limits.fingerprint())
