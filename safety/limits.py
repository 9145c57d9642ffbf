"""The safety limits profile: loaded from its own file, validated, fingerprinted.

Protocols never raise a limit: a session's force limit is the least of the device maximum,
the region's cap and the region's share of the patient's body weight. The SHA-256 of the
canonical profile is recorded with every session, so one can always tell which limits were
in force.
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

STANDARD_GRAVITY = 9.80665
Region = Literal["lumbar", "cervical"]


class LimitsError(ValueError):
    """An invalid or inconsistent profile; the message names each field and its rule."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegionLimits(_Strict):
    max_force_n: float = Field(gt=0)
    max_body_weight_share: float = Field(gt=0, le=1)


class RateLimits(_Strict):
    max_force_rate_up_n_s: float = Field(gt=0, le=1000)
    max_force_rate_down_n_s: float = Field(gt=0, le=2000)
    trip_factor: float = Field(ge=1, le=5)
    window_s: float = Field(gt=0, le=1)
    stop_horizon_s: float = Field(gt=0, le=1)


class StiffnessModel(_Strict):
    assumed_n_m: float = Field(gt=0)
    min_n_m: float = Field(gt=0)
    max_n_m: float = Field(gt=0)
    learn_step_m: float = Field(gt=0, le=0.01)
    safety_factor: float = Field(ge=1, le=10)


class MotionLimits(_Strict):
    max_speed_m_s: float = Field(gt=0, le=0.05)
    max_travel_m: float = Field(gt=0, le=0.3)
    speed_trip_factor: float = Field(ge=1, le=3)
    slack_speed_m_s: float = Field(gt=0, le=0.05)


class TrackingLimits(_Strict):
    window_n: float = Field(gt=0)
    window_share: float = Field(ge=0, le=1)
    time_s: float = Field(gt=0, le=60)
    overshoot_n: float = Field(gt=0)
    lag_s: float = Field(ge=0, le=1)
    backing_off_m_s: float = Field(gt=0, le=0.01)


class LivenessLimits(_Strict):
    stale_cycles: int = Field(ge=1, le=100)
    link_failures: int = Field(ge=1, le=100)
    max_cycle_gap_s: float = Field(gt=0, le=1)
    # no valid reply for this long: the board is unreachable and the session ends (alarm)
    board_lost_s: float = Field(default=3.0, gt=0, le=25)


class PlausibilityLimits(_Strict):
    min_force_n: float = Field(le=0)
    saturation_share: float = Field(gt=0, le=1)
    channel_disagree_n: float = Field(gt=0)
    channel_disagree_share: float = Field(ge=0, le=1)
    channel_disagree_time_s: float = Field(ge=0, le=1)
    idle_force_n: float = Field(gt=0)
    slack_min_n: float = Field(gt=0)
    collapse_share: float = Field(gt=0, lt=1)
    collapse_time_s: float = Field(gt=0, le=5)
    # a channel whose reading does not change at all for this long while the board samples
    # is frozen: a real bridge always has noise (docs/safety.md, CHANNEL_FROZEN)
    channel_frozen_s: float = Field(default=0.5, ge=0.05, le=5)


class BoardLimits(_Strict):
    trip_margin_share: float = Field(ge=0, le=0.5)
    trip_margin_min_n: float = Field(ge=0)
    watchdog_s: float = Field(ge=0.02, le=1.0)
    release_speed_m_s: float = Field(ge=0.001, le=0.05)
    release_force_n: float = Field(ge=0)


class ReleaseLimits(_Strict):
    """How long the host waits for the board's safe release before it alarms."""

    # the release is confirmed with both channels below RELEASE_FORCE plus this
    confirm_margin_n: float = Field(default=2.5, ge=0, le=20)
    # bound = distance from home / RELEASE_SPEED x (1 + bound_share) + bound_margin_s
    bound_share: float = Field(default=0.5, ge=0, le=5)
    bound_margin_s: float = Field(default=3.0, gt=0, le=30)
    # a controlled ramp down: planned time x (1 + bound_share) + bound_margin_s, then release
    ramp_bound_share: float = Field(default=0.5, ge=0, le=5)


class SafetyLimits(_Strict):
    device_max_force_n: float = Field(gt=0, le=1000)
    lumbar: RegionLimits
    cervical: RegionLimits
    rates: RateLimits
    stiffness: StiffnessModel
    motion: MotionLimits
    tracking: TrackingLimits
    liveness: LivenessLimits
    plausibility: PlausibilityLimits
    board: BoardLimits
    release: ReleaseLimits = ReleaseLimits()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = []
        for name in ("lumbar", "cervical"):
            cap = getattr(self, name).max_force_n
            if cap > self.device_max_force_n:
                problems.append(
                    f"{name}.max_force_n: {cap} N exceeds device_max_force_n "
                    f"{self.device_max_force_n} N"
                )
        p, b = self.plausibility, self.board
        if b.release_force_n >= p.idle_force_n:
            problems.append(
                f"board.release_force_n: {b.release_force_n} N must be below "
                f"plausibility.idle_force_n {p.idle_force_n} N (a released patient "
                "would read as force present while idle)"
            )
        if self.liveness.max_cycle_gap_s >= b.watchdog_s:
            problems.append(
                f"liveness.max_cycle_gap_s: {self.liveness.max_cycle_gap_s} s must be "
                f"below board.watchdog_s {b.watchdog_s} s (the host must notice first)"
            )
        k = self.stiffness
        if not k.min_n_m <= k.assumed_n_m <= k.max_n_m:
            problems.append("stiffness.assumed_n_m: must lie within [min_n_m, max_n_m]")
        if p.slack_min_n >= self.cervical.max_force_n:
            problems.append("plausibility.slack_min_n: must be below every region's cap")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def region(self, region: Region) -> RegionLimits:
        return self.lumbar if region == "lumbar" else self.cervical

    def force_limit_n(self, region: Region, weight_kg: float) -> float:
        """The session's force limit: never above any of the three caps."""
        if not 0 < weight_kg <= 400:
            raise LimitsError(f"weight_kg: {weight_kg} kg outside (0, 400]")
        reg = self.region(region)
        by_weight = reg.max_body_weight_share * weight_kg * STANDARD_GRAVITY
        return min(self.device_max_force_n, reg.max_force_n, by_weight)

    def fingerprint(self) -> str:
        """SHA-256 of the canonical profile (same limits, same hash, whatever the file's layout)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def parse_limits(data: dict[str, object], source: str = "limits") -> SafetyLimits:
    try:
        return SafetyLimits.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in err['loc']) or 'profile'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise LimitsError(f"{source}: invalid safety limits: " + "; ".join(lines)) from exc


def load_limits(path: Path | None = None) -> SafetyLimits:
    """The profile from `path`, or the shipped defaults when None."""
    if path is None:
        text = files("safety").joinpath("default_limits.toml").read_text(encoding="utf-8")
        source = "default limits"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise LimitsError(f"{path}: cannot read: {exc}") from exc
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LimitsError(f"{source}: not valid TOML: {exc}") from exc
    return parse_limits(data, source)
