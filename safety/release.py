"""The release handshake: the host holds CONTROL.RELEASE until it has seen the release end.

Why a handshake and not a pulse: the ICD calls RELEASE a level, so a board may end a
host-requested release as soon as the bit falls; and a board that latches it may still miss
a one-write pulse when two queued requests land within one firmware tick. Either way a pulse
left the patient under tension with the host waiting forever. So from the moment a release
is wanted (end of treatment, operator stop, homing, a safety trip) every command carries
RELEASE (ENABLE low) until a snapshot shows the release finished -- RELEASING clear with both
channels below RELEASE_FORCE (plus a margin), or AT_HOME -- which also covers a board that is
done at once because the force was already below. Only then is RELEASE dropped. The wait has
a bound from the distance to home and RELEASE_SPEED; past it the handshake times out (the
supervisor latches RELEASE_TIMEOUT) and RELEASE stays set: it is never dropped unconfirmed.

Pure and deterministic: a function of the snapshots and times it is shown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from firmware_bridge.icd import Status
from firmware_bridge.values import Telemetry
from safety.limits import SafetyLimits


class ReleaseState(enum.Enum):
    IDLE = "idle"  # no release wanted
    REQUESTED = "requested"  # RELEASE held, the board not yet seen releasing
    RELEASING = "releasing"  # RELEASE held, STATUS.RELEASING seen
    DONE = "done"  # confirmed: RELEASE dropped
    TIMED_OUT = "timed out"  # not confirmed within the bound: RELEASE stays held, alarm


HELD = frozenset({ReleaseState.REQUESTED, ReleaseState.RELEASING, ReleaseState.TIMED_OUT})


@dataclass(frozen=True, slots=True)
class ReleaseParams:
    release_force_n: float
    confirm_margin_n: float
    release_speed_m_s: float
    max_travel_m: float
    bound_share: float
    bound_margin_s: float

    @classmethod
    def from_limits(cls, limits: SafetyLimits) -> ReleaseParams:
        r = limits.release
        return cls(
            release_force_n=limits.board.release_force_n,
            confirm_margin_n=r.confirm_margin_n,
            release_speed_m_s=limits.board.release_speed_m_s,
            max_travel_m=limits.motion.max_travel_m,
            bound_share=r.bound_share,
            bound_margin_s=r.bound_margin_s,
        )

    def bound_s(self, position_m: float | None) -> float:
        """Time the board may take to let go from `position_m` (unknown: the whole travel)."""
        distance = self.max_travel_m if position_m is None else max(0.0, position_m)
        return distance / self.release_speed_m_s * (1.0 + self.bound_share) + self.bound_margin_s

    @property
    def longest_s(self) -> float:
        return self.bound_s(None)


class ReleaseHandshake:
    def __init__(self, params: ReleaseParams) -> None:
        self.params = params
        self.state = ReleaseState.IDLE
        self.reason = ""
        self.by_position = False
        self.started_s = 0.0
        self.deadline_s = 0.0

    @property
    def held(self) -> bool:
        """Whether the next command must carry CONTROL.RELEASE."""
        return self.state in HELD

    def request(
        self, now: float, tel: Telemetry | None, reason: str, *, by_position: bool = False
    ) -> bool:
        """Start holding RELEASE; True when this started a new handshake.

        A handshake in progress is not restarted (its bound keeps running) but may be
        upgraded to a release by position; a finished one is restarted.
        """
        if self.held:
            self.by_position = self.by_position or by_position
            return False
        self.state = ReleaseState.REQUESTED
        self.reason = reason
        self.by_position = by_position
        self.started_s = now
        self.deadline_s = now + self.params.bound_s(None if tel is None else tel.position_m)
        return True

    def observe(self, now: float, tel: Telemetry | None) -> ReleaseState | None:
        """Judge one snapshot (None: no valid reply); returns the new state on a transition."""
        if self.state not in (ReleaseState.REQUESTED, ReleaseState.RELEASING):
            return None
        if tel is not None:
            if tel.has(Status.RELEASING):
                if self.state is ReleaseState.REQUESTED:
                    self.state = ReleaseState.RELEASING
                    return self.state
            elif self.released(tel):
                self.state = ReleaseState.DONE
                return self.state
        if now >= self.deadline_s:
            self.state = ReleaseState.TIMED_OUT
            return self.state
        return None

    def released(self, tel: Telemetry) -> bool:
        """The release is over as far as this snapshot shows (RELEASING already checked)."""
        if tel.has(Status.AT_HOME):
            return True
        if self.by_position:
            return False
        below = self.params.release_force_n + self.params.confirm_margin_n
        b_ok = not tel.has(Status.CHANNEL_B_FITTED) or tel.force_b_n < below
        return tel.force_a_n < below and b_ok

    def clear(self) -> None:
        """After an operator reset: nothing is held any more."""
        self.state = ReleaseState.IDLE
        self.reason = ""
        self.by_position = False
